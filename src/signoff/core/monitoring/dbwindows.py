"""Monitoring windows aggregated by the database, on SQLite and on PostgreSQL alike.

A window's volume, means, metric and score PSI are sums the database can take without
sending a row to Python: one ``GROUP BY`` the window over a version's scored predictions, each
joined with its first later outcome (the same correlated sub-query as ``scored_pairs``).

* the window of a prediction is ``floor(days / window_days)``, where *days* counts whole days
  from :data:`~signoff.core.monitoring.windows.WINDOW_ORIGIN` to the prediction's date: windows
  start at midnight, so the date alone decides, in integer arithmetic on both dialects;
* AUC is the Mann–Whitney rank sum: over the window's labelled scores ordered by score,
  ``rank()`` is a tie's first rank and ``count(*)`` its last, so their mean is the average
  rank of the tie; summed over the positives (one sort, one window);
* accuracy, MAE and RMSE are sums of per-row terms, divided (and rooted) in Python;
* the score PSI counts, per window, the scores above each of the reference's quantile edges;
  the bin counts are the differences. The edges come from the reference scores in Python
  (numpy's quantiles), so a window bins exactly as :func:`metrics.population_stability` would.

What stays in Python is only what a window's few sums give: the divisions, the square root,
the logarithms of the PSI. The outcome is a float column; comparisons are exact doubles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import (
    Float,
    Integer,
    Select,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from signoff.core.db.schema import Outcome, Prediction
from signoff.core.monitoring import metrics as mm

WINDOW_ORIGIN = ORIGIN = datetime(2024, 1, 1)  # a Monday


def window_start(at: datetime, window_days: int) -> datetime:
    """The start of the window holding *at*."""
    size = timedelta(days=window_days)
    return WINDOW_ORIGIN + size * math.floor((at - WINDOW_ORIGIN) / size)


@dataclass
class WindowAggregate:
    """What the database computed for one window of one version."""

    start: datetime
    predictions: int
    labelled: int
    mean_score: float | None
    mean_actual: float | None
    value: float | None
    psi: float | None


def first_outcome(model_id: int) -> Any:
    """The actual of the first outcome for the prediction's subject at or after its time."""
    return (
        select(Outcome.actual)
        .where(
            Outcome.subject_key == Prediction.subject_key,
            Outcome.observed_at >= Prediction.predicted_at,
            or_(Outcome.model_id == model_id, Outcome.model_id.is_(None)),
        )
        .order_by(Outcome.observed_at, Outcome.id)
        .limit(1)
        .correlate(Prediction)
        .scalar_subquery()
    )


def scored_conditions(
    version_id: int, since: datetime | None, until: datetime | None
) -> list[ColumnElement[bool]]:
    """The version's scored predictions inside its lifetime, optionally between two times."""
    conditions = [
        Prediction.version_id == version_id,
        Prediction.score.is_not(None),
        Prediction.outside_lifetime == "",
    ]
    if since is not None:
        conditions.append(Prediction.predicted_at >= since)
    if until is not None:
        conditions.append(Prediction.predicted_at < until)
    return conditions


def window_index(dialect: str, window_days: int) -> ColumnElement[int]:
    """The window number of ``predictions.predicted_at``, in integer arithmetic."""
    if dialect == "postgresql":
        days = f"(CAST(predictions.predicted_at AS DATE) - DATE '{ORIGIN:%Y-%m-%d}')"
    else:
        days = (
            "CAST(julianday(date(predictions.predicted_at)) - "
            f"julianday('{ORIGIN:%Y-%m-%d}') AS INTEGER)"
        )
    n = int(window_days)
    # floor division for negative days too: both dialects truncate integer division to zero
    return literal_column(f"(({days}) - ((({days}) % {n}) + {n}) % {n}) / {n}", Integer)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def first_window_scores(
    session: Session, version_id: int, window_days: int
) -> tuple[datetime | None, list[float]]:
    """The start of a version's first window with scores, and that window's scores only."""
    first = session.scalar(
        select(func.min(Prediction.predicted_at)).where(*scored_conditions(version_id, None, None))
    )
    if first is None:
        return None, []
    size = timedelta(days=window_days)
    start = ORIGIN + size * math.floor((first - ORIGIN) / size)
    scores = session.scalars(
        select(Prediction.score).where(*scored_conditions(version_id, start, start + size))
    ).all()
    return start, [float(s) for s in scores if s is not None]


