"""The signing dialog: what the signature means, who signs, the comment, and re-authentication.

The dialog only collects the decision; the tab signs it in a worker with the core's
:func:`signoff.core.governance.signing.sign_decision`. On PostgreSQL the dialog asks for the
password again (21 CFR 11.200: two components at signing), which the core checks with a fresh
connection before anything is written.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from signoff.core.common.errors import SignoffError
from signoff.core.db import model_risk as rk
from signoff.core.governance.finding_gates import parse_conditions
from signoff.core.governance.signing import DecisionRequest
from signoff.core.governance.workflow import ACTION_TITLES, NEEDS_COMMENT, meaning_of


class DecisionDialog(QDialog):
    """Asks for the comment (required for reject, request changes and do-not-use)."""

    def __init__(
        self,
        action: str,
        label: str,
        signer: str,
        *,
        gate: str = "",
        roles: list[str] | None = None,
        consumers: list[str] | None = None,
        needs_password: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.action, self.gate = action, gate
        self.setWindowTitle(f"{ACTION_TITLES[action]} — {label}")
        self.setObjectName("decisionDialog")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        self.meaning_label = QLabel()
        self.meaning_label.setObjectName("meaningLabel")
        self.meaning_label.setWordWrap(True)
        layout.addWidget(self.meaning_label)
        form = QFormLayout()
        signer_label = QLabel(html.escape(signer))
        signer_label.setObjectName("signerLabel")
        form.addRow("Signed by", signer_label)
        form.addRow("Date and time", QLabel("recorded by the database when you sign (UTC)"))
        self.role_box = QComboBox()
        self.role_box.setObjectName("roleBox")
        for role in roles or []:
            self.role_box.addItem(role.replace("_", " "), role)
        self.role_box.currentIndexChanged.connect(self._update)
        if roles:
            form.addRow("Signing as", self.role_box)
        self.comment = QPlainTextEdit()
        self.comment.setObjectName("commentEdit")
        required = action in NEEDS_COMMENT
        word = "Reason" if action in ("reject", "do_not_use") else "Comment"
        self.comment.setPlaceholderText(f"{word} ({'required' if required else 'optional'})")
        self.comment.setFixedHeight(90)
        self.comment.textChanged.connect(self._update)
        form.addRow(word, self.comment)
        self.conditions: QLineEdit | None = None
        if action in rk.CONDITIONAL_ACTIONS:
            # findings the signature is given on condition of (each to be resolved by a date)
            self.conditions = QLineEdit()
            self.conditions.setObjectName("conditionsEdit")
            self.conditions.setPlaceholderText("optional: FINDING:DATE, like 2:2026-12-31")
            self.conditions.textChanged.connect(self._update)
            form.addRow("Conditions", self.conditions)
        if action == "do_not_use":
            notified = ", ".join(consumers or []) or "no consumers are registered"
            self.consumers_label = QLabel(f"These consumers will be notified: {notified}")
            self.consumers_label.setObjectName("consumersLabel")
            self.consumers_label.setWordWrap(True)
            form.addRow("", self.consumers_label)
        self.password: QLineEdit | None = None
        if needs_password:
            self.password = QLineEdit()
            self.password.setObjectName("passwordEdit")
            self.password.setEchoMode(QLineEdit.EchoMode.Password)
            self.password.setPlaceholderText("your database password, to confirm it is you")
            self.password.textChanged.connect(self._update)
            form.addRow("Password", self.password)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Sign" if action not in ("comment",) else "Add comment")
        self.ok_button.setObjectName("signButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._update()

    def _update(self) -> None:
        role = self.role_box.currentData() or ""
        meaning = meaning_of(self.action, self.gate, role)
        self.meaning_label.setText(
            f"By signing you state: <b>{html.escape(meaning)}</b>.<br>"
            "The signature is bound to this version's manifest hash and "
            "can never be edited; a change of mind is a new decision."
        )
        ok = True
        if self.action in NEEDS_COMMENT and not self.comment.toPlainText().strip():
            ok = False
        if self.password is not None and not self.password.text():
            ok = False
        if self.conditions is not None:
            try:
                parse_conditions(self.conditions.text())
                self.conditions.setToolTip("")
            except SignoffError as exc:
                self.conditions.setToolTip(str(exc))
                ok = False
        self.ok_button.setEnabled(ok)

    def request(self) -> DecisionRequest:
        """The decision as entered."""
        return DecisionRequest(
            self.action,
            self.role_box.currentData() or None,
            self.comment.toPlainText().strip(),
            self.password.text() if self.password is not None else None,
            conditions=parse_conditions(self.conditions.text()) if self.conditions else (),
        )

    def meaning_text(self) -> str:
        return self.meaning_label.text()

    def keyPressEvent(self, event) -> None:  # noqa: ANN001, N802 - Enter must not sign by accident
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not self.ok_button.hasFocus():
            return
        super().keyPressEvent(event)
