"""The factory loop on real parts: a webhook receiver and an SMTP server (STARTTLS and a login)
on 127.0.0.1 receive and verify every do-not-use notice; acknowledgements by the signed link and
by an admin; use after the notice flagged at ingest; alerts fanned out from the audit trail."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from signoff.core.audit.chain import verify_chain
from signoff.core.catalog.inventory import InventoryQuery, inventory
from signoff.core.catalog.lookup import get_model, get_version
from signoff.core.db.schema import DoNotUseUse, OutboxMessage
from signoff.core.governance.people import save_person
from signoff.core.governance.workflow import note_evidence, run_transition
from signoff.core.ingest.records import ingest_records
from signoff.core.notifications import alerts as al
from signoff.core.notifications.acks import AckError, ack_by_names, ack_key, parse_ack, record_ack
from signoff.core.notifications.consumers import ConsumerError, save_consumer
from signoff.core.notifications.email import SmtpSettings, save_smtp_settings
from signoff.core.notifications.fanout import fan_out_alerts
from signoff.core.notifications.outbox import SIGNATURE_HEADER, deliver_due, verify_signature
from signoff.core.notifications.usage import migration_rows
from tests.core.test_notify import Hook
from tests.helpers.smtp import PASSWORD, USER, SmtpServer
from tests.helpers.workflow import ALL_CHECKS, add_evidence, add_people, publish_version

SECRET = "billing-secret-19"


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch):
    server = SmtpServer(tmp_path)
    monkeypatch.setenv("SIGNOFF_SMTP_PASSWORD", PASSWORD)
    yield server
    server.stop()


@pytest.fixture
def hook():
    h = Hook()
    yield h
    h.stop()


def act(reg, action: str, who: str, number: int = 1, **kw):
    return run_transition(reg, action, "credit", number, actor=who, **kw)


def live(reg, number: int) -> None:
    act(reg, "submit", "alice", number)
    act(reg, "approve", "val", number)
    act(reg, "approve", "biz", number)
    add_evidence(reg, "credit", number, ALL_CHECKS)
    with reg.write() as s:
        note_evidence(s, "credit", number, actor="runner")
    act(reg, "approve", "rel", number)
    act(reg, "go_live", "rel", number)


def setup(reg, tmp_path: Path, hook: Hook, smtp: SmtpServer) -> None:
    add_people(reg)
    publish_version(reg, tmp_path)
    with reg.write() as s:
        save_person(s, "alice", actor="root", email="alice@example.org")
        save_smtp_settings(
            s,
            SmtpSettings(
                host="127.0.0.1",
                port=smtp.port,
                sender="signoff@example.org",
                username=USER,
                cafile=str(smtp.cert),
            ),
        )
        model = get_model(s, "credit")
        # one consumer by webhook and e-mail, one by e-mail only, one that cannot be reached
        save_consumer(
            s,
            model,
            "billing",
            actor="root",
            webhook_url=hook.url,
            secret=SECRET,
            email="billing@example.org",
        )
        save_consumer(s, model, "reports", actor="root", email="reports@example.org")
        save_consumer(s, model, "adhoc", actor="root", contact="call Bob")


def test_do_not_use_reaches_webhook_and_mail_names_replacement_and_follows_up(
    registry, tmp_path, hook, smtp
) -> None:
    setup(registry, tmp_path, hook, smtp)
    live(registry, 1)
    deliver_due(registry)  # the went_live notices
    hook.received.clear()
    smtp.mailbox.messages.clear()

    act(registry, "do_not_use", "val", comment="leaks the label")
    report = deliver_due(registry)
    assert len(report.delivered) == 3 and not report.retrying  # billing x2, reports x1
    payload, body, headers = hook.received[0]
    assert payload["event"] == "do_not_use" and payload["reason"] == "leaks the label"
    assert payload["replacement"] is None and payload["replacement_status"] == "none yet"
    assert payload["must_acknowledge"] is True and "/ack?" in payload["ack_url"]
    assert verify_signature(SECRET, body, headers[SIGNATURE_HEADER])
    mails = smtp.mailbox.to("billing@example.org")
    assert len(mails) == 1 and smtp.mailbox.logins  # sent after STARTTLS and a login
    mail = mails[0]
    assert "Stop using credit v1" in mail["Subject"]
    attachment = next(mail.iter_attachments())
    raw = attachment.get_content()
    assert verify_signature(SECRET, raw, mail[SIGNATURE_HEADER])
    assert json.loads(raw)["idempotency_key"] == mail["Idempotency-Key"]
    assert "none yet" in mail.get_body(("plain",)).get_content()
    assert len(smtp.mailbox.to("reports@example.org")) == 1
    with registry.read() as s:
        told = s.scalars(select(OutboxMessage).where(OutboxMessage.event == "do_not_use")).all()
        adhoc = [m for m in told if m.payload["consumer"] == "adhoc"]
        assert [m.state for m in adhoc] == ["no_endpoint"]  # shown as not reachable

    # the fixed version goes live: everyone told "none yet" hears which one replaces it
    publish_version(registry, tmp_path, weights='{"a": 0.3, "b": 0.1}')
    live(registry, 2)
    hook.received.clear()
    deliver_due(registry)
    follow = [p for p, _b, _h in hook.received if p["event"] == "replacement_live"]
    assert len(follow) == 1 and follow[0]["version"] == 1
    assert follow[0]["replacement"]["version"] == 2 and follow[0]["replacement_status"] == "live"
    assert any("replaces credit v1" in m["Subject"] for m in smtp.mailbox.to("reports@example.org"))
    # a second go-live does not send the follow-up again
    with registry.write() as s:
        from signoff.core.notifications.outbox import queue_follow_ups

        assert queue_follow_ups(s, get_version(s, "credit", 2)) == 0

    # billing acknowledges by the link in its notice; a forged link is refused
    with registry.write() as s:
        key = ack_key(s)
        consumer_id, version_id = parse_ack(key, payload["ack_url"])
        assert record_ack(s, consumer_id, version_id, via="link", actor="billing") is True
        assert record_ack(s, consumer_id, version_id, via="link", actor="billing") is False
    with pytest.raises(AckError, match="not genuine"):
        parse_ack(key, payload["ack_url"].replace("c=", "c=9"))
    with registry.write() as s, pytest.raises(AckError, match="how the consumer acknowledged"):
        ack_by_names(s, "credit", "reports", 1, actor="root", note=" ")
    with registry.write() as s:
        assert ack_by_names(s, "credit", "reports", 1, actor="root", note="phone call with Ann")
        rows = {r.consumer: r for r in migration_rows(s, "credit")}
        assert rows["billing"].acknowledged and rows["billing"].acknowledged_via == "link"
        assert rows["reports"].acknowledgement_note == "phone call with Ann"
        assert not rows["adhoc"].acknowledged
        assert rows["billing"].replacement == 2 and rows["billing"].days_since_notice == 0
        assert verify_chain(s).intact


def test_use_after_notice_is_stored_flagged_alerted_and_shown(
    registry, tmp_path, hook, smtp
) -> None:
    setup(registry, tmp_path, hook, smtp)
    live(registry, 1)
    publish_version(registry, tmp_path, weights='{"a": 0.3, "b": 0.1}')
    live(registry, 2)
    with registry.write() as s:
        model = get_model(s, "credit")
        save_consumer(s, model, "reports", actor="root", pinned_version=get_version(s, "credit", 1))
    act(registry, "do_not_use", "val", comment="leaks the label")
    deliver_due(registry)
    with registry.read() as s:
        from signoff.core.db.registry import db_now

        after = db_now(s) + timedelta(minutes=5)
    runs = [
        {
            "external_id": f"nightly-{i}",
            "version": "credit@1",
            "consumer": "billing",
            "started_at": (after + timedelta(hours=i)).isoformat(),
            "rows_scored": 250,
            "status": "succeeded",
        }
        for i in range(2)
    ]
    result = ingest_records(registry, "executions", runs)
    assert result.inserted == 2  # facts are never dropped
    assert len(result.flagged) == 1 and "billing" in result.flagged[0]
    assert "500 rows scored" in result.flagged[0]
    again = ingest_records(registry, "executions", runs)
    assert again.inserted == 0 and again.flagged == []  # nothing new to flag
    with registry.read() as s:
        use = s.scalars(select(DoNotUseUse)).one()
        assert (use.consumer, use.executions, use.rows_scored) == ("billing", 2, 500)
        rows = inventory(s, InventoryQuery(flags=["dnu_used"]))
        assert [r.name for r in rows] == ["credit"]
        assert "do-not-use still used" in rows[0].flag_words
        statuses = {r.consumer: r.status for r in migration_rows(s, "credit")}
        assert statuses == {"adhoc": "moved", "billing": "still using", "reports": "still pinned"}
    hook.received.clear()
    deliver_due(registry)
    used = [p for p, _b, _h in hook.received if p["event"] == "do_not_use_used"]
    assert len(used) == 1 and used[0]["executions"] == 2 and used[0]["used_by"] == "billing"

    # alerts from the trail: the owner hears of the do-not-use mark and of the use after it
    raised = fan_out_alerts(registry)
    assert raised >= 3  # two go-lives, the mark, the use
    assert fan_out_alerts(registry) == 0  # never twice
    with registry.write() as s:
        mine = al.alerts_for(s, "alice")
        kinds = [a.kind for a in mine]
        assert "do_not_use" in kinds and "do_not_use_used" in kinds
        used_alert = next(a for a in mine if a.kind == "do_not_use_used")
        assert "billing still uses it" in used_alert.title
        count = al.unread_count(s, "alice")
        assert count == len(mine)
        assert al.mark_read(s, "alice", [used_alert.id]) == 1
        assert al.unread_count(s, "alice") == count - 1
        assert al.mark_read(s, "bob", [mine[0].id]) == 0  # nobody reads for someone else
    smtp.mailbox.messages.clear()
    deliver_due(registry)
    owner_mail = smtp.mailbox.to("alice@example.org")
    assert any("still uses it" in m["Subject"] for m in owner_mail)


def test_consumer_update_keeps_other_fields_and_refuses_bad_email(registry, tmp_path) -> None:
    add_people(registry)
    publish_version(registry, tmp_path)
    with registry.write() as s:
        model = get_model(s, "credit")
        save_consumer(s, model, "billing", actor="root", kind="online", contact="Ann, ext 42")
        repinned = save_consumer(
            s, model, "billing", actor="root", pinned_version=get_version(s, "credit", 1)
        )
        assert (repinned.kind, repinned.contact) == ("online", "Ann, ext 42")
        with pytest.raises(ConsumerError, match="not an e-mail address"):
            save_consumer(s, model, "billing", actor="root", email="ann at example")
        with pytest.raises(ConsumerError, match="line break"):
            save_consumer(s, model, "billing", actor="root", email="a@b.org\r\nBcc: x@y.org")


def test_mail_waits_without_smtp_and_fails_in_words_on_a_wrong_password(
    registry, tmp_path, smtp, monkeypatch
) -> None:
    add_people(registry)
    publish_version(registry, tmp_path)
    with registry.write() as s:
        save_consumer(s, get_model(s, "credit"), "reports", actor="root", email="r@example.org")
    act(registry, "do_not_use", "val", comment="broken")
    assert deliver_due(registry).attempted == 0  # no SMTP server: the e-mail waits
    with registry.write() as s:
        save_smtp_settings(
            s,
            SmtpSettings(
                host="127.0.0.1",
                port=smtp.port,
                sender="signoff@example.org",
                username=USER,
                cafile=str(smtp.cert),
            ),
        )
    monkeypatch.setenv("SIGNOFF_SMTP_PASSWORD", "wrong")
    report = deliver_due(registry)
    assert len(report.retrying) == 1 and not smtp.mailbox.messages
    with registry.read() as s:
        message = s.scalars(select(OutboxMessage)).one()
        assert message.state == "pending" and "535" in message.last_error
    monkeypatch.setenv("SIGNOFF_SMTP_PASSWORD", PASSWORD)
    later = datetime.utcnow() + timedelta(days=1)
    assert len(deliver_due(registry, now=later).delivered) == 1
    assert len(smtp.mailbox.to("r@example.org")) == 1


def test_feature_psi_numeric_and_categorical() -> None:
    from signoff.core.monitoring.features import feature_psi

    reference = [i / 100 for i in range(200)]
    same_kind, same = feature_psi(reference, [i / 100 + 0.005 for i in range(200)])
    shifted_kind, shifted = feature_psi(reference, [1.5 + i / 200 for i in range(200)])
    assert same_kind == shifted_kind == "numeric"
    assert same is not None and shifted is not None and same < 0.05 < 0.25 < shifted
    regions = ["north"] * 50 + ["south"] * 50
    kind, stable = feature_psi(regions, ["north"] * 48 + ["south"] * 52)
    _kind, moved = feature_psi(regions, ["north"] * 10 + ["south"] * 20 + ["mars"] * 70)
    assert kind == "categorical" and stable is not None and moved is not None
    assert stable < 0.05 and moved > 1.0  # an unseen category is drift, not an error
    assert feature_psi(regions, []) == ("categorical", None)


def test_readme_documents_every_payload_and_its_verification_snippet_works(
    registry, tmp_path, hook
) -> None:
    from signoff.core.notifications.notices import EVENT_FIELDS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## The factory loop", 1)[1].split("\n## ", 1)[0]
    for event, fields in EVENT_FIELDS.items():
        assert f'"event": "{event}"' in section, event
        for name in fields:
            assert f'"{name}"' in section, (event, name)
    snippet = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(snippet, namespace)  # the receiver's code, exactly as documented
    add_people(registry)
    publish_version(registry, tmp_path)
    with registry.write() as s:
        save_consumer(
            s, get_model(s, "credit"), "billing", actor="root", webhook_url=hook.url, secret=SECRET
        )
    act(registry, "do_not_use", "val", comment="leaks the label")
    deliver_due(registry)
    _payload, body, headers = hook.received[0]
    assert namespace["verify"](SECRET, body, headers[SIGNATURE_HEADER])["reason"] == (
        "leaks the label"
    )
    with pytest.raises(ValueError, match="not from Signoff"):
        namespace["verify"](SECRET, body + b" ", headers[SIGNATURE_HEADER])


def test_feature_drift_threshold_makes_a_model_stale(registry, tmp_path) -> None:
    from signoff.core.monitoring.staleness import evaluate_staleness
    from tests.helpers.monitoring import make_live

    make_live(registry, tmp_path)
    rows = [
        {
            "subject_key": f"S-{week}-{i}",
            "predicted_at": start + timedelta(minutes=i),
            "version": "toy-model@1",
            "output": {"score": (i % 10) / 10},
            "input_record": {"x": shift + (i % 20) / 20, "region": "south"},
        }
        for week, (start, shift) in enumerate(
            ((datetime(2026, 1, 5), 0.0), (datetime(2026, 3, 2), 2.0))
        )
        for i in range(60)
    ]
    ingest_records(registry, "predictions", rows)
    with registry.write() as s:
        model = get_model(s, "toy-model")
        model.monitoring_rules = {**(model.monitoring_rules or {}), "max_age_days": None}
    [before] = evaluate_staleness(registry, models=["toy-model"])
    assert not any("feature drift" in r for r in before.reasons)  # off unless a threshold
    assert before.max_feature_psi is not None and before.max_feature_psi > 1.0
    with registry.write() as s:
        model = get_model(s, "toy-model")
        model.monitoring_rules = {**model.monitoring_rules, "feature_drift_threshold": 0.5}
    [after] = evaluate_staleness(registry, models=["toy-model"])
    reason = next(r for r in after.reasons if r.startswith("feature drift"))
    assert after.stale and "x " in reason and "region" not in reason


def test_reminders_to_unacknowledged_consumers_and_overdue_review_alerts(
    registry, tmp_path, hook
) -> None:
    from signoff.core.notifications.usage import notice_time
    from signoff.core.service.reminders import alert_overdue_reviews, remind_unacknowledged

    add_people(registry)
    publish_version(registry, tmp_path)
    with registry.write() as s:
        model = get_model(s, "credit")
        save_consumer(s, model, "billing", actor="root", webhook_url=hook.url, secret=SECRET)
        save_consumer(s, model, "reports", actor="root", webhook_url=hook.url, secret="r")
    act(registry, "do_not_use", "val", comment="leaks the label")
    with registry.write() as s:
        notice = notice_time(s, get_version(s, "credit", 1).id)
        ack_by_names(s, "credit", "reports", 1, actor="root", note="phone call")
    assert remind_unacknowledged(registry, now=notice + timedelta(days=3)) == 0  # not yet
    assert remind_unacknowledged(registry, now=notice + timedelta(days=7.5)) == 1
    assert remind_unacknowledged(registry, now=notice + timedelta(days=8)) == 0  # sent already
    assert remind_unacknowledged(registry, now=notice + timedelta(days=14.1)) == 1
    deliver_due(registry)
    reminders = [p for p, _b, _h in hook.received if p["event"] == "do_not_use_reminder"]
    assert [(p["consumer"], p["reminder"]) for p in reminders] == [("billing", 1), ("billing", 2)]
    assert reminders[0]["days_since_notice"] == 7 and reminders[0]["reason"] == "leaks the label"
    assert "/ack?" in reminders[0]["ack_url"]

    publish_version(registry, tmp_path, weights='{"a": 0.5, "b": 0.5}')
    act(registry, "submit", "alice", 2)
    with registry.read() as s:
        from signoff.core.db.registry import db_now

        later = db_now(s) + timedelta(days=15)
    assert alert_overdue_reviews(registry, now=later - timedelta(days=2)) == 0
    assert alert_overdue_reviews(registry, now=later) == 1
    assert alert_overdue_reviews(registry, now=later + timedelta(days=1)) == 0  # once
    with registry.read() as s:
        [overdue] = [a for a in al.alerts_for(s, "val") if a.kind == "review_overdue"]
        assert overdue.title == "The review of credit v2 has waited 15 days"
        assert "alice" in {
            p for a in al.alerts_for(s, None) if a.id == overdue.id for p in a.people
        }


def test_a_failed_delivery_alerts_the_owner_and_the_admins(registry, tmp_path) -> None:
    from signoff.core.notifications.outbox import RetryPolicy
    from tests.helpers.smtp import free_port

    add_people(registry)
    publish_version(registry, tmp_path)
    with registry.write() as s:
        save_consumer(
            s,
            get_model(s, "credit"),
            "billing",
            actor="root",
            webhook_url=f"http://127.0.0.1:{free_port()}/down",  # nobody listens
            secret=SECRET,
        )
    act(registry, "do_not_use", "val", comment="leaks the label")
    report = deliver_due(registry, retry=RetryPolicy(max_attempts=1, timeout_seconds=2))
    assert len(report.failed) == 1
    fan_out_alerts(registry)
    with registry.read() as s:
        [failed] = [a for a in al.alerts_for(s, None) if a.kind == "delivery_failed"]
        assert failed.title == "A do not use notice to billing could not be delivered"
        assert "ConnectionError" in failed.body or "refused" in failed.body.lower()
        assert {"alice", "root"} <= set(failed.people)  # the owner and the admin


def test_consumers_hear_when_the_live_version_turns_stale(registry, tmp_path, hook) -> None:
    from signoff.core.monitoring.staleness import evaluate_staleness
    from tests.helpers.monitoring import feed, make_live

    make_live(registry, tmp_path)
    with registry.write() as s:
        save_consumer(
            s,
            get_model(s, "toy-model"),
            "billing",
            actor="root",
            webhook_url=hook.url,
            secret=SECRET,
        )
    feed(registry, ["good", "bad", "bad"], seed=3)
    [health] = evaluate_staleness(registry, models=["toy-model"])
    assert health.stale
    deliver_due(registry)
    told = [p for p, _b, _h in hook.received if p["event"] == "stale_changed"]
    assert len(told) == 1 and told[0]["stale"] is True and told[0]["version"] == 1
    assert told[0]["reasons"] == health.reasons
    evaluate_staleness(registry, models=["toy-model"])  # unchanged: nobody is told again
    deliver_due(registry)
    assert len([p for p, _b, _h in hook.received if p["event"] == "stale_changed"]) == 1
