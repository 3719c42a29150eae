"""Reproduce a prediction and file its report: what an auditor's one click asks for.

A reproduction report holds a customer's input record, so it is confidential. It is filed in
the registry's artifact store (content-addressed, its hashes in the audit trail) and nowhere
else until the person saves a copy where they choose: :func:`save_report_copy` writes it
readable by its owner only (0600). Nothing is ever written to a shared temporary folder. The
desktop's Audit area runs :func:`reproduce_and_file` in a worker and shows the PDF from the
bytes it returns; the command line writes a copy with :func:`write_report_files`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signoff.core.common.errors import SignoffError
from signoff.core.common.files import PRIVATE, atomic_write
from signoff.core.common.progress import CancelCheck, StepCallback
from signoff.core.db.registry import Registry
from signoff.core.reproduction.report import StoredReport, store_report
from signoff.core.reproduction.reproduce import CANCELLED, Reproduction, reproduce
from signoff.core.runner import Limits

#: permissions of a folder Signoff creates for reports: only its owner may list or enter it
PRIVATE_FOLDER = 0o700


@dataclass(frozen=True)
class FiledReport:
    """A report filed in the artifact store, with its two renderings in memory."""

    stored: StoredReport
    pdf: bytes
    html: str
    prediction_id: int

    @property
    def stem(self) -> str:
        """``prediction-12-event-345``: names each copy after the report's audit event, so a
        later report never overwrites an earlier one."""
        return f"prediction-{self.prediction_id}-event-{self.stored.audit_seq}"


@dataclass(frozen=True)
class ReportFiles:
    """A stored report and the two copies of it written for a person to open."""

    stored: StoredReport
    pdf: Path
    html: Path


class ReportSaveError(SignoffError):
    """A copy of a report could not be written where the person asked."""


def private_folder(folder: Path | str) -> Path:
    """*folder*, created readable by its owner only when it does not exist yet.

    An existing folder is left as it is: it is the person's own choice (their documents, a
    case folder), and changing its permissions would surprise them.
    """
    folder = Path(folder)
    if not folder.exists():
        folder.mkdir(parents=True, mode=PRIVATE_FOLDER)
        os.chmod(folder, PRIVATE_FOLDER)  # mkdir's mode is reduced by the umask
    return folder


def save_report_copy(report: FiledReport, path: Path | str) -> Path:
    """Write *report* to *path* (PDF when it ends in ``.pdf``, else HTML), owner-only (0600).

    The copy is byte for byte what the artifact store holds, written whole or not at all.
    Raises :class:`ReportSaveError` naming the problem in words when it cannot be written.
    """
    path = Path(path)
    data: bytes | str = report.pdf if path.suffix.lower() == ".pdf" else report.html
    if not path.parent.is_dir():
        raise ReportSaveError(f"cannot save the report: the folder {path.parent} does not exist")
    try:
        atomic_write(path, data, mode=PRIVATE)
    except PermissionError as exc:
        raise ReportSaveError(
            f"cannot save the report in {path.parent}: you may not write there"
        ) from exc
    except OSError as exc:
        raise ReportSaveError(f"cannot save the report as {path}: {exc.strerror or exc}") from exc
    return path


def file_report(
    registry: Registry, repro: Reproduction, *, actor: str | None = None
) -> FiledReport:
    """Render *repro*'s report and file it in the artifact store (audited); nothing else."""
    stored, html_text, pdf_bytes = store_report(registry, repro, actor=actor)
    return FiledReport(stored, pdf_bytes, html_text, repro.prediction_id)


def write_report_files(
    registry: Registry, repro: Reproduction, folder: Path | str, *, actor: str | None = None
) -> ReportFiles:
    """Store the report of *repro* and write it as PDF and HTML into *folder*, owner-only.

    The files are named after the prediction and the report's audit event
    (``prediction-12-event-345.pdf``); each is written whole or not at all (0600), byte for byte
    what the artifact store holds. *folder* is created (0700) if missing.
    """
    return _write_copies(file_report(registry, repro, actor=actor), folder)


def _write_copies(filed: FiledReport, folder: Path | str) -> ReportFiles:
    folder = private_folder(folder)
    files = ReportFiles(filed.stored, folder / f"{filed.stem}.pdf", folder / f"{filed.stem}.html")
    save_report_copy(filed, files.pdf)
    save_report_copy(filed, files.html)
    return files


def reproduce_and_file(
    registry: Registry,
    prediction_id: int,
    *,
    limits: Limits | None = None,
    on_step: StepCallback | None = None,
    cancelled: CancelCheck | None = None,
    actor: str | None = None,
    input_file: str | Path | None = None,
) -> tuple[Reproduction, FiledReport | None]:
    """Reproduce prediction *prediction_id* (on the record in *input_file* when given), then
    file its report in the artifact store.

    Returns the reproduction and the filed report (``None`` when the reproduction was
    cancelled). No copy is written anywhere: the person saves one with
    :func:`save_report_copy`. Raises what :func:`reproduce` raises (NotFoundError for an
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
    return repro, file_report(registry, repro, actor=actor)


def reproduce_with_report(
    registry: Registry,
    prediction_id: int,
    reports_dir: Path | str,
    **options: Any,
) -> tuple[Reproduction, ReportFiles | None]:
    """:func:`reproduce_and_file` (same *options*), then write the report as PDF and HTML into
    *reports_dir* as :func:`write_report_files` does; ``None`` when it was cancelled."""
    repro, filed = reproduce_and_file(registry, prediction_id, **options)
    if filed is None:
        return repro, None
    return repro, _write_copies(filed, reports_dir)


def read_filed_report(registry: Registry, stored: StoredReport, prediction_id: int) -> FiledReport:
    """A filed report read back from the artifact store (each file's hash checked on read)."""
    pdf = registry.store.read_bytes(stored.pdf_sha256, "reproduction report (PDF)")
    html = registry.store.read_bytes(stored.html_sha256, "reproduction report (HTML)")
    return FiledReport(stored, pdf, html.decode("utf-8"), prediction_id)
