"""The Model risk area's revalidation dashboard: live versions due for revalidation (within 30
days, or overdue) and the conditions on signatures past their date. A validator signs
"revalidated" on the selected live version from here, optionally on condition of one of its
unresolved findings; the signature goes through the workflow's ``revalidate`` transition, so
the roles and separation of duties hold, and a refusal is shown in the core's words."""

from __future__ import annotations

import html
from datetime import date, timedelta

from PySide6.QtCore import QDate, QModelIndex, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from signoff.core.db.registry import Registry
from signoff.core.governance.dashboard import (
    DueRevalidation,
    RevalidationDashboard,
    revalidation_dashboard,
)
from signoff.core.governance.finding_gates import ConditionRequest
from signoff.core.governance.outcome import Outcome
from signoff.core.governance.overdue import OverdueItem
from signoff.core.governance.workflow import in_write, transition
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.columns import fit_columns
from signoff.ui.widgets.common import format_time, record_table
from signoff.ui.widgets.table_models import Column, RecordTableModel

OVERDUE_TINT, SOON_TINT = "#f5b7b1", "#fae5b0"

DUE_COLUMNS = [
    Column("Model", lambda r: r.model),
    Column("Live", lambda r: f"v{r.live_version}", sort_key=lambda r: r.live_version),
    Column("Tier", lambda r: r.risk_tier),
    Column("Owner", lambda r: r.owner),
    Column("Last validated", lambda r: format_time(r.last_validated)[:10]),
    Column("Next due", lambda r: format_time(r.due)[:10]),
    Column(
        "Status",
        lambda r: r.when(),
        sort_key=lambda r: r.days,
        background=lambda r: OVERDUE_TINT if r.status == "overdue" else SOON_TINT,
    ),
    Column(
        "Unresolved findings",
        lambda r: ", ".join(f"#{i} {s}" for i, s, _t in r.unresolved) or "none",
        tooltip=lambda r: "\n".join(f"#{i} [{s}] {t}" for i, s, t in r.unresolved),
    ),
]
CONDITION_COLUMNS = [
    Column("Model", lambda c: c.model),
    Column("Due", lambda c: c.due.isoformat()),
    Column("Condition", lambda c: c.message, tooltip=lambda c: c.message),
]


def revalidate(
    registry: Registry, model: str, number: int, comment: str, condition: ConditionRequest | None
) -> Outcome:
    """Worker: the acting person signs ``model vNUMBER`` as revalidated (a decision)."""
    return in_write(
        registry,
        transition,
        "revalidate",
        model,
        number,
        actor=registry.actor,
        comment=comment,
        conditions=[condition] if condition else [],
    )


