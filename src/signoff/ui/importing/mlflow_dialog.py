"""File → Import from MLflow: a dialog that runs the importer in the background worker.

The import itself is :func:`signoff.core.importers.mlflow.importer.import_mlflow`; this dialog only
collects the server URL and options (among them how long the import and each request may take
before Signoff gives up on the server), shows progress, offers Cancel (cooperative: versions
completely downloaded before it are kept) and shows the report when it is done.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from signoff.core.db.registry import Registry
from signoff.core.importers.mlflow.client import ImportLimits
from signoff.core.importers.mlflow.importer import ImportReport, import_mlflow
from signoff.ui.services.context import AppContext
from signoff.ui.services.worker import TaskHandle, current_task

log = logging.getLogger(__name__)


def _run_import(
    registry: Registry, url: str, artifacts: bool, verify: bool, limits: ImportLimits
) -> ImportReport:
    """Worker-thread body: the import, reporting progress and honouring cancel."""
    control = current_task()
    return import_mlflow(
        registry,
        url,
        artifacts=artifacts,
        verify_artifacts=verify,
        limits=limits,
        progress=control.progress,
        cancelled=control.was_cancelled,
    )


class MlflowImportDialog(QDialog):
    """Asks for an MLflow server URL, imports it in the background, shows the report."""

    importFinished = Signal(object)  # the ImportReport

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.handle: TaskHandle | None = None
        self.report: ImportReport | None = None
        self.setWindowTitle("Import from MLflow")
        self.setMinimumWidth(560)

        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("http://mlflow.example.com:5000")
        self.artifacts_box = QCheckBox("Download artifacts (model folder, notebooks, requirements)")
        self.artifacts_box.setChecked(True)
        self.verify_box = QCheckBox("Re-check the content of versions imported before (slower)")
        defaults = ImportLimits()
        self.deadline_box = QSpinBox()
        self.deadline_box.setRange(1, 24 * 60)
        self.deadline_box.setSuffix(" min")
        self.deadline_box.setValue(int((defaults.import_deadline_s or 0) // 60) or 240)
        self.deadline_box.setToolTip(
            "The import stops after this long; models completed before are kept."
        )
        self.request_box = QSpinBox()
        self.request_box.setRange(1, 24 * 3600)
        self.request_box.setSuffix(" s")
        self.request_box.setValue(int(defaults.request_deadline_s))
        self.request_box.setToolTip(
            "Longest one answer of the server may take, all of it, before Signoff gives up "
            "on the server (a server sending a byte at a time is stopped by this)."
        )
        hint = QLabel(
            "Credentials come from MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD "
            "or MLFLOW_TRACKING_TOKEN. Importing again brings only what is new."
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555;")

        form = QFormLayout()
        form.addRow("MLflow server:", self.url_edit)
        form.addRow("", self.artifacts_box)
        form.addRow("", self.verify_box)
        form.addRow("Give up on the import after:", self.deadline_box)
        form.addRow("Give up on one request after:", self.request_box)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report_view = QPlainTextEdit()
        self.report_view.setReadOnly(True)
        self.report_view.setPlaceholderText("The import report appears here.")

        self.buttons = QDialogButtonBox()
        self.import_button = QPushButton("Import")
        self.import_button.setDefault(True)
        self.cancel_button = QPushButton("Close")
        self.buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.import_button.clicked.connect(self.start_import)
        self.cancel_button.clicked.connect(self.cancel_or_close)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.report_view, 1)
        layout.addWidget(self.buttons)

    @property
    def running(self) -> bool:
        return self.handle is not None and not self.handle.is_done

    def start_import(self) -> None:
        """Validate the URL and start the import in the background worker."""
        url = self.url_edit.text().strip()
        if not url.startswith(("http://", "https://")):
            self._show_error(
                "Enter the http(s) address of an MLflow tracking server, "
                "for example http://mlflow.example.com:5000"
            )
            return
        self._set_running(True)
        self.report_view.clear()
        self.status.setStyleSheet("")
        self.status.setText(f"Connecting to {url} …")
        self.progress.setValue(0)
        limits = ImportLimits(
            request_deadline_s=float(self.request_box.value()),
            import_deadline_s=float(self.deadline_box.value() * 60),
        )
        self.handle = self.ctx.runner.submit(
            _run_import,
            self.ctx.registry,
            url,
            self.artifacts_box.isChecked(),
            self.verify_box.isChecked(),
            limits,
            key="mlflow-import",
            description="Import from MLflow",
            on_result=self._on_result,
            on_error=self._on_error,
            on_progress=self._on_progress,
        )
        self.handle.cancelled.connect(self._on_cancelled)

    def cancel_or_close(self) -> None:
        """Cancel a running import (keeping completed versions), or close the dialog."""
        if self.running:
            self.status.setText("Cancelling … (finishing the current file)")
            self.cancel_button.setEnabled(False)
            if self.handle is not None:  # running means a handle
                self.handle.cancel()
        else:
            self.reject()

    def reject(self) -> None:  # Esc and the window's close button
        if self.running:
            self.cancel_or_close()
            return
        super().reject()

    # -- results (GUI thread) -------------------------------------------------------------
    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.status.setText(message)

    def _on_result(self, report: ImportReport) -> None:
        self.report = report
        self._set_running(False)
        self.progress.setValue(1000)
        if report.changed_upstream:
            self.status.setStyleSheet("color: #a15c00;")
            self.status.setText(
                f"Done. {len(report.changed_upstream)} version(s) changed in "
                "MLflow after import; Signoff kept what it imported."
            )
        else:
            self.status.setText(
                "Done." if not report.nothing_new else "Done. Nothing new since the last import."
            )
        self.report_view.setPlainText("\n".join(report.lines()))
        self.importFinished.emit(report)
        self.ctx.registryChanged.emit()

    def _on_error(self, exc: BaseException) -> None:
        self._set_running(False)
        self._show_error(
            f"Import stopped: {exc}\nModels imported before the problem are kept; nothing "
            "of the model it stopped on was written."
        )

    def _on_cancelled(self) -> None:
        self._set_running(False)
        self.status.setStyleSheet("")
        self.status.setText(
            "Cancelled. Versions completely imported before the cancel are "
            "kept; run the import again to continue."
        )
        self.ctx.registryChanged.emit()

    def _show_error(self, text: str) -> None:
        self.status.setStyleSheet("color: #b00020;")
        self.status.setText(text)

    def _set_running(self, running: bool) -> None:
        for widget in (
            self.url_edit,
            self.artifacts_box,
            self.verify_box,
            self.deadline_box,
            self.request_box,
            self.import_button,
        ):
            widget.setEnabled(not running)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel" if running else "Close")
