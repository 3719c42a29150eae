"""The admin's dialogs on the Consumers page: edit a consumer, record an acknowledgement.

Each dialog only collects what the person typed; the page runs the change in a worker through
:mod:`signoff.core.governance.consumer_admin`, which checks the person is an admin, and shows
the refusal in the dialog when there is one.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from signoff.core.notifications.consumers import KINDS


class _Dialog(QDialog):
    submitted = Signal(dict)

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.layout_ = QVBoxLayout(self)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.error = QLabel("")
        self.error.setObjectName("dialogError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b3261e")
        self.layout_.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        self.layout_.addWidget(self.buttons)

    def values(self) -> dict[str, Any]:
        raise NotImplementedError

    def _submit(self) -> None:
        self.error.setText("")
        self.buttons.setEnabled(False)
        self.submitted.emit(self.values())

    def refused(self, message: str) -> None:
        """Show why the change was refused; the dialog stays open to correct it."""
        self.error.setText(message)
        self.buttons.setEnabled(True)


class ConsumerDialog(_Dialog):
    """Edit one consumer of one model: e-mail, kind, contact and which version it uses."""

    def __init__(self, record: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(f"Consumer {record['name']} of {record['model']}", parent)
        self.setObjectName("consumerDialog")
        self.record = record
        self.email = QLineEdit(record.get("email") or "")
        self.email.setObjectName("consumerEmail")
        self.kind = QComboBox()
        self.kind.setEditable(True)
        self.kind.addItems(list(KINDS))
        self.kind.setCurrentText(record.get("kind") or "batch")
        self.contact = QLineEdit(record.get("contact") or "")
        self.pin = QSpinBox()
        self.pin.setObjectName("consumerPin")
        self.pin.setRange(0, 100_000)
        self.pin.setSpecialValueText("what is live")
        self.pin.setValue(int(record.get("pinned") or 0))
        self.form.addRow("E-mail", self.email)
        self.form.addRow("Kind", self.kind)
        self.form.addRow("Contact", self.contact)
        self.form.addRow("Uses version", self.pin)

    def values(self) -> dict[str, Any]:
        """The fields to save (the pin 0 means "what is live")."""
        return {
            "email": self.email.text().strip(),
            "kind": self.kind.currentText().strip(),
            "contact": self.contact.text().strip(),
            "pin": self.pin.value(),
        }


class AcknowledgeDialog(_Dialog):
    """Record that a consumer acknowledged a do-not-use notice some other way."""

    def __init__(self, model: str, consumer: str, version: int, parent: QWidget | None = None):
        super().__init__(f"{consumer} acknowledges {model} v{version}", parent)
        self.setObjectName("acknowledgeDialog")
        self.note = QLineEdit()
        self.note.setObjectName("acknowledgementNote")
        self.note.setPlaceholderText("How? e.g. phone call with Ann, 12 June")
        self.form.addRow("Note", self.note)

    def values(self) -> dict[str, Any]:
        """The note."""
        return {"note": self.note.text()}
