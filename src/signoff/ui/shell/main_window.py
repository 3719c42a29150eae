"""The main window: side bar of areas, page stack with back navigation, menus, status bar."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from signoff import __version__
from signoff.core.db.registry import Registry
from signoff.ui.compare.compare_page import ComparePage
from signoff.ui.model.model_page import ModelPage
from signoff.ui.services.context import AppContext
from signoff.ui.services.qt_log import open_log_folder
from signoff.ui.services.resources import app_icon
from signoff.ui.services.theme import apply_style
from signoff.ui.shell.areas import AREAS
from signoff.ui.shell.connection_dialog import ConnectionDialog
from signoff.ui.version.version_page import VersionPage
from signoff.ui.widgets.part_loader import build_part

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Place:
    """Where the window is: an area, or a model / version / comparison page."""

    kind: str  # "area", "model", "version", "compare"
    key: str = ""  # area key or model name
    number: int = 0
    numbers: tuple[int, ...] = ()


ABOUT_EMBEDDED = (
    "<p><b>Embedded mode is for a single workstation.</b> The acting user is the "
    "operating-system login, and anyone who can edit the database file can edit "
    "it. To share a registry, use PostgreSQL, where each person signs in with "
    "their own login and the database enforces the rules.</p>"
)
ABOUT_SHARED = (
    "<p>Shared registry: you act as your own database login; the database records "
    "who signed and refuses what your roles do not allow.</p>"
)


class MainWindow(QMainWindow):
    """The Signoff workstation window."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        if ctx.parent() is None:
            ctx.setParent(self)  # the window owns its context (and so its workers)
        self.setWindowIcon(app_icon())
        self.setMinimumSize(QSize(720, 480))
        self.history: list[Place] = []
        self.place = Place("area", "inventory")

        self.side_bar = QListWidget()
        self.side_bar.setObjectName("sideBar")
        self.side_bar.setFixedWidth(176)
        self.side_bar.setIconSize(QSize(20, 20))
        self.stack = QStackedWidget()
        # areas are built the first time they are shown, so start-up pays only for one
        self.areas: dict[str, QWidget] = {}
        for spec in AREAS:
            item = QListWidgetItem(QIcon.fromTheme(spec.icon), spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            self.side_bar.addItem(item)
        self.model_page = ModelPage(ctx)
        self.version_page = VersionPage(ctx)
        self.compare_page = ComparePage(ctx)
        for page in (self.model_page, self.version_page, self.compare_page):
            self.stack.addWidget(page)

        self.breadcrumb = QLabel("")
        self.breadcrumb.setObjectName("breadcrumb")
        self.breadcrumb.linkActivated.connect(self._breadcrumb_link)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        right_layout.addWidget(self.breadcrumb)
        right_layout.addWidget(self.stack, 1)
        central = QWidget()
        central_layout = QHBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(self.side_bar)
        central_layout.addWidget(right, 1)
        self.setCentralWidget(central)

        self._build_status_bar()
        self._build_menus()
        self.side_bar.currentItemChanged.connect(self._side_bar_clicked)
        ctx.openModelRequested.connect(self.open_model)
        ctx.openVersionRequested.connect(self.open_version)
        ctx.compareRequested.connect(self.open_compare)
        ctx.connectionChanged.connect(self._show_health)
        ctx.registryChanged.connect(self._show_registry)
        # bound methods, not lambdas: Qt drops them when the window goes, the context may not
        ctx.statusMessage.connect(self._show_message)
        ctx.runner.busyChanged.connect(self._show_busy)
        ctx.runner.taskFailed.connect(self._note_task_failure)
        self._show_registry()
        self._restore()
        ctx.start_health_checks()

    # -- building -----------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.user_label = QLabel("")
        self.user_label.setObjectName("userLabel")
        self.db_label = QLabel("")
        self.db_label.setObjectName("databaseLabel")
        self.health_label = QLabel("")
        self.health_label.setObjectName("healthLabel")
        self.busy_label = QLabel("")
        bar.addPermanentWidget(self.busy_label)
        bar.addPermanentWidget(self.user_label)
        bar.addPermanentWidget(self.db_label)
        bar.addPermanentWidget(self.health_label)

    def _action(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:  # noqa: ANN001
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = self._action(
            file_menu,
            "&Open registry…",
            self.show_connection_dialog,
            QKeySequence.StandardKey.Open,
            "Open another registry (SQLite file or PostgreSQL URL)",
        )
        self.recent_menu = file_menu.addMenu("Recent registries")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addSeparator()
        self._action(
            file_menu,
            "&Export inventory as CSV…",
            self._export_inventory,
            "Ctrl+E",
            "Save the models in the current inventory view",
        )
        self._action(
            file_menu,
            "Inventory &report for regulators…",
            self.show_inventory_report,
            None,
            "Every model as it stood at a date, as PDF and CSV",
        )
        self.import_action = self._action(
            file_menu,
            "&Import from MLflow…",
            self.show_mlflow_import,
            "Ctrl+I",
            "Import registered models from an MLflow server",
        )
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        go_menu = bar.addMenu("&Go")
        for i, spec in enumerate(AREAS, start=1):
            self._action(
                go_menu, spec.title, lambda _=False, k=spec.key: self.show_area(k), f"Ctrl+{i}"
            )
        go_menu.addSeparator()
        self.back_action = self._action(
            go_menu, "&Back", self.go_back, QKeySequence.StandardKey.Back
        )
        self._action(go_menu, "&Find in inventory", self._find, QKeySequence.StandardKey.Find)
        self._action(go_menu, "&Reload", self.reload, QKeySequence.StandardKey.Refresh)

        view_menu = bar.addMenu("&View")
        theme_menu = view_menu.addMenu("&Theme")
        self.theme_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        current = self.ctx.settings.get("ui/theme")
        for key, title in (("auto", "Follow the system"), ("light", "Light"), ("dark", "Dark")):
            action = self._action(theme_menu, title, lambda _=False, k=key: self.set_theme(k))
            action.setCheckable(True)
            action.setChecked(key == current)
            group.addAction(action)
            self.theme_actions[key] = action

        help_menu = bar.addMenu("&Help")
        self.log_folder_action = self._action(
            help_menu,
            "Open &log folder",
            self.open_log_folder,
            tip="Show Signoff's log files (to send with a problem report)",
        )
        help_menu.addSeparator()
        self._action(help_menu, "&About Signoff", self.show_about)
        self._action(help_menu, "About &Qt", lambda: QMessageBox.aboutQt(self))

    # -- navigation ---------------------------------------------------------------------------
    def _go(self, place: Place, remember: bool = True) -> None:
        if remember and place != self.place:
            self.history.append(self.place)
            del self.history[:-50]
        self.place = place
        area_key = place.key if place.kind == "area" else "inventory"
        row = next((i for i, s in enumerate(AREAS) if s.key == area_key), 0)
        blocked = self.side_bar.blockSignals(True)
        self.side_bar.setCurrentRow(row)
        self.side_bar.blockSignals(blocked)
        self.back_action.setEnabled(bool(self.history))
        self._update_breadcrumb()

    def area(self, key: str) -> QWidget | None:
        """The widget of area *key*, built on first use (None for an unknown key)."""
        widget = self.areas.get(key)
        if widget is None:
            spec = next((s for s in AREAS if s.key == key), None)
            if spec is None:
                return None
            widget = build_part(self.ctx, spec.title, spec.build, self)
            self.areas[key] = widget
            self.stack.addWidget(widget)
        return widget

    def show_area(self, key: str, remember: bool = True) -> None:
        """Show the side-bar area *key* (inventory, reviews, monitoring, audit, consumers)."""
        widget = self.area(key)
        if widget is None:
            return
        self.stack.setCurrentWidget(widget)
        self._go(Place("area", key), remember)
        activate = getattr(widget, "activate", None)
        if callable(activate):
            activate()

    def open_model(self, name: str, remember: bool = True) -> None:
        """Show the model page of *name*."""
        self.model_page.show_model(name)
        self.stack.setCurrentWidget(self.model_page)
        self._go(Place("model", name), remember)

    def open_version(self, name: str, number: int, remember: bool = True) -> None:
        """Show the version page of *name* v*number*."""
        self.version_page.show_version(name, number)
        self.stack.setCurrentWidget(self.version_page)
        self._go(Place("version", name, number), remember)

    def open_compare(self, name: str, numbers: list[int], remember: bool = True) -> None:
        """Compare versions *numbers* of *name*."""
        self.compare_page.show_model(name, list(numbers))
        self.stack.setCurrentWidget(self.compare_page)
        self._go(Place("compare", name, numbers=tuple(numbers)), remember)

    def go_back(self) -> None:
        """Return to the previous place (Alt+Left)."""
        if not self.history:
            return
        self._show_place(self.history.pop(), remember=False)

    def _show_place(self, place: Place, remember: bool = True) -> None:
        if place.kind == "model":
            self.open_model(place.key, remember)
        elif place.kind == "version":
            self.open_version(place.key, place.number, remember)
        elif place.kind == "compare":
            self.open_compare(place.key, list(place.numbers), remember)
        else:
            self.show_area(place.key, remember)

    def _side_bar_clicked(self, item: QListWidgetItem | None, _previous=None) -> None:  # noqa: ANN001
        if item is not None:
            self.show_area(item.data(Qt.ItemDataRole.UserRole))

    def _update_breadcrumb(self) -> None:
        p = self.place
        if p.kind == "area":
            title = next(s.title for s in AREAS if s.key == p.key)
            self.breadcrumb.setText(f"<b>{title}</b>")
            return
        parts = ["<a href='area:inventory'>Inventory</a>"]
        name = html.escape(p.key)
        if p.kind == "model":
            parts.append(f"<b>{name}</b>")
        else:
            parts.append(f"<a href='model:{name}'>{name}</a>")
            if p.kind == "version":
                parts.append(f"<b>v{p.number}</b>")
            else:
                parts.append("<b>compare " + ", ".join(f"v{n}" for n in p.numbers) + "</b>")
        self.breadcrumb.setText(" › ".join(parts))

    def _breadcrumb_link(self, link: str) -> None:
        kind, _, key = link.partition(":")
        if kind == "model":
            self.open_model(key)
        else:
            self.show_area(key)

    # -- actions ------------------------------------------------------------------------------
    def show_connection_dialog(self) -> ConnectionDialog:
        dialog = ConnectionDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.opened.connect(lambda _r: self.show_area("inventory"))
        dialog.open()
        return dialog

    def show_mlflow_import(self):  # noqa: ANN201 - returns the dialog (tests drive it)
        """Open the MLflow import dialog (the import itself runs in a worker)."""
        from signoff.ui.importing.mlflow_dialog import MlflowImportDialog

        dialog = MlflowImportDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.ctx.settings.recent_registries()
        if not recent:
            self.recent_menu.addAction("(none yet)").setEnabled(False)
        for db, artifacts in recent:
            action = self.recent_menu.addAction(db)
            action.triggered.connect(lambda _=False, d=db, a=artifacts: self._open_recent(d, a))

    def _open_recent(self, db: str, artifacts: str) -> None:
        dialog = self.show_connection_dialog()
        dialog.db_edit.setText(db)
        dialog.artifacts_edit.setText(artifacts)
        dialog.try_open()

    def _export_inventory(self) -> None:
        self.show_area("inventory")
        page = self.area("inventory")
        choose = getattr(page, "choose_export_file", None)
        if callable(choose):
            choose()

    def show_inventory_report(self) -> QDialog:
        """File › Inventory report: the dialog that builds it in the worker."""
        from signoff.ui.shell.report_dialog import InventoryReportDialog

        dialog = InventoryReportDialog(self.ctx, self)
        self.report_dialog = dialog
        dialog.open()
        return dialog

    def _find(self) -> None:
        self.show_area("inventory")
        focus = getattr(self.area("inventory"), "focus_search", None)
        if callable(focus):
            focus()

    def set_theme(self, theme: str) -> None:
        """Switch between the light and dark style (or follow the system) and remember it."""
        from PySide6.QtWidgets import QApplication

        self.ctx.settings.set("ui/theme", theme)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_style(app, theme)
        self.theme_actions[theme].setChecked(True)

    def reload(self) -> None:
        """Reload every page from the database (F5)."""
        self.ctx.registryChanged.emit()

    def open_log_folder(self) -> QMessageBox | None:
        """Help › Open log folder: the file manager on the log folder, or a box with its path."""
        return open_log_folder(self)

    def show_about(self) -> None:
        """The About box: version, the registry in use, and what its identity model means."""
        reg = self.ctx.registry
        QMessageBox.about(
            self,
            "About Signoff",
            f"<h3>Signoff {__version__}</h3>"
            "<p>A workstation for model governance: a model registry, two-gate approvals, "
            "a tamper-evident audit trail, monitoring and audit reproduction.</p>"
            f"<p>Database: {html.escape(reg.display_url)}<br>"
            f"Artifacts: {html.escape(str(reg.location.artifacts))}</p>"
            + (ABOUT_EMBEDDED if reg.is_embedded else ABOUT_SHARED)
            + "<p>Licensed under the Apache License 2.0.</p>",
        )

    # -- status -------------------------------------------------------------------------------
    def _show_registry(self) -> None:
        reg = self.ctx.registry
        self.setWindowTitle(f"Signoff — {reg.display_url}")
        # on PostgreSQL the acting user is the database login: ask in a worker
        self.ctx.run(
            _actor_of,
            key="actor",
            on_result=self._show_user,
            on_error=lambda exc: self._show_user("unknown (no connection)"),
        )
        if reg.is_embedded:
            where = html.escape(reg.location.db_url.removeprefix("sqlite:///"))
            self.db_label.setText(f"embedded: single workstation · {where}")
        else:
            self.db_label.setText(f"shared: {html.escape(reg.display_url)}")
        self.db_label.setToolTip(f"artifacts: {reg.location.artifacts}")
        if self.ctx.healthy:
            self._show_health(True, "")

    def _show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 6000)

    def _show_busy(self, busy: bool) -> None:
        self.busy_label.setText("working…" if busy else "")

    def _note_task_failure(self, _handle: object, exc: BaseException) -> None:
        # the worker has logged it (with its traceback when it is not a SignoffError)
        log.debug("background task failed: %s", exc)

    def _show_user(self, user: str) -> None:
        self.user_label.setText(f"Signed in as <b>{html.escape(user)}</b>")

    def _show_health(self, ok: bool, message: str) -> None:
        if ok:
            self.health_label.setText("<span style='color:#1e8449'>●</span> connected")
            self.health_label.setToolTip("The database answers.")
        else:
            self.health_label.setText(
                "<span style='color:#c0392b'>●</span> connection lost — reconnecting"
            )
            self.health_label.setToolTip(message)
            self.statusBar().showMessage(f"Database connection lost: {message}", 8000)

    # -- persistence --------------------------------------------------------------------------
    def _restore(self) -> None:
        settings = self.ctx.settings
        geometry = settings.get("window/geometry")
        if not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 820)
        state = settings.get("window/state")
        if not state.isEmpty():
            self.restoreState(state)
        area = settings.get("window/area")
        model, version = settings.get("window/model"), settings.get("window/version")
        if area == "model" and model:
            self.show_area("inventory", remember=False)
            self.open_model(model)
        elif area == "version" and model and version:
            self.show_area("inventory", remember=False)
            self.open_version(model, version)
        else:
            known = any(spec.key == area for spec in AREAS)
            self.show_area(area if known else "inventory", remember=False)

    def save_state(self) -> None:
        """Remember geometry and the current place for the next start."""
        settings = self.ctx.settings
        settings.set("window/geometry", self.saveGeometry())
        settings.set("window/state", self.saveState())
        p = self.place
        if p.kind == "area":
            settings.set("window/area", p.key)
            settings.set("window/model", "")
            settings.set("window/version", 0)
        else:
            settings.set("window/area", "version" if p.kind == "version" else "model")
            settings.set("window/model", p.key)
            settings.set("window/version", p.number)
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_state()
        self.ctx.shutdown()
        super().closeEvent(event)


def _actor_of(registry: Registry) -> str:
    return registry.actor
