"""``signoff approve`` on a shared registry signs exactly as the desktop does: the password is
asked again and checked before anything is written, and what the signer saw is what is decided
on (someone else's change meanwhile makes the decision fail, saying who did what)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from signoff.cli import main
from signoff.core.db.schema import AuditEvent, Decision
from signoff.core.governance.identity import remember_password
from signoff.core.governance.workflow import run_transition
from signoff.core.publishing.publisher import publish
from tests.helpers import memkeyring
from tests.helpers.folders import write_model_folder

pytestmark = pytest.mark.postgres


@pytest.fixture
def submitted(team, tmp_path):
    folder = write_model_folder(tmp_path / "m", name="credit", author=team.logins["ann"])
    publish(team.regs["ann"], folder)
    run_transition(team.regs["ann"], "submit", "credit", 1)
    memkeyring.install()
    return team


def _approve(team, who: str, *extra: str) -> int:
    return main(
        [
            "--db",
            team.urls[who],
            "--artifacts",
            str(team.artifacts),
            "approve",
            "credit@1",
            "-m",
            "checked",
            *extra,
        ]
    )


def _approvals(team) -> list[str]:
    with team.admin.read() as s:
        return list(s.scalars(select(Decision.actor).where(Decision.action == "approve")))


def test_a_wrong_password_signs_nothing_and_is_audited(submitted, monkeypatch, capsys) -> None:
    team = submitted
    monkeypatch.setattr("sys.stdin", io.StringIO("not my password\n"))
    assert _approve(team, "vic", "--password-stdin") == 2
    assert "not accepted" in capsys.readouterr().err
    assert _approvals(team) == []
    with team.admin.read() as s:
        assert s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq.desc())).first() == (
            "auth.reauthentication_failed"
        )


def test_the_right_password_signs(submitted, monkeypatch, capsys) -> None:
    team = submitted
    monkeypatch.setattr("sys.stdin", io.StringIO("pw-vic\n"))
    assert _approve(team, "vic", "--password-stdin") == 0
    assert "approve as validator" in capsys.readouterr().out.lower()
    assert _approvals(team) == [team.logins["vic"]]


def test_without_a_terminal_or_a_remembered_password_it_says_how(submitted, capsys) -> None:
    assert _approve(submitted, "vic") == 2  # pytest's stdin is not a terminal
    assert "asks for your password again" in capsys.readouterr().err
    assert _approvals(submitted) == []


def test_a_password_the_person_chose_to_remember_is_used(submitted, capsys) -> None:
    team = submitted
    remember_password(team.urls["vic"], "pw-vic")
    assert _approve(team, "vic") == 0, capsys.readouterr().err
    assert _approvals(team) == [team.logins["vic"]]


def test_a_change_while_the_signer_types_the_password_is_not_signed_over(
    submitted, monkeypatch, capsys
) -> None:
    team = submitted

    def meanwhile(registry, args):
        # while one validator types, another rejects the version
        run_transition(team.regs["val"], "reject", "credit", 1, comment="not this quarter")
        return "pw-vic"

    monkeypatch.setattr("signoff.cli.workflow.signing_password", meanwhile)
    assert _approve(team, "vic") == 2
    err = capsys.readouterr().err
    assert "changed since you loaded it" in err
    assert f"{team.logins['val']} recorded 'Reject'" in err
    assert _approvals(team) == []


def test_a_password_with_spaces_and_symbols_is_checked_as_typed(team) -> None:
    from signoff.core.db.pgroles import create_login, url_for_login
    from signoff.core.db.registry import open_registry
    from signoff.core.governance.identity import ReauthenticationError, verify_password
    from tests.helpers.pg_logins import drop_logins, unique_login

    login, password = unique_login("spacey"), "correct horse @ battery/staple %20"
    create_login(team.admin.engine, login, password, ["validator"])
    registry = open_registry(
        db=url_for_login(team.url, login, password), artifacts=team.artifacts, upgrade=False
    )
    try:
        verify_password(registry, password)
        with pytest.raises(ReauthenticationError):
            verify_password(registry, password + "!")
    finally:
        registry.close()
        drop_logins(team.admin.engine, [login])
