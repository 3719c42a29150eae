"""The reproduction progress view: each step ticks off, the run can be cancelled, and it
ends in the verdict with its evidence and the report.

The reproduction (and the child scoring process it starts) runs in a worker through
:class:`~signoff.ui.services.context.AppContext`; steps arrive as partial results, so the GUI thread
never waits on the database, a hash or the run.

The report holds the customer's input record, so it is confidential: it is filed in the
registry's artifact store and shown from memory in the in-app viewer; no copy is written
anywhere until the person chooses *Save as…*, which writes one only they can read (0600) in the
folder they saved reports to last (remembered per person). *Print…* prints it.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from signoff.core.catalog.words import count
from signoff.core.db.registry import Registry
from signoff.core.reproduction.filing import FiledReport, reproduce_and_file, save_report_copy
from signoff.core.reproduction.report import VERDICT_COLOURS
from signoff.core.reproduction.reproduce import CANCELLED, STEPS, Reproduction
from signoff.core.runner import Limits
from signoff.ui.services.context import AppContext
from signoff.ui.services.worker import TaskHandle, current_task
from signoff.ui.widgets.pdf_viewer import PdfViewer

log = logging.getLogger(__name__)

STEP_TITLES = {
    "resolve": "Find the prediction and its version",
    "verify": "Verify artifact and input hashes",
    "environment": "Compare the environment",
    "run": "Run the version on the recorded input",
    "compare": "Compare with the recorded output",
}
# colours that read on the light and the dark theme alike
MARKS = {
    "pending": ("○", "#95a5a6"),
    "running": ("◔", "#3498db"),
    "done": ("✔", "#27ae60"),
    "failed": ("✘", "#e0533d"),
    "skipped": ("–", "#95a5a6"),
}
MUTED = "#8395a7"


def _reproduce_in_worker(
    registry: Registry,
    prediction_id: int,
    limits: Limits | None,
    input_file: str | None = None,
) -> tuple[Reproduction, FiledReport | None]:
    """Worker task: the core's reproduce-and-file, its steps relayed as partial results."""
    control = current_task()
    return reproduce_and_file(
        registry,
        prediction_id,
        limits=limits,
        on_step=lambda *step: control.partial(step),
        cancelled=control.was_cancelled,
        input_file=input_file,
    )


def documents_folder() -> str:
    """The person's documents folder (their home when the desktop names none)."""
    return QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation
    ) or str(Path.home())


