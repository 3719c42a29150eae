"""Reproduction reports are confidential: filed in the store, copies only their owner reads."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from signoff.core.common.files import sha256_bytes
from signoff.core.reproduction.filing import (
    ReportSaveError,
    read_filed_report,
    reproduce_and_file,
    reproduce_with_report,
    save_report_copy,
)
from tests.helpers.reproduction import prediction_id, publish_scored_customers


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_filing_writes_the_report_to_the_store_and_nowhere_else(
    registry, tmp_path: Path, monkeypatch
) -> None:
    publish_scored_customers(registry, tmp_path)
    monkeypatch.chdir(tmp_path)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    repro, report = reproduce_and_file(registry, prediction_id(registry, "C-1001"))
    assert repro.verdict == "reproduced" and report is not None
    assert report.pdf.startswith(b"%PDF-") and "C-1001" in report.html
    assert sha256_bytes(report.pdf) == report.stored.pdf_sha256
    assert registry.store.has(report.stored.pdf_sha256)
    assert registry.store.has(report.stored.html_sha256)
    assert list(scratch.iterdir()) == []  # no copy in a shared temporary folder
    again = read_filed_report(registry, report.stored, report.prediction_id)
    assert again.pdf == report.pdf and again.html == report.html


def test_a_saved_copy_is_readable_only_by_its_owner(registry, tmp_path: Path) -> None:
    publish_scored_customers(registry, tmp_path)
    _repro, report = reproduce_and_file(registry, prediction_id(registry, "C-1002"))
    assert report is not None
    folder = tmp_path / "case-4711"
    folder.mkdir(mode=0o755)
    pdf = save_report_copy(report, folder / f"{report.stem}.pdf")
    html = save_report_copy(report, folder / "report.html")
    assert pdf.read_bytes() == report.pdf and html.read_text("utf-8") == report.html
    assert mode(pdf) == 0o600 and mode(html) == 0o600
    assert mode(folder) == 0o755  # the person's own folder is left as they made it


def test_a_copy_that_cannot_be_written_says_why(registry, tmp_path: Path) -> None:
    publish_scored_customers(registry, tmp_path)
    _repro, report = reproduce_and_file(registry, prediction_id(registry, "C-1001"))
    assert report is not None
    with pytest.raises(ReportSaveError, match="the folder .* does not exist"):
        save_report_copy(report, tmp_path / "no" / "such" / "folder" / "r.pdf")


def test_the_command_lines_copies_go_into_a_folder_only_the_owner_enters(
    registry, tmp_path: Path
) -> None:
    publish_scored_customers(registry, tmp_path)
    folder = tmp_path / "reports" / "audrey"
    _repro, files = reproduce_with_report(registry, prediction_id(registry, "C-1001"), folder)
    assert files is not None
    assert mode(folder) == 0o700
    assert mode(files.pdf) == 0o600 and mode(files.html) == 0o600
