"""The Audit area: the trail's verdict, then find a customer's past results and reproduce one.

At the top, every time the area is shown, the audit chain is verified in a worker against its
anchored head (or the page says plainly that there is no anchor). The search (subject key
prefix and a date range) runs in a worker and the database does the filtering; "Reproduce"
opens :class:`~signoff.ui.audit.reproduce_panel.ReproduceView` for the chosen prediction. The
subject typed is kept across restarts; the date pickers' calendars open on the month of the
newest recorded prediction, not on the year 2000 their "any" value stands for.
"""

from __future__ import annotations

import html
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, QEvent, QModelIndex, QObject, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from signoff.core.audit.anchor import (
    MISSING,
    VERIFIED,
    AnchoredAudit,
    verify_anchored,
    write_anchor,
)
from signoff.core.audit.anchor_store import configured_anchor
from signoff.core.catalog.search import prediction_dates
from signoff.core.catalog.words import count
from signoff.core.db.registry import Registry
from signoff.core.reproduction.reproduce import PredictionRow, search_predictions
from signoff.core.runner import Limits
from signoff.ui.audit.campaign_dialog import CampaignDialog
from signoff.ui.audit.reproduce_panel import ReproduceView
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.chain_verdict import verdict_html, verdict_tooltip
from signoff.ui.widgets.columns import fit_columns
from signoff.ui.widgets.common import format_time
from signoff.ui.widgets.table_models import Column, RecordTableModel

log = logging.getLogger(__name__)

EARLIEST = QDate(2000, 1, 1)
LIMIT = 500
#: beside a greyed Reproduce… button: what makes it available
REPRODUCE_HINT = "Select a prediction to reproduce it."


def _output_text(row: PredictionRow) -> str:
    if isinstance(row.output, dict):
        return ", ".join(f"{k}={v}" for k, v in row.output.items())
    return json.dumps(row.output, default=str)


PREDICTION_COLUMNS = (
    Column("Id", lambda r: str(r.id), sort_key=lambda r: r.id, align_right=True),
    Column("Subject", lambda r: r.subject_key),
    Column(
        "Predicted at",
        lambda r: format_time(r.predicted_at, seconds=True),
        tooltip=lambda r: "UTC",
    ),
    Column("Model", lambda r: r.model),
    Column("Version", lambda r: f"v{r.version}"),
    Column("Output", _output_text, tooltip=_output_text),
)


def check_trail(registry: Registry) -> tuple[AnchoredAudit, bool]:
    """Worker: the whole audit verdict against the anchor, and whether an anchor is set."""
    db_url = registry.location.db_url
    with registry.read() as session:
        verdict = verify_anchored(session, db_url)
    return verdict, configured_anchor(db_url) is not None


def anchor_head(registry: Registry) -> str:
    """Worker: write the chain's head to the configured anchor; says where."""
    with registry.read() as session:
        anchored, store = write_anchor(session, registry.location.db_url)
    return f"Head #{anchored.seq} written to {store.describe()}."


def _to_datetime(date: QDate) -> datetime | None:
    if date <= EARLIEST:
        return None
    return datetime(date.year(), date.month(), date.day())


class _CalendarOpensNearData(QObject):
    """Turns a date picker's calendar to a month with data when it opens on "any"."""

    def __init__(self, edit: QDateEdit, page: AuditPage) -> None:
        super().__init__(edit)
        self.edit, self.page = edit, page
        calendar = edit.calendarWidget()
        if calendar is not None:
            calendar.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        latest = self.page.latest
        if event.type() == QEvent.Type.Show and latest is not None:
            calendar = self.edit.calendarWidget()
            if calendar is not None and self.edit.date() <= EARLIEST:
                calendar.setCurrentPage(latest.year, latest.month)
        return False