def _window_query(
    session: Session,
    version_id: int,
    model_id: int,
    metric: str,
    threshold: float,
    inner_edges: list[float],
    window_days: int,
    since: datetime | None,
    until: datetime | None,
) -> Select[Any]:
    # each prediction with its first later outcome, as one join (a hash join on PostgreSQL)
    # rather than one look-up per row: row_number() keeps the earliest outcome, or the
    # prediction alone when it has none
    paired = (
        select(
            window_index(_dialect(session), window_days).label("w"),
            Prediction.score.label("score"),
            Outcome.actual.label("actual"),
            func.row_number()
            .over(partition_by=Prediction.id, order_by=(Outcome.observed_at, Outcome.id))
            .label("nth"),
        )
        .select_from(Prediction)
        .outerjoin(
            Outcome,
            and_(
                Outcome.subject_key == Prediction.subject_key,
                Outcome.observed_at >= Prediction.predicted_at,
                or_(Outcome.model_id == model_id, Outcome.model_id.is_(None)),
            ),
        )
        .where(and_(*scored_conditions(version_id, since, until)))
        .subquery("paired")
    )
    base = (
        select(paired.c.w, paired.c.score, paired.c.actual)
        .where(paired.c.nth == 1)
        # OFFSET 0 keeps the sub-query a fence for the window functions above it
        .offset(0)
        .subquery("base")
    )
    w, score, actual = base.c.w, base.c.score, base.c.actual
    columns: list[Any] = [
        w,
        func.count().label("n"),
        func.sum(score).label("score_sum"),
        func.count(actual).label("labelled"),
        func.sum(actual).label("actual_sum"),
    ]
    source: Any = base
    if metric == "auc":
        unlabelled = actual.is_(None)
        ranked = select(
            w,
            score,
            actual,
            # one window, one sort: rank() is a tie's first rank, count() its last (the
            # default frame ends at the current row's last peer)
            func.rank().over(partition_by=(w, unlabelled), order_by=score).label("rnk"),
            func.count().over(partition_by=(w, unlabelled), order_by=score).label("upto"),
        ).subquery("ranked")
        source = ranked
        w, score, actual = ranked.c.w, ranked.c.score, ranked.c.actual
        positive = and_(actual.is_not(None), actual > 0.5)
        columns = [
            w,
            func.count().label("n"),
            func.sum(score).label("score_sum"),
            func.count(actual).label("labelled"),
            func.sum(actual).label("actual_sum"),
            # a tie's average rank is (first + last) / 2; doubled to stay integer
            func.sum(case((positive, ranked.c.rnk + ranked.c.upto), else_=0)).label("rank_sum2"),
            func.sum(case((positive, 1), else_=0)).label("n_pos"),
        ]
    elif metric == "accuracy":
        thr = literal(float(threshold), Float)
        right = or_(and_(score >= thr, actual > 0.5), and_(score < thr, actual <= 0.5))
        columns.append(func.sum(case((right, 1), else_=0)).label("metric_sum"))
    elif metric == "mae":
        columns.append(func.sum(func.abs(actual - score)).label("metric_sum"))
    elif metric == "rmse":
        columns.append(func.sum((actual - score) * (actual - score)).label("metric_sum"))
    else:
        raise ValueError(f"unknown monitoring metric '{metric}'")
    for i, edge in enumerate(inner_edges):
        above = case((score > literal(float(edge), Float), 1), else_=0)
        columns.append(func.sum(above).label(f"above_{i}"))
    return select(*columns).select_from(source).group_by(w).order_by(w)


def _metric_value(metric: str, row: Any) -> float | None:
    labelled = int(row.labelled)
    if labelled == 0:
        return None
    if metric == "auc":
        n_pos = int(row.n_pos)
        n_neg = labelled - n_pos
        if n_pos == 0 or n_neg == 0:
            return None
        rank_sum = int(row.rank_sum2) / 2.0
        return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))
    total = float(row.metric_sum)
    if metric == "rmse":
        return float(math.sqrt(total / labelled))
    return float(total / labelled)


