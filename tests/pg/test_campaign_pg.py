"""Audit campaigns on a shared PostgreSQL registry: an auditor runs one with their own login,
the database stamps it theirs, and nobody else (nor they, afterwards) can rewrite it."""

from __future__ import annotations

import json

import psycopg
import pytest
from sqlalchemy import select

from signoff.cli import main
from signoff.core.audit.verify import verify_registry
from signoff.core.db.schema import AuditCampaign, AuditEvent, CampaignItem
from tests.helpers.campaigns import build_campaign_registry

pytestmark = pytest.mark.postgres


@pytest.fixture
def month(team, tmp_path):
    return build_campaign_registry(
        team.regs["ann"],
        tmp_path,
        per_model=20,
        author=team.logins["ann"],
        go_live=False,
        admin=team.regs["adm"],
    )


def _sample(team, who: str, capsys, *extra: str) -> tuple[int, str, str]:
    code = main(
        [
            "--db",
            team.urls[who],
            "--artifacts",
            str(team.artifacts),
            "audit",
            "sample",
            "--from",
            "2026-08-01",
            "--to",
            "2026-08-31",
            "--n",
            "25",
            "--seed",
            "pg",
            *extra,
        ]
    )
    out, err = capsys.readouterr()
    return code, out, err


def test_an_auditor_runs_a_campaign_with_their_own_login(team, month, capsys) -> None:
    code, out, err = _sample(team, "aud", capsys, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["reproduced"] == 25 and data["actor"] == team.logins["aud"]
    with team.admin.read() as s:
        row = s.get(AuditCampaign, data["id"])
        assert row.actor == team.logins["aud"] and row.status == "finished"
        assert row.report_pdf_sha256 and row.report_event_seq
        assert s.query(CampaignItem).filter_by(campaign_id=row.id).count() == 25
        actors = set(s.scalars(select(AuditEvent.actor).where(AuditEvent.seq > row.head_start_seq)))
        assert actors == {team.logins["aud"]}
        # every drawn prediction was read from the data lake or its stored record: no finding
        # but the deployment history's (nothing went live on this registry)
        findings = {f for i in s.scalars(select(CampaignItem)) for f in i.findings}
        assert all("deployment history has no version" in f for f in findings)
    with team.admin.read() as s:
        report = verify_registry(s)
    assert report.intact, report.describe()


def test_only_auditors_run_campaigns(team, month, capsys) -> None:
    for who in ("vic", "viv", "adm"):
        code, _, err = _sample(team, who, capsys)
        assert code == 2 and "only auditors run campaigns" in err, (who, err)
    with team.admin.read() as s:
        assert s.scalar(select(AuditCampaign.id)) is None


def test_a_campaign_is_its_auditors_and_fixed_once_it_ends(team, month, capsys) -> None:
    code, out, _ = _sample(team, "aud", capsys, "--json")
    campaign = json.loads(out)["id"]
    aud = team.raw("aud")
    for sql, match in (
        (f"UPDATE audit_campaigns SET seed = 'other' WHERE id = {campaign}", "are fixed"),
        (f"UPDATE audit_campaigns SET differs = 0 WHERE id = {campaign}", "has ended"),
        (f"UPDATE audit_campaigns SET report_pdf_sha256 = 'x' WHERE id = {campaign}", "has ended"),
        (
            "INSERT INTO audit_campaign_items (campaign_id, position, prediction_id, version_id,"
            f" verdict, reason, findings) VALUES ({campaign}, 99, 1, 1, 'reproduced', '', '[]')",
            "only to a running campaign",
        ),
        (f"DELETE FROM audit_campaign_items WHERE campaign_id = {campaign}", "permission denied"),
        (f"DELETE FROM audit_campaigns WHERE id = {campaign}", "permission denied"),
    ):
        with pytest.raises(psycopg.Error, match=match):
            aud.execute(sql)
    # a campaign claimed for someone else is stamped with the real login
    aud.execute(
        "INSERT INTO audit_campaigns (actor, created_at, status, window_from, window_to, model,"
        " tier, requested, seed, method, population, population_sha256, sample_sha256, workers,"
        " head_start_seq, head_start_hash, head_end_hash, reproduced, differs, could_not_run,"
        " not_run, report_html_sha256, report_pdf_sha256) VALUES ('vic', '2001-01-01',"
        " 'running', '2026-08-01', '2026-09-01', '', '', 1, 's', '', 0, '', '', 1, 0, '', '',"
        " 0, 0, 0, 0, '', '')"
    )
    with team.admin.read() as s:
        forged = s.scalars(select(AuditCampaign).order_by(AuditCampaign.id.desc())).first()
        assert forged.actor == team.logins["aud"] and forged.created_at.year > 2001
    for who in ("viv", "vic", "ann", "adm"):
        with pytest.raises(psycopg.Error, match="permission denied"):
            team.raw(who).execute(f"UPDATE audit_campaigns SET seed = seed WHERE id = {campaign}")
        with pytest.raises(psycopg.Error, match="permission denied"):
            team.raw(who).execute(
                "INSERT INTO audit_campaign_items (campaign_id, position, prediction_id,"
                f" version_id, verdict, reason, findings) VALUES ({campaign}, 1, 1, 1, 'x', '',"
                " '[]')"
            )