class AuditPage(QWidget):
    """Search recorded predictions by subject key and date range; reproduce one."""

    searched = Signal(int)  # rows shown
    trailChecked = Signal(str)  # the anchor's status: verified, none, missing, failed, …

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.limits: Limits | None = None  # tests shorten the run's limits
        self.views: list[ReproduceView] = []
        self.campaign_dialog: CampaignDialog | None = None
        self.reports_dir: Path | None = None  # campaign reports (tests choose a folder)
        self.latest: datetime | None = None  # the newest prediction (the calendars open there)
        layout = QVBoxLayout(self)
        heading = QLabel(
            "<b>Audit reproduction</b> — pick a recorded result, re-run the "
            "version that produced it, and compare."
        )
        heading.setWordWrap(True)
        trail = QHBoxLayout()
        self.trail_verdict = QLabel("Checking the audit trail…")
        self.trail_verdict.setObjectName("trailVerdict")
        self.trail_verdict.setWordWrap(True)
        self.verify_button = QPushButton("Verify again")
        self.verify_button.clicked.connect(self.check_trail)
        self.anchor_button = QPushButton("Write head to anchor")
        self.anchor_button.setToolTip("Export the chain's current head to the configured anchor")
        self.anchor_button.setEnabled(False)
        self.anchor_button.clicked.connect(self.write_anchor)
        # the verdict gets a row of its own: a wrapping label beside buttons is cut short
        layout.addWidget(self.trail_verdict)
        trail.addWidget(self.verify_button)
        trail.addWidget(self.anchor_button)
        trail.addStretch(1)
        layout.addLayout(trail)
        layout.addWidget(heading)
        bar = QHBoxLayout()
        self.subject = QLineEdit()
        self.subject.setObjectName("auditSubject")
        self.subject.setPlaceholderText("Subject key, e.g. a customer id (prefix match)")
        self.subject.setClearButtonEnabled(True)
        self.subject.setText(ctx.settings.get("audit/subject"))
        self.subject.returnPressed.connect(self.search)
        self.date_from, self.date_to = self._date_edit(), self._date_edit()
        self.calendar_openers = [
            _CalendarOpensNearData(e, self) for e in (self.date_from, self.date_to)
        ]
        self.search_button = QPushButton("Search")
        self.search_button.clicked.connect(self.search)
        bar.addWidget(self.subject, 2)
        bar.addWidget(QLabel("From"))
        bar.addWidget(self.date_from)
        bar.addWidget(QLabel("to"))
        bar.addWidget(self.date_to)
        bar.addWidget(self.search_button)
        layout.addLayout(bar)
        self.model = RecordTableModel(PREDICTION_COLUMNS, parent=self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setObjectName("predictionsTable")
        fit_columns(self.table)
        self.table.doubleClicked.connect(lambda _i: self.reproduce_selected())
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        self.count_label = QLabel("")
        self.reproduce_button = QPushButton("Reproduce…")
        self.reproduce_button.setEnabled(False)
        self.reproduce_button.clicked.connect(self.reproduce_selected)
        self.campaign_button = QPushButton("Sample campaign…")
        self.campaign_button.setToolTip(
            "Re-run a reproducible random sample of recorded predictions and report on it"
        )
        self.campaign_button.clicked.connect(self.open_campaigns)
        # why Reproduce… is greyed, beside it rather than only on hover
        self.reproduce_hint = QLabel(REPRODUCE_HINT)
        self.reproduce_hint.setObjectName("reproduceHint")
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.campaign_button)
        bottom.addWidget(self.reproduce_hint)
        bottom.addWidget(self.reproduce_button)
        layout.addLayout(bottom)
        self.loading = False
        self.checking = False
        ctx.registryChanged.connect(self.search)
        ctx.registryChanged.connect(self.check_trail)
        ctx.registryChanged.connect(self._ask_dates)
        self._ask_dates()
        self.search()
        self.check_trail()

    def _ask_dates(self) -> None:
        self.ctx.read(prediction_dates, key="audit-dates", on_result=self._know_dates)

    def _know_dates(self, dates: tuple[datetime | None, datetime | None]) -> None:
        self.latest = dates[1]

    def look_for(self, subject: str) -> None:
        """Search for the predictions of *subject* (the global search leads here)."""
        self.subject.setText(subject)
        self.search()

    def save_state(self) -> None:
        """Remember the subject searched for the next start."""
        self.ctx.settings.set("audit/subject", self.subject.text())

    def _date_edit(self) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(EARLIEST)
        edit.setSpecialValueText("any")
        edit.setDate(EARLIEST)
        return edit

    def activate(self) -> None:
        """Called when the area is shown: verify the trail again and refresh the list."""
        self.check_trail()
        self.search()

    def check_trail(self) -> None:
        """Verify the chain against its anchor in a worker; the verdict replaces the line."""
        self.checking = True
        self.verify_button.setEnabled(False)
        self.ctx.run(
            check_trail,
            key="audit-trail",
            on_result=self._show_trail,
            on_error=self._trail_failed,
        )

    def _show_trail(self, result: tuple[AnchoredAudit, bool]) -> None:
        verdict, configured = result
        self.checking = False
        self.verify_button.setEnabled(True)
        self.trail_verdict.setText(verdict_html(verdict))
        self.trail_verdict.setToolTip(verdict_tooltip(verdict))
        # a head is written only onto a chain that verifies (the core refuses otherwise)
        self.anchor_button.setEnabled(
            configured
            and verdict.audit.chain.intact
            and verdict.anchor.status in (VERIFIED, MISSING)
        )
        self.trailChecked.emit(verdict.anchor.status)

    def _trail_failed(self, exc: BaseException) -> None:
        self.checking = False
        self.verify_button.setEnabled(True)
        self.trail_verdict.setText(f"Could not verify the audit trail: {html.escape(str(exc))}")
        self.trailChecked.emit("error")

    def write_anchor(self) -> None:
        """Write the chain's head to the anchor in a worker, then verify again."""
        self.anchor_button.setEnabled(False)
        self.ctx.run(
            anchor_head,
            key="audit-anchor-write",
            on_result=self._anchored,
            on_error=self._trail_failed,
        )

    def _anchored(self, said: str) -> None:
        self.ctx.statusMessage.emit(said)
        self.check_trail()

    def search(self) -> None:
        """Query predictions matching the subject prefix and dates, in a worker."""
        self.save_state()
        start = _to_datetime(self.date_from.date())
        end = _to_datetime(self.date_to.date())
        if end is not None:
            end += timedelta(days=1)  # the "to" date is inclusive
        self.loading = True
        self.count_label.setText("Searching…")
        self.ctx.read(
            search_predictions,
            self.subject.text(),
            start,
            end,
            LIMIT,
            key="audit-search",
            on_result=self._show,
            on_error=self._search_failed,
        )

    def _show(self, rows: list[PredictionRow]) -> None:
        self.loading = False
        self.model.set_records(rows)
        more = " (the newest shown; narrow the search)" if len(rows) >= LIMIT else ""
        self.count_label.setText(f"{count(len(rows), 'prediction')}{more}")
        self.reproduce_button.setEnabled(False)
        self.reproduce_hint.setVisible(True)
        self.searched.emit(len(rows))

    def _search_failed(self, exc: BaseException) -> None:
        self.loading = False
        self.count_label.setText(f"Search failed: {exc}")

    def _selection_changed(self, *_args: object) -> None:
        chosen = self.selected_row() is not None
        self.reproduce_button.setEnabled(chosen)
        self.reproduce_hint.setVisible(not chosen)

    def selected_row(self) -> PredictionRow | None:
        """The prediction of the selected row, if one is selected."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.record(rows[0].row())

    def select_row(self, row: int) -> None:
        """Select table row *row* (as a click would)."""
        self.table.selectRow(row)

    def reproduce_selected(self) -> ReproduceView | None:
        """Open the reproduction view for the selected prediction and start it."""
        row = self.selected_row()
        if row is None:
            return None
        view = ReproduceView(self.ctx, row.id, row.subject_key, self, limits=self.limits)
        self.views.append(view)
        view.finished.connect(lambda _r, v=view: self.views.remove(v) if v in self.views else None)
        view.show()
        view.start()
        return view

    def open_campaigns(self) -> CampaignDialog:
        """Open (or raise) the campaign dialog."""
        if self.campaign_dialog is None:
            self.campaign_dialog = CampaignDialog(
                self.ctx, self, reports_dir=self.reports_dir, limits=self.limits
            )
        self.campaign_dialog.show()
        return self.campaign_dialog

    def index_of(self, prediction_id: int) -> QModelIndex:
        """The model index of the row showing *prediction_id* (invalid when not shown)."""
        for row, record in enumerate(self.model.records):
            if record.id == prediction_id:
                return self.model.index(row, 0)
        return QModelIndex()
