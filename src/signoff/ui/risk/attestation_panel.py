"""The Model risk area's attestations: an admin opens (or closes) a period and sends
reminders; the page shows its progress per business unit and per model; a model's owner
attests that its metadata, consumers and limitations are accurate, or corrects them. Every
step goes through :mod:`signoff.core.governance.attestations` in the worker, and a refusal (the
wrong person, a closed period) is shown in the core's words."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QDate, Signal
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
from sqlalchemy.orm import Session

from signoff.core.common.errors import NotFoundError
from signoff.core.db import model_risk as rk
from signoff.core.db.registry import Registry
from signoff.core.governance.attestations import (
    PeriodProgress,
    UnitProgress,
    attest,
    close_period,
    list_periods,
    open_period,
    period_progress,
    remind_owners,
)
from signoff.core.governance.workflow import in_write
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.columns import fit_columns
from signoff.ui.widgets.common import format_time, record_table
from signoff.ui.widgets.table_models import Column, RecordTableModel

DONE_TINT, PENDING_TINT = "#abebc6", "#fae5b0"
#: what an owner can correct, in words -> the core's correction key
CORRECTIONS = {
    "Title": "title",
    "Description": "description",
    "Business unit": "business_unit",
    "Consumers": "consumers",
    "Limitations": "limitations",
}
assert set(CORRECTIONS.values()) == {*rk.CORRECTABLE, *rk.NOTED}

UNIT_COLUMNS = [
    Column("Business unit", lambda u: u.business_unit),
    Column(
        "Attested",
        lambda u: f"{u.attested + u.corrected} of {u.models}",
        sort_key=lambda u: u.done_fraction,
        tooltip=lambda u: f"{u.attested} attested, {u.corrected} corrected, {u.pending} pending",
        background=lambda u: DONE_TINT if u.pending == 0 else PENDING_TINT,
    ),
    Column("Pending", lambda u: str(u.pending), align_right=True),
]
MODEL_COLUMNS = [
    Column("Model", lambda m: m["model"]),
    Column("Owner", lambda m: m["owner"] or "—"),
    Column("Business unit", lambda m: m["business_unit"] or "—"),
    Column(
        "Verdict",
        lambda m: m["verdict"],
        background=lambda m: PENDING_TINT if m["verdict"] == "pending" else DONE_TINT,
    ),
    Column("By", lambda m: m["by"] or "—"),
    Column("On", lambda m: format_time(m["at"])[:10], tooltip=lambda m: format_time(m["at"])),
]


@dataclass(frozen=True)
class AttestationView:
    """What the panel shows: the periods there are, and the chosen one's progress."""

    periods: list[tuple[str, bool]]  # (name, open?) newest first
    progress: PeriodProgress | None


def load_attestations(session: Session, name: str | None) -> AttestationView:
    """Worker: every period, and the progress of *name* (or the newest open one, or the
    newest one)."""
    periods = [(p.name, p.closed_at is None) for p in list_periods(session)]
    known = [n for n, _open in periods]
    if name not in known:
        name = next((n for n, is_open in periods if is_open), known[0] if known else None)
    try:
        progress = period_progress(session, name) if name else None
    except NotFoundError:
        progress = None
    return AttestationView(periods, progress)


