"""The factory loop in the demo: who moved off customer-churn v2, and the alerts it raised.

customer-churn v2 was marked do not use on 2026-06-15 (its payment-delay feature leaked
post-cancellation data); v3 was live already. Its consumers show the three cases a release
manager meets: ``call-centre-desktop`` acknowledged (a phone call the administrator recorded)
and follows live; ``retention-campaigns`` still pins v2; ``churn-dashboard`` was never told in
time and kept running v2 (its executions after the notice are reported by the factory, stored
and flagged). The alerts of the whole history are then fanned out from the audit trail, so
card-fraud's owner has the alert of its stale flag.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from signoff.core.catalog.lookup import get_model, get_version
from signoff.core.db.registry import Registry
from signoff.core.db.schema import Consumer, ConsumerAck
from signoff.core.ingest.records import ingest_records
from signoff.core.notifications.acks import ack_by_names
from signoff.core.notifications.fanout import fan_out_alerts
from signoff.core.notifications.outbox import save_consumer
from signoff.demo.catalog import ADMINISTRATOR
from signoff.demo.history import FACTORY

MODEL, UNUSABLE = "customer-churn", 2
STILL_USING = "churn-dashboard"
ACKNOWLEDGED = "call-centre-desktop"
#: the weekly dashboard refresh kept scoring with v2 after the notice (500 rows in all)
LATE_RUNS = (datetime(2026, 9, 7, 5), datetime(2026, 9, 14, 5), datetime(2026, 9, 21, 5))
ROWS_PER_RUN = (200, 150, 150)
#: the call-centre tools team rang back the day after the notice (2026-06-15)
ACKNOWLEDGED_AT = datetime(2026, 6, 16, 10, 30)


def play_factory_loop(registry: Registry) -> int:
    """Add the still-using consumer, its late runs and the acknowledgement; fan out alerts.

    Returns how many alerts were raised."""
    with registry.write() as session:
        model = get_model(session, MODEL)
        consumer = save_consumer(
            session,
            model,
            STILL_USING,
            actor=ADMINISTRATOR,
            kind="report",
            contact="BI team, Ines",
            email="bi-team@bank.example",
            pinned_version=get_version(session, MODEL, UNUSABLE),
        )
        consumer.created_at = datetime(2025, 12, 2)
    with registry.write() as session:
        # it was re-pointed at live after the dashboard's owner read the flag, too late
        save_consumer(
            session,
            get_model(session, MODEL),
            STILL_USING,
            actor=ADMINISTRATOR,
            pinned_version=None,
        )
    ingest_records(
        registry,
        "executions",
        [
            {
                "external_id": f"{STILL_USING}-{at:%Y-%m-%d}",
                "model": MODEL,
                "version": UNUSABLE,
                "consumer": STILL_USING,
                "started_at": at,
                "ended_at": at + timedelta(seconds=12),
                "rows_scored": rows,
                "status": "succeeded",
                "duration_s": 12.0,
            }
            for at, rows in zip(LATE_RUNS, ROWS_PER_RUN, strict=True)
        ],
        actor=FACTORY,
        source=f"{MODEL} dashboard refresh (demo)",
    )
    with registry.write() as session:
        ack_by_names(
            session,
            MODEL,
            ACKNOWLEDGED,
            UNUSABLE,
            actor=ADMINISTRATOR,
            note="phone call with the call-centre tools team: the desktop follows live (v3)",
        )
        # back-dated into the story like the rest of the demo, so the Consumers page does not
        # show an acknowledgement months after the "days since notice" it counts from
        ack = session.scalar(
            select(ConsumerAck)
            .join(Consumer, Consumer.id == ConsumerAck.consumer_id)
            .where(Consumer.name == ACKNOWLEDGED)
        )
        if ack is not None:
            ack.at = ACKNOWLEDGED_AT
    return fan_out_alerts(registry)
