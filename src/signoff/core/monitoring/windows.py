"""Monitoring metrics per time window, from predictions joined with the outcomes seen later.

A prediction is paired with the *first* outcome for the same subject observed at or after the
prediction time (outcomes recorded for another model are ignored; outcomes with no model apply
to any). Windows are ``window_days`` long, aligned on Monday 2024-01-01 so the same prediction
always falls in the same window whatever the range asked for.

The population-stability index compares a window's scores with a *reference* distribution:

* the version's development data — the scores in its reference outputs (the ``[[tests]]``
  outputs it was published with) when they hold at least ``MIN_REFERENCE_SCORES`` scores. This is
  what the version was validated on, so drift from it is what governance cares about;
* otherwise the scores of the version's first window in production. A handful of reference
  rows cannot estimate a ten-bin distribution, and the first live window is the next best
  picture of "the population the model was approved for". The report names which one was used.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signoff.core.artifacts.protocol import Store
from signoff.core.common.errors import SignoffError
from signoff.core.db.schema import Component, Execution, Metric, Model, Prediction, Version
from signoff.core.ingest.rows import score_of
from signoff.core.monitoring import dbwindows as dbw
from signoff.core.monitoring import metrics as mm
from signoff.core.monitoring.dbwindows import WINDOW_ORIGIN as WINDOW_ORIGIN
from signoff.core.monitoring.dbwindows import window_start
from signoff.core.monitoring.pywindows import aggregate_in_python, first_window
from signoff.core.monitoring.pywindows import scored_pairs as scored_pairs

log = logging.getLogger(__name__)

MIN_REFERENCE_SCORES = 50
SCATTER_LIMIT = 5000


class MonitoringRulesError(SignoffError):
    """A model's ``[monitoring]`` rules are malformed."""


@dataclass(frozen=True)
class MonitoringRules:
    """A model's staleness rules (the manifest's ``[monitoring]`` table), defaults filled in."""

    metric: str
    baseline: float | None = None  # None: the live version's development metric
    tolerance: float = 0.05
    windows: int = 2  # consecutive breaching windows that make a model stale
    window_days: int = 28
    drift_threshold: float = 0.25
    # per-input-feature PSI above which the model is stale (None: feature drift not judged)
    feature_drift_threshold: float | None = None
    max_age_days: float | None = 365.0
    min_labelled: int = 30  # a window with fewer paired outcomes is not judged
    min_predictions: int = 30  # a window with fewer scores gets no PSI
    psi_bins: int = 10
    threshold: float = 0.5  # score >= threshold means the positive class (accuracy)

    @property
    def higher_is_better(self) -> bool:
        """Whether a larger value of the metric is the better one."""
        return mm.HIGHER_IS_BETTER[self.metric]

    @classmethod
    def for_model(cls, model: Model) -> MonitoringRules:
        """Parse ``model.monitoring_rules``; raises MonitoringRulesError naming the bad key."""
        raw = dict(model.monitoring_rules or {})
        default_metric = "rmse" if model.task == "regression" else "auc"
        metric = raw.pop("metric", default_metric)
        if metric not in mm.HIGHER_IS_BETTER:
            raise MonitoringRulesError(
                f"model {model.name}: monitoring metric {metric!r} must be "
                f"one of {', '.join(mm.HIGHER_IS_BETTER)}"
            )
        kwargs: dict[str, Any] = {"metric": metric}
        numeric = {
            "baseline": float,
            "tolerance": float,
            "windows": int,
            "window_days": int,
            "drift_threshold": float,
            "feature_drift_threshold": float,
            "max_age_days": float,
            "min_labelled": int,
            "min_predictions": int,
            "psi_bins": int,
            "threshold": float,
        }
        for key, value in raw.items():
            if key not in numeric:
                continue  # unknown keys are kept in the model row but not used here
            if value is None:
                kwargs[key] = None
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise MonitoringRulesError(
                    f"model {model.name}: monitoring rule {key} = "
                    f"{value!r} must be a non-negative number"
                )
            kwargs[key] = numeric[key](value)
        for key in ("windows", "window_days", "psi_bins"):
            if kwargs.get(key) == 0:
                raise MonitoringRulesError(f"model {model.name}: monitoring rule {key} must be ≥ 1")
        return cls(**kwargs)


