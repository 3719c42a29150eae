"""``db add-user`` is one transaction: when the person cannot be saved, no login is left that
could sign without being a person (PostgreSQL's role DDL is transactional)."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from signoff.cli import main
from signoff.core.db.pgroles import init_roles, url_for_login
from signoff.core.db.registry import open_registry
from signoff.core.db.schema import User
from signoff.core.governance.people import enrol_person, roles_of, save_person
from tests.helpers.pg_logins import drop_logins, unique_login

pytestmark = pytest.mark.postgres


@pytest.fixture
def owner(pg_url, tmp_path):
    """The tables' owner on an initialised database, with one admin person (not the owner)."""
    reg = open_registry(db=pg_url, artifacts=tmp_path / "artifacts")
    init_roles(reg.engine)
    made: list[str] = []
    yield reg, made
    with reg.engine.connect() as conn:
        left = [
            m
            for m in made
            if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": m}).first()
        ]
    drop_logins(reg.engine, left)
    reg.close()


def login_exists(registry, login: str) -> bool:
    with registry.engine.connect() as conn:
        return (
            conn.execute(text("SELECT FROM pg_roles WHERE rolname = :r"), {"r": login}).first()
            is not None
        )


def person_exists(registry, login: str) -> bool:
    with registry.read() as s:
        return s.scalar(select(User.id).where(User.login == login)) is not None


def test_a_person_that_cannot_be_saved_leaves_no_login(
    owner, pg_url, tmp_path, monkeypatch, capsys
):
    reg, made = owner
    boss = unique_login("boss")
    with reg.write() as s:  # someone else is the admin: the owner may no longer change people
        save_person(s, boss, actor=reg.actor, roles=["admin"])
    login = unique_login("mallory")
    made.append(login)
    monkeypatch.setenv("SIGNOFF_NEW_PASSWORD", "pw-mallory")
    base = ["--db", pg_url, "--artifacts", str(tmp_path / "artifacts")]
    code = main([*base, "db", "add-user", login, "--role", "validator"])
    said = capsys.readouterr().err
    assert code == 2 and f"{reg.actor} is not an admin" in said and "Traceback" not in said
    assert not login_exists(reg, login)  # CREATE ROLE … LOGIN was rolled back with the person
    assert not person_exists(reg, login)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url_for_login(pg_url, login, "pw-mallory").replace("+psycopg", ""))


def refuse_in_the_database(reg, name: str) -> None:  # noqa: ANN001
    """A constraint that makes the database itself refuse a person row named *name* (the
    application's own checks pass it: the failure is one only the database sees)."""
    with reg.engine.begin() as conn:
        conn.execute(
            text(
                f"ALTER TABLE users ADD CONSTRAINT refuse_{abs(hash(name))} "
                f"CHECK (display_name <> '{name}')"
            )
        )


def test_a_database_error_in_the_person_row_rolls_the_login_back(owner) -> None:
    reg, made = owner
    login = unique_login("zed")
    made.append(login)
    refuse_in_the_database(reg, "Zed Refused")
    with pytest.raises(IntegrityError):  # the person row fails in the database itself
        enrol_person(reg, login, roles=["validator"], password="pw", display_name="Zed Refused")
    assert not login_exists(reg, login) and not person_exists(reg, login)


def test_a_failed_update_keeps_the_old_password_and_roles(owner, pg_url, tmp_path) -> None:
    reg, made = owner
    login = unique_login("vera")
    made.append(login)
    enrol_person(reg, login, roles=["validator"], password="old-pw", display_name="Vera")
    refuse_in_the_database(reg, "Vera Refused")
    with pytest.raises(IntegrityError):
        enrol_person(reg, login, roles=["admin"], password="new-pw", display_name="Vera Refused")
    vera = open_registry(
        db=url_for_login(pg_url, login, "old-pw"), artifacts=tmp_path / "a", upgrade=False
    )
    try:
        assert vera.actor == login  # the old password still opens the login
        with vera.read() as s:
            assert roles_of(s, login) == {"validator"}
            groups = set(
                s.execute(
                    text(
                        "SELECT g.rolname FROM pg_auth_members m "
                        "JOIN pg_roles g ON g.oid = m.roleid "
                        "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :r"
                    ),
                    {"r": login},
                ).scalars()
            )
        assert groups == {"signoff_reviewer"}  # the admin group's GRANT was rolled back too
    finally:
        vera.close()


def test_the_command_line_refuses_a_too_long_name_before_anything(owner, pg_url, tmp_path, capsys):
    reg, made = owner
    login = unique_login("long")
    made.append(login)
    base = ["--db", pg_url, "--artifacts", str(tmp_path / "artifacts")]
    code = main([*base, "db", "add-user", login, "--name", "x" * 301, "--role", "viewer"])
    assert code == 2 and "--name is at most 300 characters" in capsys.readouterr().err
    assert not login_exists(reg, login)
