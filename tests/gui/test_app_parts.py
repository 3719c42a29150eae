"""Settings, resources, theme, dashboard threshold, and search cancelling the last query."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from signoff.ui.services import resources
from signoff.ui.services.settings import MAX_RECENT, OPTIONS, Settings
from tests.helpers.qtwait import wait_idle

pytestmark = pytest.mark.gui


def test_settings_defaults_types_and_bad_values(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    settings = Settings(path)
    for key, option in OPTIONS.items():
        value = settings.get(key)
        assert value == option.default, key
    settings.set("inventory/page_size", 50)
    settings.set("inventory/descending", True)
    settings.sync()
    raw = QSettings(str(path), QSettings.Format.IniFormat)
    raw.setValue("dashboard/review_wait_days", "fortnight")  # hand-edited nonsense
    raw.sync()
    again = Settings(path)
    assert again.get("inventory/page_size") == 50
    assert again.get("inventory/descending") is True
    assert again.get("dashboard/review_wait_days") == 14  # the default, not a crash
    assert again.get("settings/version") == 1
    with pytest.raises(KeyError):
        again.get("no/such/option")


def test_an_unreadable_settings_version_is_restamped_not_a_crash(tmp_path: Path, caplog) -> None:
    path = tmp_path / "s.ini"
    Settings(path).set("inventory/page_size", 50)
    raw = QSettings(str(path), QSettings.Format.IniFormat)
    raw.setValue("settings/version", "two")  # hand-edited nonsense
    raw.sync()
    again = Settings(path)
    assert again.get("settings/version") == 1
    assert again.get("inventory/page_size") == 50  # what the person set is kept
    assert "settings version 'two' is unreadable" in caplog.text


def test_recent_registries_newest_first_and_capped(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "s.ini")
    for i in range(MAX_RECENT + 3):
        settings.remember_registry(f"sqlite:///r{i}.db", f"/a{i}")
    settings.remember_registry("sqlite:///r2.db", "/a2")
    recent = settings.recent_registries()
    assert recent[0] == ("sqlite:///r2.db", "/a2")
    assert len(recent) == MAX_RECENT and len(set(recent)) == MAX_RECENT


def test_icon_and_styles_come_from_resources(qapp) -> None:
    icon = resources.app_icon()
    sizes = {s.width() for s in icon.availableSizes()}
    assert {16, 32, 48, 64, 128, 256} <= sizes
    assert resources.resource("icons", "signoff.svg").read_text().startswith("<svg")
    light, dark = resources.style_sheet(False), resources.style_sheet(True)
    assert "QListWidget#sideBar" in light and "#eef2f6" in light and "#1f2428" in dark


def test_theme_menu_switches_palette_and_is_remembered(qtbot, browse_registry, settings) -> None:
    from signoff.ui.shell.app import build_window

    window = build_window(browse_registry, settings)
    qtbot.addWidget(window)
    window.theme_actions["dark"].trigger()
    assert QApplication.instance().palette().color(QPalette.ColorRole.Window).lightness() < 80
    assert settings.get("ui/theme") == "dark"
    window.theme_actions["light"].trigger()
    assert QApplication.instance().palette().color(QPalette.ColorRole.Window).lightness() > 200
    window.theme_actions["auto"].trigger()
    wait_idle(qtbot, window.ctx)
    window.close()


def test_dashboard_wait_threshold(qtbot, browse_registry, make_ctx) -> None:
    from signoff.ui.inventory.inventory_page import InventoryPage

    ctx = make_ctx(browse_registry)
    page = InventoryPage(ctx)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.dashboard.data is not None, timeout=5000)
    assert page.dashboard.cards["waiting"].value == "1"  # credit-risk v3, since 1 Oct 2026
    page.dashboard.wait_days.selectAll()
    qtbot.keyClicks(page.dashboard.wait_days, "365")
    qtbot.waitUntil(lambda: page.dashboard.data.waiting_days == 365, timeout=5000)
    assert page.dashboard.cards["waiting"].value == "0"
    assert page.dashboard.cards["waiting"].text().endswith("reviews waiting\nover 365 days")
    assert ctx.settings.get("dashboard/review_wait_days") == 365
    wait_idle(qtbot, ctx)


def test_new_keystroke_cancels_the_previous_query(qtbot, big_registry, make_ctx) -> None:
    from signoff.ui.inventory.inventory_page import InventoryPage

    ctx = make_ctx(big_registry)
    page = InventoryPage(ctx)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: not page.model.loading, timeout=5000)
    handles = []
    original = ctx.read

    def spying_read(fn, *args, **kwargs):
        handle = original(fn, *args, **kwargs)
        if kwargs.get("key") == "inventory":
            handles.append(handle)
        return handle

    ctx.read = spying_read
    resets = []
    page.model.modelReset.connect(lambda: resets.append(page.search.text()))
    qtbot.keyClicks(page.search, "bulk-01")  # seven keystrokes, typed at once
    qtbot.waitUntil(lambda: not page.model.loading and ctx.runner.active_count == 0, timeout=10000)
    assert len(handles) == 7
    assert all(h.is_cancelled for h in handles[:-1])
    assert handles[-1].result is not None and not handles[-1].is_cancelled
    assert resets == ["bulk-01"]  # only the last query's rows ever reached the table
    names = [page.model.index(r, 0).data() for r in range(page.model.rowCount())]
    assert names == [f"bulk-01{i:02d}" for i in range(100)]
    assert page.count_label.text() == "100 models"
    qtbot.keyClick(page.search, Qt.Key.Key_Escape)