class RevalidationPanel(QWidget):
    """Due and overdue revalidations, overdue conditions, and the revalidate form."""

    loaded = Signal()
    acted = Signal(str)  # what the person was told (the outcome, or the refusal)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.dashboard: RevalidationDashboard | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("revalidationSummary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.due = RecordTableModel(DUE_COLUMNS, self)
        self.table = record_table(self.due, "revalidationTable", wrap=False)
        fit_columns(self.table)
        self.table.setMinimumHeight(150)
        self.table.doubleClicked.connect(self._open_model)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._fill_findings())
        layout.addWidget(self.table, 3)

        form = QGroupBox("Revalidate the selected live version")
        form_layout = QVBoxLayout(form)
        first = QHBoxLayout()
        self.comment = QLineEdit()
        self.comment.setPlaceholderText("What was checked (required)")
        first.addWidget(self.comment, 1)
        self.sign_button = QPushButton("Sign revalidated")
        self.sign_button.setObjectName("signRevalidated")
        self.sign_button.clicked.connect(self.sign_selected)
        first.addWidget(self.sign_button)
        form_layout.addLayout(first)
        second = QHBoxLayout()
        second.addWidget(QLabel("On condition of"))
        self.condition = QComboBox()
        self.condition.setObjectName("revalidationCondition")
        self.condition.addItem("no condition", None)
        second.addWidget(self.condition, 1)
        second.addWidget(QLabel("resolved by"))
        self.condition_due = QDateEdit()
        self.condition_due.setCalendarPopup(True)
        self.condition_due.setDisplayFormat("yyyy-MM-dd")
        soon = date.today() + timedelta(days=90)
        self.condition_due.setDate(QDate(soon.year, soon.month, soon.day))
        second.addWidget(self.condition_due)
        form_layout.addLayout(second)
        self.message = QLabel("")
        self.message.setObjectName("revalidationMessage")
        self.message.setWordWrap(True)
        form_layout.addWidget(self.message)
        layout.addWidget(form)

        self.conditions_heading = QLabel("<b>Overdue conditions</b>")
        self.conditions_heading.setWordWrap(True)
        layout.addWidget(self.conditions_heading)
        self.conditions = RecordTableModel(CONDITION_COLUMNS, self)
        self.condition_table = record_table(self.conditions, "overdueConditionsTable", wrap=False)
        fit_columns(self.condition_table)
        self.condition_table.setMinimumHeight(110)
        layout.addWidget(self.condition_table, 2)

    # -- loading --------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the dashboard in the worker."""
        self.ctx.read(
            revalidation_dashboard,
            key=f"revalidation-dashboard-{id(self)}",
            on_result=self._show,
            on_error=lambda exc: self.summary.setText(
                f"Could not load the revalidation dashboard: {html.escape(str(exc))}"
            ),
        )

    def _show(self, dashboard: RevalidationDashboard) -> None:
        chosen = self.selected()
        self.dashboard = dashboard
        overdue = len(dashboard.overdue)
        soon = len(dashboard.due) - overdue
        self.summary.setText(
            f"As of {dashboard.now:%Y-%m-%d}: <b>{overdue}</b> live version(s) overdue for "
            f"revalidation, {soon} due within {dashboard.within_days} days; "
            f"{len(dashboard.conditions)} condition(s) overdue."
        )
        self.conditions_heading.setText(
            "<b>Overdue conditions</b>: findings a signature was given on condition of, still "
            "unresolved after their date" + ("" if dashboard.conditions else " — none")
        )
        self.due.set_records(dashboard.due)
        self.conditions.set_records(dashboard.conditions)
        names = [r.model for r in dashboard.due]
        if chosen is not None and chosen.model in names:
            self.table.selectRow(names.index(chosen.model))
        self._fill_findings()
        self.loaded.emit()

    def rows(self) -> list[DueRevalidation]:
        """The rows shown (for a person reading the list, and for tests)."""
        return list(self.due.records)

    def overdue_conditions(self) -> list[OverdueItem]:
        return list(self.conditions.records)

    def select_model(self, name: str) -> bool:
        """Select the row of model *name*; False when it is not on the list."""
        for i, row in enumerate(self.due.records):
            if row.model == name:
                self.table.selectRow(i)
                return True
        return False

    def selected(self) -> DueRevalidation | None:
        rows = self.table.selectionModel().selectedRows()
        return self.due.record(rows[0].row()) if rows else None

    def _fill_findings(self) -> None:
        row = self.selected()
        self.condition.clear()
        self.condition.addItem("no condition", None)
        for fid, severity, title in row.unresolved if row else ():
            self.condition.addItem(f"#{fid} [{severity}] {title}", fid)
        self.sign_button.setEnabled(row is not None)

    def _open_model(self, index: QModelIndex) -> None:
        self.ctx.openModelRequested.emit(self.due.record(index.row()).model)

    # -- signing --------------------------------------------------------------------------
    def sign_selected(self) -> None:
        """Sign the selected live version as revalidated, in the worker."""
        row = self.selected()
        if row is None:
            self._said("Select a live version first.")
            return
        finding = self.condition.currentData()
        condition = None
        if finding is not None:
            day = self.condition_due.date()
            condition = ConditionRequest(int(finding), date(day.year(), day.month(), day.day()))
        self.sign_button.setEnabled(False)
        self.ctx.run(
            revalidate,
            row.model,
            row.live_version,
            self.comment.text(),
            condition,
            key=f"revalidate-{id(self)}",
            on_result=self._signed,
            on_error=self._refused,
        )

    def _signed(self, outcome: Outcome) -> None:
        self.comment.clear()
        self._said(f"Signed: {outcome.describe()}")
        self.ctx.versionChanged.emit(outcome.model, outcome.number)
        self.reload()

    def _refused(self, exc: BaseException) -> None:
        self.sign_button.setEnabled(self.selected() is not None)
        self._said(f"Not signed: {exc}")

    def _said(self, text: str) -> None:
        self.message.setText(html.escape(text))
        self.acted.emit(text)
