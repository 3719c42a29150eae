"""Planning a campaign's work: which sampled predictions, loaded as plain data, in which batches.

A batch holds predictions of one version, so its scoring process loads the model once; a
version with many drawn predictions is split only as far as there are workers to share it.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import select

from signoff.core.db.registry import Registry
from signoff.core.db.schema import PRODUCTION, Deployment, Prediction, Version
from signoff.core.reproduction.batch import BatchItem
from signoff.core.reproduction.sampling import Sample
from signoff.core.runner import VersionSpec, load_version_spec

MAX_BATCH = 400  # predictions per scoring process at most
MIN_SPLIT = 8  # a batch is split for another worker only when each half keeps this many


def worker_count(requested: int | None, batches: int) -> int:
    """Scoring processes to run at once: as asked, never more than the cores or the batches."""
    cores = os.cpu_count() or 1
    return max(1, min(requested or cores, cores, max(batches, 1)))


def plan_batches(
    by_version: dict[int, list[BatchItem]], workers: int
) -> list[tuple[int, list[BatchItem]]]:
    """Batches of one version each, largest first, split until every worker has one (a model
    loads once per batch, so batches are split only as far as the workers need)."""
    batches: list[tuple[int, list[BatchItem]]] = []
    for version_id, items in by_version.items():
        for start in range(0, len(items), MAX_BATCH):
            batches.append((version_id, items[start : start + MAX_BATCH]))
    while len(batches) < workers:
        batches.sort(key=lambda b: len(b[1]), reverse=True)
        version_id, largest = batches[0]
        if len(largest) < 2 * MIN_SPLIT:
            break
        half = len(largest) // 2
        batches[0:1] = [(version_id, largest[:half]), (version_id, largest[half:])]
    return sorted(batches, key=lambda b: len(b[1]), reverse=True)


def load_sample(
    registry: Registry, sample: Sample
) -> tuple[dict[int, list[BatchItem]], dict[int, VersionSpec]]:
    """The drawn predictions as batch items grouped by version (in sample order), with each
    version's runner data and the version the deployment history says was live then."""
    position = {pid: i + 1 for i, pid in enumerate(sample.ids)}
    items: list[tuple[int, BatchItem]] = []
    with registry.read() as session:
        specs: dict[int, VersionSpec] = {}
        periods: dict[int, list[tuple[Any, Any, int]]] = {}
        for start in range(0, len(sample.ids), 500):
            chunk = sample.ids[start : start + 500]
            for p in session.scalars(select(Prediction).where(Prediction.id.in_(chunk))):
                if p.version_id not in specs:
                    spec = load_version_spec(session, p.version_id)
                    specs[p.version_id] = spec
                    if spec.model_id not in periods:
                        periods[spec.model_id] = list(
                            session.execute(
                                select(Deployment.live_from, Deployment.live_to, Version.number)
                                .join(Version, Version.id == Deployment.version_id)
                                .where(
                                    Deployment.model_id == spec.model_id,
                                    Deployment.environment == PRODUCTION,
                                )
                                .order_by(Deployment.live_from)
                            ).all()
                        )
                spec = specs[p.version_id]
                live = [
                    n
                    for since, until, n in periods[spec.model_id]
                    if since <= p.predicted_at and (until is None or until > p.predicted_at)
                ]
                items.append(
                    (
                        p.version_id,
                        BatchItem(
                            p.id,
                            position[p.id],
                            p.subject_key,
                            p.predicted_at,
                            spec.model,
                            spec.number,
                            p.input_record,
                            p.input_ref,
                            p.input_sha256,
                            p.output,
                            live[-1] if live else None,
                        ),
                    )
                )
    by_version: dict[int, list[BatchItem]] = {}
    for version_id, item in sorted(items, key=lambda x: x[1].position):
        by_version.setdefault(version_id, []).append(item)
    return by_version, specs
