"""The reproduction progress view: each step ticks off, the run can be cancelled, and it
ends in the verdict with its evidence and a button that opens the stored report.

The reproduction (and the child scoring process it starts) runs in a worker through
:class:`~signoff.ui.services.context.AppContext`; steps arrive as partial results, so the GUI thread
never waits on the database, a hash or the run.
"""

from __future__ import annotations

import html
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
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

from signoff.core.db.registry import Registry
from signoff.core.reproduction.filing import ReportFiles, reproduce_with_report
from signoff.core.reproduction.report import VERDICT_COLOURS
from signoff.core.reproduction.reproduce import CANCELLED, STEPS, Reproduction
from signoff.core.runner import Limits
from signoff.ui.services.context import AppContext
from signoff.ui.services.worker import TaskHandle, current_task

log = logging.getLogger(__name__)

STEP_TITLES = {
    "resolve": "Find the prediction and its version",
    "verify": "Verify artifact and input hashes",
    "environment": "Compare the environment",
    "run": "Run the version on the recorded input",
    "compare": "Compare with the recorded output",
}
MARKS = {
    "pending": ("○", "#888888"),
    "running": ("◔", "#1565c0"),
    "done": ("✔", "#1b7f3b"),
    "failed": ("✘", "#b3261e"),
    "skipped": ("–", "#888888"),
}


def _reproduce_in_worker(
    registry: Registry,
    prediction_id: int,
    reports_dir: str,
    limits: Limits | None,
    input_file: str | None = None,
) -> tuple[Reproduction, ReportFiles | None]:
    """Worker task: the core's reproduce-and-file, its steps relayed as partial results."""
    control = current_task()
    return reproduce_with_report(
        registry,
        prediction_id,
        reports_dir,
        limits=limits,
        on_step=lambda *step: control.partial(step),
        cancelled=control.was_cancelled,
        input_file=input_file,
    )


class ReproduceView(QDialog):
    """Reproduce one prediction, showing each step, the verdict and its evidence."""

    verdictShown = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        prediction_id: int,
        subject: str = "",
        parent: QWidget | None = None,
        *,
        limits: Limits | None = None,
        reports_dir: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.prediction_id = prediction_id
        self.limits = limits
        self.reports_dir = reports_dir or Path(tempfile.gettempdir()) / "signoff-reports"
        self.open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl
        # asks the person for the input record's file ("" when they cancel); tests replace it
        self.choose_input: Callable[[], str] = self._choose_input_file
        self.input_file: str | None = None
        self.reproduction: Reproduction | None = None
        self.report_files: ReportFiles | None = None
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
            detail.setStyleSheet("color: #555")
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
        self.report_button.setEnabled(False)
        self.report_button.clicked.connect(self.open_report)
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
        buttons.addWidget(self.report_button)
        buttons.addWidget(self.input_button)
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
            str(self.reports_dir),
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

    def _finished(self, value: tuple[Reproduction, ReportFiles | None]) -> None:
        repro, files = value
        self.reproduction, self.report_files = repro, files
        for step, (state, detail) in repro.steps.items():
            if step in self.step_marks:
                self._set_step(step, state, detail)
        self._stop_busy()
        colour = VERDICT_COLOURS.get(repro.verdict, "#555")
        self.verdict.setText(
            f"<span style='font-size:15pt;color:{colour}'><b>"
            f"{html.escape(repro.verdict.capitalize())}</b></span>"
            + (f" — {html.escape(repro.reason)}" if repro.reason else "")
        )
        self.evidence.setHtml(evidence_html(repro, files))
        self.report_button.setEnabled(files is not None)
        if repro.verdict == "could not run" and repro.input_record is None:
            self.input_button.setDefault(True)  # the record is what is missing
        self.verdictShown.emit(repro.verdict)

    def _failed(self, exc: BaseException) -> None:
        self._stop_busy()
        self.verdict.setText(
            f"<span style='color:#b3261e'><b>Could not reproduce</b></span>"
            f" — {html.escape(str(exc))}"
        )
        self.verdictShown.emit("error")

    def _cancelled(self) -> None:
        self._stop_busy()
        self.verdict.setText(
            "<span style='font-size:15pt;color:#555'><b>Cancelled</b></span>"
            " — the scoring process was stopped; nothing was concluded."
        )
        self.verdictShown.emit(CANCELLED)

    def open_report(self) -> None:
        """Open the stored PDF report with the desktop's viewer."""
        if self.report_files is not None:
            self.open_url(QUrl.fromLocalFile(str(self.report_files.pdf)))

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802
        self.cancel()
        super().closeEvent(event)


def evidence_html(repro: Reproduction, files: ReportFiles | None) -> str:
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
        f"<p><b>Hashes</b>: {len(checked)} artifact(s) verified"
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
    if files is not None:
        parts.append(
            f"<p>Report stored (PDF sha256 {files.stored.pdf_sha256[:16]}…) and written to "
            f"{e(str(files.pdf))}</p>"
        )
    return "".join(parts)
