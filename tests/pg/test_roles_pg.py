"""Permissions hold inside PostgreSQL: each person's own login, group roles, refused writes."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from signoff.core.audit.chain import verify_chain
from signoff.core.catalog import lookup
from signoff.core.common.errors import TransitionError
from signoff.core.db.pgroles import url_for_login
from signoff.core.db.registry import open_registry
from signoff.core.db.schema import AuditEvent, Decision, Version
from signoff.core.governance.identity import ReauthenticationError, verify_password
from signoff.core.governance.states import change_state
from signoff.core.governance.workflow import run_transition
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder
from tests.helpers.pg_logins import drop_logins, unique_login

pytestmark = pytest.mark.postgres


def _published(team, tmp_path: Path) -> int:
    author = team.regs["ann"]
    publish(author, write_model_folder(tmp_path / "m", author=author.actor))
    with author.read() as s:
        return lookup.get_version(s, "toy-model").id


def test_author_publishes_validator_approves_and_the_database_names_them(team, tmp_path) -> None:
    version_id = _published(team, tmp_path)
    run_transition(team.regs["ann"], "submit", "toy-model", 1)
    run_transition(team.regs["vic"], "approve", "toy-model", 1)
    with team.admin.read() as s:
        decisions = s.scalars(select(Decision).order_by(Decision.id)).all()
        assert [(d.action, d.actor) for d in decisions] == [
            ("submit", team.logins["ann"]),
            ("approve", team.logins["vic"]),
        ]
        assert s.get(Version, version_id).state == "approved"  # medium tier: one validator
        actors = {e.actor for e in s.scalars(select(AuditEvent))}
        assert {team.logins["ann"], team.logins["vic"]} <= actors
        assert verify_chain(s).intact


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'x'",
        "DELETE FROM audit_events",
        "UPDATE decisions SET comment = 'x'",
        "DELETE FROM decisions",
        "UPDATE versions SET state = 'live'",
        "DELETE FROM versions",
    ],
)
def test_reviewer_cannot_rewrite_history_or_states(team, tmp_path, statement: str) -> None:
    _published(team, tmp_path)
    with pytest.raises((ProgrammingError, DBAPIError)), team.regs["vic"].write() as s:
        s.execute(text(statement))


def test_viewer_cannot_write_anything(team, tmp_path) -> None:
    regs = {"viewer": team.regs["viv"]}
    with pytest.raises(ProgrammingError, match="permission denied"):
        publish(regs["viewer"], write_model_folder(tmp_path / "m"))
    for statement in (
        "INSERT INTO users (login, display_name, email, active) VALUES ('x', 'x', 'x', true)",
        "INSERT INTO policies (risk_tier, revision, rules, created_at, created_by) "
        "VALUES ('high', 9, '{}', now(), 'x')",
    ):
        with (
            pytest.raises(ProgrammingError, match="permission denied"),
            regs["viewer"].write() as s,
        ):
            s.execute(text(statement))


def test_author_cannot_approve(team, tmp_path) -> None:
    version_id = _published(team, tmp_path)
    run_transition(team.regs["ann"], "submit", "toy-model", 1)
    with pytest.raises(TransitionError, match="author never signs"):
        run_transition(team.regs["ann"], "approve", "toy-model", 1)
    with team.regs["ann"].read() as s:
        assert s.get(Version, version_id).state == "in_review"


def test_wrong_password_at_signing_is_refused_and_audited(team) -> None:
    reviewer = team.regs["vic"]
    people = {"validator": team.logins["vic"]}
    with reviewer.read() as s:
        before = len(list(s.scalars(select(AuditEvent))))
    with pytest.raises(ReauthenticationError, match="not accepted"):
        verify_password(reviewer, "wrong")
    verify_password(reviewer, "pw-vic")
    with reviewer.read() as s:
        events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        assert len(events) == before + 1
        assert events[-1].action == "auth.reauthentication_failed"
        assert events[-1].actor == people["validator"]
        assert s.scalars(select(Decision)).all() == []


def test_connection_lost_mid_transaction_rolls_back_and_reconnects(
    pg_registry, tmp_path, pg_url
) -> None:
    publish(pg_registry, write_model_folder(tmp_path / "a"))
    admin = psycopg.connect(pg_url.replace("postgresql+psycopg", "postgresql"), autocommit=True)
    with pytest.raises(OperationalError), pg_registry.write() as s:
        version = lookup.get_version(s, "toy-model")
        change_state(s, version, "in_review")
        pid = s.execute(text("SELECT pg_backend_pid()")).scalar_one()
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        s.execute(text("SELECT 1"))
    admin.close()
    with pg_registry.read() as s:  # the pool reconnects; nothing was half-written
        assert lookup.get_version(s, "toy-model").state == "draft"
        assert verify_chain(s).intact


def test_reviewer_may_send_back_for_changes_and_author_may_sign_own_decisions(
    team, tmp_path
) -> None:
    version_id = _published(team, tmp_path)
    run_transition(team.regs["ann"], "submit", "toy-model", 1)
    run_transition(team.regs["vic"], "request_changes", "toy-model", 1, comment="add a test")
    with team.regs["viv"].read() as s:
        assert s.get(Version, version_id).state == "draft"
        assert [d.actor for d in s.scalars(select(Decision).order_by(Decision.id))] == [
            team.logins["ann"],
            team.logins["vic"],
        ]
    run_transition(team.regs["ann"], "submit", "toy-model", 1)
    run_transition(team.regs["ann"], "withdraw", "toy-model", 1)
    with team.regs["viv"].read() as s:
        assert s.get(Version, version_id).state == "draft"
        assert verify_chain(s).intact


def test_command_line_creates_roles_and_a_person_with_their_own_login(
    pg_url, tmp_path, monkeypatch, capsys
) -> None:
    from signoff.cli import main
    from signoff.core.governance.people import printed_name, roles_of

    login = unique_login("zoe")
    base = ["--db", pg_url, "--artifacts", str(tmp_path / "a")]
    assert main([*base, "db", "init-roles"]) == 0
    monkeypatch.setenv("SIGNOFF_NEW_PASSWORD", "zoe-secret")
    assert (
        main([*base, "db", "add-user", login, "--name", "Zoe Validator", "--role", "validator"])
        == 0
    )
    assert f"{login}: validator" in capsys.readouterr().out
    assert main([*base, "db", "add-user", "Bad Name!", "--role", "validator"]) == 2
    zoe = open_registry(db=url_for_login(pg_url, login, "zoe-secret"), artifacts=tmp_path / "a")
    try:
        assert zoe.actor == login
        with zoe.read() as s:
            assert printed_name(s, login) == "Zoe Validator"
            assert roles_of(s, login) == {"validator"}
        with pytest.raises(ProgrammingError, match="permission denied"), zoe.write() as s:
            s.execute(
                text(
                    "INSERT INTO users (login, display_name, email, active) "
                    "VALUES ('x', 'x', 'x', true)"
                )
            )
    finally:
        zoe.close()
        admin = open_registry(db=pg_url, artifacts=tmp_path / "a")
        drop_logins(admin.engine, [login])
        admin.close()
