"""The factory loop on a shared PostgreSQL registry, held by the database.

Each person has their own login. An execution process (an author login) that reports runs and
predictions by a do-not-use version gets them stored and flagged by the database, through
``signoff ingest`` or through psql alike; the owner is alerted by the service's fan-out and
the consumer gets its notice; alerts, acknowledgements and flags cannot be written or forged
directly; the summary the database computes is the one the Python rules compute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select, text

from signoff.core.audit.verify import verify_registry
from signoff.core.catalog.lookup import get_model, get_version
from signoff.core.catalog.summary import SUMMARY_COLUMNS, summary_values
from signoff.core.db.registry import db_now
from signoff.core.db.schema import (
    Alert,
    AlertRecipient,
    AuditEvent,
    ConsumerAck,
    DoNotUseUse,
    Model,
    OutboxMessage,
)
from signoff.core.governance.people import save_person
from signoff.core.governance.workflow import note_evidence, run_transition
from signoff.core.ingest.records import ingest_records
from signoff.core.notifications import alerts as al
from signoff.core.notifications.acks import AckError, ack_by_names, record_ack
from signoff.core.notifications.consumers import save_consumer
from signoff.core.notifications.fanout import fan_out_alerts
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder
from tests.helpers.pg_refusals import refused
from tests.helpers.workflow import ALL_CHECKS, add_evidence

pytestmark = pytest.mark.postgres

COUNTED = (Alert, AlertRecipient, ConsumerAck, DoNotUseUse, OutboxMessage, AuditEvent)


def _refused(team, who: str, sql: str, params: tuple = (), match: str = "") -> str:
    return refused(team, who, sql, params, match, counted=COUNTED)


def _live(team, tmp_path: Path, number: int, weights: str) -> None:
    folder = write_model_folder(
        tmp_path / f"m{number}", name="credit", author=team.logins["ann"], weights=weights
    )
    publish(team.regs["ann"], folder)
    run_transition(team.regs["ann"], "submit", "credit", number)
    run_transition(team.regs["vic"], "approve", "credit", number)
    add_evidence(team.admin, "credit", number, ALL_CHECKS)
    with team.regs["vic"].write() as s:
        note_evidence(s, "credit", number, actor=team.regs["vic"].actor)
    run_transition(team.regs["rel"], "approve", "credit", number)
    run_transition(team.regs["rel"], "go_live", "credit", number)


@pytest.fixture
def marked(team, tmp_path) -> datetime:
    """credit v1 live, then v2 live and v1 marked do not use; consumers billing (e-mail) and
    reports (pinned to v1); ann (the owner) has an e-mail address. Returns a time after the
    notice."""
    _live(team, tmp_path, 1, '{"a": 0.1, "b": 0.2}')
    with team.admin.write() as s:
        save_person(s, team.logins["ann"], actor=team.admin.actor, email="ann@example.org")
        model = get_model(s, "credit")
        save_consumer(s, model, "billing", actor=team.admin.actor, email="billing@example.org")
        save_consumer(
            s,
            model,
            "reports",
            actor=team.admin.actor,
            email="reports@example.org",
            pinned_version=get_version(s, "credit", 1),
        )
    _live(team, tmp_path, 2, '{"a": 0.3, "b": 0.1}')
    run_transition(team.regs["vic"], "do_not_use", "credit", 1, comment="leaks the label")
    with team.admin.read() as s:
        return db_now(s) + timedelta(minutes=5)


def _runs(after: datetime, prefix: str, n: int = 2) -> list[dict]:
    return [
        {
            "external_id": f"{prefix}-{i}",
            "version": "credit@1",
            "consumer": "billing",
            "started_at": (after + timedelta(hours=i)).isoformat(),
            "rows_scored": 250,
            "status": "succeeded",
        }
        for i in range(n)
    ]


def test_an_execution_login_using_a_do_not_use_version_is_stored_flagged_and_alerted(
    team, marked
) -> None:
    with team.admin.read() as s:
        notice = s.scalars(select(OutboxMessage).where(OutboxMessage.event == "do_not_use")).all()
        # one per channel of each consumer, naming the live replacement
        assert sorted(m.channel for m in notice) == ["email", "email"]
        assert {m.payload["replacement"]["version"] for m in notice} == {2}
        assert {m.payload["replacement_status"] for m in notice} == {"live"}
    result = ingest_records(team.regs["ann"], "executions", _runs(marked, "nightly"))
    assert result.inserted == 2  # facts are never dropped
    assert len(result.flagged) == 1 and "500 rows scored" in result.flagged[0]
    again = ingest_records(team.regs["ann"], "executions", _runs(marked, "nightly"))
    assert again.inserted == 0 and again.flagged == []
    with team.admin.read() as s:
        use = s.scalars(select(DoNotUseUse)).one()
        assert (use.consumer, use.executions, use.rows_scored) == ("billing", 2, 500)
        assert get_model(s, "credit").flag_dnu_used is True
        told = s.scalars(
            select(OutboxMessage).where(OutboxMessage.event == "do_not_use_used")
        ).all()
        assert [(m.payload["used_by"], m.payload["executions"]) for m in told] == [("billing", 2)]
        assert told[0].payload["replacement"]["version"] == 2
        assert told[0].recipient == "billing@example.org"
        flagged = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "monitoring.do_not_use_used")
        ).all()
        assert [e.actor for e in flagged] == [team.logins["ann"]]  # stamped by the database
    # the service's fan-out alerts the owner (bell and e-mail), once
    assert fan_out_alerts(team.regs["ntf"]) >= 1
    assert fan_out_alerts(team.regs["ntf"]) == 0
    with team.regs["ann"].write() as s:
        mine = al.alerts_for(s, team.logins["ann"])
        used = next(a for a in mine if a.kind == "do_not_use_used")
        assert "billing still uses it" in used.title
        # a person marks only their own alerts read, whoever they claim to be
        assert al.mark_read(s, team.logins["vic"], [used.id]) == 1
    with team.admin.read() as s:
        mail = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.alert_id == used.id, OutboxMessage.person == team.logins["ann"]
            )
        ).one()
        assert mail.channel == "email" and mail.recipient == "ann@example.org"
        read = s.scalar(
            select(AlertRecipient.read_at).where(
                AlertRecipient.alert_id == used.id, AlertRecipient.person == team.logins["ann"]
            )
        )
        assert read is not None
        assert verify_registry(s).intact


def test_a_client_that_skips_the_flag_is_flagged_at_commit(team, marked) -> None:
    """psql as the execution login: plain INSERTs, no call of any function."""
    conn = team.raw("ann")
    with team.admin.read() as s:
        version_id = get_version(s, "credit", 1).id
    with conn.transaction():
        for i in range(3):
            conn.execute(
                "INSERT INTO executions (external_id, version_id, consumer, started_at, "
                "rows_scored, status, input_uri, input_sha256, output_uri) "
                "VALUES (%s, %s, 'night-batch', %s, 100, 'succeeded', '', '', '')",
                (f"raw-{i}", version_id, marked + timedelta(hours=i)),
            )
        conn.execute(
            "INSERT INTO predictions (subject_key, predicted_at, version_id, score, output, "
            "input_ref, input_sha256) "
            "SELECT 'S' || g, %s, %s, 0.5, '0.5', '', '' FROM generate_series(1, 40) g",
            (marked, version_id),
        )
    with team.admin.read() as s:
        uses = {u.consumer: u for u in s.scalars(select(DoNotUseUse))}
        assert (uses["night-batch"].executions, uses["night-batch"].rows_scored) == (3, 300)
        assert uses[""].predictions == 40  # scores without an execution: an unnamed process
        assert get_model(s, "credit").flag_dnu_used is True
        events = s.scalar(
            select(func.count()).where(AuditEvent.action == "monitoring.do_not_use_used")
        )
        assert events == 2  # one per consumer, not one per statement
        assert verify_registry(s).intact


def test_alerts_acks_flags_and_leases_cannot_be_written_or_forged_directly(team, marked) -> None:
    with team.admin.read() as s:
        model_id = get_model(s, "credit").id
        version_id = get_version(s, "credit", 1).id
        billing = s.scalar(text("SELECT id FROM consumers WHERE name = 'billing'"))
    denied = "permission denied"
    for who in ("ann", "vic", "aud", "viv", "run", "ntf"):
        for sql in (
            "INSERT INTO alerts (kind, severity, subject, title, body, payload, dedupe_key, "
            "created_at, created_by) VALUES ('stale', 'info', 'x', 'forged', '', '{}', 'f', "
            "now(), 'x')",
            "UPDATE alert_recipients SET read_at = now() WHERE false",
            "INSERT INTO consumer_acks (consumer_id, version_id, at, via, actor, note, "
            f"notice_key) VALUES ({billing}, {version_id}, now(), 'admin', 'x', '', '')",
            "INSERT INTO dnu_uses (model_id, version_id, consumer, executions, predictions, "
            f"rows_scored, flagged_at, updated_at) VALUES ({model_id}, {version_id}, 'x', 1, 0, "
            "0, now(), now())",
            "DELETE FROM dnu_uses WHERE false",
            "UPDATE service_jobs SET cursor = 0 WHERE false",
            "INSERT INTO outbox (consumer_id, event, payload, idempotency_key, state, attempts, "
            f"next_attempt_at, last_error, created_at) VALUES ({billing}, 'do_not_use', '{{}}', "
            "'forged', 'pending', 0, now(), '', now())",
        ):
            _refused(team, who, sql, match=denied)
        _refused(
            team,
            who,
            "INSERT INTO audit_events (seq, at, actor, action, entity_type, entity_id, payload, "
            "prev_hash, hash) VALUES (0, now(), 'x', 'monitoring.do_not_use_used', 'version', "
            "'credit v1', '{}', '', 'pending-x')",
            match="denied" if who == "viv" else "written only by the database",
        )
    # the key signing acknowledgement links is the notifier's and the admins' only
    _refused(team, "ann", "SELECT key FROM service_keys", match=denied)
    assert team.raw("ntf").execute("SELECT count(*) FROM service_keys").fetchone()[0] == 1
    # an author may neither raise alerts nor acknowledge for a consumer
    _refused(
        team,
        "ann",
        "SELECT signoff_raise_alert('stale', 'info', NULL, NULL, 's', 't', '', '{}', 'k', "
        "ARRAY['x'], true)",
        match=denied,
    )
    _refused(
        team,
        "ann",
        "SELECT signoff_record_ack(%s, %s, 'admin', 'me', '')",
        (billing, version_id),
        match=denied,
    )
    # the notifier answers a signed link, but records no admin's acknowledgement
    with team.regs["ntf"].write() as s, pytest.raises(AckError, match="only an admin"):
        record_ack(s, billing, version_id, via="admin", actor="x", note="phone")
    with team.regs["ntf"].write() as s:
        assert record_ack(s, billing, version_id, via="link", actor="billing") is True
    with team.regs["adm"].write() as s:
        assert ack_by_names(s, "credit", "reports", 1, actor="x", note="phone call") is True
    with team.admin.read() as s:
        acks = {a.via: a.actor for a in s.scalars(select(ConsumerAck))}
        assert acks == {"link": team.logins["ntf"], "admin": team.logins["adm"]}
        assert verify_registry(s).intact


def test_the_database_summary_agrees_with_the_python_rules(team, marked) -> None:
    """Same registry content: what signoff_refresh_summary stored is what the Python summary
    computes from it, column by column, before and after use is flagged and a finding blocks."""

    def agree() -> None:
        with team.admin.read() as s:
            for model in s.scalars(select(Model)):
                stored = {c: getattr(model, c) for c in SUMMARY_COLUMNS}
                assert stored == summary_values(s, model), model.name

    agree()
    ingest_records(team.regs["ann"], "executions", _runs(marked, "agree"))
    agree()
    with team.admin.read() as s:
        assert get_model(s, "credit").flag_dnu_used and get_model(s, "credit").flag_dnu_consumed
    with team.admin.write() as s:
        save_consumer(s, get_model(s, "credit"), "reports", actor=team.admin.actor, active=False)
    agree()


@dataclass(frozen=True)
class Notice:
    payload: dict
    channel: str
    state: str
    key: str


COMMON_FIELDS = {
    "event",
    "model",
    "version",
    "version_id",
    "manifest_hash",
    "state",
    "consumer",
    "idempotency_key",
    "at",
}


def test_notices_written_by_the_database_carry_the_fields_the_python_notices_do(
    team, tmp_path
) -> None:
    """None yet, then the follow-up when a fixed version goes live, the service's reminders
    and a stale notice: every payload has exactly the documented fields."""
    from signoff.core.notifications.notices import EVENT_FIELDS
    from signoff.core.service.reminders import remind_unacknowledged

    _live(team, tmp_path, 1, '{"a": 0.1, "b": 0.2}')
    with team.admin.write() as s:
        model = get_model(s, "credit")
        save_consumer(s, model, "billing", actor=team.admin.actor, email="billing@example.org")
        save_consumer(s, model, "adhoc", actor=team.admin.actor, contact="call Bob")
    run_transition(team.regs["vic"], "do_not_use", "credit", 1, comment="leaks the label")
    _live(team, tmp_path, 2, '{"a": 0.3, "b": 0.1}')
    with team.admin.read() as s:
        later = db_now(s) + timedelta(days=8)
    assert remind_unacknowledged(team.regs["ntf"], 7, now=later) == 2
    assert remind_unacknowledged(team.regs["ntf"], 7, now=later) == 0  # queued once
    with pytest.raises(Exception, match="permission denied"):
        remind_unacknowledged(team.regs["ann"], 7, now=later)
    with team.admin.read() as s:
        model_id = get_model(s, "credit").id
    team.raw("run").execute(
        "SELECT signoff_set_stale(%s, true, 'drift', %s)",
        (model_id, '{"reasons": ["drift: PSI 0.4"], "stale": true}'),
    )
    with team.admin.read() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.consumer_id.is_not(None)))
        by_event: dict[str, list[Notice]] = {}
        for row in rows:
            by_event.setdefault(row.event, []).append(
                Notice(row.payload, row.channel, row.state, row.idempotency_key)
            )
            assert set(row.payload) == COMMON_FIELDS | set(EVENT_FIELDS[row.event]), row.event
            assert row.payload["idempotency_key"] == row.idempotency_key
    dnu = by_event["do_not_use"]
    assert {m.payload["replacement_status"] for m in dnu} == {"none yet"}
    assert sorted((m.payload["consumer"], m.channel, m.state) for m in dnu) == [
        ("adhoc", "webhook", "no_endpoint"),
        ("billing", "email", "pending"),
    ]
    [follow, _] = sorted(by_event["replacement_live"], key=lambda m: m.channel)
    assert follow.payload["replacement"]["version"] == 2 and follow.payload["version"] == 1
    reminders = by_event["do_not_use_reminder"]
    assert {(m.payload["reminder"], m.payload["days_since_notice"]) for m in reminders} == {(1, 8)}
    assert {m.key.split("-")[-1] for m in reminders} >= {"r1"}
    [stale, _] = sorted(by_event["stale_changed"], key=lambda m: m.channel)
    assert stale.payload["version"] == 2 and stale.payload["reasons"] == ["drift: PSI 0.4"]


def test_the_service_logins_run_a_cycle_with_their_own_grants(team, marked) -> None:
    """The monitoring service (runner) and the deliverer (notifier) each run ``signoff serve``'s
    cycle: leases, heartbeats, alerts and reminders go through what their logins may do."""
    from signoff.core.service.cycle import ServiceOptions, run_cycle, service_status

    ingest_records(team.regs["ann"], "executions", _runs(marked, "cycle"))
    options = ServiceOptions(monitor_every=3600, remind_every_days=7)
    first = run_cycle(team.regs["run"], "runner-1", options)
    assert first.errors == [] and first.monitored == ["credit"] and first.alerts >= 1
    second = run_cycle(team.regs["ntf"], "notifier-1", options)
    assert second.errors == [] and second.monitored == []  # judged an hour ago already
    status = service_status(team.admin)
    assert {i["instance"] for i in status["instances"]} >= {"runner-1", "notifier-1"}
    with team.regs["ann"].read() as s:
        kinds = {a.kind for a in al.alerts_for(s, team.logins["ann"])}
        assert {"do_not_use", "do_not_use_used", "went_live"} <= kinds
    # an author runs no service: no lease, no heartbeat
    _refused(team, "ann", "SELECT signoff_claim_job('x', 'me', 60, false, NULL)", match="denied")
    _refused(
        team,
        "ann",
        "INSERT INTO service_instances (instance, host, pid, login, started_at, heartbeat_at, "
        "last_cycle) VALUES ('x', 'h', 1, 'l', now(), now(), '{}')",
        match="denied",
    )


def test_every_login_has_exactly_the_privileges_it_needs_on_the_factory_tables(team) -> None:
    """Probe every (login, table, verb) of the factory loop's and model risk's tables."""
    tables = (
        "alerts",
        "alert_recipients",
        "consumer_acks",
        "dnu_uses",
        "service_jobs",
        "service_instances",
        "service_keys",
        "attestation_periods",
        "attestations",
        "card_entries",
    )
    writes = {
        who: {("service_instances", "INSERT"), ("service_instances", "UPDATE")}
        for who in ("run", "ntf", "adm")
    }
    for who in ("viv", "ann", "vic", "aud", "adm", "run", "ntf"):
        conn = team.raw(who)
        for table in tables:
            for verb in ("SELECT", "INSERT", "UPDATE", "DELETE"):
                if verb == "SELECT":
                    expected = table != "service_keys" or who in ("ntf", "adm")
                else:
                    expected = (table, verb) in writes.get(who, set())
                got = conn.execute(
                    "SELECT has_table_privilege(current_user, %s::text, %s::text)", (table, verb)
                ).fetchone()[0]
                assert got == expected, (who, table, verb)


def test_sqlite_and_postgresql_compute_the_same_summary_rows(registry, pg_url, tmp_path) -> None:
    """The same history on an embedded and on a shared registry: the same inventory columns
    (times aside, which are each database's own clock)."""
    from signoff.core.db.pgroles import init_roles
    from signoff.core.db.registry import open_registry
    from tests.core.test_migration_factory_rules import _used_after_notice

    def rows(reg) -> list[tuple]:
        with reg.read() as s:
            out = []
            for model in s.scalars(select(Model).order_by(Model.name)):
                values = summary_values(s, model)
                stored = {c: getattr(model, c) for c in SUMMARY_COLUMNS}
                assert stored == values  # each database agrees with the rules on its own
                out.append(
                    tuple(
                        (v is None) if c.endswith(("_at", "_since")) else v
                        for c, v in sorted(stored.items())
                    )
                )
            return out

    shared = open_registry(db=pg_url, artifacts=tmp_path / "pg-artifacts")
    registry.set_actor_for_embedded(shared.actor)  # one person on both, as the owner
    try:
        init_roles(shared.engine)
        found = []
        for reg, folder in ((registry, tmp_path / "sqlite"), (shared, tmp_path / "pg")):
            _used_after_notice(reg, folder)
            folder2 = write_model_folder(
                folder / "v2", name="toy-model", author=reg.actor, weights='{"a": 0.5, "b": 0}'
            )
            publish(reg, folder2)
            run_transition(reg, "submit", "toy-model", 2, actor=reg.actor)
            found.append(rows(reg))
        assert found[0] == found[1]
        [row] = found[0]
        assert dict(zip(sorted(SUMMARY_COLUMNS), row, strict=True))["flag_dnu_used"] is True
    finally:
        shared.close()


def test_two_processes_using_a_do_not_use_version_at_once_are_both_counted(team, marked) -> None:
    """The second ingest waits for the first's flag (the model's row), then counts both: no
    lost update, no duplicate flag row."""
    import threading
    import time

    with team.admin.read() as s:
        version_id = get_version(s, "credit", 1).id
    insert = (
        "INSERT INTO executions (external_id, version_id, consumer, started_at, rows_scored, "
        "status, input_uri, input_sha256, output_uri) "
        "VALUES (%s, %s, 'billing', %s, 10, 'succeeded', '', '', '')"
    )
    first = team.raw("ann")
    second = psycopg.connect(team.urls["dual"].replace("postgresql+psycopg://", "postgresql://"))
    errors: list[BaseException] = []

    def other() -> None:
        try:
            with second.transaction():
                second.execute(insert, ("race-b", version_id, marked + timedelta(hours=2)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    try:
        with first.transaction():
            first.execute(insert, ("race-a", version_id, marked + timedelta(hours=1)))
            thread = threading.Thread(target=other)
            thread.start()
            # the barrier: wait until the second transaction is blocked on the model's row
            pid = second.info.backend_pid
            waiting = None
            with team.admin.engine.connect() as probe:
                for _ in range(500):
                    waiting = probe.execute(
                        text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :p"),
                        {"p": pid},
                    ).scalar()
                    probe.rollback()  # a fresh snapshot of pg_stat_activity each time
                    if waiting == "Lock":
                        break
                    time.sleep(0.02)
            assert waiting == "Lock"
        thread.join(30)
    finally:
        second.close()
    assert errors == []
    with team.admin.read() as s:
        use = s.scalars(select(DoNotUseUse)).one()
        assert (use.consumer, use.executions, use.rows_scored) == ("billing", 2, 20)
        assert verify_registry(s).intact
