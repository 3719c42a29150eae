"""A shared PostgreSQL registry anchored in a second PostgreSQL database: what the table owner
can still do to the chain (cut its tail, rewrite it whole with valid hashes) is caught."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from signoff.cli import main
from signoff.core.audit.anchor import FAILED, VERIFIED, check_anchor
from signoff.core.audit.anchor_store import ANCHOR_ENV, registry_label
from signoff.core.governance.workflow import run_transition
from signoff.core.publishing.publisher import publish
from tests.helpers.chain_tamper import drop, pg_owner, rechain
from tests.helpers.folders import write_model_folder

pytestmark = pytest.mark.postgres


@pytest.fixture
def anchor_db(pg_url: str) -> Iterator[str]:
    """A second, empty database on the same server: the anchor's home."""
    server = make_url(pg_url)
    name = f"signoff_anchor_{uuid.uuid4().hex[:10]}"
    plain = server.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _signed_version(team, tmp_path: Path) -> None:
    folder = write_model_folder(
        tmp_path / "credit", name="credit", author=team.logins["ann"], tier="high"
    )
    publish(team.regs["ann"], folder)
    run_transition(team.regs["ann"], "submit", "credit", 1)
    run_transition(team.regs["vic"], "approve", "credit", 1, comment="validation reviewed")


def _verify(url: str, tmp_path: Path, capsys) -> tuple[int, str]:
    code = main(["--db", url, "--artifacts", str(tmp_path / "artifacts"), "audit", "verify"])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_the_owners_rewrites_are_caught_by_a_head_in_another_database(
    team, anchor_db, tmp_path, monkeypatch, capsys
) -> None:
    _signed_version(team, tmp_path)
    auditor = team.urls["aud"]
    # the auditor remembers the anchor without its password (libpq finds that elsewhere)
    anchor_url = make_url(anchor_db)
    monkeypatch.setenv("PGPASSWORD", anchor_url.password or "")
    bare = anchor_url._replace(password=None).render_as_string(hide_password=False)
    code = main(
        ["--db", auditor, "--artifacts", str(team.artifacts), "audit", "anchor", "set", bare]
    )
    said = capsys.readouterr()
    assert code == 0, said.err
    engine = create_engine(anchor_db.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT registry, seq FROM signoff_audit_anchors")).all()
    finally:
        engine.dispose()
    with team.admin.read() as s:
        end = s.execute(text("SELECT max(seq) FROM audit_events")).scalar_one()
    assert stored == [(registry_label(team.url), end)]
    code, said_ = _verify(auditor, tmp_path, capsys)
    assert code == 0 and "verified against the head exported at " in said_
    assert f"(seq {end})" in said_

    # the owner deletes the approval's event and closes the gap: a valid, shorter chain
    with team.admin.read() as s:
        approval = (
            s.execute(
                text(
                    "SELECT seq FROM audit_events WHERE action LIKE 'decision.%' ORDER BY seq DESC"
                )
            )
            .scalars()
            .first()
        )
    with pg_owner(team.admin.engine) as conn:
        rechain(conn, drop(approval))
    code, said_ = _verify(auditor, tmp_path, capsys)
    assert code == 1 and f"truncated: the chain ends at #{end - 1}" in said_, said_
    with team.admin.read() as s:
        assert check_anchor(s, team.url, bare).status == FAILED

    # and rewrites everything, from the first event, with valid hashes
    with pg_owner(team.admin.engine) as conn:
        rechain(conn, lambda rows: [dict(r, actor="owner") for r in rows])
    code, said_ = _verify(auditor, tmp_path, capsys)
    assert code == 1 and "the whole chain was rewritten" in said_, said_


def test_the_anchor_table_accepts_only_forward_heads(
    pg_registry, anchor_db, tmp_path, monkeypatch, capsys
) -> None:
    from signoff.core.audit.chain import append_event

    for i in range(3):
        with pg_registry.write() as s:
            append_event(s, actor="x", action="test.event", entity_type="test", entity_id=i)
    monkeypatch.setenv(ANCHOR_ENV, anchor_db)
    base = ["--db", pg_registry.location.db_url, "--artifacts", str(tmp_path / "a"), "audit"]
    assert main([*base, "anchor", "write"]) == 0
    with pg_registry.read() as s:
        verdict = check_anchor(s, pg_registry.location.db_url)
    assert verdict.status == VERIFIED and verdict.head is not None and verdict.head.seq == 3
    assert "exported at" in verdict.message and ":***@" in verdict.message  # no password shown
    # the owner cuts the tail: anchoring that shorter chain is refused, the anchor keeps #3
    with pg_owner(pg_registry.engine) as conn:
        rechain(conn, drop(3))
    capsys.readouterr()
    assert main([*base, "anchor", "write"]) == 2
    assert "the anchor keeps the head it has" in capsys.readouterr().err
    with pg_registry.read() as s:
        verdict = check_anchor(s, pg_registry.location.db_url)
    assert verdict.status == FAILED and verdict.head is not None and verdict.head.seq == 3
