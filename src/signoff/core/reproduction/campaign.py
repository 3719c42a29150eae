"""Audit campaigns: draw a reproducible sample of recorded predictions, re-run them all in
parallel, and report on the whole in one document.

:func:`run_campaign` draws the sample (:mod:`signoff.core.reproduction.sampling`), stores the
campaign with the audit head at its start (event ``campaign.started`` names every drawn
prediction), splits the sample into batches of one version each and re-runs them with up to
one scoring process per core (:mod:`signoff.core.reproduction.batch`; the threads that drive
them only wait), records each prediction's verdict as it comes back (``prediction.reproduced``,
naming the campaign), and ends with the tally and the audit head at the end
(``campaign.finished``), then stores the campaign report with its hashes in the trail.
A cancel stops the scoring processes; what was done stays recorded and the campaign ends
``cancelled``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from signoff.core.artifacts.store import sha256_bytes
from signoff.core.common.errors import SignoffError
from signoff.core.db.registry import Registry
from signoff.core.db.schema import AuditCampaign
from signoff.core.reproduction.batch import BatchItem, BatchResult, run_batch
from signoff.core.reproduction.campaign_plan import load_sample, plan_batches, worker_count
from signoff.core.reproduction.campaign_records import (
    finish_campaign,
    record_batch,
    start_campaign,
)
from signoff.core.reproduction.campaigns import CANCELLED, FAILED, FINISHED, differ_words
from signoff.core.reproduction.inputs import DataLocation, RecordReader
from signoff.core.reproduction.report import StoredReport, record_stored_report
from signoff.core.reproduction.reproduce import COULD_NOT_RUN, DIFFERS, REPRODUCED
from signoff.core.reproduction.sampling import SampleCriteria, draw_sample
from signoff.core.runner import Limits, VersionSpec, runner_settings
from signoff.core.runner.run import default_limits

log = logging.getLogger(__name__)

# progress(done, total, message)
Progress = Callable[[int, int, str], None]


@dataclass
class CampaignOutcome:
    """How a campaign ended, and its report (None when it failed before the report)."""

    campaign_id: int
    status: str
    drawn: int
    counts: dict[str, int]
    report: StoredReport | None
    html: str = ""
    pdf: bytes = b""
    # per batch: model, version, predictions, seconds, and the model's own load and score time
    timings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 every drawn prediction reproduced, 1 any exception, 2 not finished."""
        if self.status != FINISHED:
            return 2
        return 0 if self.counts.get(REPRODUCED, 0) == self.drawn else 1


def _drive(
    registry: Registry,
    campaign_id: int,
    batches: list[tuple[int, list[BatchItem]]],
    specs: dict[int, VersionSpec],
    *,
    workers: int,
    actor: str,
    limits: Limits | None,
    tolerance: float,
    locations: list[DataLocation],
    progress: Progress | None,
    cancelled: Callable[[], bool] | None,
    timings: list[dict[str, Any]],
) -> bool:
    """Run every batch (noting each one's *timings*); returns True when it ran to the end,
    False when it was cancelled."""
    settings = runner_settings(registry)
    base = limits or default_limits(settings)
    total = sum(len(chunk) for _v, chunk in batches)
    halt = threading.Event()

    def stop() -> bool:
        if not halt.is_set() and cancelled is not None and cancelled():
            halt.set()
        return halt.is_set()

    done, tally = 0, {REPRODUCED: 0, DIFFERS: 0, COULD_NOT_RUN: 0}
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="signoff-campaign")
    try:
        futures: list[Future[BatchResult]] = [
            pool.submit(
                run_batch,
                registry.store,
                specs[version_id],
                settings,
                chunk,
                RecordReader(locations),
                limits=base,
                tolerance=tolerance,
                cancelled=stop,
            )
            for version_id, chunk in batches
        ]
        for future in as_completed(futures):
            try:
                batch = future.result()
            except CancelledError:
                continue
            run = batch.run
            timings.append(
                {
                    "model": batch.spec.model,
                    "version": batch.spec.number,
                    "predictions": len(batch.items),
                    "seconds": batch.seconds,
                    "load_s": run.load_s if run else None,
                    "score_s": run.score_s if run else None,
                }
            )
            for verdict, n in record_batch(registry, campaign_id, batch, actor).items():
                tally[verdict] = tally.get(verdict, 0) + n
                done += n
            if progress is not None:
                progress(
                    done,
                    total,
                    f"{done} of {total} re-run: {tally[REPRODUCED]} reproduced, "
                    f"{differ_words(tally[DIFFERS])}, {tally[COULD_NOT_RUN]} could not run",
                )
            if stop():
                for pending in futures:
                    pending.cancel()
    except BaseException:
        halt.set()  # stop the scoring processes still running before leaving
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return not halt.is_set()


