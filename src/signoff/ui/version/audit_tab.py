"""The version page's Audit tab: its events as a timeline, and the chain's verdict.

Signatures are shown as 21 CFR Part 11 asks: the printed name of the signer, the date and
time of signing, and the meaning of the signature, in the same row as the event. *Date and
time* is when it happened (an imported or demo history carries its own times, as the Approvals
tab shows them); *Recorded* is when the audit chain recorded it, by the database's clock.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from signoff.core.audit.anchor import AnchoredAudit, verify_anchored
from signoff.core.catalog.words import count
from signoff.core.db.registry import Registry
from signoff.core.governance.approvals import TimelineEntry, timeline
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.chain_verdict import verdict_html, verdict_tooltip
from signoff.ui.widgets.columns import fit_columns
from signoff.ui.widgets.common import format_time, record_table
from signoff.ui.widgets.table_models import Column, RecordTableModel

SIGNATURE_BACKGROUND = "#eef4ff"


def _recorded(e: TimelineEntry) -> str:
    if e.recorded_at is None:
        return ""
    if abs((e.recorded_at - e.at).total_seconds()) < 1:
        return "same"
    return format_time(e.recorded_at, seconds=True)


COLUMNS = [
    Column(
        "#",
        lambda e: str(e.seq),
        sort_key=lambda e: e.seq,
        align_right=True,
        tooltip=lambda e: f"event #{e.seq}, sha256 {e.hash}",
    ),
    Column(
        "Date and time",
        lambda e: format_time(e.at, seconds=True),
        tooltip=lambda e: "when it happened (UTC)",
    ),
    Column("Printed name", lambda e: f"{e.printed_name} ({e.login})"),
    Column("Event", lambda e: e.title),
    Column(
        "Meaning",
        lambda e: e.meaning,
        background=lambda e: SIGNATURE_BACKGROUND if e.is_signature else None,
    ),
    Column("Details", lambda e: e.details, tooltip=lambda e: e.details),
    Column(
        "Recorded",
        _recorded,
        tooltip=lambda e: (
            f"recorded in the audit chain at {format_time(e.recorded_at, seconds=True)} UTC"
            if e.recorded_at
            else ""
        ),
    ),
]


def load_timeline(
    registry: Registry, model: str, number: int | None
) -> tuple[list[TimelineEntry], AnchoredAudit]:
    """Worker: the events, and the whole chain's verdict against its anchor (it covers them
    too)."""
    with registry.read() as session:
        return timeline(session, model, number), verify_anchored(session, registry.location.db_url)


class AuditTab(QWidget):
    """A version's (or its model's) audited events, oldest first."""

    loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model_name, self.number = "", 0
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.verdict = QLabel("Select a version.")
        self.verdict.setObjectName("chainVerdict")
        self.verdict.setWordWrap(True)
        top.addWidget(self.verdict, 1)
        self.whole_model = QCheckBox("Whole model")
        self.whole_model.setObjectName("wholeModel")
        self.whole_model.setToolTip("Show every event of the model, not only this version's")
        self.whole_model.toggled.connect(lambda _on: self.reload())
        top.addWidget(self.whole_model)
        layout.addLayout(top)
        self.events = RecordTableModel(COLUMNS, self)
        self.table = record_table(self.events, "auditTimeline", wrap=False)
        fit_columns(self.table, stretch=5)  # the details take the room left over
        layout.addWidget(self.table, 1)
        note = QLabel(
            "Rows with a meaning are electronic signatures: printed name, date and "
            "time (database clock, UTC) and meaning, bound to the version's "
            "manifest hash. Events are append-only and hash-chained."
        )
        note.setWordWrap(True)
        small = QFont(note.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.9))
        note.setFont(small)
        layout.addWidget(note)
        ctx.versionChanged.connect(self._maybe_reload)

    def show_version(self, model: str, number: int) -> None:
        """Load the version's events in a worker."""
        self.model_name, self.number = model, number
        self.reload()

    def show_model(self, model: str) -> None:
        """Show every event of *model* (the model page can embed this tab)."""
        self.model_name, self.number = model, 0
        self.whole_model.setChecked(True)
        self.reload()

    def reload(self) -> None:
        if not self.model_name:
            return
        number = None if self.whole_model.isChecked() or not self.number else self.number
        self.verdict.setText("Loading…")
        self.ctx.run(
            load_timeline,
            self.model_name,
            number,
            key=f"audit-tab-{id(self)}",
            on_result=self._show,
            on_error=lambda exc: self.verdict.setText(
                f"Could not load the audit trail: {html.escape(str(exc))}"
            ),
        )

    def _maybe_reload(self, model: str, number: int) -> None:
        if model == self.model_name:
            self.reload()

    def _show(self, result: tuple[list[TimelineEntry], AnchoredAudit]) -> None:
        entries, verdict = result
        signatures = sum(1 for e in entries if e.is_signature)
        self.verdict.setText(
            f"{count(len(entries), 'event')}, {count(signatures, 'signature')}. "
            f"{verdict_html(verdict)}"
        )
        self.verdict.setToolTip(verdict_tooltip(verdict))
        self.events.set_records(entries)
        self.loaded.emit()
