"""The demo's case file: predictions recorded by reference with their records in the demo's data
lake, and the auditor's stored campaign over August with its three explained exceptions."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import func, select

from signoff.cli import main
from signoff.core.db.schema import AuditEvent, Execution, Prediction
from signoff.core.reproduction.campaigns import campaign_items, get_campaign, list_campaigns
from signoff.core.reproduction.inputs import DATA_LOCATION
from signoff.core.reproduction.report import report_data
from signoff.core.reproduction.reproduce import REPRODUCED, reproduce
from signoff.demo.campaign import AUDITOR, CRITERIA
from signoff.demo.history import BY_REFERENCE_FROM

pytestmark = pytest.mark.slow


def test_from_august_predictions_are_recorded_by_reference_into_the_data_lake(demo_registry):
    with demo_registry.read() as s:
        before = s.scalar(
            select(func.count()).where(
                Prediction.predicted_at < BY_REFERENCE_FROM, Prediction.input_record.is_(None)
            )
        )
        after = s.scalar(
            select(func.count()).where(
                Prediction.predicted_at >= BY_REFERENCE_FROM, Prediction.input_record.is_not(None)
            )
        )
        pick = s.scalar(
            select(Prediction.id)
            .where(Prediction.predicted_at >= datetime(2026, 10, 1))
            .order_by(Prediction.id.desc())
            .limit(1)
        )
        runs = s.scalar(select(func.count()).where(Execution.output_sha256 != ""))
    assert before == 0 and after == 0 and runs > 100
    repro = reproduce(demo_registry, pick)
    assert repro.verdict == REPRODUCED, repro.headline
    assert repro.input_source == DATA_LOCATION
    assert repro.input_where.startswith("s3://signoff-demo-factory/")
    story = report_data(demo_registry, repro)["story"]
    assert story["execution"]["input_check"] == "verified: the file has its recorded sha256"
    assert story["execution"]["output_check"] == "verified: the file has its recorded sha256"


def test_the_demo_holds_one_campaign_with_three_explained_exceptions(
    demo_registry, tmp_path, capsys
):
    with demo_registry.read() as s:
        (campaign,) = list_campaigns(s)
        items = campaign_items(s, campaign.id)
        planted = {
            int(e.entity_id): json.loads(e.payload)
            for e in s.scalars(
                select(AuditEvent).where(AuditEvent.action == "demo.exception_planted")
            )
        }
        campaign = get_campaign(s, campaign.id)
    assert (campaign.actor, campaign.status, campaign.seed) == (AUDITOR, "finished", CRITERIA.seed)
    assert campaign.scope == "every high-tier model" and campaign.drawn == 100
    assert (campaign.reproduced, campaign.differs, campaign.could_not_run) == (97, 1, 2)
    exceptions = {i.prediction_id: i for i in items if i.is_exception}
    assert set(exceptions) == set(planted)
    reasons = sorted(i.reason.split(":")[0] for i in exceptions.values())
    assert reasons == ["input hash mismatch", "output.label", "the input record could not be read"]
    assert all(planted[p]["why"] for p in planted)
    page = demo_registry.store.read_bytes(campaign.report_html_sha256).decode()
    assert page.count("In the audit trail before: #") == 3  # each exception explained
    assert "a later job re-wrote the data lake file in place" in page
    home = demo_registry.location.artifacts.parent
    report = tmp_path / "campaign.pdf"
    argv = ["--home", str(home), "audit", "campaign", str(campaign.id), "--report", str(report)]
    assert main(argv) == 0
    assert main(["--home", str(home), "audit", "verify-report", str(report)]) == 0
    assert "recorded by audit event" in capsys.readouterr().out