class ReproduceView(QDialog):
    """Reproduce one prediction, showing each step, the verdict and its evidence."""

    verdictShown = Signal(str)
    reportSaved = Signal(str)  # the path of the copy written

    def __init__(
        self,
        ctx: AppContext,
        prediction_id: int,
        subject: str = "",
        parent: QWidget | None = None,
        *,
        limits: Limits | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.prediction_id = prediction_id
        self.limits = limits
        # asks the person for the input record's file ("" when they cancel); tests replace it
        self.choose_input: Callable[[], str] = self._choose_input_file
        self.input_file: str | None = None
        self.reproduction: Reproduction | None = None
        self.report: FiledReport | None = None
        self.viewer: PdfViewer | None = None
        self.handle: TaskHandle | None = None
        self.setWindowTitle(f"Reproduce prediction #{prediction_id}")
        self.resize(760, 560)
        layout = QVBoxLayout(self)
        title = QLabel(
            f"<b>Reproducing prediction #{prediction_id}</b>"
            + (f" — subject {html.escape(subject)}" if subject else "")
        )
        layout.addWidget(title)
        grid = QGridLayout()
        self.step_marks: dict[str, QLabel] = {}
        self.step_details: dict[str, QLabel] = {}
        for row, step in enumerate(STEPS):
            mark, name, detail = QLabel(), QLabel(STEP_TITLES[step]), QLabel("")
            mark.setFixedWidth(22)
            detail.setWordWrap(True)
            detail.setStyleSheet(f"color: {MUTED}")
            grid.addWidget(mark, row, 0)
            grid.addWidget(name, row, 1)
            grid.addWidget(detail, row, 2)
            self.step_marks[step], self.step_details[step] = mark, detail
            self._set_step(step, "pending", "")
        grid.setColumnStretch(2, 1)
        layout.addLayout(grid)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        layout.addWidget(self.busy)
        self.verdict = QLabel("")
        self.verdict.setObjectName("verdict")
        self.verdict.setWordWrap(True)
        self.verdict.setMinimumHeight(44)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.verdict)
        self.evidence = QTextBrowser()
        self.evidence.setOpenLinks(False)
        layout.addWidget(self.evidence, 1)
        buttons = QHBoxLayout()
        self.report_button = QPushButton("Open report")
        self.report_button.setObjectName("openReport")
        self.report_button.setToolTip("Read the report here (it is never left in a shared folder)")
        self.report_button.setEnabled(False)
        self.report_button.clicked.connect(lambda: self.open_report())
        self.save_button = QPushButton("Save as…")
        self.save_button.setObjectName("saveReport")
        self.save_button.setToolTip("Save a copy only you can read, in a folder you choose")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(lambda: self.save_report_as())
        self.print_button = QPushButton("Print…")
        self.print_button.setObjectName("printReport")
        self.print_button.setEnabled(False)
        self.print_button.clicked.connect(lambda: self.print_report())
        self.input_button = QPushButton("Supply input record…")
        self.input_button.setToolTip(
            "Re-run on a record you supply (a JSON file, or FILE#N for line N of a JSON Lines "
            "file); it must hash to the input_sha256 recorded with the prediction"
        )
        self.input_button.setEnabled(False)
        self.input_button.clicked.connect(self.supply_input)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        for button in (self.report_button, self.input_button, self.save_button, self.print_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)

    # -- running ------------------------------------------------------------------------------
    def start(self, input_file: str | None = None) -> None:
        """Start the reproduction in a worker (on the record in *input_file* when given);
        returns at once."""
        self.input_file = input_file
        for step in STEPS:
            self._set_step(step, "pending", "")
        self.verdict.setText("")
        self.evidence.clear()
        self.busy.setRange(0, 0)
        self.busy.show()
        self.cancel_button.setEnabled(True)
        self.report_button.setEnabled(False)
        self.input_button.setEnabled(False)
        self.handle = self.ctx.run(
            _reproduce_in_worker,
            self.prediction_id,
            self.limits,
            input_file,
            key=f"reproduce-{self.prediction_id}",
            on_result=self._finished,
            on_error=self._failed,
        )
        self.handle.partialResult.connect(self._on_step)
        self.handle.cancelled.connect(self._cancelled)

    def _choose_input_file(self) -> str:
        dialog = QFileDialog(self, "Supply the prediction's input record")
        dialog.setNameFilters(["JSON records (*.json *.jsonl)", "All files (*)"])
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        return dialog.selectedFiles()[0] if dialog.exec() and dialog.selectedFiles() else ""

    def supply_input(self) -> None:
        """Ask for the input record's file and reproduce again on it."""
        if self.running:
            return
        chosen = self.choose_input()
        if chosen:
            self.start(chosen)

    @property
    def running(self) -> bool:
        return self.handle is not None and not self.handle.is_done

    def cancel(self) -> None:
        """Ask the run to stop: the scoring process is killed, the view says so when done."""
        if self.handle is not None and not self.handle.is_done:
            self.handle.cancel()
            self.cancel_button.setEnabled(False)
            self.verdict.setText("Cancelling…")

    def _set_step(self, step: str, state: str, detail: str) -> None:
        mark, colour = MARKS.get(state, MARKS["pending"])
        self.step_marks[step].setText(f"<span style='color:{colour};font-size:14pt'>{mark}</span>")
        self.step_marks[step].setProperty("state", state)
        self.step_details[step].setText(detail)

    def step_state(self, step: str) -> str:
        """The state shown for *step*: pending, running, done, failed or skipped."""
        return str(self.step_marks[step].property("state"))

    def _on_step(self, value: tuple[str, str, str]) -> None:
        step, state, detail = value
        if step in self.step_marks:
            self._set_step(step, state, detail)

    def _stop_busy(self) -> None:
        self.busy.setRange(0, 1)
        self.busy.setValue(1)
        self.busy.hide()
        self.cancel_button.setEnabled(False)
        self.input_button.setEnabled(True)
        for step in STEPS:
            if self.step_state(step) in ("pending", "running"):
                self._set_step(step, "skipped", self.step_details[step].text())

    def _finished(self, value: tuple[Reproduction, FiledReport | None]) -> None:
        repro, report = value
        self.reproduction, self.report = repro, report
        for step, (state, detail) in repro.steps.items():
            if step in self.step_marks:
                self._set_step(step, state, detail)
        self._stop_busy()
        colour = VERDICT_COLOURS.get(repro.verdict, MUTED)
        self.verdict.setText(
            f"<span style='font-size:15pt;color:{colour}'><b>"
            f"{html.escape(repro.verdict.capitalize())}</b></span>"
            + (f" — {html.escape(repro.reason)}" if repro.reason else "")
        )
        self.evidence.setHtml(evidence_html(repro, report))
        for button in (self.report_button, self.save_button, self.print_button):
            button.setEnabled(report is not None)
        if repro.verdict == "could not run" and repro.input_record is None:
            self.input_button.setDefault(True)  # the record is what is missing
        self.verdictShown.emit(repro.verdict)

    def _failed(self, exc: BaseException) -> None:
        self._stop_busy()
        self.verdict.setText(
            f"<span style='color:#e0533d'><b>Could not reproduce</b></span>"
            f" — {html.escape(str(exc))}"
        )
        self.verdictShown.emit("error")

    def _cancelled(self) -> None:
        self._stop_busy()
        self.verdict.setText(
            f"<span style='font-size:15pt;color:{MUTED}'><b>Cancelled</b></span>"
            " — the scoring process was stopped; nothing was concluded."
        )
        self.verdictShown.emit(CANCELLED)

    # -- the report -------------------------------------------------------------------------
    def open_report(self) -> PdfViewer | None:
        """Show the report in the in-app viewer (from memory: no file is written)."""
        if self.report is None:
            return None
        if self.viewer is None:
            self.viewer = PdfViewer(
                self.report.pdf,
                f"Reproduction report — prediction #{self.prediction_id}",
                save=self.save_report_as,
                parent=self,
            )
        self.viewer.show()
        self.viewer.raise_()
        return self.viewer

    def suggested_report_path(self) -> Path:
        """Where *Save as…* starts: this person's last report folder, else their Documents."""
        login = self.ctx.actor or "default"
        folder = self.ctx.settings.report_folder(login) or documents_folder()
        stem = self.report.stem if self.report is not None else "report"
        return Path(folder) / f"{stem}.pdf"

    def save_report_as(self, path: Path | str | None = None) -> None:
        """Save a copy of the report (PDF, or HTML for a ``.html`` name) only its owner reads.

        Without *path* the person chooses where; the folder is remembered for them.
        """
        if self.report is None:
            return
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(
                self,
                "Save the reproduction report",
                str(self.suggested_report_path()),
                "PDF (*.pdf);;HTML (*.html)",
            )
            if not chosen:
                return
            path = chosen
        target = Path(path)
        self.ctx.runner.submit(
            save_report_copy,
            self.report,
            target,
            key=f"save-report-{self.prediction_id}",
            on_result=self._saved,
            on_error=lambda exc: self.verdict.setText(
                f"{self.verdict.text()}<br><span style='color:#e0533d'>"
                f"{html.escape(str(exc))}</span>"
            ),
        )

    def _saved(self, path: Path) -> None:
        self.ctx.settings.remember_report_folder(self.ctx.actor or "default", str(path.parent))
        self.ctx.statusMessage.emit(f"Report saved to {path} (readable only by you)")
        self.reportSaved.emit(str(path))

    def print_report(self, printer: QPrinter | None = None) -> int:
        """Print the report (on *printer*, or one the person chooses); returns pages printed."""
        viewer = self.open_report() if self.viewer is None else self.viewer
        if viewer is None:
            return 0
        return viewer.print_document(printer)

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802
        self.cancel()
        super().closeEvent(event)


