"""The Audit area: find a customer's past results and reproduce one with a click.

The search (subject key prefix and a date range) runs in a worker and the database does the
filtering; "Reproduce" opens :class:`~signoff.ui.audit.reproduce_panel.ReproduceView` for the chosen
prediction.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, QModelIndex, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from signoff.core.reproduction.reproduce import PredictionRow, search_predictions
from signoff.core.runner import Limits
from signoff.ui.audit.campaign_dialog import CampaignDialog
from signoff.ui.audit.reproduce_panel import ReproduceView
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.common import format_time
from signoff.ui.widgets.table_models import Column, RecordTableModel

log = logging.getLogger(__name__)

EARLIEST = QDate(2000, 1, 1)
LIMIT = 500


def _output_text(row: PredictionRow) -> str:
    if isinstance(row.output, dict):
        return ", ".join(f"{k}={v}" for k, v in row.output.items())
    return json.dumps(row.output, default=str)


PREDICTION_COLUMNS = (
    Column("Id", lambda r: str(r.id), sort_key=lambda r: r.id, align_right=True),
    Column("Subject", lambda r: r.subject_key),
    Column("Predicted at (UTC)", lambda r: format_time(r.predicted_at, seconds=True)),
    Column("Model", lambda r: r.model),
    Column("Version", lambda r: f"v{r.version}"),
    Column("Output", _output_text, tooltip=_output_text),
)


def _to_datetime(date: QDate) -> datetime | None:
    if date <= EARLIEST:
        return None
    return datetime(date.year(), date.month(), date.day())


class AuditPage(QWidget):
    """Search recorded predictions by subject key and date range; reproduce one."""

    searched = Signal(int)  # rows shown

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.limits: Limits | None = None  # tests shorten the run's limits
        self.reports_dir: Path | None = None
        self.views: list[ReproduceView] = []
        self.campaign_dialog: CampaignDialog | None = None
        layout = QVBoxLayout(self)
        heading = QLabel(
            "<b>Audit reproduction</b> — pick a recorded result, re-run the "
            "version that produced it, and compare."
        )
        heading.setWordWrap(True)
        layout.addWidget(heading)
        bar = QHBoxLayout()
        self.subject = QLineEdit()
        self.subject.setObjectName("auditSubject")
        self.subject.setPlaceholderText("Subject key, e.g. a customer id (prefix match)")
        self.subject.setClearButtonEnabled(True)
        self.subject.returnPressed.connect(self.search)
        self.date_from, self.date_to = self._date_edit(), self._date_edit()
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
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
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
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.campaign_button)
        bottom.addWidget(self.reproduce_button)
        layout.addLayout(bottom)
        self.loading = False
        ctx.registryChanged.connect(self.search)
        self.search()

    def _date_edit(self) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(EARLIEST)
        edit.setSpecialValueText("any")
        edit.setDate(EARLIEST)
        return edit

    def activate(self) -> None:
        """Called when the area is shown: refresh the list."""
        self.search()

    def search(self) -> None:
        """Query predictions matching the subject prefix and dates, in a worker."""
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
        self.count_label.setText(f"{len(rows)} prediction{'s' if len(rows) != 1 else ''}{more}")
        self.reproduce_button.setEnabled(False)
        self.searched.emit(len(rows))

    def _search_failed(self, exc: BaseException) -> None:
        self.loading = False
        self.count_label.setText(f"Search failed: {exc}")

    def _selection_changed(self, *_args: object) -> None:
        self.reproduce_button.setEnabled(self.selected_row() is not None)

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
        view = ReproduceView(
            self.ctx,
            row.id,
            row.subject_key,
            self,
            limits=self.limits,
            reports_dir=self.reports_dir,
        )
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