def change(registry: Registry, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Worker: one attestation step as the registry's person, in its own transaction."""
    return in_write(registry, fn, *args, actor=registry.actor, **kwargs)


class AttestationPanel(QWidget):
    """Periods, progress per business unit and per model, and the owner's attestation."""

    loaded = Signal()
    acted = Signal(str)  # what the person was told

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.view: AttestationView | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(QLabel("Period"))
        self.period = QComboBox()
        self.period.setObjectName("attestationPeriod")
        self.period.setMinimumContentsLength(12)
        self.period.activated.connect(lambda _i: self.reload())
        top.addWidget(self.period)
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("attestationSummary")
        self.summary.setWordWrap(True)
        top.addWidget(self.summary, 1)
        layout.addLayout(top)

        columns = QHBoxLayout()
        left = QVBoxLayout()
        self.units = RecordTableModel(UNIT_COLUMNS, self)
        self.unit_table = record_table(self.units, "attestationUnits", wrap=False)
        fit_columns(self.unit_table)
        self.unit_table.setMinimumHeight(120)
        left.addWidget(self.unit_table, 1)
        left.addWidget(self._admin_box())
        columns.addLayout(left, 2)
        right = QVBoxLayout()
        self.models = RecordTableModel(MODEL_COLUMNS, self)
        self.model_table = record_table(self.models, "attestationModels", wrap=False)
        fit_columns(self.model_table)
        self.model_table.setMinimumHeight(150)
        right.addWidget(self.model_table, 1)
        right.addWidget(self._owner_box())
        columns.addLayout(right, 3)
        layout.addLayout(columns, 1)
        self.message = QLabel("")
        self.message.setObjectName("attestationMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)

    def _admin_box(self) -> QGroupBox:
        box = QGroupBox("Periods (admins)")
        box_layout = QVBoxLayout(box)
        row = QHBoxLayout()
        self.new_name = QLineEdit()
        self.new_name.setObjectName("newPeriodName")
        self.new_name.setPlaceholderText("Name, e.g. 2027-Q1")
        row.addWidget(self.new_name, 1)
        self.new_due = QDateEdit()
        self.new_due.setCalendarPopup(True)
        self.new_due.setDisplayFormat("yyyy-MM-dd")
        due = date.today() + timedelta(days=30)
        self.new_due.setDate(QDate(due.year, due.month, due.day))
        row.addWidget(self.new_due)
        box_layout.addLayout(row)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open period")
        self.open_button.clicked.connect(self.open_new_period)
        self.close_button = QPushButton("Close period")
        self.close_button.clicked.connect(self.close_shown_period)
        self.remind_button = QPushButton("Remind owners")
        self.remind_button.setToolTip("Alert the owner of every model still pending")
        self.remind_button.clicked.connect(self.remind)
        for button in (self.open_button, self.close_button, self.remind_button):
            buttons.addWidget(button)
        box_layout.addLayout(buttons)
        return box

    def _owner_box(self) -> QGroupBox:
        box = QGroupBox("Attest the selected model (its owner)")
        box_layout = QVBoxLayout(box)
        row = QHBoxLayout()
        self.comment = QLineEdit()
        self.comment.setPlaceholderText("Comment (what you checked)")
        row.addWidget(self.comment, 1)
        self.attest_button = QPushButton("Attest as accurate")
        self.attest_button.setObjectName("attestButton")
        self.attest_button.clicked.connect(lambda: self.attest_selected(correct=False))
        row.addWidget(self.attest_button)
        box_layout.addLayout(row)
        fix = QHBoxLayout()
        self.correction_field = QComboBox()
        self.correction_field.addItems(list(CORRECTIONS))
        self.correction_field.setToolTip(
            "Title, description and business unit are corrected at once; what is wrong with the "
            "consumers or limitations is reported to the admins and validators"
        )
        fix.addWidget(self.correction_field)
        self.correction = QLineEdit()
        self.correction.setPlaceholderText("The correct value, or what is wrong")
        fix.addWidget(self.correction, 1)
        self.correct_button = QPushButton("Correct")
        self.correct_button.clicked.connect(lambda: self.attest_selected(correct=True))
        fix.addWidget(self.correct_button)
        box_layout.addLayout(fix)
        return box

    # -- loading --------------------------------------------------------------------------
    def reload(self, name: str | None = None) -> None:
        """Read the periods and the chosen period's progress in the worker."""
        self.ctx.read(
            load_attestations,
            name or self.period.currentData(),
            key=f"attestations-{id(self)}",
            on_result=self._show,
            on_error=lambda exc: self.summary.setText(
                f"Could not load the attestations: {html.escape(str(exc))}"
            ),
        )

    def _show(self, view: AttestationView) -> None:
        chosen = self.selected_model()
        self.view = view
        progress = view.progress
        self.period.clear()
        for name, is_open in view.periods:
            self.period.addItem(name if is_open else f"{name} (closed)", name)
        if progress is None:
            self.summary.setText("No attestation period yet: an admin opens one below.")
            self.units.set_records([])
            self.models.set_records([])
        else:
            self.period.setCurrentIndex(max(0, self.period.findData(progress.name)))
            state = (
                f"closed {progress.closed_at:%Y-%m-%d}"
                if progress.closed_at
                else f"due {progress.due:%Y-%m-%d}"
            )
            self.summary.setText(
                f"<b>{html.escape(progress.name)}</b> ({state}, opened by "
                f"{html.escape(progress.opened_by)}): <b>{progress.done} of {progress.total}</b>"
                " models attested"
            )
            self.units.set_records(progress.units)
            self.models.set_records(progress.models)
        if chosen is not None:
            self.select_model(chosen)
        self.loaded.emit()

    def unit_rows(self) -> list[UnitProgress]:
        return list(self.units.records)

    def model_rows(self) -> list[dict[str, Any]]:
        return list(self.models.records)

    def select_model(self, name: str) -> bool:
        """Select model *name* in the per-model table; False when it is not there."""
        for i, row in enumerate(self.models.records):
            if row["model"] == name:
                self.model_table.selectRow(i)
                return True
        return False

    def selected_model(self) -> str | None:
        rows = self.model_table.selectionModel().selectedRows()
        return self.models.record(rows[0].row())["model"] if rows else None

    def shown_period(self) -> str | None:
        return self.view.progress.name if self.view and self.view.progress else None

    # -- acting ---------------------------------------------------------------------------
    def open_new_period(self) -> None:
        day = self.new_due.date()
        name = self.new_name.text().strip()
        self._change(
            open_period,
            name,
            date(day.year(), day.month(), day.day()),
            then=name,
            said=lambda _id: f"Opened the attestation period '{name}'.",
        )

    def close_shown_period(self) -> None:
        name = self.shown_period()
        if name is None:
            self._said("There is no period to close.")
            return
        self._change(close_period, name, then=name, said=lambda _r: f"Closed '{name}'.")

    def remind(self) -> None:
        name = self.shown_period()
        if name is None:
            self._said("There is no period to remind anyone of.")
            return
        self._change(
            remind_owners,
            name=name,
            then=name,
            said=lambda alerts: (
                f"Sent {len(alerts)} reminder(s) through the alert channels"
                + ("." if alerts else " (every pending owner was reminded today already).")
            ),
        )

    def attest_selected(self, *, correct: bool) -> None:
        """The acting person attests (or corrects) the selected model in the shown period."""
        model, name = self.selected_model(), self.shown_period()
        if model is None or name is None:
            self._said("Select a model in a period first.")
            return
        corrections = {}
        if correct:
            corrections[CORRECTIONS[self.correction_field.currentText()]] = self.correction.text()
        verb = "Corrected" if correct else "Attested"
        self._change(
            attest,
            model,
            period_name=name,
            corrections=corrections,
            comment=self.comment.text(),
            then=name,
            said=lambda _id: f"{verb} {model} for {name}.",
        )

    def _change(self, fn: Any, *args: Any, then: str, said: Any, **kwargs: Any) -> None:
        def done(result: object) -> None:
            self._said(said(result))
            self.reload(then)

        self.ctx.run(
            change,
            fn,
            *args,
            **kwargs,
            key=f"attestation-change-{id(self)}",
            on_result=done,
            on_error=lambda exc: self._said(f"Refused: {exc}"),
        )

    def _said(self, text: str) -> None:
        self.message.setText(html.escape(text))
        self.acted.emit(text)