def evidence_html(repro: Reproduction, report: FiledReport | None) -> str:
    """The verdict's evidence as a short HTML summary for the view."""
    e = html.escape
    then = f"v{repro.live_version_then}" if repro.live_version_then else "none recorded"
    parts = [
        f"<p><b>{e(repro.model)} v{repro.version_number}</b>, subject "
        f"{e(repro.subject_key)}, predicted {repro.predicted_at:%Y-%m-%d %H:%M} UTC; "
        f"live then: {then}</p>"
        if repro.predicted_at
        else ""
    ]
    if repro.differences:
        rows = "".join(
            f"<tr><td>{e(d.field)}</td><td>{e(repr(d.recorded))}</td>"
            f"<td>{e(repr(d.reproduced))}</td></tr>"
            for d in repro.differences
        )
        parts.append(
            "<p><b>Differences</b></p><table border=1 cellpadding=3>"
            "<tr><th>Field</th><th>Recorded</th><th>Reproduced</th></tr>"
            f"{rows}</table>"
        )
    elif repro.reproduced_output is not None:
        parts.append(
            f"<p>Recorded and reproduced output match: "
            f"<code>{e(str(repro.reproduced_output))}</code></p>"
        )
    if repro.input_source:
        where = f" ({e(repro.input_where)})" if repro.input_where else ""
        parts.append(f"<p><b>Input record</b>: {e(repro.input_source)}{where}</p>")
    bad = [c for c in repro.hash_checks if not c["ok"]]
    checked = [c for c in repro.hash_checks if c["ok"] and c.get("actual")]
    parts.append(
        f"<p><b>Hashes</b>: {count(len(checked), 'artifact')} verified"
        + (", mismatched: " + ", ".join(e(c.get("path") or c["name"]) for c in bad) if bad else "")
        + "; input hash "
        + (
            "matches"
            if repro.input_sha256_recorded
            and repro.input_sha256_recorded == repro.input_sha256_computed
            else f"DOES NOT MATCH (recorded {e(repro.input_sha256_recorded)}, found "
            f"{e(repro.input_sha256_computed)})"
            if repro.input_sha256_recorded and repro.input_sha256_computed
            else "not verified"
        )
        + ".</p>"
    )
    if repro.findings:
        parts.append(
            "<p><b>Findings</b></p><ul>"
            + "".join(f"<li>{e(f)}</li>" for f in repro.findings)
            + "</ul>"
        )
    if repro.run and repro.run.get("traceback"):
        parts.append(f"<pre>{e(repro.run['traceback'][-1500:])}</pre>")
    if report is not None:
        parts.append(
            "<p>The report is filed in the registry's artifact store (PDF sha256 "
            f"{report.stored.pdf_sha256[:16]}…, audit event #{report.stored.audit_seq}). It "
            "holds the customer's record: <i>Save as…</i> writes a copy only you can read.</p>"
        )
    return "".join(parts)
