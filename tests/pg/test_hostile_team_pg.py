"""A hostile team on a shared PostgreSQL registry: every bypass refused by the database itself.

Each person has their own login. They send the raw SQL a person with psql would (or call the
governance functions with forged arguments), and the database refuses: nothing is written, the
chain is unchanged and ``signoff audit verify`` stays green. What the table owner can still do
(disable a trigger, edit a row) is at least named by verify.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select, text

from signoff.core.audit.verify import verify_registry
from signoff.core.catalog.lookup import get_model, get_version
from signoff.core.common.errors import ManifestError, TransitionError
from signoff.core.db.schema import (
    AuditEvent,
    ConsumerSecret,
    Decision,
    Deployment,
    Evidence,
    OutboxMessage,
    Policy,
    Version,
)
from signoff.core.governance.evidence import record_evidence
from signoff.core.governance.people import PermissionDeniedError
from signoff.core.governance.policy import set_policy
from signoff.core.governance.workflow import note_evidence, run_transition
from signoff.core.notifications.outbox import save_consumer
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder

pytestmark = pytest.mark.postgres

HIGH_CHECKS = ["reference_outputs", "robustness", "environment"]
COUNTED = (Version, Decision, Evidence, Deployment, OutboxMessage, Policy, AuditEvent)


def _snapshot(team) -> tuple:
    """Row counts of every governance table, every version's state and the chain's head."""
    with team.admin.read() as s:
        counts = tuple(s.scalar(select(func.count()).select_from(t)) for t in COUNTED)
        states = tuple(s.execute(select(Version.id, Version.state).order_by(Version.id)).all())
        head = s.execute(text("SELECT seq, hash FROM audit_head")).one()
        return counts, states, tuple(head)


def _verified(team) -> None:
    with team.admin.read() as s:
        report = verify_registry(s)
    assert report.intact, report.describe()


def _refused(team, who: str, sql: str, params: tuple = (), match: str = "") -> str:
    """Send *sql* as *who*; it must fail with nothing written. Returns the refusal."""
    before = _snapshot(team)
    with pytest.raises(psycopg.Error) as caught:
        team.raw(who).execute(sql, params)
    message = str(caught.value)
    assert match in message, message
    assert _snapshot(team) == before, f"{who}'s refused statement changed the registry: {sql}"
    _verified(team)
    return message


def _publish(team, tmp_path: Path, who: str = "ann", weights: str = '{"a": 0.1, "b": 0.2}') -> int:
    folder = write_model_folder(
        tmp_path / f"m-{who}-{abs(hash(weights))}",
        name="credit",
        author=team.logins[who],
        tier="high",
        weights=weights,
    )
    return publish(team.regs[who], folder).version_id


def _decide(
    team,
    who: str,
    version_id: int,
    action: str,
    role: str | None = None,
    comment: str = "",
    at: str | None = None,
) -> None:
    team.raw(who).execute(
        "SELECT * FROM signoff_decide(%s, NULL, %s, %s, %s, 'production', NULL, false, %s)",
        (version_id, action, role, comment, at),
    )


def _state(team, version_id: int) -> str:
    with team.admin.read() as s:
        return s.get(Version, version_id).state


def _evidence(team, version_id: int, checks=HIGH_CHECKS, passed: bool = True) -> None:
    with team.regs["run"].write() as s:
        version = s.get(Version, version_id)
        for check in checks:
            record_evidence(
                s,
                version,
                check,
                passed,
                "ok" if passed else "failed",
                {},
                actor=team.logins["run"],
            )


@pytest.fixture
def in_review(team, tmp_path) -> int:
    """credit v1 (high tier) authored by ann, submitted for review."""
    version_id = _publish(team, tmp_path)
    _decide(team, "ann", version_id, "submit")
    assert _state(team, version_id) == "in_review"
    return version_id


# -- the state machine -------------------------------------------------------------------------
def test_a_validator_alone_cannot_walk_a_version_live(team, in_review) -> None:
    vid = in_review
    _decide(team, "vic", vid, "approve")  # a real, partial signature
    assert _state(team, vid) == "in_review"
    _refused(
        team,
        "vic",
        "SELECT * FROM signoff_decide(%s, NULL, 'approve', 'business_owner', "
        "'', 'production', NULL, false, NULL)",
        (vid,),
        "you cannot sign as business_owner",
    )
    _refused(
        team,
        "vic",
        "UPDATE versions SET state = 'approved' WHERE id = %s",
        (vid,),
        "permission denied",
    )
    _refused(
        team,
        "vic",
        "SELECT signoff_change_state(%s, 1, 'approved', NULL)",
        (vid,),
        "does not exist",
    )
    _refused(
        team,
        "vic",
        "SELECT * FROM signoff_decide(%s, NULL, 'go_live', NULL, '', "
        "'production', NULL, false, NULL)",
        (vid,),
        "cannot go live",
    )
    _refused(
        team,
        "vic",
        "INSERT INTO deployments (model_id, version_id, environment, "
        "live_from, actor) SELECT model_id, id, 'production', now(), 'rel' FROM versions "
        "WHERE id = %s",
        (vid,),
        "permission denied",
    )
    with team.regs["vic"].write() as s:  # nothing to move: the checks have not passed either
        assert not s.execute(text("SELECT signoff_mark_ready(:v)"), {"v": vid}).scalar_one()
    assert _state(team, vid) == "in_review"
    with team.admin.read() as s:
        assert s.scalar(select(func.count()).select_from(Deployment)) == 0


def test_nobody_signs_for_a_role_they_do_not_hold_or_for_their_own_version(team, tmp_path) -> None:
    vid = _publish(team, tmp_path, "dual")  # dual holds author and validator
    _decide(team, "dual", vid, "submit")
    _refused(
        team,
        "dual",
        "SELECT * FROM signoff_decide(%s, NULL, 'approve', 'validator', '', "
        "'production', NULL, false, NULL)",
        (vid,),
        "author never signs",
    )
    _refused(
        team,
        "vic",
        "INSERT INTO decisions (version_id, actor, at, action, gate, role, "
        "meaning, comment, manifest_hash) SELECT id, 'bo', now(), 'approve', "
        "'production_use', 'business_owner', 'x', '', manifest_hash FROM versions "
        "WHERE id = %s",
        (vid,),
        "permission denied",
    )
    _refused(
        team,
        "viv",
        "SELECT * FROM signoff_decide(%s, NULL, 'comment', NULL, 'hi', "
        "'production', NULL, false, NULL)",
        (vid,),
        "permission denied",
    )


def test_a_version_is_born_a_draft_of_the_login_that_publishes_it(team, tmp_path) -> None:
    folder = write_model_folder(
        tmp_path / "as-ann", name="credit", author=team.logins["ann"], tier="high"
    )
    with pytest.raises(ManifestError, match="cannot publish as"):
        publish(team.regs["dual"], folder)  # dual publishing "as" ann, to approve it herself
    vid = _publish(team, tmp_path)
    model_id = _model_id(team)
    for state, author in (("live", team.logins["ann"]), ("draft", team.logins["bo"])):
        _refused(
            team,
            "ann",
            "INSERT INTO versions (model_id, number, author, created_at, state, "
            "state_changed_at, release_notes, manifest_hash, manifest, entry_point, "
            "python_version, row_version) VALUES (%s, 9, %s, now(), %s, now(), '', "
            "repeat('a', 64), '{}', 'score.py:predict', '3.11', 1)",
            (model_id, author, state),
            "",
        )
    # and nothing can be added to a version after it left the author's draft
    _decide(team, "ann", vid, "submit")
    _refused(
        team,
        "ann",
        "INSERT INTO components (version_id, kind, name, path, sha256, size, "
        "stored, role, details) VALUES (%s, 'script', 'extra', 'x.py', repeat('b', 64), 1, "
        "true, '', '{}')",
        (vid,),
        "own draft",
    )


def test_a_rejected_version_stays_rejected_and_old_partial_approvals_never_count(
    team, in_review
) -> None:
    vid = in_review
    _decide(team, "vic", vid, "approve")
    _decide(team, "bo", vid, "request_changes", comment="add the stress test")
    assert _state(team, vid) == "draft"
    _decide(team, "ann", vid, "submit")  # round 2: vic's round-1 signature no longer counts
    _decide(team, "bo", vid, "approve")
    assert _state(team, vid) == "in_review"
    _decide(team, "val", vid, "reject", comment="leakage")
    assert _state(team, vid) == "rejected"
    _refused(
        team,
        "ann",
        "SELECT * FROM signoff_decide(%s, NULL, 'submit', NULL, '', "
        "'production', NULL, false, NULL)",
        (vid,),
        "only a draft can be submitted",
    )


def test_the_history_cannot_be_rewritten_by_anyone_but_the_owner(team, in_review) -> None:
    vid = in_review
    _decide(team, "vic", vid, "approve", comment="fine")
    for who in ("vic", "adm", "ann"):
        _refused(team, who, "UPDATE decisions SET comment = 'changed', actor = 'bo'", (), "")
        _refused(team, who, "DELETE FROM decisions WHERE action = 'approve'", (), "")
        _refused(team, who, "UPDATE audit_events SET actor = 'x'", (), "")
        _refused(team, who, "UPDATE deployments SET live_to = now()", (), "permission denied")
        _refused(
            team,
            who,
            "INSERT INTO audit_events (seq, at, actor, action, entity_type, "
            "entity_id, payload, prev_hash, hash) VALUES (0, now(), 'x', 'decision.approve', "
            "'version', 'credit v1', %s, '', 'forged')",
            ('{"decision_id": 1}',),
            "",
        )


def test_a_back_dated_or_forged_decision_is_stamped_by_the_database(team, in_review) -> None:
    vid = in_review
    _decide(team, "vic", vid, "approve", at="2000-01-01 00:00:00")
    with team.admin.read() as s:
        decision = s.scalars(select(Decision).where(Decision.action == "approve")).one()
        assert decision.actor == team.logins["vic"]
        assert decision.at.year > 2000  # only the owner may back-date (importing history)
        assert decision.meaning == "Approved for production use, signed as validator"


# -- the rules of the review ---------------------------------------------------------------------
def test_weakening_the_policy_mid_review_does_not_apply_to_the_version_in_review(
    team, in_review
) -> None:
    vid = in_review
    _decide(team, "vic", vid, "approve")
    with team.regs["adm"].write() as s:  # the admin drops the business owner and two checks
        set_policy(
            s,
            "high",
            {
                "gates": {"production_use": ["validator"], "go_live": ["release_manager"]},
                "checks": ["reference_outputs"],
            },
            actor=team.logins["adm"],
        )
    with team.regs["run"].write() as s:
        version = s.get(Version, vid)
        record_evidence(s, version, "reference_outputs", True, "ok", {}, actor=team.logins["run"])
        record_evidence(
            s, version, "environment", False, "pins missing", {}, actor=team.logins["run"]
        )
    _decide(team, "bo", vid, "approve")  # the recorded policy still needs the business owner
    assert _state(team, vid) == "approved"  # ... and the environment check, which failed
    with team.regs["vic"].write() as s:
        assert not note_evidence(s, "credit", 1, actor=team.logins["vic"])
    assert _state(team, vid) == "approved"


def test_a_stricter_policy_applies_to_the_gate_still_open(team, in_review) -> None:
    vid = in_review
    with team.regs["adm"].write() as s:
        set_policy(
            s,
            "high",
            {
                "gates": {
                    "production_use": ["validator", "business_owner", "auditor"],
                    "go_live": ["release_manager"],
                },
                "checks": HIGH_CHECKS,
            },
            actor=team.logins["adm"],
        )
    _decide(team, "vic", vid, "approve")
    _decide(team, "bo", vid, "approve")
    assert _state(team, vid) == "in_review"
    _decide(team, "aud", vid, "approve")
    assert _state(team, vid) == "approved"


def test_the_risk_tier_is_not_the_authors_to_change(team, tmp_path) -> None:
    _publish(team, tmp_path)
    low = write_model_folder(
        tmp_path / "low",
        name="credit",
        author=team.logins["ann"],
        tier="low",
        weights='{"a": 0.3, "b": 0.1}',
    )
    with pytest.raises(ManifestError, match="only by an admin or its business owner"):
        publish(team.regs["ann"], low)
    _refused(team, "ann", "UPDATE models SET risk_tier = 'low'", (), "permission denied")
    _refused(
        team,
        "ann",
        "SELECT signoff_set_risk_tier(%s, 'low', 'cheaper')",
        (_model_id(team),),
        "permission denied",
    )
    with team.regs["bo"].write() as s:
        s.execute(
            text("SELECT signoff_set_risk_tier(:m, 'medium', 'scope reduced')"),
            {"m": _model_id(team)},
        )
    with team.admin.read() as s:
        assert get_model(s, "credit").risk_tier == "medium"
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "model.risk_tier_changed")
        ).one()
        assert event.actor == team.logins["bo"] and "scope reduced" in event.payload
    _verified(team)


def test_only_the_right_people_record_evidence_that_counts(team, in_review) -> None:
    vid = in_review
    with (
        pytest.raises(PermissionDeniedError, match="must be recorded by someone else"),
        team.regs["ann"].write() as s,
    ):
        record_evidence(
            s, s.get(Version, vid), "reference_outputs", True, "ok", {}, actor=team.logins["ann"]
        )
    _refused(
        team,
        "ann",
        "SELECT signoff_record_evidence(%s, 'environment', true, 'ok', '{}')",
        (vid,),
        "",
    )
    _refused(
        team,
        "viv",
        "SELECT signoff_record_evidence(%s, 'environment', true, 'ok', '{}')",
        (vid,),
        "permission denied",
    )
    _refused(
        team,
        "vic",
        'INSERT INTO evidence (version_id, "check", passed, summary, details, '
        "at, actor, manifest_hash) SELECT id, 'environment', true, 'ok', '{}', now(), "
        "'rel', manifest_hash FROM versions WHERE id = %s",
        (vid,),
        "permission denied",
    )
    team.raw("vic").execute(
        "SELECT signoff_record_evidence(%s, 'environment', true, 'ok', '{}')", (vid,)
    )
    with team.admin.read() as s:  # recorded under the caller's own name, whatever they claim
        assert s.scalars(select(Evidence.actor)).one() == team.logins["vic"]
    _verified(team)


# -- the side doors --------------------------------------------------------------------------------
def test_webhook_secrets_are_for_the_deliverer_only(team, tmp_path) -> None:
    _publish(team, tmp_path)
    with team.regs["adm"].write() as s:
        save_consumer(
            s,
            get_model(s, "credit"),
            "billing",
            actor=team.logins["adm"],
            webhook_url="https://billing.example/hook",
            secret="s3cr3t",
        )
    for who in ("viv", "ann", "vic", "aud", "rel"):
        _refused(team, who, "SELECT secret FROM consumer_secrets", (), "permission denied")
    assert team.raw("ntf").execute("SELECT secret FROM consumer_secrets").fetchall() == [
        ("s3cr3t",)
    ]
    with team.admin.read() as s:  # the change was audited by the database, without the secret
        events = s.scalars(select(AuditEvent).where(AuditEvent.action.like("consumer%"))).all()
        assert events and all("s3cr3t" not in e.payload for e in events)
        assert s.get(ConsumerSecret, 1).secret == "s3cr3t"


def test_notifications_cannot_be_faked_or_silenced(team, in_review) -> None:
    vid = in_review
    with team.regs["adm"].write() as s:
        save_consumer(
            s,
            get_model(s, "credit"),
            "billing",
            actor=team.logins["adm"],
            webhook_url="https://billing.example/hook",
            secret="k",
        )
    _decide(team, "vic", vid, "do_not_use", comment="target leakage")
    with team.admin.read() as s:
        notice = s.scalars(select(OutboxMessage)).one()
        assert notice.event == "do_not_use" and notice.payload["reason"] == "target leakage"
    for who in ("ann", "vic", "viv"):
        _refused(team, who, "UPDATE outbox SET state = 'delivered'", (), "permission denied")
        _refused(
            team,
            who,
            "INSERT INTO outbox (consumer_id, event, payload, idempotency_key, "
            "state, attempts, next_attempt_at, last_error, created_at) VALUES (1, "
            "'went_live', '{}', 'forged', 'pending', 0, now(), '', now())",
            (),
            "permission denied",
        )
        _refused(
            team,
            who,
            "SELECT signoff__enqueue(%s, 'went_live', '{}', NULL, now()::timestamp)",
            (vid,),
            "permission denied",
        )


def test_the_inventory_columns_are_computed_by_the_database(team, tmp_path) -> None:
    _publish(team, tmp_path)
    for statement in (
        "UPDATE models SET flag_stale = false",
        "UPDATE models SET live_version = 1",
        "UPDATE models SET latest_state = 'live'",
    ):
        _refused(team, "ann", statement, (), "permission denied")
    _refused(team, "viv", "SELECT signoff_set_stale(1, false, '', '{}')", (), "permission denied")
    _refused(team, "ann", "SELECT signoff_set_stale(1, true, 'x', '{}')", (), "")
    # a new model cannot arrive with faked flags either
    team.raw("ann").execute(
        "INSERT INTO models (name, title, description, owner, business_unit, risk_tier, tags, "
        "search_text, task, monitoring_rules, created_at, live_version, flag_stale, "
        "version_count, stale_reason, flag_open_review, flag_dnu_consumed) VALUES ('fake', '', "
        "'', '', '', 'low', '[]', '', 'classification', '{}', now(), 7, true, 3, 'x', true, "
        "true)"
    )
    with team.admin.read() as s:
        fake = get_model(s, "fake")
        assert (fake.live_version, fake.flag_stale, fake.version_count) == (None, False, 0)


def test_nobody_can_stop_the_registry_by_holding_the_chains_lock(team, in_review) -> None:
    vid = in_review
    viewer = team.raw("viv")
    viewer.autocommit = False
    viewer.execute("SELECT pg_advisory_lock(%s)", (0x5169_0FF,))  # the old chain lock
    with pytest.raises(psycopg.Error, match="permission denied"):
        viewer.execute("SELECT * FROM audit_head FOR UPDATE")
    viewer.rollback()
    for mode in ("SHARE", "EXCLUSIVE"):
        with pytest.raises(psycopg.Error, match="permission denied"):
            viewer.execute(f"LOCK TABLE audit_events IN {mode} MODE")
        viewer.rollback()
    viewer.execute("SELECT pg_advisory_lock(%s)", (0x5169_0FF,))
    try:  # while the viewer holds what used to stop every write, a decision still commits
        conn = team.raw("vic")
        conn.execute("SET statement_timeout = '20s'")
        _decide(team, "vic", vid, "approve")
    finally:
        viewer.rollback()
        viewer.autocommit = True
    _verified(team)


def test_policy_and_people_changes_in_raw_sql_carry_the_real_name_and_an_event(team) -> None:
    admin_sql = team.raw("adm")
    admin_sql.execute(
        "INSERT INTO policies (risk_tier, revision, rules, created_at, created_by) VALUES "
        "('low', 99, %s, '2000-01-01', 'mallory')",
        (
            '{"gates": {"production_use": ["validator"], "go_live": ["release_manager"]}, '
            '"checks": []}',
        ),
    )
    _refused(
        team,
        "adm",
        "INSERT INTO policies (risk_tier, revision, rules, created_at, "
        "created_by) VALUES ('low', 1, %s, now(), 'x')",
        ('{"gates": {"production_use": [], "go_live": ["release_manager"]}}',),
        "names no signer",
    )
    _refused(team, "adm", "UPDATE policies SET rules = '{}'", (), "never edited")
    admin_sql.execute(
        "INSERT INTO users (login, display_name, email, active) VALUES "
        "('newbie', 'New Bie', '', true)"
    )
    admin_sql.execute(  # a raw write of a setting (an allowed webhook host) is audited too
        "INSERT INTO settings (key, value) VALUES ('notify.allowed_hosts', %s)",
        ('{"allowed_hosts": ["169.254.169.254"]}',),
    )
    with team.admin.read() as s:
        policy = s.scalars(select(Policy).where(Policy.risk_tier == "low")).one()
        assert (policy.created_by, policy.revision) == (team.logins["adm"], 1)
        assert policy.created_at.year > 2000
        actions = {(e.action, e.actor) for e in s.scalars(select(AuditEvent))}
        assert ("policies.insert", team.logins["adm"]) in actions
        assert ("users.insert", team.logins["adm"]) in actions
        assert ("settings.insert", team.logins["adm"]) in actions  # even an allowed host
    _verified(team)


def test_every_login_has_exactly_the_table_privileges_it_needs(team) -> None:
    """Probe every (login, table, verb) with a statement that touches no row."""
    allowed = {
        "ann": {
            ("models", "INSERT"),
            ("versions", "INSERT"),
            ("components", "INSERT"),
            ("metrics", "INSERT"),
            ("executions", "INSERT"),
            ("predictions", "INSERT"),
            ("outcomes", "INSERT"),
            ("audit_events", "INSERT"),
            ("models", "UPDATE"),
        },
        "adm": {
            ("policies", "INSERT"),
            ("policies", "UPDATE"),
            ("users", "INSERT"),
            ("users", "UPDATE"),
            ("user_roles", "INSERT"),
            ("user_roles", "UPDATE"),
            ("user_roles", "DELETE"),
            ("consumers", "INSERT"),
            ("consumers", "UPDATE"),
            ("consumer_secrets", "INSERT"),
            ("consumer_secrets", "UPDATE"),
            ("consumer_secrets", "DELETE"),
            ("settings", "INSERT"),
            ("settings", "UPDATE"),
            ("audit_events", "INSERT"),
            ("models", "UPDATE"),
            ("outbox", "UPDATE"),
        },
        "ntf": {("outbox", "UPDATE"), ("audit_events", "INSERT")},
    }
    tables = (
        "versions",
        "decisions",
        "evidence",
        "deployments",
        "outbox",
        "policies",
        "users",
        "user_roles",
        "consumers",
        "consumer_secrets",
        "models",
        "audit_events",
        "settings",
    )
    column_grants = {("models", "UPDATE"): "title", ("outbox", "UPDATE"): "state"}
    for who in ("viv", "ann", "vic", "aud", "adm", "run", "ntf"):
        conn = team.raw(who)
        for table in tables:
            for verb in ("INSERT", "UPDATE", "DELETE"):
                default = set() if who == "viv" else {("audit_events", "INSERT")}
                expected = (table, verb) in allowed.get(who, default)
                column = column_grants.get((table, verb))
                if column:
                    got = conn.execute(
                        "SELECT has_column_privilege(current_user, %s::text, %s::text, %s::text)",
                        (table, column, verb),
                    ).fetchone()[0]
                else:
                    got = conn.execute(
                        "SELECT has_table_privilege(current_user, %s::text, %s::text)",
                        (table, verb),
                    ).fetchone()[0]
                assert got == expected, (who, table, verb)
        for column in ("risk_tier", "flag_stale", "live_version", "latest_state", "stale_reason"):
            assert not conn.execute(
                "SELECT has_column_privilege(current_user, 'models', %s::text, 'UPDATE')",
                (column,),
            ).fetchone()[0], (who, column)
        # and the statements themselves, touching no row: refused before they run
        for statement in (
            "UPDATE versions SET state = state WHERE false",
            "DELETE FROM decisions WHERE false",
            "UPDATE models SET flag_stale = flag_stale WHERE false",
        ):
            with pytest.raises(psycopg.Error, match="permission denied"):
                conn.execute(statement)


# -- what only the owner can do, and how verify names it -------------------------------------------
def test_the_owners_tampering_with_signatures_is_named_and_never_counted(team, in_review) -> None:
    vid = in_review
    _decide(team, "vic", vid, "approve", comment="checked the validation report")
    _verified(team)
    owner = team.admin
    with owner.write() as s:
        s.execute(text("ALTER TABLE decisions DISABLE TRIGGER decisions_append_only"))
        s.execute(text("UPDATE decisions SET comment = 'rubber stamp' WHERE action = 'approve'"))
        # and a copy of the validator's signature, standing in for the business owner's
        s.execute(
            text(
                "INSERT INTO decisions (version_id, actor, at, action, gate, role, meaning, "
                "comment, manifest_hash, review_round) SELECT version_id, :bo, at, action, gate, "
                "'business_owner', meaning, comment, manifest_hash, review_round FROM decisions "
                "WHERE action = 'approve'"
            ),
            {"bo": team.logins["bo"]},
        )
        s.execute(text("ALTER TABLE decisions ENABLE TRIGGER decisions_append_only"))
    with owner.read() as s:
        report = verify_registry(s)
        assert not report.intact
        problems = [p.describe() for p in report.records]
        assert any("comment differs" in p for p in problems), problems
        assert any("no audit event records it" in p for p in problems), problems
    with owner.write() as s:  # the forged business-owner signature does not complete the gate
        from signoff.core.governance.gates import missing_roles

        version = s.get(Version, vid)
        assert missing_roles(s, version, "production_use") == ["validator", "business_owner"]
    with pytest.raises(TransitionError):
        run_transition(team.regs["vic"], "go_live", "credit", 1)


def _model_id(team) -> int:
    with team.admin.read() as s:
        return get_version(s, "credit", 1).model_id
