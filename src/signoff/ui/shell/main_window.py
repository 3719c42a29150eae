"""The main window: side bar of areas, page stack with back navigation, menus, status bar.

A model or version page remembers the area it was opened from (My reviews, Monitoring …): the
side bar keeps that area highlighted, the breadcrumb starts with it, and clicking the
highlighted entry goes back to its list. In the demo a tool-bar picker and a first-run banner
let the person act as anyone; elsewhere the status bar names who acts and with which roles, and
the first launch on an empty registry asks its first admin to set up people.
"""

from __future__ import annotations

import html
import logging
import os
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
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
from signoff.ui.shell.act_as import (
    DEMO_DEFAULT,
    ActAsPicker,
    Identity,
    WelcomeBanner,
    load_identity,
    status_text,
)
from signoff.ui.shell.areas import AREAS
from signoff.ui.shell.connection_dialog import ConnectionDialog
from signoff.ui.shell.global_search import GlobalSearch
from signoff.ui.shell.help_dialogs import GuideDialog, ShortcutsDialog
from signoff.ui.shell.menus import build_menus, build_tool_bar
from signoff.ui.shell.people_dialog import PeopleDialog
from signoff.ui.shell.side_bar import SideBar
from signoff.ui.version.version_page import VersionPage
from signoff.ui.widgets.alerts_bell import AlertsBell
from signoff.ui.widgets.part_loader import build_part

log = logging.getLogger(__name__)

#: the smallest window every page is laid out for (the screenshots test it)
MINIMUM_SIZE = QSize(1024, 700)


@dataclass(frozen=True)
class Place:
    """Where the window is: an area, or a model / version / comparison page opened from one."""

    kind: str  # "area", "model", "version", "compare"
    key: str = ""  # area key or model name
    number: int = 0
    numbers: tuple[int, ...] = ()
    area: str = "inventory"  # the side-bar area it belongs to


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


def short_path(path: str, keep: int = 2, longest: int = 40) -> str:
    """A long file path as its last *keep* parts (``…/demo/registry.db``); the status bar
    says where the registry is without pushing the rest of the bar off a small window."""
    if len(path) <= longest:
        return path
    parts = path.replace("\\", "/").split("/")
    return "…/" + "/".join(parts[-keep:])


def short_url(url: str, longest: int = 48) -> str:
    """A database URL cut to its host and database when it is long."""
    if len(url) <= longest or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://…@{rest.rsplit('@', 1)[-1]}" if "@" in rest else url


