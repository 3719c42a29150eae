"""The version page's Approvals tab: gates, signatures, missing roles, checks and decisions.

Buttons show the decisions allowed for the viewer right now; the others are disabled, and the
reason for each is written next to the buttons (and in its tooltip): it comes from the core's
own precondition check, so the words say exactly why (for example, the author never signs
their own version). A decision is signed in :class:`DecisionDialog` and written in a worker;
if someone else changed the version meanwhile, the tab says what changed and by whom, and
reloads. *Print approval sheet…* prints the gates and signatures (printed name, date and
time, meaning) as 21 CFR 11.50 asks of a signed record.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QGroupBox,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from signoff.core.catalog.words import (
    action_word,
    check_word,
    in_words,
    listing,
    policy_words,
    role_word,
    roles_in_words,
    state_word,
)
from signoff.core.common.clock import utcnow
from signoff.core.common.errors import ConcurrentChangeError
from signoff.core.db.registry import Registry
from signoff.core.governance.approval_sheet import approval_sheet_html
from signoff.core.governance.approvals import ApprovalStatus, Signature, approval_status
from signoff.core.governance.signing import DecisionRequest, sign_decision
from signoff.core.governance.workflow import ACTION_TITLES, ACTIONS, Outcome
from signoff.ui.services.context import AppContext
from signoff.ui.services.worker import TaskHandle
from signoff.ui.version.decision_dialog import DecisionDialog
from signoff.ui.widgets.columns import fit_columns
from signoff.ui.widgets.common import format_time, record_table, scrolling_page
from signoff.ui.widgets.flow_layout import FlowLayout
from signoff.ui.widgets.printing import choose_printer, print_html
from signoff.ui.widgets.table_models import RECORD_ROLE, Column, RecordTableModel

log = logging.getLogger(__name__)

# colours that read on the light and the dark theme alike
MISSING_COLOUR, OK_COLOUR, FAIL_COLOUR = "#e0533d", "#27ae60", "#e0533d"
#: rows a table keeps visible however small the window (its header included)
MIN_TABLE_ROWS = 3


@dataclass(frozen=True)
class GateRow:
    gate: str
    role: str
    signature: Signature | None
    open: bool


def _signer(s: Signature | None) -> str:
    return f"{s.printed_name} ({s.login})" if s else "— missing —"


GATE_COLUMNS = [
    Column("Gate", lambda r: r.gate),
    Column("Role", lambda r: role_word(r.role)),
    Column(
        "Signed by",
        lambda r: _signer(r.signature),
        colour=lambda r: None if r.signature else MISSING_COLOUR,
    ),
    Column(
        "Date and time",
        lambda r: format_time(r.signature.at, seconds=True) if r.signature else "",
        tooltip=lambda r: "UTC, the database's clock" if r.signature else "",
    ),
    Column("Meaning", lambda r: r.signature.meaning if r.signature else ""),
    Column(
        "Comment",
        lambda r: r.signature.comment if r.signature else "",
        tooltip=lambda r: r.signature.comment if r.signature else "",
    ),
]
CHECK_COLUMNS = [
    Column("Check", lambda c: check_word(c.check)),
    Column("Required to go live", lambda c: "yes" if c.required else "no"),
    Column(
        "Verdict",
        lambda c: {True: "passed", False: "failed", None: "no evidence"}[c.passed],
        colour=lambda c: (
            {True: OK_COLOUR, False: FAIL_COLOUR, None: MISSING_COLOUR}[c.passed]
            if c.required or c.passed is not None
            else None
        ),
    ),
    Column("When", lambda c: format_time(c.at, seconds=True) if c.at else ""),
    Column("By", lambda c: c.actor),
    Column("Summary", lambda c: c.summary, tooltip=lambda c: c.summary),
]
DECISION_COLUMNS = [
    Column(
        "Date and time",
        lambda s: format_time(s.at, seconds=True),
        tooltip=lambda s: "UTC, the database's clock",
    ),
    Column("Printed name", lambda s: f"{s.printed_name} ({s.login})"),
    Column("Decision", lambda s: action_word(s.action)),
    Column("Meaning", lambda s: s.meaning),
    Column("Comment", lambda s: s.comment, tooltip=lambda s: s.comment),
    Column(
        "Manifest",
        lambda s: s.manifest_hash[:12] + ("" if s.bound_to_current else " ≠"),
        tooltip=lambda s: s.manifest_hash,
    ),
    Column(
        "Trail",
        lambda s: "verified" if s.verified else "NOT VERIFIED",
        colour=lambda s: None if s.verified else MISSING_COLOUR,
        tooltip=lambda s: (
            "Exactly one intact audit event records this signature, unchanged."
            if s.verified
            else f"This signature does not match the audit trail: {s.problem}. "
            "It is not counted toward any gate."
        ),
    ),
]


def load_status(registry: Registry, model: str, number: int) -> tuple[ApprovalStatus, bool]:
    """Worker: the approval status for the registry's acting user, and whether embedded."""
    viewer = registry.actor  # on PostgreSQL this asks the database: keep it off the GUI thread
    with registry.read() as session:
        return approval_status(session, model, number, viewer), registry.is_embedded


