"""Model-risk alerts go through the one alert system: the bell, e-mail through the outbox,
once each, whoever raises them (a command, the service's cycle, the fan-out of the trail)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from signoff.core.db.schema import AuditEvent, OutboxMessage
from signoff.core.governance import alerts as risk
from signoff.core.governance.attestations import open_period
from signoff.core.governance.people import save_person
from signoff.core.notifications import alerts as al
from signoff.core.notifications.fanout import fan_out_alerts
from signoff.core.service.reminders import alert_model_risk
from tests.helpers.monitoring import make_live
from tests.helpers.workflow import add_people


def _people(registry) -> None:
    add_people(registry)
    with registry.write() as s:
        save_person(s, "alice", actor="root", email="alice@example.org")
        save_person(s, "val", actor="root", email="val@example.org")


def test_a_model_risk_alert_reaches_the_bell_and_the_mail_of_people_and_roles(registry) -> None:
    _people(registry)
    alert = risk.Alert(
        risk.ATTESTATION_CORRECTION,
        "attestation-7-correction",
        "",
        "alice corrected credit: consumers: billing is gone",
        ("alice", "validator"),
        {"period": "2026-Q4"},
    )
    with registry.write() as s:
        assert risk.raise_alert(s, alert, actor="alice") is True
        assert risk.raise_alert(s, alert, actor="alice") is False  # once
    with registry.read() as s:
        for person in ("alice", "val", "multi"):  # alice by name, the validators by role
            [row] = al.alerts_for(s, person)
            assert row.kind == "attestation_correction" and row.severity == "warning"
            assert "billing is gone" in row.body
        assert al.alerts_for(s, "biz") == []
        mails = s.scalars(select(OutboxMessage).where(OutboxMessage.event == "alert")).all()
        assert sorted(m.recipient for m in mails) == ["alice@example.org", "val@example.org"]
        assert {m.payload["kind"] for m in mails} == {"attestation_correction"}
        assert [a.key for a in risk.alerts_raised(s)] == ["attestation-7-correction"]
    # the trail's fan-out sees the alert.raised event and raises nothing a second time
    fan_out_alerts(registry)
    with registry.read() as s:
        assert len(al.alerts_for(s, "alice")) == 1


def test_the_service_raises_overdue_revalidation_and_attestation_reminders(
    registry, tmp_path
) -> None:
    _people(registry)
    make_live(registry, tmp_path)  # walked live without a validation: revalidation overdue
    with registry.write() as s:
        open_period(s, "2026-Q4", "2099-12-31", actor="root")
    now = datetime(2026, 6, 1)
    assert alert_model_risk(registry, now=now) == 2
    assert alert_model_risk(registry, now=now) == 0  # the same day: nothing twice
    with registry.read() as s:
        kinds = sorted(a.kind for a in al.alerts_for(s, "alice"))
        assert kinds == ["attestation_reminder", "revalidation_overdue"]
        mails = s.scalar(
            select(func.count()).where(
                OutboxMessage.event == "alert", OutboxMessage.recipient == "alice@example.org"
            )
        )
        assert mails == 2
        raised = s.scalar(select(func.count()).where(AuditEvent.action == "alert.raised"))
        assert raised == 2
