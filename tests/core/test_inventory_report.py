"""The regulator's inventory report as of a past moment equals what the registry showed then,
whatever happened afterwards; its CSV and PDF are written by one command and the PDF is looked
at (pdftoppm renders it to PNG)."""

from __future__ import annotations

import csv
import shutil
import subprocess
import time
from datetime import timedelta

import pytest

from signoff.cli import main
from signoff.core.catalog.findings_view import list_findings, open_by_severity
from signoff.core.catalog.inventory import inventory
from signoff.core.db.registry import db_now
from signoff.core.governance.findings import act_on_finding
from signoff.core.governance.inventory_report import build_report
from signoff.core.governance.tiers import set_risk_tier
from signoff.core.governance.workflow import note_evidence, run_transition
from tests.helpers.workflow import ALL_CHECKS, add_evidence, add_people, publish_version


def _live(reg, number: int, signers: tuple[str, ...] = ("val", "biz")) -> None:
    run_transition(reg, "submit", "credit", number, actor="alice")
    for who in signers:
        run_transition(reg, "approve", "credit", number, actor=who)
    add_evidence(reg, "credit", number, ALL_CHECKS)
    with reg.write() as s:
        note_evidence(s, "credit", number, actor="runner")
    run_transition(reg, "approve", "credit", number, actor="rel")
    run_transition(reg, "go_live", "credit", number, actor="rel")


def _raise(reg, severity: str, number: int = 1) -> int:
    with reg.write() as s:
        due = db_now(s).date() + timedelta(days=30)
        return act_on_finding(
            s,
            "raise",
            actor="val",
            model_name="credit",
            number=number,
            fields={"title": f"{severity} gap", "severity": severity, "due": due},
        ).finding_id


@pytest.fixture
def history(registry, tmp_path):
    """credit v1 live with an open high finding and an accepted limitation; then, after the
    moment *then*, a tier change, the finding closed and v2 live."""
    add_people(registry)
    publish_version(registry, tmp_path)
    _live(registry, 1)
    high = _raise(registry, "high")
    limited = _raise(registry, "low")
    with registry.write() as s:
        act_on_finding(
            s,
            "accept_limitation",
            actor="val",
            finding_id=limited,
            fields={"compensating_controls": "monthly manual back-test"},
        )
    with registry.read() as s:
        then = db_now(s)
        seen = {
            "row": inventory(s)[0],
            "findings": list_findings(s, model="credit"),
        }
    time.sleep(0.05)  # the later history must be strictly after *then*
    with registry.write() as s:
        set_risk_tier(s, "credit", "medium", actor="root", reason="portfolio shrank")
        act_on_finding(s, "close", actor="val", finding_id=high)
    publish_version(registry, tmp_path, tier="medium", weights='{"a": 0.5, "b": 0.5}')
    _live(registry, 2, ("val",))  # medium tier now: one validator
    return registry, then, seen


def test_report_as_of_a_past_moment_matches_what_was_shown_then(history) -> None:
    registry, then, seen = history
    with registry.read() as s:
        report = build_report(s, then, generated_by="root", generated_at=db_now(s))
        now = build_report(s, db_now(s), generated_by="root", generated_at=db_now(s))
    (entry,) = report.entries
    row = seen["row"]
    assert (entry.risk_tier, entry.live_version, entry.state) == (row.risk_tier, 1, "v1 live")
    assert entry.tier_rationale == "tier at registration"
    assert entry.last_validated == f"{row.last_validated_at:%Y-%m-%d}"
    assert entry.open_findings == open_by_severity(seen["findings"], then.date()) == {"high": 1}
    assert entry.limitations == ["#2 low gap (controls: monthly manual back-test)"]
    # today's report shows what came after
    (today,) = now.entries
    assert (today.risk_tier, today.tier_rationale) == ("medium", "portfolio shrank")
    assert (today.live_version, today.open_findings) == (2, {})
    assert now.head_seq > report.head_seq > 0
    with registry.read() as s:
        from signoff.core.catalog.lookup import get_version
        from signoff.core.governance.inventory_report import state_at

        v1 = get_version(s, "credit", 1)
        assert (state_at(s, v1, then), state_at(s, v1, db_now(s))) == ("live", "superseded")


def test_report_command_writes_csv_and_a_pdf_that_renders(
    history, home, tmp_path, monkeypatch, capsys
) -> None:
    registry, then, _seen = history
    monkeypatch.setenv("SIGNOFF_USER", "root")
    out = tmp_path / "report"
    code = main(["--home", str(home), "report", "inventory", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    (csv_file,) = out.glob("*.csv")
    lines = csv_file.read_text().splitlines()
    assert lines[0].startswith("# Signoff model inventory as of") and "audit head #" in lines[0]
    (row,) = list(csv.DictReader(lines[1:]))
    assert (row["model"], row["risk_tier"], row["live_version"]) == ("credit", "medium", "2")
    tomorrow = (then + timedelta(days=2)).date().isoformat()
    code = main(["--home", str(home), "report", "inventory", "--as-of", tomorrow])
    assert code == 2 and "in the future" in capsys.readouterr().err
    code = main(["--home", str(home), "report", "inventory", "--as-of", "31 March"])
    assert code == 2 and "must be a date like" in capsys.readouterr().err
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    (pdf,) = out.glob("*.pdf")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    from PIL import Image

    (png,) = tmp_path.glob("page*.png")
    image = Image.open(png).convert("L")
    assert image.width > image.height  # landscape
    dark = sum(1 for p in image.get_flattened_data() if p < 128)
    assert dark > 500  # text and the table were drawn
