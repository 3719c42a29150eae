"""Monitoring windows computed in Python from every fetched prediction: the reference path.

This is how windows were computed before the database aggregated them
(:mod:`~signoff.core.monitoring.dbwindows`); ``version_series(..., in_database=False)`` still
runs it, and the agreement tests hold the two paths equal on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from signoff.core.db.schema import Prediction
from signoff.core.monitoring import metrics as mm
from signoff.core.monitoring.dbwindows import (
    WindowAggregate,
    first_outcome,
    scored_conditions,
    window_start,
)

if TYPE_CHECKING:
    from signoff.core.monitoring.windows import MonitoringRules


def scored_pairs(
    session: Session,
    version_id: int,
    model_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[tuple[datetime, float, float | None]]:
    """(predicted_at, score, actual or None) for every scored prediction of a version.

    Predictions flagged outside the version's lifetime (signoff.core.ingest.lifetime) are left
    out: they cannot have been made by this version as the registry knows it.
    """
    outcome = first_outcome(model_id)
    rows = session.execute(
        select(Prediction.predicted_at, Prediction.score, outcome)
        .where(and_(*scored_conditions(version_id, since, until)))
        .order_by(Prediction.predicted_at)
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def first_window(
    pairs: list[tuple[datetime, float, float | None]], window_days: int
) -> tuple[datetime | None, list[float]]:
    """The first window of *pairs* and its scores (the Python path's PSI reference)."""
    if not pairs:
        return None, []
    first = min(window_start(at, window_days) for at, _, _ in pairs)
    return first, [s for at, s, _ in pairs if window_start(at, window_days) == first]


def aggregate_in_python(
    pairs: list[tuple[datetime, float, float | None]],
    rules: MonitoringRules,
    reference: list[float],
) -> list[WindowAggregate]:
    """The windows computed from every fetched pair (what the database path replaces)."""
    buckets: dict[datetime, list[tuple[float, float | None]]] = {}
    for at, score, actual in pairs:
        buckets.setdefault(window_start(at, rules.window_days), []).append((score, actual))
    out = []
    for start in sorted(buckets):
        rows = buckets[start]
        stat = WindowAggregate(start, len(rows), 0, None, None, None, None)
        scores = np.fromiter((s for s, _ in rows), float, len(rows))
        stat.mean_score = float(scores.mean())
        labelled = [(s, a) for s, a in rows if a is not None]
        stat.labelled = len(labelled)
        if labelled:
            y_score = [s for s, _ in labelled]
            y_true = [a for _, a in labelled]
            stat.mean_actual = float(np.mean(y_true))
            stat.value = mm.compute_metric(rules.metric, y_true, y_score, rules.threshold)
        if stat.predictions >= rules.min_predictions and reference:
            stat.psi = mm.population_stability(reference, scores, rules.psi_bins)
        out.append(stat)
    return out