def window_aggregates(
    session: Session,
    version_id: int,
    model_id: int,
    *,
    metric: str,
    window_days: int,
    threshold: float = 0.5,
    reference: list[float] | None = None,
    psi_bins: int = 10,
    min_predictions: int = 30,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[WindowAggregate]:
    """Every window of a version with scores, oldest first, computed by the database."""
    edges = mm.psi_edges(reference, psi_bins) if reference else None
    inner = [float(e) for e in edges[1:-1]] if edges is not None else []
    ref_share = None
    if edges is not None:
        ref_share = mm.bin_shares(np.asarray(reference, dtype=float), edges)
    query = _window_query(
        session, version_id, model_id, metric, threshold, inner, window_days, since, until
    )
    size = timedelta(days=window_days)
    out = []
    for row in session.execute(query):
        n, labelled = int(row.n), int(row.labelled)
        stat = WindowAggregate(
            ORIGIN + size * int(row.w),
            n,
            labelled,
            float(row.score_sum) / n,
            float(row.actual_sum) / labelled if labelled else None,
            _metric_value(metric, row),
            None,
        )
        if ref_share is not None and n >= min_predictions:
            above = [int(getattr(row, f"above_{i}")) for i in range(len(inner))]
            if above:
                counts = [
                    n - above[0],
                    *(a - b for a, b in zip(above, above[1:], strict=False)),
                    above[-1],
                ]
            else:
                counts = [n]
            stat.psi = mm.psi_of_shares(ref_share, mm.count_shares(counts, n))
        out.append(stat)
    return out


def _latest_labelled(version_id: int, model_id: int, limit: int) -> Any:
    """A version's latest *limit* labelled predictions (score, actual, time, id), a subquery."""
    scored = (
        select(
            Prediction.predicted_at,
            Prediction.id,
            Prediction.score,
            first_outcome(model_id).label("actual"),
        )
        .where(and_(*scored_conditions(version_id, None, None)))
        .subquery("scored")
    )
    return (
        select(scored)
        .where(scored.c.actual.is_not(None))
        .order_by(scored.c.predicted_at.desc(), scored.c.id.desc())
        .limit(limit)
        .subquery("latest")
    )


def latest_labelled_pairs(
    session: Session, version_id: int, model_id: int, limit: int
) -> tuple[list[float], list[float]]:
    """(scores, actuals) of a version's latest *limit* labelled predictions, oldest first."""
    latest = _latest_labelled(version_id, model_id, limit)
    rows = session.execute(
        select(latest.c.score, latest.c.actual).order_by(latest.c.predicted_at, latest.c.id)
    ).all()
    return [float(r[0]) for r in rows], [float(r[1]) for r in rows]


def calibration_bins(
    session: Session, version_id: int, model_id: int, limit: int, bins: int = 10
) -> list[mm.CalibrationBin]:
    """The reliability diagram of the latest *limit* labelled predictions, binned by SQL.

    As :func:`metrics.calibration_bins`: equal-width bins over [0, 1], scores clipped, a score
    on an inner edge in the bin below it, empty bins left out.
    """
    latest = _latest_labelled(version_id, model_id, limit)
    clipped = case(
        (latest.c.score < 0.0, literal(0.0, Float)),
        (latest.c.score > 1.0, literal(1.0, Float)),
        else_=latest.c.score,
    )
    edges = np.linspace(0.0, 1.0, bins + 1)
    index: Any = literal(0, Integer)
    for edge in edges[1:-1]:
        index = index + case((clipped > literal(float(edge), Float), 1), else_=0)
    binned = select(index.label("b"), clipped.label("s"), latest.c.actual.label("actual")).subquery(
        "binned"
    )
    rows = session.execute(
        select(
            binned.c.b,
            func.count(),
            func.sum(binned.c.s),
            func.sum(case((binned.c.actual > 0.5, 1), else_=0)),
        )
        .group_by(binned.c.b)
        .order_by(binned.c.b)
    ).all()
    return [
        mm.CalibrationBin(
            float(edges[b]), float(edges[b + 1]), float(total) / n, int(positive) / n, int(n)
        )
        for b, n, total, positive in rows
    ]
