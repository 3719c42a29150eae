"""Every page at the smallest supported window and a large one, light and dark.

For each page of the tour (tests/helpers/tour.py) on the demo registry: no label, header,
button, tab or group title is narrower than its own size hint (Qt knows how wide each text
is, so a clipped "ubmit for revie" is a failure), nothing scrolls sideways, and no table
is squeezed to fewer than three rows. With
``SIGNOFF_SCREENSHOTS=1`` the pages the README shows are saved as
``docs/screenshots/PAGE-WxH-THEME.png`` (``=all``: every page, to look at them).
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from signoff.ui.services.theme import apply_style
from signoff.ui.shell.app import build_window
from tests.helpers import shots
from tests.helpers.clipping import clipped_text, scrolls_sideways, squeezed_tables
from tests.helpers.tour import STOPS, settle, visit

pytestmark = [pytest.mark.gui, pytest.mark.slow]

SIZES = ((1024, 700), (1600, 1000))
THEMES = ("light", "dark")


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_page_fits_with_no_text_clipped(
    qtbot, demo_registry, settings, theme: str, width: int, height: int
) -> None:
    settings.set("ui/theme", theme)
    window = build_window(demo_registry, settings)
    qtbot.addWidget(window)
    window.resize(width, height)
    window.show()
    qtbot.waitExposed(window)
    settle(window, ms=500)
    assert (window.width(), window.height()) == (width, height)
    problems: dict[str, list[str]] = {}
    visited = []
    for stop, shown in visit(window):
        visited.append(stop.name)
        found = [str(p) for p in clipped_text(shown)]
        found += [f"scrolls sideways: {name}" for name in scrolls_sideways(shown)]
        found += [f"table too short: {name}" for name in squeezed_tables(shown)]
        if found:
            problems[stop.name] = found
        if shots.wanted():
            shots.save_screenshot(shown, f"{stop.name}-{width}x{height}-{theme}.png")
    assert visited == [stop.name for stop in STOPS]
    assert problems == {}
    settle(window, ms=0)
    window.ctx.shutdown()
    apply_style(QApplication.instance(), "light")  # the palette is the application's: no trace
