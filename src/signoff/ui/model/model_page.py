"""The model page: header metadata, live versions, consumers, versions, deployment timeline.

Each flag says why it is raised (its tooltip, and the model card); *Print model card…* prints
the model's card (:func:`signoff.core.catalog.model_card.model_card_html`).
"""

from __future__ import annotations

import html
from datetime import datetime

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QDateEdit,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from signoff.core.catalog import model_page
from signoff.core.catalog.model_card import model_card_from
from signoff.core.catalog.model_page import ModelPage as ModelData
from signoff.core.catalog.model_page import VersionRow
from signoff.core.common.clock import utcnow
from signoff.core.notifications.usage import MigrationRow, migration_rows
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.columns import fit_columns
from signoff.ui.widgets.common import format_time, record_table, state_label
from signoff.ui.widgets.printing import choose_printer, print_html
from signoff.ui.widgets.table_models import Column, RecordTableModel
from signoff.ui.widgets.timeline_widget import DeploymentTimeline

# colours that read on the light and the dark theme alike
MIGRATION_COLOURS = {"moved": "#1b6e20", "still pinned": "#8a5a00", "still using": "#b3261e"}

STATE_COLOURS = {
    "live": "#27ae60",
    "in_review": "#d68910",
    "do_not_use": "#e0533d",
    "rejected": "#e0533d",
    "approved": "#3498db",
    "ready": "#3498db",
    "superseded": "#95a5a6",
    "retired": "#95a5a6",
}


