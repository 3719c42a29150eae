"""The main window's menus and tool bar, declared in one place.

Every action a menu holds is created here with its shortcut and status tip, so Help › Keyboard
shortcuts lists exactly what the keys do (it reads these actions).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QToolBar

from signoff.ui.shell.areas import AREAS

if TYPE_CHECKING:
    from signoff.ui.shell.main_window import MainWindow

THEMES = (("auto", "Follow the system"), ("light", "Light"), ("dark", "Dark"))


def _action(
    window: MainWindow,
    menu: QMenu,
    text: str,
    slot: Callable[[], object],
    shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
    tip: str = "",
) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.triggered.connect(lambda _checked=False: slot())
    menu.addAction(action)
    window.shortcut_actions.append(action)
    return action


def _area_opener(window: MainWindow, key: str) -> Callable[[], None]:
    return lambda: window.show_area(key)


def _theme_setter(window: MainWindow, key: str) -> Callable[[], None]:
    return lambda: window.set_theme(key)


def build_menus(window: MainWindow) -> None:
    """File, Go, View and Help, wired to the window's methods."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    window.open_action = _action(
        window,
        file_menu,
        "&Open registry…",
        window.show_connection_dialog,
        QKeySequence.StandardKey.Open,
        "Open another registry (a registry folder, an SQLite file or a PostgreSQL URL)",
    )
    window.recent_menu = file_menu.addMenu("Recent registries")
    window.recent_menu.aboutToShow.connect(window.fill_recent)
    window.people_action = _action(
        window,
        file_menu,
        "&People and roles…",
        window.show_people_dialog,
        tip="Add people and give them the roles they sign as (admins)",
    )
    file_menu.addSeparator()
    window.print_action = _action(
        window,
        file_menu,
        "&Print…",
        window.print_current,
        QKeySequence.StandardKey.Print,
        "Print what the page shows: an approval sheet, a notebook, release notes or a model card",
    )
    _action(
        window,
        file_menu,
        "&Export inventory as CSV…",
        window.export_inventory,
        "Ctrl+E",
        "Save the models in the current inventory view",
    )
    _action(
        window,
        file_menu,
        "Inventory &report for regulators…",
        window.show_inventory_report,
        None,
        "Every model as it stood at a date, as PDF and CSV",
    )
    window.import_action = _action(
        window,
        file_menu,
        "&Import from MLflow…",
        window.show_mlflow_import,
        "Ctrl+I",
        "Import registered models from an MLflow server",
    )
    file_menu.addSeparator()
    _action(window, file_menu, "&Quit", window.close, QKeySequence.StandardKey.Quit)

    go_menu = bar.addMenu("&Go")
    for i, spec in enumerate(AREAS, start=1):
        _action(window, go_menu, spec.title, _area_opener(window, spec.key), f"Ctrl+{i}")
    go_menu.addSeparator()
    window.back_action = _action(
        window, go_menu, "&Back", window.go_back, QKeySequence.StandardKey.Back
    )
    window.search_action = _action(
        window,
        go_menu,
        "&Search everything…",
        window.show_global_search,
        "Ctrl+K",
        "Find a model, version, person, consumer or prediction subject",
    )
    _action(
        window,
        go_menu,
        "&Find in inventory",
        window.find_in_inventory,
        QKeySequence.StandardKey.Find,
    )
    _action(window, go_menu, "&Reload", window.reload, QKeySequence.StandardKey.Refresh)

    view_menu = bar.addMenu("&View")
    theme_menu = view_menu.addMenu("&Theme")
    window.theme_actions = {}
    group = QActionGroup(window)
    current = window.ctx.settings.get("ui/theme")
    for key, title in THEMES:
        action = _action(window, theme_menu, title, _theme_setter(window, key))
        action.setCheckable(True)
        action.setChecked(key == current)
        group.addAction(action)
        window.theme_actions[key] = action

    help_menu = bar.addMenu("&Help")
    _action(
        window,
        help_menu,
        "&Guide",
        window.show_guide,
        QKeySequence.StandardKey.HelpContents,
        "A short guide to the page you are on (offline)",
    )
    _action(window, help_menu, "&Keyboard shortcuts", window.show_shortcuts, "Ctrl+/")
    help_menu.addSeparator()
    window.log_folder_action = _action(
        window,
        help_menu,
        "Open &log folder",
        window.open_log_folder,
        tip="Show Signoff's log files (to send with a problem report)",
    )
    help_menu.addSeparator()
    _action(window, help_menu, "&About Signoff", window.show_about)
    _action(window, help_menu, "About &Qt", lambda: QMessageBox.aboutQt(window))


def build_tool_bar(window: MainWindow) -> QToolBar:
    """The tool bar: back, search everything, and (in the demo) the Act as picker."""
    bar = QToolBar("Main tool bar", window)
    bar.setObjectName("mainToolBar")
    bar.setMovable(False)
    bar.addAction(window.back_action)
    bar.addAction(window.search_action)
    return bar