@dataclass
class WindowStat:
    """One monitoring window of one version."""

    start: datetime
    end: datetime
    predictions: int = 0
    labelled: int = 0
    value: float | None = None  # the rules' metric on the labelled predictions
    psi: float | None = None
    mean_score: float | None = None
    mean_actual: float | None = None
    executions: int = 0
    failed_executions: int = 0
    breach: bool = False  # judged and beyond baseline ± tolerance
    judged: bool = False  # enough labelled predictions to judge the metric

    def to_json(self) -> dict[str, Any]:
        """The window as plain JSON data."""
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        return data


@dataclass
class VersionSeries:
    """The windows of one version plus what they were measured against."""

    version_id: int
    label: str
    metric: str
    baseline: float | None
    baseline_source: str
    tolerance: float
    psi_reference: str
    windows: list[WindowStat] = field(default_factory=list)
    #: predictions left out of the windows: dated outside the version's lifetime, by kind
    outside_lifetime: dict[str, int] = field(default_factory=dict)

    @property
    def limit(self) -> float | None:
        """The value a window must not fall below (or rise above, for error metrics)."""
        if self.baseline is None:
            return None
        return (
            self.baseline - self.tolerance
            if mm.HIGHER_IS_BETTER[self.metric]
            else self.baseline + self.tolerance
        )


def outside_lifetime_counts(
    session: Session,
    version_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, int]:
    """How many predictions of a version (in ``[since, until)``) are flagged, by kind."""
    query = select(Prediction.outside_lifetime, func.count()).where(
        Prediction.version_id == version_id, Prediction.outside_lifetime != ""
    )
    if since is not None:
        query = query.where(Prediction.predicted_at >= since)
    if until is not None:
        query = query.where(Prediction.predicted_at < until)
    rows = session.execute(query.group_by(Prediction.outside_lifetime)).all()
    return {kind: count for kind, count in rows}


def development_baseline(session: Session, version_id: int, metric: str) -> float | None:
    """The version's recorded development value of *metric* (validation set preferred)."""
    rows = session.execute(
        select(Metric.value, Metric.dataset).where(
            Metric.version_id == version_id, func.lower(Metric.name) == metric
        )
    ).all()
    if not rows:
        return None
    rows = sorted(rows, key=lambda r: (r[1] != "validation", r[1] != "test"))
    return float(rows[0][0])


def reference_scores(session: Session, store: Store | None, version_id: int) -> list[float]:
    """Scores in the version's reference outputs (JSON Lines), [] when unavailable."""
    if store is None:
        return []
    components = session.scalars(
        select(Component).where(
            Component.version_id == version_id,
            Component.role == "reference_outputs",
            Component.stored,
        )
    ).all()
    scores: list[float] = []
    for component in components:
        if component.sha256 is None:  # a stored component always has its hash
            continue
        try:
            text = store.read_bytes(component.sha256, component.name).decode("utf-8")
        except (SignoffError, OSError, UnicodeDecodeError) as exc:
            log.warning("reference outputs %s unreadable: %s", component.name, exc)
            continue
        for line in text.splitlines():
            if line.strip():
                try:
                    score = score_of(json.loads(line))
                except json.JSONDecodeError:
                    score = None
                if score is not None:
                    scores.append(score)
    return scores


