"""The workflow on real PostgreSQL with each person's own login and the group grants.

Races run two processes that meet at a barrier and act at the same moment: exactly one wins,
the loser is told what changed and by whom, one audit event is written, the chain holds.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text

from signoff.core.audit.chain import verify_chain
from signoff.core.catalog.lookup import get_model, get_version
from signoff.core.common.errors import TransitionError
from signoff.core.db.pgroles import create_login, init_roles, url_for_login
from signoff.core.db.registry import open_registry
from signoff.core.db.schema import AuditEvent, Decision, OutboxMessage
from signoff.core.governance.identity import ReauthenticationError
from signoff.core.governance.people import save_person
from signoff.core.governance.signing import DecisionRequest, sign_decision
from signoff.core.governance.workflow import note_evidence, run_transition
from signoff.core.notifications.outbox import save_consumer
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder
from tests.helpers.pg_logins import drop_logins
from tests.helpers.races import assert_one_winner, counts, race_urls
from tests.helpers.workflow import ALL_CHECKS, add_evidence

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CAST = {
    "ann": ["author"],
    "vic": ["validator"],
    "mo": ["validator"],
    "rel": ["release_manager"],
    "rex": ["release_manager"],
}


@pytest.fixture
def team(pg_url: str, tmp_path: Path):
    """An initialised database; each person has their own login, people rows and roles."""
    admin = open_registry(db=pg_url, artifacts=tmp_path / "artifacts")
    init_roles(admin.engine)
    tag = uuid.uuid4().hex[:6]
    logins = {who: f"{who}_{tag}" for who in CAST}
    with admin.write() as s:
        save_person(s, admin.actor, actor=admin.actor, roles=["admin"])
    for who, roles in CAST.items():
        create_login(admin.engine, logins[who], f"pw-{who}", roles)
        with admin.write() as s:
            save_person(s, logins[who], actor=admin.actor, display_name=who.title(), roles=roles)
    urls = {who: url_for_login(pg_url, logins[who], f"pw-{who}") for who in CAST}
    regs = {
        who: open_registry(db=urls[who], artifacts=tmp_path / "artifacts", upgrade=False)
        for who in CAST
    }
    yield admin, regs, urls, logins
    for reg in regs.values():
        reg.close()
    drop_logins(admin.engine, logins.values())
    admin.close()


def publish_as(regs, logins, tmp_path: Path, weights: str = '{"a": 0.1, "b": 0.2}') -> int:
    folder = write_model_folder(
        tmp_path / f"m{abs(hash(weights))}",
        name="credit",
        author=logins["ann"],
        tier="medium",
        weights=weights,
    )
    return publish(regs["ann"], folder).number


def to_ready(admin, regs, number: int) -> None:
    run_transition(regs["ann"], "submit", "credit", number)
    run_transition(regs["vic"], "approve", "credit", number)
    add_evidence(admin, "credit", number, ALL_CHECKS)
    with regs["vic"].write() as s:
        assert note_evidence(s, "credit", number, actor=regs["vic"].actor)
    run_transition(regs["rel"], "approve", "credit", number)


def test_lifecycle_with_own_logins_and_database_stamped_actors(team, tmp_path) -> None:
    admin, regs, _urls, logins = team
    publish_as(regs, logins, tmp_path)
    with admin.write() as s:
        save_consumer(s, get_model(s, "credit"), "billing", actor=admin.actor)
    to_ready(admin, regs, 1)
    with pytest.raises(TransitionError, match="never signs or puts it live"):
        run_transition(regs["ann"], "go_live", "credit", 1)
    out = run_transition(regs["rel"], "go_live", "credit", 1, expected_live_version=None)
    assert out.state_after == "live" and out.notified == 1
    with admin.read() as s:
        actors = [(d.action, d.actor) for d in s.scalars(select(Decision).order_by(Decision.id))]
        assert actors == [
            ("submit", logins["ann"]),
            ("approve", logins["vic"]),
            ("approve", logins["rel"]),
            ("go_live", logins["rel"]),
        ]
        assert s.scalars(select(OutboxMessage.event)).all() == ["went_live"]
        assert verify_chain(s).intact


def test_approve_vs_reject_race_on_postgresql(team, tmp_path) -> None:
    admin, regs, urls, logins = team
    publish_as(regs, logins, tmp_path)
    run_transition(regs["ann"], "submit", "credit", 1)
    before = counts(admin)
    outcomes = race_urls(
        str(tmp_path / "artifacts"),
        [
            (urls["vic"], "vic", "approve", "credit", 1, {}),
            (urls["mo"], "mo", "reject", "credit", 1, {"comment": "not convinced"}),
        ],
    )
    assert_one_winner(admin, outcomes, before)
    assert "changed since you loaded it" in outcomes[1][3]


def test_two_go_lives_race_on_postgresql(team, tmp_path) -> None:
    admin, regs, urls, logins = team
    publish_as(regs, logins, tmp_path)
    publish_as(regs, logins, tmp_path, weights='{"a": 0.4, "b": 0.1}')
    to_ready(admin, regs, 1)
    to_ready(admin, regs, 2)
    before = counts(admin)
    outcomes = race_urls(
        str(tmp_path / "artifacts"),
        [
            (urls["rel"], "rel", "go_live", "credit", 1, {}),
            (urls["rex"], "rex", "go_live", "credit", 2, {}),
        ],
    )
    assert_one_winner(admin, outcomes, before)
    assert "live version of credit in production changed" in outcomes[1][3]
    with admin.read() as s:
        assert sorted(get_version(s, "credit", n).state for n in (1, 2)) == ["live", "ready"]


def test_tampering_on_postgresql_is_found(pg_registry, tmp_path) -> None:
    """An attacker with DDL rights drops the append-only trigger and edits, deletes, reorders."""
    from signoff.core.audit.chain import append_event, head

    with pg_registry.write() as s:
        for i in range(1, 7):
            append_event(
                s, actor="x", action="test.event", entity_type="test", entity_id=i, payload={"n": i}
            )
    with pg_registry.read() as s:
        exported = head(s)
    attacks = [
        (
            "UPDATE audit_events SET payload = replace(payload, '3', '9') WHERE seq = 3",
            3,
            "altered",
        ),
        ("DELETE FROM audit_events WHERE seq = 4", 4, "missing"),
        ("DELETE FROM audit_events WHERE seq >= 6", 6, "removed from the tail"),
    ]
    for statement, broken, words in attacks:
        with pg_registry.write() as s:
            with pytest.raises(Exception, match="append-only"), s.begin_nested():
                s.execute(text(statement))
            s.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
            s.execute(text(statement))
            s.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
        with pg_registry.read() as s:
            report = verify_chain(s, against=exported)
            assert not report.intact and report.broken_seq == broken and words in report.problem
        # restore a clean chain for the next attack: fresh database state per attack
        with pg_registry.write() as s:
            s.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
            s.execute(text("DELETE FROM audit_events"))
            s.execute(text("UPDATE audit_head SET seq = 0, hash = repeat('0', 64)"))
            s.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
            for i in range(1, 7):
                append_event(
                    s,
                    actor="x",
                    action="test.event",
                    entity_type="test",
                    entity_id=i,
                    payload={"n": i},
                )
        with pg_registry.read() as s:
            exported = head(s)
            assert verify_chain(s, against=exported).intact


def test_signing_checks_the_password_before_the_decision(team, tmp_path) -> None:
    admin, regs, _urls, logins = team
    publish_as(regs, logins, tmp_path)
    run_transition(regs["ann"], "submit", "credit", 1)
    with regs["vic"].read() as s:
        row_version = get_version(s, "credit", 1).row_version
    wrong = DecisionRequest("approve", "validator", "looks right", "not-my-password")
    with pytest.raises(ReauthenticationError, match="nothing was signed"):
        sign_decision(regs["vic"], "credit", 1, wrong, row_version, None)
    with admin.read() as s:
        assert [d.action for d in s.scalars(select(Decision))] == ["submit"]
        assert s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq.desc())).first() == (
            "auth.reauthentication_failed"
        )
    right = DecisionRequest("approve", "validator", "looks right", "pw-vic")
    outcome = sign_decision(regs["vic"], "credit", 1, right, row_version, None)
    assert outcome.state_after == "approved"
    with admin.read() as s:
        signed = s.scalars(select(Decision).order_by(Decision.id.desc())).first()
        assert (signed.action, signed.actor, signed.comment) == (
            "approve",
            logins["vic"],
            "looks right",
        )
        assert verify_chain(s).intact
