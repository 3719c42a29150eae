"""Findings and conditional approvals on a shared PostgreSQL registry, held by the database.

Each person has their own login. The rules of :mod:`signoff.core.db.model_risk` are asked of
Python and of the database's ``signoff_finding`` for every status, action and person and must
agree; a person with psql who writes a finding, a change or a condition directly, closes a
finding they must fix, or signs past an open finding is refused with nothing written.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select, text

from signoff.core.audit.verify import verify_registry
from signoff.core.common.errors import TransitionError
from signoff.core.db import model_risk as rk
from signoff.core.db.schema import AuditEvent, Condition, Decision, Finding, FindingChange, Version
from signoff.core.governance.finding_gates import ConditionRequest
from signoff.core.governance.findings import act_on_finding, finding_refusal
from signoff.core.governance.workflow import run_transition
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder
from tests.helpers.pg_refusals import refused

pytestmark = pytest.mark.postgres

COUNTED = (Finding, FindingChange, Condition, Decision, AuditEvent)
PERSONAS = ("ann", "dual", "vic", "val", "bo", "rel", "aud", "adm", "viv")


def _refused(team, who: str, sql: str, params: tuple = (), match: str = "") -> str:
    return refused(team, who, sql, params, match, counted=COUNTED)


def _publish(team, tmp_path: Path, tier: str = "high") -> int:
    folder = write_model_folder(tmp_path / "m", name="credit", author=team.logins["ann"], tier=tier)
    return publish(team.regs["ann"], folder).version_id


def _raise(team, who: str, severity: str = "high") -> int:
    with team.regs[who].write() as s:
        return act_on_finding(
            s,
            "raise",
            actor=team.logins[who],
            model_name="credit",
            number=1,
            fields={"title": "drift", "severity": severity, "due": date.today() + timedelta(30)},
        ).finding_id


def _finding(team, who: str, action: str, finding_id: int, **kw):
    with team.regs[who].write() as s:
        return act_on_finding(s, action, actor=team.logins[who], finding_id=finding_id, **kw)


def test_findings_walk_through_the_database_and_verify(team, tmp_path) -> None:
    _publish(team, tmp_path)
    fid = _raise(team, "vic")
    _finding(team, "ann", "propose_remediation", fid, comment="recalibrated")
    with pytest.raises(TransitionError, match="separation of duties"):
        _finding(team, "ann", "close", fid)
    assert _finding(team, "val", "close", fid).status_to == "closed"  # a second validator
    with team.admin.read() as s:
        changes = s.scalars(select(FindingChange).order_by(FindingChange.id)).all()
        assert [(c.actor, c.action) for c in changes] == [
            (team.logins["vic"], "raise"),
            (team.logins["ann"], "propose_remediation"),
            (team.logins["val"], "close"),
        ]
        report = verify_registry(s)
    assert report.intact and report.records == [], report.describe()


def test_psql_cannot_write_findings_or_conditions_directly(team, tmp_path) -> None:
    vid = _publish(team, tmp_path)
    fid = _raise(team, "vic")
    with team.admin.read() as s:
        model_id = s.get(Version, vid).model_id
    for who in ("ann", "vic", "adm"):
        _refused(
            team,
            who,
            "INSERT INTO findings (model_id, title, description, severity, kind, owner, due, "
            "status, compensating_controls, raised_by, raised_at, updated_at, row_version) "
            "VALUES (%s, 'x', '', 'low', 'issue', 'x', '2030-01-01', 'closed', '', 'x', now(), "
            "now(), 1)",
            (model_id,),
            "permission denied",
        )
        _refused(
            team, who, "UPDATE findings SET status = 'closed' WHERE id = %s", (fid,), "permission"
        )
        _refused(team, who, "DELETE FROM finding_changes", (), "permission denied")
        _refused(
            team,
            who,
            "INSERT INTO conditions (decision_id, finding_id, due) VALUES (1, %s, '2030-01-01')",
            (fid,),
            "permission denied",
        )
        _refused(team, who, "UPDATE models SET condition_due = NULL", (), "permission denied")
    # a forged audit event claiming a finding was closed is refused by the guard
    _refused(
        team,
        "ann",
        "INSERT INTO audit_events (seq, at, actor, action, entity_type, entity_id, payload, "
        "prev_hash, hash) VALUES (0, now(), 'ann', 'finding.close', 'finding', '#1', '{}', '', '')",
        (),
        "",
    )
    # the fixer calling the function directly with forged arguments is refused too
    _refused(
        team,
        "ann",
        "SELECT * FROM signoff_finding('close', %s, NULL, NULL, '{}'::jsonb, '', NULL, "
        "'2020-01-01')",
        (fid,),
        "separation of duties",
    )


def test_open_findings_hold_the_gates_in_the_database(team, tmp_path) -> None:
    vid = _publish(team, tmp_path, tier="medium")
    run_transition(team.regs["ann"], "submit", "credit", 1, actor=team.logins["ann"])
    fid = _raise(team, "vic", "high")
    decide = (
        "SELECT * FROM signoff_decide(%s, NULL, 'approve', NULL, '', 'production', NULL, false, "
        "NULL, %s::jsonb)"
    )
    _refused(team, "vic", decide, (vid, "[]"), "blocks the production-use gate")
    due = (date.today() + timedelta(days=7)).isoformat()
    forged = json.dumps([{"finding_id": fid, "due": due}])
    _refused(team, "vic", decide, (vid, forged), "blocks the production-use gate")
    _finding(team, "val", "close", fid)
    team.raw("vic").execute(decide, (vid, "[]"))  # medium tier: one validator completes it
    medium = _raise(team, "val", "medium")
    with team.admin.write() as s:  # the checks passed (the owner stands in for the runner)
        s.execute(text("UPDATE versions SET state = 'ready' WHERE id = :v"), {"v": vid})
    # go-live: a medium finding needs a condition; a past date or a closed finding is refused
    _refused(team, "rel", decide, (vid, "[]"), "unless the signature carries it as a condition")
    past = json.dumps([{"finding_id": medium, "due": "2000-01-01"}])
    _refused(team, "rel", decide, (vid, past), "must be due today or later")
    twice = json.dumps([{"finding_id": medium, "due": due}] * 2)
    _refused(team, "rel", decide, (vid, twice), "named twice")
    run_transition(
        team.regs["rel"],
        "approve",
        "credit",
        1,
        actor=team.logins["rel"],
        conditions=[ConditionRequest(medium, date.fromisoformat(due))],
    )
    with team.admin.read() as s:
        (condition,) = s.scalars(select(Condition)).all()
        assert condition.finding_id == medium and condition.due.isoformat() == due
        report = verify_registry(s)
    assert report.intact and report.records == [], report.describe()


def _python_refuses(team, who: str, action: str, finding_id: int) -> bool:
    with team.regs[who].read() as s:
        found = s.get(Finding, finding_id)
        from signoff.core.db.schema import Model

        model = s.get(Model, found.model_id)
        version = s.get(Version, found.version_id)
        return bool(
            finding_refusal(
                s,
                action,
                team.logins[who],
                finding=found,
                model=model,
                version=version,
                fields=_fields(action),
                comment="a comment",
            )
        )


def _database_refuses(team, who: str, action: str, finding_id: int) -> bool:
    conn = team.raw(who)
    conn.autocommit = False
    try:
        conn.execute(
            "SELECT * FROM signoff_finding(%s, %s, NULL, NULL, %s::jsonb, 'a comment', NULL, NULL)",
            (action, finding_id, json.dumps(_fields(action))),
        )
        return False
    except psycopg.Error:
        return True
    finally:
        conn.rollback()
        conn.autocommit = True


def _fields(action: str) -> dict:
    later = (date.today() + timedelta(days=60)).isoformat()
    return {
        "accept_limitation": {"compensating_controls": "manual review"},
        "grant_exception": {"expires": later},
        "amend": {"due": later},
    }.get(action, {})


def test_python_and_the_database_agree_on_every_status_action_and_person(team, tmp_path) -> None:
    _publish(team, tmp_path)
    fid = _raise(team, "vic")
    disagreements, asked, allowed = [], 0, 0
    for status in rk.STATUSES:
        with team.admin.write() as s:  # the owner puts the finding in the status directly
            s.execute(
                text("UPDATE findings SET status = :s, expires = NULL WHERE id = :f"),
                {"s": status, "f": fid},
            )
        for action in rk.FINDING_ACTIONS:
            if action == "raise":
                continue
            for who in PERSONAS:
                python = _python_refuses(team, who, action, fid)
                database = _database_refuses(team, who, action, fid)
                asked += 1
                allowed += not python
                if python != database:
                    disagreements.append((status, action, who, python, database))
    assert asked == len(rk.STATUSES) * (len(rk.FINDING_ACTIONS) - 1) * len(PERSONAS)
    assert disagreements == []
    assert 0 < allowed < asked  # the question is not trivially answered


def test_python_and_the_database_agree_on_gates_held_by_findings(team, tmp_path) -> None:
    """With an open high and an open medium finding, every state, action and person: the
    Python check (conditions known: none) and signoff_decide give the same answer."""
    from signoff.core.catalog.lookup import get_version
    from signoff.core.db import lifecycle as lc
    from signoff.core.db.schema import STATES
    from signoff.core.governance.gates import check_allowed

    vid = _publish(team, tmp_path)
    high = _raise(team, "vic", "high")
    _raise(team, "vic", "medium")
    disagreements, refused_for_findings = [], 0
    for close_high in (False, True):
        if close_high:
            _finding(team, "val", "close", high)
        for state in STATES:
            with team.admin.write() as s:
                s.execute(
                    text("UPDATE versions SET state = :s, review_round = 1 WHERE id = :v"),
                    {"s": state, "v": vid},
                )
            for action in lc.ACTIONS:
                for who in PERSONAS:
                    with team.regs[who].read() as s:
                        version = get_version(s, "credit", 1)
                        try:
                            check_allowed(
                                s, version, action, team.logins[who], None, "c", conditions=()
                            )
                            python = True
                        except TransitionError as exc:
                            python = False
                            refused_for_findings += "finding #" in str(exc)
                    conn = team.raw(who)
                    conn.autocommit = False
                    try:
                        conn.execute(
                            "SELECT * FROM signoff_decide(%s, NULL, %s, NULL, 'c', 'production', "
                            "NULL, false, NULL, '[]'::jsonb)",
                            (vid, action),
                        )
                        database = True
                    except psycopg.Error:
                        database = False
                    finally:
                        conn.rollback()
                        conn.autocommit = True
                    if python != database:
                        disagreements.append((close_high, state, action, who, python, database))
    assert disagreements == []
    assert refused_for_findings > 0  # the findings really held some gates
