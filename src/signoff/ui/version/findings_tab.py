"""The version page's Findings tab: the version's (and its model's) findings, a form to raise
one, and the actions on the selected one. Every read and write runs in the worker; a refusal
(the wrong person, a missing comment) is shown as the core words it."""

from __future__ import annotations

import html
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from signoff.core.catalog.findings_view import FindingRow, list_findings
from signoff.core.db.registry import Registry
from signoff.core.governance.findings import FindingOutcome, act_on_finding
from signoff.core.governance.policy import configured_severities
from signoff.core.governance.workflow import in_write
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.common import record_table
from signoff.ui.widgets.table_models import Column, RecordTableModel

COLUMNS = [
    Column("#", lambda f: str(f.id), sort_key=lambda f: f.id, align_right=True),
    Column("Severity", lambda f: f.severity),
    Column("Type", lambda f: f.kind.replace("_", " ")),
    Column("Status", lambda f: f.status_words),
    Column("Title", lambda f: f.title, tooltip=lambda f: f.description or f.title),
    Column("Owner", lambda f: f.owner),
    Column("Due", lambda f: f.due),
    Column("Raised by", lambda f: f.raised_by),
]
#: button label -> finding action, for the selected finding
ACTIONS = {
    "Propose remediation": "propose_remediation",
    "Reject remediation": "reject_remediation",
    "Close": "close",
    "Accept as limitation": "accept_limitation",
    "Reopen": "reopen",
    "Comment": "comment",
}


def load_findings(
    registry: Registry, model: str, number: int
) -> tuple[list[FindingRow], tuple[str, ...]]:
    """Worker: the findings of ``model vNUMBER`` and the severities in use."""
    with registry.read() as session:
        return list_findings(session, model=model, number=number), configured_severities(session)


def act(registry: Registry, action: str, **kwargs: Any) -> FindingOutcome:
    """Worker: one change to a finding as the registry's person, in its own transaction."""
    return in_write(registry, act_on_finding, action, actor=registry.actor, **kwargs)


class FindingsTab(QWidget):
    """Findings of one version: raise, answer, judge."""

    loaded = Signal()
    acted = Signal(str)  # the outcome or the refusal, as shown

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model_name, self.number = "", 0
        layout = QVBoxLayout(self)
        self.header = QLabel("Select a version.")
        self.header.setWordWrap(True)
        layout.addWidget(self.header)
        self.findings = RecordTableModel(COLUMNS, self)
        self.table = record_table(self.findings, "findingsTable")
        layout.addWidget(self.table, 1)
        form = QHBoxLayout()
        self.title = QLineEdit()
        self.title.setPlaceholderText("Title of a new finding")
        self.severity = QComboBox()
        self.due = QDateEdit()
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd")
        soon = date.today() + timedelta(days=30)
        self.due.setDate(QDate(soon.year, soon.month, soon.day))
        self.raise_button = QPushButton("Raise finding")
        self.raise_button.clicked.connect(self._raise)
        for widget in (self.title, self.severity, self.due, self.raise_button):
            form.addWidget(widget)
        layout.addLayout(form)
        answer = QHBoxLayout()
        self.comment = QLineEdit()
        self.comment.setPlaceholderText("Comment (what was done, or why)")
        self.controls = QLineEdit()
        self.controls.setPlaceholderText("Compensating controls (to accept as a limitation)")
        answer.addWidget(self.comment, 2)
        answer.addWidget(self.controls, 2)
        layout.addLayout(answer)
        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for label, action in ACTIONS.items():
            button = QPushButton(label)
            button.clicked.connect(lambda _c=False, a=action: self._act_on_selected(a))
            buttons.addWidget(button)
            self.buttons[action] = button
        layout.addLayout(buttons)
        self.message = QLabel("")
        self.message.setObjectName("findingMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)

    def show_version(self, model: str, number: int) -> None:
        """Load the version's findings in a worker."""
        self.model_name, self.number = model, number
        self.reload()

    def reload(self) -> None:
        if not self.model_name:
            return
        self.ctx.run(
            load_findings,
            self.model_name,
            self.number,
            key=f"findings-tab-{id(self)}",
            on_result=self._show,
            on_error=lambda exc: self.header.setText(
                f"Could not load the findings: {html.escape(str(exc))}"
            ),
        )

    def selected(self) -> FindingRow | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.findings.record(rows[0].row()) if rows else None

    def _show(self, result: tuple[list[FindingRow], tuple[str, ...]]) -> None:
        rows, severities = result
        if self.severity.count() != len(severities):
            self.severity.clear()
            self.severity.addItems(list(severities))
        unresolved = sum(1 for r in rows if r.status in ("open", "remediation_proposed"))
        self.header.setText(
            f"{self.model_name} v{self.number}: {len(rows)} finding(s), {unresolved} unresolved"
        )
        self.findings.set_records(rows)
        self.table.resizeColumnsToContents()
        self.loaded.emit()

    def _raise(self) -> None:
        due = self.due.date()
        fields = {
            "title": self.title.text(),
            "severity": self.severity.currentText(),
            "due": date(due.year(), due.month(), due.day()),
        }
        self._run(
            "raise", model_name=self.model_name, number=self.number, fields=fields, comment=""
        )

    def _act_on_selected(self, action: str) -> None:
        row = self.selected()
        if row is None:
            self._said("Select a finding first.")
            return
        fields = {}
        if action == "accept_limitation" and self.controls.text().strip():
            fields["compensating_controls"] = self.controls.text()
        self._run(action, finding_id=row.id, fields=fields, comment=self.comment.text())

    def _run(self, action: str, **kwargs: Any) -> None:
        self.ctx.run(
            act,
            action,
            **kwargs,
            key=f"findings-act-{id(self)}",
            on_result=self._done,
            on_error=lambda exc: self._said(str(exc)),
        )

    def _done(self, outcome: FindingOutcome) -> None:
        self._said(outcome.describe())
        self.reload()

    def _said(self, text: str) -> None:
        self.message.setText(text)
        self.acted.emit(text)