def version_series(
    session: Session,
    version: Version,
    rules: MonitoringRules,
    store: Store | None = None,
    *,
    in_database: bool = True,
    since: datetime | None = None,
    until: datetime | None = None,
) -> VersionSeries:
    """Every window of *version*: volume, failed runs, metric against baseline, PSI.

    The windows are aggregated by the database (:mod:`~signoff.core.monitoring.dbwindows`);
    ``in_database=False`` fetches every scored prediction and computes them in Python, the
    reference the database path is tested against. *since*/*until* bound the predictions
    (and runs) considered, for a look at some windows only.
    """
    baseline, source = rules.baseline, "monitoring rules"
    if baseline is None:
        baseline = development_baseline(session, version.id, rules.metric)
        source = "development metric" if baseline is not None else "none recorded"
    series = VersionSeries(
        version.id,
        f"{version.model.name} v{version.number}",
        rules.metric,
        baseline,
        source,
        rules.tolerance,
        "",
    )
    series.outside_lifetime = outside_lifetime_counts(session, version.id, since, until)
    reference = reference_scores(session, store, version.id)
    if len(reference) >= MIN_REFERENCE_SCORES:
        series.psi_reference = f"development reference outputs ({len(reference)} scores)"
        first: datetime | None = None
    elif in_database:
        first, reference = dbw.first_window_scores(session, version.id, rules.window_days)
    else:
        first, reference = None, []  # from the fetched pairs below
    if in_database:
        aggregates = dbw.window_aggregates(
            session,
            version.id,
            version.model_id,
            metric=rules.metric,
            window_days=rules.window_days,
            threshold=rules.threshold,
            reference=reference,
            psi_bins=rules.psi_bins,
            min_predictions=rules.min_predictions,
            since=since,
            until=until,
        )
    else:
        pairs = scored_pairs(session, version.id, version.model_id, since, until)
        if not series.psi_reference and since is None and until is None:
            first, reference = first_window(pairs, rules.window_days)
        elif not series.psi_reference:  # the first window may lie before *since*
            first, reference = dbw.first_window_scores(session, version.id, rules.window_days)
        aggregates = aggregate_in_python(pairs, rules, reference)
    if not series.psi_reference:
        series.psi_reference = (
            f"first window in production ({first:%Y-%m-%d}, {len(reference)} scores)"
            if first
            else "no scores"
        )
    _fill_windows(session, series, version.id, rules, aggregates, since, until)
    return series


def _fill_windows(
    session: Session,
    series: VersionSeries,
    version_id: int,
    rules: MonitoringRules,
    aggregates: list[dbw.WindowAggregate],
    since: datetime | None,
    until: datetime | None,
) -> None:
    """Merge the windows' scores with their runs and judge each against the limit."""
    runs_query = select(Execution.started_at, Execution.status).where(
        Execution.version_id == version_id
    )
    if since is not None:
        runs_query = runs_query.where(Execution.started_at >= since)
    if until is not None:
        runs_query = runs_query.where(Execution.started_at < until)
    run_counts: dict[datetime, list[int]] = {}
    for started, status in session.execute(runs_query).all():
        counts = run_counts.setdefault(window_start(started, rules.window_days), [0, 0])
        counts[0] += 1
        counts[1] += status == "failed"
    by_start = {a.start: a for a in aggregates}
    limit = series.limit
    size = timedelta(days=rules.window_days)
    for start in sorted(set(by_start) | set(run_counts)):
        stat = WindowStat(start, start + size)
        stat.executions, stat.failed_executions = run_counts.get(start, [0, 0])
        agg = by_start.get(start)
        if agg is not None:
            stat.predictions, stat.labelled = agg.predictions, agg.labelled
            stat.mean_score, stat.mean_actual = agg.mean_score, agg.mean_actual
            stat.value, stat.psi = agg.value, agg.psi
        stat.judged = stat.value is not None and stat.labelled >= rules.min_labelled
        if stat.judged and stat.value is not None and limit is not None:
            stat.breach = stat.value < limit if rules.higher_is_better else stat.value > limit
        series.windows.append(stat)


def predicted_vs_actual(
    session: Session, version: Version, limit: int = SCATTER_LIMIT
) -> tuple[list[float], list[float]]:
    """(scores, actuals) of the latest *limit* labelled predictions, oldest first."""
    return dbw.latest_labelled_pairs(session, version.id, version.model_id, limit)