def run_campaign(
    registry: Registry,
    criteria: SampleCriteria,
    *,
    workers: int | None = None,
    limits: Limits | None = None,
    tolerance: float = 1e-9,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    actor: str | None = None,
    locations: list[DataLocation] | None = None,
) -> CampaignOutcome:
    """Draw the sample *criteria* name, re-run every drawn prediction and store the campaign
    and its report; returns how it ended.

    *workers* bounds the scoring processes run at once (default and most: the cores). Raises
    SignoffError for criteria no sample can be drawn by, or a window with nothing recorded,
    before anything is stored; every verdict after that is recorded as it comes back.
    """
    from signoff.core.reproduction.campaign_report import campaign_report

    criteria = criteria.validated()
    actor = actor or registry.actor
    if locations is None:
        from signoff.core.reproduction.datalocations import configured_locations

        locations = configured_locations(registry)
    with registry.read() as session:
        sample = draw_sample(session, criteria)
    if not sample.ids:
        raise SignoffError(
            f"no prediction of {criteria.scope} was recorded from {criteria.start:%Y-%m-%d} "
            f"to {criteria.end:%Y-%m-%d}: there is nothing to sample"
        )
    by_version, specs = load_sample(registry, sample)
    n_workers = worker_count(workers, sum(len(v) for v in by_version.values()))
    batches = plan_batches(by_version, n_workers)
    n_workers = worker_count(n_workers, len(batches))
    campaign_id = start_campaign(registry, sample, n_workers, actor)
    log.info("campaign #%s: %s, %d workers", campaign_id, criteria.describe(), n_workers)
    status = FAILED
    timings: list[dict[str, Any]] = []
    try:
        ran_to_end = _drive(
            registry,
            campaign_id,
            batches,
            specs,
            workers=n_workers,
            actor=actor,
            limits=limits,
            tolerance=tolerance,
            locations=locations,
            progress=progress,
            cancelled=cancelled,
            timings=timings,
        )
        status = FINISHED if ran_to_end else CANCELLED
    except KeyboardInterrupt:
        status = CANCELLED
        raise
    finally:
        counts = finish_campaign(registry, campaign_id, status, actor, len(sample.ids))
    html_text, pdf_bytes = campaign_report(registry, campaign_id)
    stored_hashes = (sha256_bytes(html_text.encode("utf-8")), sha256_bytes(pdf_bytes))

    def note_report(session: Session, seq: int) -> None:
        row = session.get(AuditCampaign, campaign_id)
        assert row is not None
        row.report_html_sha256, row.report_pdf_sha256 = stored_hashes
        row.report_event_seq = seq

    stored = record_stored_report(
        registry,
        html_text,
        pdf_bytes,
        actor=actor,
        entity_type="campaign",
        entity_id=campaign_id,
        payload={"kind": "campaign report", "campaign": campaign_id, "status": status},
        also=note_report,
    )
    return CampaignOutcome(
        campaign_id, status, len(sample.ids), counts, stored, html_text, pdf_bytes, timings
    )