def count_my_reviews(registry: Registry) -> int:
    """Worker: how many versions wait for the acting person's signature."""
    # imported here, in the worker: the approvals module brings the workflow, its gates and
    # the notification outbox (with requests), none of which the first page needs
    from signoff.core.governance.approvals import my_reviews

    viewer = registry.actor
    with registry.read() as session:
        return len(my_reviews(session, viewer))


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
        self.identity: Identity | None = None
        self.shortcut_actions: list[QAction] = []
        self.people_prompted = False
        self.dialogs: list[QWidget] = []  # open non-modal dialogs (kept alive, tests find them)
        # set by build_menus
        self.open_action: QAction
        self.recent_menu: QMenu
        self.people_action: QAction
        self.print_action: QAction
        self.import_action: QAction
        self.back_action: QAction
        self.search_action: QAction
        self.log_folder_action: QAction
        self.theme_actions: dict[str, QAction]

        self.side_bar = SideBar()
        self.side_bar.setFixedWidth(176)
        for spec in AREAS:
            self.side_bar.add_area(spec.key, spec.title, spec.icon)
        self.stack = QStackedWidget()
        # areas are built the first time they are shown, so start-up pays only for one
        self.areas: dict[str, QWidget] = {}
        self.model_page = ModelPage(ctx)
        self.version_page = VersionPage(ctx)
        self.compare_page = ComparePage(ctx)
        for page in (self.model_page, self.version_page, self.compare_page):
            self.stack.addWidget(page)

        self.banner = WelcomeBanner(ctx)
        self.banner.hide()
        self.banner.setupRequested.connect(lambda: self.show_people_dialog(first_admin=True))
        self.breadcrumb = QLabel("")
        self.breadcrumb.setObjectName("breadcrumb")
        self.breadcrumb.linkActivated.connect(self._breadcrumb_link)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        right_layout.addWidget(self.banner)
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
        build_menus(self)
        self.tool_bar = build_tool_bar(self)
        self.act_as = ActAsPicker(ctx)
        self.act_as_action = self.tool_bar.addWidget(self.act_as)
        self.act_as_action.setVisible(False)
        self.addToolBar(self.tool_bar)
        self.side_bar.areaChosen.connect(self._side_bar_chosen)
        ctx.openModelRequested.connect(self.open_model)
        ctx.openVersionRequested.connect(self.open_version)
        ctx.openVersionTabRequested.connect(self.open_version)
        ctx.compareRequested.connect(self.open_compare)
        ctx.openAreaRequested.connect(self.show_area_looking_for)
        ctx.connectionChanged.connect(self._show_health)
        ctx.registryChanged.connect(self._show_registry)
        ctx.versionChanged.connect(lambda _m, _n: self.refresh_review_count())
        # bound methods, not lambdas: Qt drops them when the window goes, the context may not
        ctx.statusMessage.connect(self._show_message)
        ctx.runner.busyChanged.connect(self._show_busy)
        ctx.runner.taskFailed.connect(self._note_task_failure)
        self.review_timer = QTimer(self)
        self.review_timer.setInterval(ctx.settings.get("reviews/check_interval_ms"))
        self.review_timer.timeout.connect(self.refresh_review_count)
        self._apply_demo_actor()
        self._show_registry()
        self._restore()
        ctx.start_health_checks()
        self.review_timer.start()

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
        self.busy_label.setObjectName("busyLabel")
        # room for "working…" from the start (padding included, as the style sheet pads status
        # bar labels): the bar does not jump, and the word is never cut
        self.busy_label.setMinimumWidth(
            self.busy_label.fontMetrics().horizontalAdvance("working…") + 40
        )
        self.alerts_bell = AlertsBell(self.ctx, self)
        bar.addPermanentWidget(self.busy_label)
        bar.addPermanentWidget(self.alerts_bell)
        bar.addPermanentWidget(self.user_label)
        bar.addPermanentWidget(self.db_label)
        bar.addPermanentWidget(self.health_label)

    def _apply_demo_actor(self) -> None:
        """In the demo, act as the person chosen last time (a reviewer the first time)."""
        if not self.ctx.is_demo:
            return
        chosen = self.ctx.settings.get("demo/actor")
        login = chosen or os.environ.get("SIGNOFF_USER") or DEMO_DEFAULT
        self.ctx.registry.set_actor_for_embedded(login)

    # -- navigation ---------------------------------------------------------------------------
    def _go(self, place: Place, remember: bool = True) -> None:
        if remember and place != self.place:
            self.history.append(self.place)
            del self.history[:-50]
        self.place = place
        self.side_bar.highlight(place.key if place.kind == "area" else place.area)
        self.back_action.setEnabled(bool(self.history))
        self._update_breadcrumb()

    def _current_area(self) -> str:
        return self.place.key if self.place.kind == "area" else self.place.area

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
        self._go(Place("area", key, area=key), remember)
        activate = getattr(widget, "activate", None)
        if callable(activate):
            activate()

    def show_area_looking_for(self, key: str, text: str) -> None:
        """Show area *key* with *text* in its search (a subject in Audit, a consumer …)."""
        self.show_area(key)
        look_for = getattr(self.area(key), "look_for", None)
        if callable(look_for):
            look_for(text)

    def open_model(self, name: str, remember: bool = True) -> None:
        """Show the model page of *name*."""
        self.model_page.show_model(name)
        self.stack.setCurrentWidget(self.model_page)
        self._go(Place("model", name, area=self._current_area()), remember)

    def open_version(
        self, name: str, number: int, tab: str | None = None, remember: bool = True
    ) -> None:
        """Show the version page of *name* v*number* (on the tab titled *tab*, if given)."""
        self.version_page.show_version(name, number, tab)
        self.stack.setCurrentWidget(self.version_page)
        self._go(Place("version", name, number, area=self._current_area()), remember)

    def open_compare(self, name: str, numbers: list[int], remember: bool = True) -> None:
        """Compare versions *numbers* of *name*."""
        self.compare_page.show_model(name, list(numbers))
        self.stack.setCurrentWidget(self.compare_page)
        self._go(
            Place("compare", name, numbers=tuple(numbers), area=self._current_area()), remember
        )

    def go_back(self) -> None:
        """Return to the previous place (Alt+Left)."""
        if not self.history:
            return
        self._show_place(self.history.pop(), remember=False)

    def _show_place(self, place: Place, remember: bool = True) -> None:
        if place.kind == "area":
            self.show_area(place.key, remember)
            return
        # a page remembers the area it was opened from
        self.place = Place("area", place.area, area=place.area)
        if place.kind == "model":
            self.open_model(place.key, remember)
        elif place.kind == "version":
            self.open_version(place.key, place.number, None, remember)
        else:
            self.open_compare(place.key, list(place.numbers), remember)

    def _side_bar_chosen(self, key: str) -> None:
        # the highlighted entry of a page opened from it goes back to its list
        if self.place.kind == "area" and self.place.key == key:
            return
        self.show_area(key)

    def _update_breadcrumb(self) -> None:
        p = self.place
        area_title = next((s.title for s in AREAS if s.key == p.area), "Inventory")
        if p.kind == "area":
            self.breadcrumb.setText(f"<b>{html.escape(area_title)}</b>")
            return
        parts = [f"<a href='area:{p.area}'>{html.escape(area_title)}</a>"]
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

    # -- dialogs ------------------------------------------------------------------------------
    def _keep(self, dialog: QWidget) -> QWidget:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialogs.append(dialog)
        dialog.destroyed.connect(lambda _o=None, d=dialog: self._forget(d))
        return dialog

    def _forget(self, dialog: QWidget) -> None:
        if dialog in self.dialogs:
            self.dialogs.remove(dialog)

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

    def show_people_dialog(self, first_admin: bool = False) -> PeopleDialog | None:
        """File › People and roles (and the first launch's walk-through of an empty registry)."""
        identity = self.identity
        if identity is None:
            return None
        if not self.ctx.registry.is_embedded:
            QMessageBox.information(
                self,
                "People and roles",
                "On a shared registry each person is a database login; an admin adds them "
                "and their roles with <code>signoff users roles LOGIN ROLE…</code>.",
            )
            return None
        dialog = PeopleDialog(
            self.ctx,
            identity.login,
            identity.people,
            first_admin=first_admin,
            # the first person of an empty registry becomes its admin; later only admins edit
            may_change=first_admin or not identity.admins or "admin" in identity.roles,
            parent=self,
        )
        self._keep(dialog)
        dialog.open()
        return dialog

    def show_global_search(self) -> GlobalSearch:
        """Ctrl+K: search models, versions, people, consumers and prediction subjects."""
        dialog = GlobalSearch(self.ctx, self)
        self._keep(dialog)
        dialog.open()
        dialog.edit.setFocus()
        return dialog

    def show_guide(self) -> GuideDialog:
        """Help › Guide (F1): the built-in guide, open at the page you are on."""
        topic = self.place.key if self.place.kind == "area" else self.place.kind
        dialog = GuideDialog(topic, self)
        self._keep(dialog)
        dialog.show()
        return dialog

    def show_shortcuts(self) -> ShortcutsDialog:
        """Help › Keyboard shortcuts: every key of the window in one table."""
        dialog = ShortcutsDialog(self.shortcut_actions, self)
        self._keep(dialog)
        dialog.show()
        return dialog

    def fill_recent(self) -> None:
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

    def export_inventory(self) -> None:
        self.show_area("inventory")
        choose = getattr(self.area("inventory"), "choose_export_file", None)
        if callable(choose):
            choose()

    def show_inventory_report(self) -> QDialog:
        """File › Inventory report: the dialog that builds it in the worker."""
        from signoff.ui.shell.report_dialog import InventoryReportDialog

        dialog = InventoryReportDialog(self.ctx, self)
        self.report_dialog = dialog
        dialog.open()
        return dialog

    def find_in_inventory(self) -> None:
        self.show_area("inventory")
        focus = getattr(self.area("inventory"), "focus_search", None)
        if callable(focus):
            focus()

    def print_current(self) -> None:
        """File › Print: what the page in front shows (approval sheet, document, model card)."""
        page = self.stack.currentWidget()
        print_page = getattr(page, "print_page", None)
        if callable(print_page):
            print_page()
        else:
            self.statusBar().showMessage(
                "Nothing to print here: open a version (its approval sheet, notebook or "
                "release notes) or a model (its model card).",
                6000,
            )

    def set_theme(self, theme: str) -> None:
        """Switch between the light and dark style (or follow the system) and remember it."""
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
            load_identity,
            key="identity",
            on_result=self._show_identity,
            on_error=lambda exc: self.user_label.setText("Signed in as unknown (no connection)"),
        )
        if reg.is_embedded:
            path = reg.location.db_url.removeprefix("sqlite:///")
            kind = "demo" if self.ctx.is_demo else "embedded: single workstation"
            read_only = " · <b>read-only</b>" if reg.read_only else ""
            self.db_label.setText(f"{kind} · {html.escape(short_path(path))}{read_only}")
            where = path
        else:
            where = reg.display_url
            self.db_label.setText(f"shared: {html.escape(short_url(where))}")
        self.db_label.setToolTip(
            f"database: {where}\nartifacts: {reg.location.artifacts}"
            + (f"\nread-only: {reg.access.reason}; changes are refused" if reg.read_only else "")
        )
        if self.ctx.healthy:
            self._show_health(True, "")
        self.refresh_review_count()

    def _show_identity(self, identity: Identity) -> None:
        self.identity = identity
        self.ctx.note_actor(identity.login)
        demo = self.ctx.is_demo
        text, tip = status_text(identity, demo)
        self.user_label.setText(text)
        self.user_label.setToolTip(tip)
        self.act_as_action.setVisible(demo)
        if demo:
            self.act_as.set_identity(identity)
            self.banner.set_identity(identity)
            self.banner.setVisible(not self.ctx.settings.get("demo/banner_dismissed"))
        elif identity.needs_people:
            self.banner.set_setup(identity)
            self.banner.show()
            if identity.models == 0 and not self.people_prompted:
                # the first launch on a brand-new registry walks its first admin through it
                self.people_prompted = True
                QTimer.singleShot(0, self, lambda: self.show_people_dialog(first_admin=True))
        else:
            self.banner.hide()

    def refresh_review_count(self) -> None:
        """Count the reviews waiting for the acting person (the badge on My reviews)."""
        self.ctx.run(
            count_my_reviews,
            key="review-count",
            on_result=lambda n: self.side_bar.set_badge("reviews", int(n)),
        )

    def _show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 6000)

    def _show_busy(self, busy: bool) -> None:
        self.busy_label.setText("working…" if busy else "")

    def _note_task_failure(self, _handle: object, exc: BaseException) -> None:
        # the worker has logged it (with its traceback when it is not a SignoffError)
        log.debug("background task failed: %s", exc)

    def _show_health(self, ok: bool, message: str) -> None:
        if ok:
            self.health_label.setText("<span style='color:#27ae60'>●</span> connected")
            self.health_label.setToolTip("The database answers.")
        else:
            self.health_label.setText(
                "<span style='color:#e74c3c'>●</span> connection lost — reconnecting"
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
        for widget in self.areas.values():
            remember = getattr(widget, "save_state", None)
            if callable(remember):
                remember()
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_state()
        self.review_timer.stop()
        self.ctx.shutdown()
        super().closeEvent(event)
