"""Signatures and evidence are inside the trail: every altered, deleted, copied or inserted row
is named by ``audit verify``, shown as unverified and never counted (embedded SQLite).

On a single workstation anyone who can write the database file can change it; what they cannot
do is make the change agree with the hash-chained events, so each variant below is caught.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from signoff.core.audit.verify import verify_registry
from signoff.core.catalog.lookup import get_version
from signoff.core.db.registry import open_registry
from signoff.core.governance.approvals import approval_status
from signoff.core.governance.gates import checks_outstanding, missing_roles
from signoff.core.governance.workflow import run_transition
from tests.helpers.workflow import ALL_CHECKS, add_evidence, add_people, publish_version

DROP_GUARDS = (
    "DROP TRIGGER IF EXISTS decisions_no_update; DROP TRIGGER IF EXISTS decisions_no_delete;"
)


@pytest.fixture(scope="module")
def signed_home(tmp_path_factory) -> Path:
    """credit v1 approved at production use with passing evidence; v2 rejected."""
    tmp = tmp_path_factory.mktemp("signed")
    registry = open_registry(home=tmp / "home")
    registry.set_actor_for_embedded("alice")
    add_people(registry)
    publish_version(registry, tmp)
    publish_version(registry, tmp, weights='{"a": 0.5, "b": 0.1}')
    run_transition(registry, "submit", "credit", 1, actor="alice")
    run_transition(registry, "approve", "credit", 1, actor="val", comment="report reviewed")
    run_transition(registry, "approve", "credit", 1, actor="biz")
    add_evidence(registry, "credit", 1, ALL_CHECKS)
    run_transition(registry, "submit", "credit", 2, actor="alice")
    run_transition(registry, "reject", "credit", 2, actor="val", comment="target leakage")
    with registry.read() as s:
        assert verify_registry(s).intact
    registry.close()
    return tmp / "home"


@pytest.fixture
def home(signed_home, tmp_path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(signed_home, copy)
    return copy


def _tamper(home: Path, *statements: str) -> None:
    """Edit the database file directly, as someone with the file (not Signoff) would."""
    conn = sqlite3.connect(home / "registry.db")
    conn.executescript(DROP_GUARDS + ";".join(statements))
    conn.commit()
    conn.close()


def _verdict(home: Path):
    registry = open_registry(home=home)
    registry.set_actor_for_embedded("rel")
    with registry.read() as s:
        report = verify_registry(s)
        v1 = get_version(s, "credit", 1)
        status = approval_status(s, "credit", 1, "rel")
        missing = missing_roles(s, v1, "production_use", strict=False)
        outstanding = checks_outstanding(s, v1, strict=False)
    registry.close()
    return report, status, missing, outstanding


SIGNATURE_ATTACKS = {
    "altered signer": (
        "UPDATE decisions SET actor = 'multi' WHERE action = 'approve' AND role = 'validator'",
        "its signer is multi",
    ),
    "altered time": (
        "UPDATE decisions SET at = '2020-01-01 00:00:00' WHERE action = 'approve' "
        "AND role = 'validator'",
        "its time differs",
    ),
    "altered comment": (
        "UPDATE decisions SET comment = 'rubber stamp' WHERE comment = 'report reviewed'",
        "its comment differs",
    ),
    "deleted rejection": (
        "DELETE FROM decisions WHERE action = 'reject'",
        "no longer in the registry (deleted)",
    ),
    "signature copied onto another version": (
        "INSERT INTO decisions (version_id, actor, at, action, gate, role, meaning, comment, "
        "manifest_hash, review_round) SELECT 2, actor, at, action, gate, role, meaning, "
        "comment, manifest_hash, review_round FROM decisions WHERE role = 'validator' "
        "AND action = 'approve'",
        "no audit event records it",
    ),
    "inserted signature": (
        "INSERT INTO decisions (version_id, actor, at, action, gate, role, meaning, comment, "
        "manifest_hash, review_round) SELECT 1, 'multi', at, 'approve', 'go_live', "
        "'release_manager', meaning, '', manifest_hash, review_round FROM decisions "
        "WHERE role = 'validator' AND action = 'approve'",
        "no audit event records it",
    ),
}


@pytest.mark.parametrize("attack", SIGNATURE_ATTACKS)
def test_every_tampered_signature_is_named_and_not_counted(home, attack) -> None:
    statement, words = SIGNATURE_ATTACKS[attack]
    _tamper(home, statement)
    report, status, missing, _outstanding = _verdict(home)
    assert not report.intact
    assert any(words in p.problem for p in report.records), report.describe()
    assert "do not match the trail and are not counted" in report.describe()
    if attack in ("altered signer", "altered time", "altered comment"):
        assert missing == ["validator"]  # the forged validator signature no longer counts
        bad = [d for d in status.decisions if not d.verified]
        assert [d.role for d in bad] == ["validator"] and words in bad[0].problem
    if attack == "inserted signature":
        go_live = next(g for g in status.gates if g.gate == "go_live")
        assert go_live.signed == {}  # the inserted release-manager signature is not counted


EVIDENCE_ATTACKS = {
    "evidence flipped to passing": (
        "UPDATE evidence SET summary = 'all good' WHERE \"check\" = 'environment'",
        "its summary differs",
    ),
    "evidence deleted": (
        "DELETE FROM evidence WHERE \"check\" = 'robustness'",
        "no longer in the registry (deleted)",
    ),
    "evidence copied onto another version": (
        'INSERT INTO evidence (version_id, "check", passed, summary, details, at, actor, '
        'manifest_hash) SELECT 2, "check", passed, summary, details, at, actor, manifest_hash '
        "FROM evidence WHERE \"check\" = 'environment'",
        "no audit event records it",
    ),
    "evidence inserted": (
        'INSERT INTO evidence (version_id, "check", passed, summary, details, at, actor, '
        "manifest_hash) SELECT 1, 'environment', 1, 'ok', '{}', '2030-01-01', 'runner', "
        "manifest_hash FROM versions WHERE id = 1",
        "no audit event records it",
    ),
}


@pytest.mark.parametrize("attack", EVIDENCE_ATTACKS)
def test_every_tampered_piece_of_evidence_is_named_and_not_counted(home, attack) -> None:
    statement, words = EVIDENCE_ATTACKS[attack]
    _tamper(home, statement)
    report, _status, _missing, outstanding = _verdict(home)
    assert not report.intact
    assert any(p.kind == "evidence" and words in p.problem for p in report.records), (
        report.describe()
    )
    if attack == "evidence flipped to passing":
        assert any(o.startswith("environment") for o in outstanding)
    if attack == "evidence inserted":  # the genuine evidence still stands; the forgery is ignored
        environment = next(c for c in _status.checks if c.check == "environment")
        assert environment.at is not None and environment.at.year < 2030
    if attack == "evidence deleted":
        assert any(o.startswith("robustness") for o in outstanding)


def test_an_untouched_registry_verifies_clean(home) -> None:
    report, status, missing, outstanding = _verdict(home)
    assert report.intact, report.describe()
    assert missing == [] and outstanding == []
    assert all(d.verified for d in status.decisions)
    assert "every signature and every piece of evidence matches" in report.describe()
