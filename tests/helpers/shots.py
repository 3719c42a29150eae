"""README screenshots taken by GUI tests, only when asked (``SIGNOFF_SCREENSHOTS=1``).

A test run must not rewrite files in the checkout, so by default nothing is saved; a developer
refreshing the README runs the GUI tests with ``SIGNOFF_SCREENSHOTS=1``. The README decides
which pictures exist: a test saves a page only when the README shows that file, so the folder
never fills with pictures nobody looks at. ``SIGNOFF_SCREENSHOTS=all`` saves every page the
tests pass through (to look at them all, not to commit them). Pictures are saved with a
palette of 128 colours: a window is mostly flat colour, and the README stays small.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
COLOURS = 128


def wanted() -> bool:
    """True when this test run should refresh the README screenshots."""
    return os.environ.get("SIGNOFF_SCREENSHOTS") in ("1", "all")


def shown_in_readme() -> set[str]:
    """The screenshot file names the README refers to."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"docs/screenshots/([\w.-]+\.png)", text))


def needed(name: str) -> bool:
    """Whether a screenshot called *name* should be written by this run."""
    if not wanted():
        return False
    return os.environ.get("SIGNOFF_SCREENSHOTS") == "all" or name in shown_in_readme()


def save_screenshot(widget, name: str, *, settle_ms: int = 0) -> Path | None:  # noqa: ANN001
    """Save *widget* (any QWidget) as docs/screenshots/NAME when the README shows it.

    *settle_ms* lets the web engine finish painting first (it paints on its own schedule, and
    no signal says when); the wait happens only when a screenshot is taken. Returns the path,
    or None when nothing was saved.
    """
    if not needed(name):
        return None
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice

    if settle_ms:
        from PySide6.QtTest import QTest

        QTest.qWait(settle_ms)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    widget.grab().save(buffer, "PNG")
    image = Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGB")
    small = image.quantize(
        colors=COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    small.save(path, optimize=True)
    return path
