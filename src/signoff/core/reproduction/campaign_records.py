"""What a campaign writes: its start, each batch's verdicts, and its end, each with its events.

Every write is one transaction with its audit events: ``campaign.started`` (criteria, seed,
method, the population's and the sample's hashes, every drawn prediction, the audit head at the
start), one ``prediction.reproduced`` per re-run prediction naming the campaign, ``run.refused``
for a version whose files failed their hash check, and ``campaign.finished`` (the tally, each
exception, the audit head at the end).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import ProgrammingError

from signoff.core.audit import events
from signoff.core.audit.chain import append_event, head
from signoff.core.common.clock import utcnow
from signoff.core.common.errors import SignoffError
from signoff.core.db.registry import Registry
from signoff.core.db.schema import AuditCampaign, CampaignItem
from signoff.core.reproduction.batch import BatchResult
from signoff.core.reproduction.campaigns import FINISHED_EVENT, RUNNING, STARTED_EVENT
from signoff.core.reproduction.reproduce import CANCELLED as ITEM_CANCELLED
from signoff.core.reproduction.reproduce import COULD_NOT_RUN, DIFFERS, REPRODUCED
from signoff.core.reproduction.sampling import Sample
from signoff.core.runner.run import record_refusal


def start_campaign(registry: Registry, sample: Sample, workers: int, actor: str) -> int:
    """Store the campaign as running, with the audit head now, and ``campaign.started``;
    returns its id. A shared registry refuses a login without the auditor role."""
    c = sample.criteria
    try:
        with registry.write() as session:
            seq, hash_ = head(session)
            row = AuditCampaign(
                actor=actor,
                status=RUNNING,
                window_from=c.start,
                window_to=c.end,
                model=c.model,
                tier=c.tier,
                requested=c.size,
                seed=c.seed,
                method=sample.method,
                population=sample.population,
                population_sha256=sample.population_sha256,
                sample_sha256=sample.sample_sha256,
                workers=workers,
                head_start_seq=seq,
                head_start_hash=hash_,
            )
            session.add(row)
            session.flush()
            event = append_event(
                session,
                actor=actor,
                action=STARTED_EVENT,
                entity_type="campaign",
                entity_id=row.id,
                payload={
                    "campaign": row.id,
                    "criteria": c.describe(),
                    "window": [c.start, c.end],
                    "model": c.model,
                    "tier": c.tier,
                    "size": c.size,
                    "seed": c.seed,
                    "method": sample.method,
                    "population": sample.population,
                    "population_sha256": sample.population_sha256,
                    "sample_sha256": sample.sample_sha256,
                    "sample": sample.ids,
                    "workers": workers,
                    "head_start": {"seq": seq, "hash": hash_},
                },
                sealed=True,
            )
            row.started_event_seq = event.seq
            return row.id
    except ProgrammingError as exc:
        if "permission denied" in str(exc):
            raise SignoffError(
                "only auditors run campaigns on a shared registry: the login needs the "
                "auditor role (signoff_auditor)"
            ) from None
        raise


def record_batch(
    registry: Registry, campaign_id: int, batch: BatchResult, actor: str
) -> dict[str, int]:
    """Record each verdict of *batch* (cancelled ones are not verdicts) with its event;
    returns how many of each verdict were recorded."""
    if batch.refused:
        record_refusal(
            registry,
            batch.spec,
            [c for c in batch.hash_checks if not c.ok],
            actor=actor,
            purpose=f"audit campaign #{campaign_id}",
        )
    environment = [
        f"environment: {d.describe()}"
        for d in (batch.environment.differences if batch.environment else [])
    ]
    counts: dict[str, int] = {}
    with registry.write() as session:
        for result in batch.items:
            if result.verdict == ITEM_CANCELLED:
                continue
            item = result.item
            findings = result.findings + environment
            event = append_event(
                session,
                actor=actor,
                action=events.PREDICTION_REPRODUCED,
                entity_type="prediction",
                entity_id=item.prediction_id,
                model_id=batch.spec.model_id,
                version_id=batch.spec.version_id,
                payload={
                    "campaign": campaign_id,
                    "verdict": result.verdict,
                    "reason": result.reason,
                    "model": item.model,
                    "version": item.version,
                    "manifest_hash": batch.spec.manifest_hash,
                    "subject_key": item.subject_key,
                    "predicted_at": item.predicted_at,
                    "input": result.input_source,
                    "differences": [d.describe() for d in result.differences][:20],
                    "findings": findings[:20],
                },
                sealed=True,
            )
            session.add(
                CampaignItem(
                    campaign_id=campaign_id,
                    position=item.position,
                    prediction_id=item.prediction_id,
                    version_id=batch.spec.version_id,
                    verdict=result.verdict,
                    reason=result.reason,
                    findings=findings,
                    event_seq=event.seq,
                )
            )
            counts[result.verdict] = counts.get(result.verdict, 0) + 1
    return counts


def finish_campaign(
    registry: Registry, campaign_id: int, status: str, actor: str, drawn: int
) -> dict[str, int]:
    """End the campaign with *status*: the tally from its recorded items, the audit head now,
    and ``campaign.finished``; returns the count of each verdict."""
    with registry.write() as session:
        row = session.get(AuditCampaign, campaign_id)
        assert row is not None
        counts: dict[str, int] = {
            verdict: n
            for verdict, n in session.execute(
                select(CampaignItem.verdict, func.count(CampaignItem.id))
                .where(CampaignItem.campaign_id == campaign_id)
                .group_by(CampaignItem.verdict)
            )
        }
        exceptions = [
            {"prediction": pid, "verdict": verdict, "reason": reason, "event": seq}
            for pid, verdict, reason, seq in session.execute(
                select(
                    CampaignItem.prediction_id,
                    CampaignItem.verdict,
                    CampaignItem.reason,
                    CampaignItem.event_seq,
                )
                .where(CampaignItem.campaign_id == campaign_id, CampaignItem.verdict != REPRODUCED)
                .order_by(CampaignItem.position)
            )
        ]
        seq, hash_ = head(session)
        recorded = sum(counts.values())
        event = append_event(
            session,
            actor=actor,
            action=FINISHED_EVENT,
            entity_type="campaign",
            entity_id=campaign_id,
            payload={
                "campaign": campaign_id,
                "status": status,
                "counts": counts,
                "exceptions": exceptions[:500],
                "head_end": {"seq": seq, "hash": hash_},
            },
            sealed=True,
        )
        row.status = status
        row.reproduced = counts.get(REPRODUCED, 0)
        row.differs = counts.get(DIFFERS, 0)
        row.could_not_run = counts.get(COULD_NOT_RUN, 0)
        row.not_run = max(0, drawn - recorded)
        row.head_end_seq, row.head_end_hash = seq, hash_
        row.finished_event_seq = event.seq
        row.finished_at = utcnow()
    return counts