def _fmt_metric(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


class ModelPage(QWidget):
    """One model: who owns it, what is live, who consumes it, its versions and history."""

    loaded = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model_name = ""
        self.data: ModelData | None = None
        layout = QVBoxLayout(self)

        self.title = QLabel("")
        self.title.setObjectName("pageTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta = QLabel("")
        self.meta.setObjectName("pageMeta")
        self.meta.setWordWrap(True)
        self.meta.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title)
        layout.addWidget(self.meta)
        # per consumer of a do-not-use version: pinned, last used, acknowledged, days since notice
        self.migration = QLabel("")
        self.migration.setObjectName("modelMigration")
        self.migration.setWordWrap(True)
        self.migration.setVisible(False)
        layout.addWidget(self.migration)

        self.versions = RecordTableModel([], self)
        self.table = record_table(self.versions, "versionsTable", multi=True)
        fit_columns(self.table)
        self.table.activated.connect(self._open_index)
        box = QGroupBox("Versions")
        box_layout = QVBoxLayout(box)
        box_layout.addWidget(self.table)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open version")
        self.compare_button = QPushButton("Compare selected…")
        self.compare_button.setToolTip("Select two or more versions (Ctrl+click) to compare")
        self.open_button.clicked.connect(self.open_selected)
        self.compare_button.clicked.connect(self.compare_selected)
        self.card_button = QPushButton("Print model card…")
        self.card_button.setObjectName("printModelCard")
        self.card_button.setToolTip(
            "Print what the model is for, its versions, consumers and history"
        )
        self.card_button.setEnabled(False)
        self.card_button.clicked.connect(lambda: self.print_page())
        # why the buttons are greyed, said beside them (not only on hover)
        self.selection_hint = QLabel("")
        self.selection_hint.setObjectName("versionsHint")
        self.selection_hint.setWordWrap(True)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.compare_button)
        buttons.addWidget(self.selection_hint, 1)
        buttons.addWidget(self.card_button)
        box_layout.addLayout(buttons)
        layout.addWidget(box, 1)

        history = QGroupBox("Deployment history")
        history_layout = QVBoxLayout(history)
        self.timeline = DeploymentTimeline()
        history_layout.addWidget(self.timeline)
        ask = QHBoxLayout()
        ask.addWidget(QLabel("Which version was live on"))
        self.date = QDateEdit()
        self.date.setObjectName("liveOnDate")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.date.setDate(QDate.currentDate())
        ask.addWidget(self.date)
        self.live_answer = QLabel("")
        self.live_answer.setObjectName("liveAnswer")
        ask.addWidget(self.live_answer, 1)
        history_layout.addLayout(ask)
        layout.addWidget(history)
        self.date.dateChanged.connect(self.ask_live_on)
        self.selection_changed()
        self.table.selectionModel().selectionChanged.connect(self.selection_changed)
        ctx.registryChanged.connect(self.reload)
        ctx.versionChanged.connect(self._version_changed)

    # -- loading ------------------------------------------------------------------------------
    def show_model(self, name: str) -> None:
        """Load and show the model called *name* (in a worker)."""
        self.model_name = name
        self.title.setText(name)
        self.meta.setText("Loading…")
        self.reload()

    def _version_changed(self, model: str, _number: int) -> None:
        if model == self.model_name:
            self.reload()

    def reload(self) -> None:
        if not self.model_name:
            return
        self.ctx.read(
            model_page.model_page,
            self.model_name,
            key="model-page",
            on_result=self._show,
            on_error=self._failed,
        )

    def _show_migration(self, rows: list[MigrationRow]) -> None:
        if not rows or rows[0].model != self.model_name:
            self.migration.setVisible(False)
            return
        lines = []
        for r in rows:
            colour = MIGRATION_COLOURS.get(r.status, "#444444")
            pinned = f"pins v{r.pinned}" if r.pinned else "follows live"
            used = f"last used v{r.last_used_version}" if r.last_used_version else "no use reported"
            ack = f"acknowledged ({r.acknowledged_via})" if r.acknowledged else "not acknowledged"
            lines.append(
                f"v{r.version} → {html.escape(r.consumer)}: <b style='color:{colour}'>"
                f"{html.escape(r.status)}</b> · {pinned} · {used} · {ack} · "
                f"{r.days_since_notice} day(s) since the notice"
            )
        self.migration.setText("<b>Do not use — migration</b><br>" + "<br>".join(lines))
        self.migration.setVisible(True)

    def _failed(self, exc: BaseException) -> None:
        self.meta.setText(f"<span style='color:#e0533d'>{html.escape(str(exc))}</span>")
        self.versions.set_records([])
        self.card_button.setEnabled(False)

    def _show(self, data: ModelData) -> None:
        if data.name != self.model_name:
            return
        self.data = data
        self.title.setText(
            f"{data.title or data.name}  <span style='color:gray'>{html.escape(data.name)}</span>"
        )
        live = ", ".join(f"{env}: v{n}" for env, n in sorted(data.live.items())) or "none"
        consumers = (
            ", ".join(
                f"{c.name}"
                + (f" (pinned v{c.pinned_version})" if c.pinned_version else " (follows live)")
                for c in data.consumers
            )
            or "none registered"
        )
        flags = (
            " · <b style='color:#d68910'>" + html.escape(", ".join(data.flags)) + "</b>"
            if data.flags
            else ""
        )
        # the flags say why they are raised: hovering over the page's header reads it
        self.meta.setToolTip("\n".join(data.flag_reasons.values()))
        self.ctx.read(
            migration_rows,
            data.name,
            key=f"model-migration-{id(self)}",
            on_result=self._show_migration,
        )
        self.meta.setText(
            f"Owner <b>{html.escape(data.owner)}</b> · {html.escape(data.business_unit)} · "
            f"risk tier <b>{html.escape(data.risk_tier)}</b> · tags "
            f"{html.escape(', '.join(data.tags) or '—')}{flags}<br>"
            f"Live: <b>{html.escape(live)}</b> · Consumers: {html.escape(consumers)}<br>"
            f"<span style='color:gray'>{html.escape(data.description)}</span>"
        )
        columns = [
            Column("Version", lambda v: f"v{v.number}", sort_key=lambda v: v.number),
            Column(
                "State", lambda v: state_label(v.state), colour=lambda v: STATE_COLOURS.get(v.state)
            ),
            Column("Author", lambda v: v.author),
            Column("Created (UTC)", lambda v: format_time(v.created_at)),
            *[
                Column(name, lambda v, n=name: _fmt_metric(v.metrics.get(n)), align_right=True)
                for name in data.key_metrics
            ],
            Column(
                "Manifest", lambda v: v.manifest_hash[:12] + "…", tooltip=lambda v: v.manifest_hash
            ),
        ]
        self.versions.columns = columns
        self.versions.set_records(data.versions)
        self.card_button.setEnabled(True)
        self.timeline.set_periods(data.deployments)
        self.selection_changed()
        self.ask_live_on()
        self.loaded.emit(data.name)

    # -- printing -----------------------------------------------------------------------------
    def card_html(self) -> str:
        """The model card of the model shown ('' before it has loaded)."""
        if self.data is None:
            return ""
        return model_card_from(
            self.data, printed_by=self.ctx.actor or "a reviewer", printed_at=utcnow()
        )

    def print_page(self, printer: QPrinter | None = None) -> bool:
        """Print the model card (on *printer*, or one the person chooses)."""
        if self.data is None:
            return False
        title = f"model card of {self.data.name}"
        if printer is None:
            printer = choose_printer(self, title)
            if printer is None:
                return False
        print_html(self.card_html(), printer, title)
        self.ctx.statusMessage.emit(f"Printed the {title}.")
        return True

    # -- questions ----------------------------------------------------------------------------
    def ask_live_on(self) -> None:
        """Answer "which version was live on the chosen date" (end of that day, UTC)."""
        if not self.model_name:
            return
        qd = self.date.date()
        day = datetime(qd.year(), qd.month(), qd.day())
        self.timeline.set_marker(day)
        name = self.model_name
        self.ctx.read(
            model_page.live_on,
            name,
            day,
            key="model-live-on",
            on_result=lambda n: self._answer(name, day, n),
        )

    def _answer(self, name: str, day: datetime, number: int | None) -> None:
        if name != self.model_name:
            return
        if number is None:
            self.live_answer.setText(f"On {day:%Y-%m-%d} no version was live in production.")
        else:
            self.live_answer.setText(f"On {day:%Y-%m-%d}, v{number} was live in production.")

    # -- navigation ---------------------------------------------------------------------------
    def selected_numbers(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return sorted(self.versions.record(r).number for r in rows)

    def selection_changed(self, *_args: object) -> None:
        count = len(self.selected_numbers())
        self.open_button.setEnabled(count == 1)
        self.compare_button.setEnabled(count >= 2)
        self.selection_hint.setText(selection_hint(count))

    def _open_index(self, index) -> None:  # noqa: ANN001
        record: VersionRow = self.versions.record(index.row())
        self.ctx.openVersionRequested.emit(self.model_name, record.number)

    def open_selected(self) -> None:
        numbers = self.selected_numbers()
        if len(numbers) == 1:
            self.ctx.openVersionRequested.emit(self.model_name, numbers[0])

    def compare_selected(self) -> None:
        numbers = self.selected_numbers()
        if len(numbers) >= 2:
            self.ctx.compareRequested.emit(self.model_name, numbers)


def selection_hint(selected: int) -> str:
    """What the person reads beside Open version and Compare selected for *selected* rows."""
    if selected == 0:
        return "Select a version to open it (or double-click it); two or more to compare."
    if selected == 1:
        return "Ctrl+click a second version to compare them."
    return ""
