"""Reproduction, checks and the report on a shared PostgreSQL registry."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from signoff.core.audit.chain import verify_chain
from signoff.core.db.schema import AuditEvent, Evidence
from signoff.core.governance.checks import run_checks
from signoff.core.reproduction.report import store_report
from signoff.core.reproduction.reproduce import REPRODUCED, reproduce
from tests.helpers.reproduction import prediction_id, publish_scored_customers

pytestmark = pytest.mark.postgres


def test_reproduce_check_and_report_on_postgres(pg_registry, tmp_path):
    # on PostgreSQL the database itself refuses draft -> live, so this version never went live
    _, published = publish_scored_customers(pg_registry, tmp_path, live=False)
    repro = reproduce(pg_registry, prediction_id(pg_registry, "C-1001"))
    assert repro.verdict == REPRODUCED, repro.headline
    assert any("no version of credit-limit live" in f for f in repro.findings)
    stored, _, _ = store_report(pg_registry, repro)
    results = run_checks(
        pg_registry, published.version_id, checks=("reference_outputs", "environment")
    )
    assert all(r.passed for r in results)
    with pg_registry.read() as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
        assert actions[-4:] == [
            "prediction.reproduced",
            "report.stored",
            "evidence.recorded",
            "evidence.recorded",
        ]
        report_event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "report.stored")
        ).one()
        assert json.loads(report_event.payload)["pdf_sha256"] == stored.pdf_sha256
        assert session.scalar(select(Evidence.manifest_hash).limit(1)) == published.manifest_hash
        assert verify_chain(session).intact