def _table(model: RecordTableModel, name: str) -> QTableView:
    view = record_table(model, name, wrap=False)
    fit_columns(view)
    rows = view.verticalHeader().defaultSectionSize() * MIN_TABLE_ROWS
    view.setMinimumHeight(rows + view.horizontalHeader().sizeHint().height() + 4)
    return view


def why_unavailable(allowed: dict[str, str | None]) -> list[tuple[list[str], str]]:
    """The disabled actions grouped by their reason, in the order of the actions."""
    groups: dict[str, list[str]] = {}
    for action in ACTIONS:
        why = allowed.get(action)
        if why:
            groups.setdefault(in_words(why), []).append(ACTION_TITLES[action])
    return [(titles, why) for why, titles in groups.items()]


class ApprovalsTab(QWidget):
    """Gates and signatures of one version, with the decisions the viewer may take."""

    loaded = Signal()
    decided = Signal(object)  # the Outcome
    decisionFailed = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model_name, self.number = "", 0
        self.status: ApprovalStatus | None = None
        self.embedded = True
        self.dialog: DecisionDialog | None = None
        layout = scrolling_page(self, "approvalsScroll")
        self.header = QLabel("Select a version.")
        self.header.setObjectName("approvalsHeader")
        self.header.setWordWrap(True)
        layout.addWidget(self.header)
        self.gate_summary = QLabel("")
        self.gate_summary.setObjectName("gateSummary")
        self.gate_summary.setWordWrap(True)
        layout.addWidget(self.gate_summary)
        # the buttons wrap onto a second line in a narrow window instead of being clipped
        self.button_row = QWidget()
        self.button_row.setObjectName("decisionButtons")
        buttons = FlowLayout(self.button_row)
        self.buttons: dict[str, QPushButton] = {}
        for action in ACTIONS:
            button = QPushButton(ACTION_TITLES[action])
            button.setObjectName(f"decide_{action}")
            button.setEnabled(False)
            button.clicked.connect(lambda _c=False, a=action: self.open_decision(a))
            buttons.addWidget(button)
            self.buttons[action] = button
        self.print_button = QPushButton("Print approval sheet…")
        self.print_button.setObjectName("printApprovalSheet")
        self.print_button.setToolTip(
            "Print the gates and signatures: printed name, date and time, meaning"
        )
        self.print_button.setEnabled(False)
        self.print_button.clicked.connect(lambda: self.print_sheet())
        buttons.addWidget(self.print_button)
        # a signature may wait for another Signoff's write lock (up to 30 s): the person may
        # stop waiting instead
        self.cancel_sign_button = QPushButton("Stop waiting")
        self.cancel_sign_button.setObjectName("cancelSigning")
        self.cancel_sign_button.setVisible(False)
        self.cancel_sign_button.clicked.connect(self._cancel_signing)
        buttons.addWidget(self.cancel_sign_button)
        self._signing: TaskHandle | None = None
        layout.addWidget(self.button_row)
        self.why = QLabel("")
        self.why.setObjectName("whyUnavailable")
        self.why.setWordWrap(True)
        self.why.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.why)
        self.message = QLabel("")
        self.message.setObjectName("approvalsMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.gates = RecordTableModel(GATE_COLUMNS, self)
        self.checks = RecordTableModel(CHECK_COLUMNS, self)
        self.decisions = RecordTableModel(DECISION_COLUMNS, self)
        self.gatesTable: QTableView  # set by name below (the names are the views' object names)
        self.checksTable: QTableView
        self.decisionsTable: QTableView
        for title, model, name in (
            ("Gates and signatures", self.gates, "gatesTable"),
            ("Deployment checks (evidence for the current manifest)", self.checks, "checksTable"),
            ("Signed decisions, oldest first", self.decisions, "decisionsTable"),
        ):
            box = QGroupBox(title)
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(6, 4, 6, 6)
            view = _table(model, name)
            setattr(self, name, view)
            box_layout.addWidget(view)
            splitter.addWidget(box)
            splitter.setCollapsible(splitter.count() - 1, False)
        self.detail = QLabel("")
        self.detail.setObjectName("decisionDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        decisions_box = splitter.widget(2)
        decisions_layout = decisions_box.layout() if decisions_box is not None else None
        if decisions_layout is not None:
            decisions_layout.addWidget(self.detail)
        self.decisionsTable.selectionModel().currentRowChanged.connect(self._show_detail)
        self.gatesTable.selectionModel().currentRowChanged.connect(self._show_gate_detail)
        self.splitter = splitter
        layout.addWidget(splitter, 1)
        ctx.versionChanged.connect(self._maybe_reload)

    # -- loading -----------------------------------------------------------------------------
    def show_version(self, model: str, number: int) -> None:
        """Load the version's approval status in a worker."""
        self.model_name, self.number = model, number
        self.header.setText(f"{html.escape(model)} v{number}: loading…")
        self.ctx.run(
            load_status,
            model,
            number,
            key=f"approvals-{id(self)}",
            on_result=self._show,
            on_error=self._failed,
        )

    def reload(self) -> None:
        if self.model_name:
            self.show_version(self.model_name, self.number)

    def _maybe_reload(self, model: str, number: int) -> None:
        if (model, number) == (self.model_name, self.number) and self.dialog is None:
            self.reload()

    def _failed(self, exc: BaseException) -> None:
        self.header.setText(f"Could not load approvals: {html.escape(str(exc))}")
        for button in self.buttons.values():
            button.setEnabled(False)
        self.print_button.setEnabled(False)
        self.why.setText("")

    def _show(self, result: tuple[ApprovalStatus, bool]) -> None:
        st, self.embedded = result
        self.status = st
        roles = roles_in_words(st.viewer_roles) or "no roles"
        self.header.setText(
            f"<b>{html.escape(st.model)} v{st.number}</b> — {state_word(st.state)} · "
            f"risk tier {html.escape(st.risk_tier)}, judged under "
            f"{html.escape(policy_words(st.risk_tier, st.policy_revision))} · "
            f"author {html.escape(st.author)} · you are {html.escape(st.viewer)} "
            f"({html.escape(roles)})"
        )
        lines = []
        for g in st.gates:
            if g.complete:
                verdict = f"<span style='color:{OK_COLOUR}'>complete</span>"
            else:
                missing = roles_in_words(g.missing)
                verdict = (
                    f"<span style='color:{MISSING_COLOUR}'>needs {html.escape(missing)}</span>"
                )
            opened = " (open now)" if g.open else ""
            lines.append(f"<b>{g.title}</b>{opened}: {verdict}")
        failing = [check_word(c.check) for c in st.checks if c.required and c.passed is not True]
        lines.append(
            "<b>Checks required to go live</b>: "
            + ("all passed" if not failing else "waiting for " + html.escape(listing(failing)))
        )
        unverified = [d for d in st.decisions if not d.verified]
        if unverified:
            count = len(unverified)
            lines.append(
                f"<b><span style='color:{MISSING_COLOUR}'>"
                + (
                    "1 signature does not match the audit trail"
                    if count == 1
                    else f"{count} signatures do not match the audit trail"
                )
                + " and is not counted</span></b> (see Trail below; "
                "<code>signoff audit verify</code> names each one)"
            )
        self.gate_summary.setText("<br>".join(lines))
        self.gates.set_records(
            [
                GateRow(g.title, role, g.signed.get(role), g.open)
                for g in st.gates
                for role in g.required
            ]
        )
        self.checks.set_records(st.checks)
        self.decisions.set_records(st.decisions)
        for action, button in self.buttons.items():
            why = st.allowed.get(action)
            button.setEnabled(why is None)
            button.setToolTip("" if why is None else f"Not available: {in_words(why)}")
        self.print_button.setEnabled(True)
        self.why.setText(self._why_text(st))
        self.detail.setText("")
        self.loaded.emit()

    @staticmethod
    def _why_text(st: ApprovalStatus) -> str:
        groups = why_unavailable(st.allowed)
        if not groups:
            return ""
        lines = [
            f"<b>{html.escape(listing(titles))}</b>: {html.escape(why)}" for titles, why in groups
        ]
        return "<span style='color:gray'>Not available now —</span><br>" + "<br>".join(
            f"• {line}" for line in lines
        )

    def why_text(self) -> str:
        """What the person reads next to the buttons about the unavailable ones (plain)."""
        from PySide6.QtGui import QTextDocument

        doc = QTextDocument()
        doc.setHtml(self.why.text())
        return doc.toPlainText()

    def _show_detail(self, current, _previous=None) -> None:  # noqa: ANN001
        signature = current.data(RECORD_ROLE) if current.isValid() else None
        if isinstance(signature, Signature):
            self.detail.setText(
                f"<b>{html.escape(signature.printed_name)}</b> "
                f"({html.escape(action_word(signature.action))}, "
                f"{format_time(signature.at, seconds=True)} UTC): "
                f"{html.escape(signature.comment or 'no comment')}"
            )

    def _show_gate_detail(self, current, _previous=None) -> None:  # noqa: ANN001
        row = current.data(RECORD_ROLE) if current.isValid() else None
        if isinstance(row, GateRow) and row.signature is not None:
            sig = row.signature
            self.detail.setText(
                f"<b>{html.escape(sig.printed_name)}</b> as {html.escape(role_word(row.role))} "
                f"({format_time(sig.at, seconds=True)} UTC): {html.escape(sig.meaning)} — "
                f"{html.escape(sig.comment or 'no comment')}"
            )

    # -- printing ----------------------------------------------------------------------------
    def sheet_html(self) -> str:
        """The approval sheet of the version shown ('' before it has loaded)."""
        if self.status is None:
            return ""
        return approval_sheet_html(self.status, printed_by=self.status.viewer, printed_at=utcnow())

    def print_sheet(self, printer: QPrinter | None = None) -> bool:
        """Print the approval sheet (on *printer*, or one the person chooses)."""
        st = self.status
        if st is None:
            return False
        title = f"approval sheet of {st.model} v{st.number}"
        if printer is None:
            printer = choose_printer(self, title)
            if printer is None:
                return False
        print_html(self.sheet_html(), printer, title)
        self.message.setText(f"Printed the {html.escape(title)}.")
        return True

    # -- deciding ----------------------------------------------------------------------------
    def open_decision(self, action: str) -> DecisionDialog | None:
        """Open the signing dialog for *action* (non-blocking; the result arrives later)."""
        st = self.status
        if st is None or not st.may(action):
            return None
        gate = next((g for g in st.gates if g.open), None)
        roles = None
        if action in ("approve", "reject", "request_changes") and gate is not None:
            pool = gate.missing if action == "approve" else gate.required
            roles = [r for r in pool if r in st.viewer_roles] or None
        signer = st.viewer
        dialog = DecisionDialog(
            action,
            f"{st.model} v{st.number}",
            signer,
            gate=gate.gate if gate else "",
            roles=roles,
            consumers=st.consumers,
            needs_password=not self.embedded,
            parent=self,
        )
        dialog.accepted.connect(lambda: self._submit(dialog.request()))
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _submit(self, request: DecisionRequest) -> None:
        st = self.status
        if st is None:
            return
        self.message.setText(f"Signing: {ACTION_TITLES[request.action].lower()}…")
        for button in self.buttons.values():
            button.setEnabled(False)
        self._signing = self.ctx.run(
            sign_decision,
            st.model,
            st.number,
            request,
            st.row_version,
            st.live_version,
            key=f"sign-{id(self)}",
            on_result=self._signed,
            on_error=self._sign_failed,
        )
        self._signing.cancelled.connect(self._sign_cancelled)
        self._signing.done.connect(lambda: self.cancel_sign_button.setVisible(False))
        self.cancel_sign_button.setEnabled(True)
        self.cancel_sign_button.setVisible(True)

    def _cancel_signing(self) -> None:
        if self._signing is not None and not self._signing.is_done:
            self.cancel_sign_button.setEnabled(False)
            self._signing.cancel()

    def _sign_cancelled(self) -> None:
        # a cancel that arrives after the write began cannot undo it: the reload shows which
        text = "Stopped waiting: the signature was not written unless the decisions below show it."
        self.message.setText(f"<span style='color:#a15c00'>{html.escape(text)}</span>")
        self.decisionFailed.emit(text)
        self.reload()

    def _signed(self, outcome: Outcome) -> None:
        self.message.setText(f"Signed: {html.escape(outcome.describe())}")
        self.decided.emit(outcome)
        self.ctx.versionChanged.emit(outcome.model, outcome.number)
        self.reload()

    def _sign_failed(self, exc: BaseException) -> None:
        prefix = (
            "Someone else got there first"
            if isinstance(exc, ConcurrentChangeError)
            else "Not signed"
        )
        text = f"{prefix}: {in_words(str(exc))}"
        self.message.setText(f"<span style='color:{FAIL_COLOUR}'>{html.escape(text)}</span>")
        self.decisionFailed.emit(text)
        self.reload()
