"""File › Inventory report for regulators: pick the date and the folder; the report (PDF and
CSV, reconstructed from the history) is built in the worker."""

from __future__ import annotations

import html
from datetime import datetime, time
from pathlib import Path

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from signoff.core.db.registry import Registry
from signoff.core.governance.inventory_pdf import write_inventory_report
from signoff.ui.services.context import AppContext


def build_inventory_report(registry: Registry, as_of: datetime, folder: Path) -> str:
    """Worker: write the two files; returns what to tell the person."""
    pdf, csv, report = write_inventory_report(registry, as_of, folder)
    return (
        f"{len(report.entries)} models as of {report.as_of:%Y-%m-%d %H:%M} UTC, signed with "
        f"audit event #{report.head_seq}: {pdf.name} and {csv.name} in {pdf.parent}"
    )


class InventoryReportDialog(QDialog):
    """As of which date, into which folder; Generate runs in the worker."""

    finished_report = Signal(str)  # the message shown, success or refusal

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Inventory report for regulators")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.as_of = QDateEdit(QDate.currentDate())
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")
        form.addRow("As of the end of", self.as_of)
        row = QHBoxLayout()
        self.folder = QLineEdit(str(Path.home()))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        form.addRow("Folder", row)
        layout.addLayout(form)
        self.generate = QPushButton("Generate PDF and CSV")
        self.generate.clicked.connect(self.start)
        layout.addWidget(self.generate)
        self.message = QLabel("The inventory is reconstructed from the history as it stood.")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Folder for the report", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def start(self) -> None:
        """Build the report in the worker."""
        day = self.as_of.date()
        moment = datetime.combine(datetime(day.year(), day.month(), day.day()).date(), time.max)
        self.generate.setEnabled(False)
        self.message.setText("Building the report…")
        self.ctx.run(
            build_inventory_report,
            moment.replace(microsecond=0),
            Path(self.folder.text()),
            key="inventory-report",
            on_result=self._done,
            on_error=lambda exc: self._done(f"Not written: {exc}"),
        )

    def _done(self, text: str) -> None:
        self.generate.setEnabled(True)
        self.message.setText(html.escape(text))
        self.finished_report.emit(text)
