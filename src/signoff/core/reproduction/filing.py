"""Reproduce a prediction and file its report: what an auditor's one click asks for.

The Audit area's *Reproduce* button runs :func:`reproduce_with_report` in a worker: the
reproduction (its verdict recorded in the audit trail), then the report stored in the artifact
store with its own audit event, and written as PDF and HTML into a folder for the auditor to
open. A cancelled reproduction files no report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from signoff.core.common.files import atomic_write
from signoff.core.common.progress import CancelCheck, StepCallback
from signoff.core.db.registry import Registry
from signoff.core.reproduction.report import StoredReport, store_report
from signoff.core.reproduction.reproduce import CANCELLED, Reproduction, reproduce
from signoff.core.runner import Limits


@dataclass(frozen=True)
class ReportFiles:
    """A stored report and the two copies of it written for a person to open."""

    stored: StoredReport
    pdf: Path
    html: Path


def write_report_files(
    registry: Registry, repro: Reproduction, folder: Path | str, *, actor: str | None = None
) -> ReportFiles:
    """Store the report of *repro* and write it as PDF and HTML into *folder*.

    The files are named after the prediction and the report's audit event
    (``prediction-12-event-345.pdf``), so a later report never overwrites an earlier one; each
    is written whole or not at all, byte for byte what the artifact store holds. *folder* is
    created if missing.
    """
    stored, html_text, pdf_bytes = store_report(registry, repro, actor=actor)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"prediction-{repro.prediction_id}-event-{stored.audit_seq}"
    files = ReportFiles(stored, folder / f"{stem}.pdf", folder / f"{stem}.html")
    atomic_write(files.pdf, pdf_bytes)
    atomic_write(files.html, html_text)
    return files


def reproduce_with_report(
    registry: Registry,
    prediction_id: int,
    reports_dir: Path | str,
    *,
    limits: Limits | None = None,
    on_step: StepCallback | None = None,
    cancelled: CancelCheck | None = None,
    actor: str | None = None,
    input_file: str | Path | None = None,
) -> tuple[Reproduction, ReportFiles | None]:
    """Reproduce prediction *prediction_id* (on the record in *input_file* when given), then
    file its report into *reports_dir*.

    Returns the reproduction and its report files; ``None`` instead of the files when the
    reproduction was cancelled. Raises what :func:`reproduce` raises (NotFoundError for an
    unknown prediction); every other outcome is a verdict with a report.
    """
    repro = reproduce(
        registry,
        prediction_id,
        limits=limits,
        on_step=on_step,
        cancelled=cancelled,
        actor=actor,
        input_file=input_file,
    )
    if repro.verdict == CANCELLED:
        return repro, None
    return repro, write_report_files(registry, repro, reports_dir, actor=actor)
