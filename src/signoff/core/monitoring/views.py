"""Plain data for the metrics and monitoring screens, computed in one call off the GUI thread.

* :func:`model_metrics` — every version's development metrics, for the Metrics tab's grouped
  bars, table of deltas and trend line;
* :func:`version_monitoring` — one version's windows, volume, failed runs and its predicted
  vs actual values (calibration for classifiers, residuals for regressors), for the Runs &
  monitoring tab.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from signoff.core.catalog.lookup import get_model, get_version, live_version_of
from signoff.core.db.registry import Registry
from signoff.core.db.schema import Version
from signoff.core.monitoring import dbwindows as dbw
from signoff.core.monitoring import metrics as mm
from signoff.core.monitoring.features import FeatureDriftSeries, feature_drift
from signoff.core.monitoring.staleness import ModelHealth, assess_model
from signoff.core.monitoring.windows import (
    MIN_REFERENCE_SCORES,
    SCATTER_LIMIT,
    WINDOW_ORIGIN,
    MonitoringRules,
    MonitoringRulesError,
    VersionSeries,
    predicted_vs_actual,
    version_series,
)


@dataclass
class VersionMetrics:
    """One version's development metrics, keyed ``name`` (validation) or ``name (dataset)``."""

    number: int
    state: str
    metrics: dict[str, float]


@dataclass
class ModelMetrics:
    """Every version of a model with its metrics, in version order, and the live one."""

    model: str
    live: int | None
    versions: list[VersionMetrics] = field(default_factory=list)

    @property
    def metric_names(self) -> list[str]:
        """Every metric any version recorded, in first-seen order."""
        names: list[str] = []
        for v in self.versions:
            names += [n for n in v.metrics if n not in names]
        return names

    def version(self, number: int) -> VersionMetrics | None:
        """The metrics of version *number*, or None."""
        return next((v for v in self.versions if v.number == number), None)

    def comparison(self, candidate: int, others: list[int]) -> list[dict[str, Any]]:
        """Rows of metric, candidate value, each other's value and candidate − other."""
        cand = self.version(candidate)
        rows = []
        for name in self.metric_names:
            value = cand.metrics.get(name) if cand else None
            row: dict[str, Any] = {"metric": name, "candidate": value, "others": {}, "deltas": {}}
            for number in others:
                other = self.version(number)
                other_value = other.metrics.get(name) if other else None
                row["others"][number] = other_value
                row["deltas"][number] = (
                    value - other_value if value is not None and other_value is not None else None
                )
            rows.append(row)
        return rows

    def trend(self, metric: str) -> list[tuple[int, float]]:
        """(version number, value) of *metric* across all versions that recorded it."""
        return [(v.number, v.metrics[metric]) for v in self.versions if metric in v.metrics]


def model_metrics(session: Session, model_name: str) -> ModelMetrics:
    """Every version's development metrics for the Metrics tab."""
    model = get_model(session, model_name)
    live = live_version_of(session, model.id)
    versions = session.scalars(
        select(Version)
        .where(Version.model_id == model.id)
        .order_by(Version.number)
        .options(selectinload(Version.metrics))
    ).all()
    out = ModelMetrics(model.name, live.number if live else None)
    for v in versions:
        values = {}
        for m in v.metrics:
            key = m.name if m.dataset in ("validation", "") else f"{m.name} ({m.dataset})"
            values[key] = m.value
        out.versions.append(VersionMetrics(v.number, v.state, values))
    return out


@dataclass
class VersionMonitoring:
    """What the Runs & monitoring tab draws for one version."""

    model: str
    number: int
    task: str
    is_live: bool
    series: VersionSeries | None
    rules_error: str = ""
    scores: list[float] = field(default_factory=list)
    actuals: list[float] = field(default_factory=list)
    calibration: list[mm.CalibrationBin] = field(default_factory=list)
    health: ModelHealth | None = None
    features: FeatureDriftSeries | None = None
    feature_threshold: float | None = None  # the rules' feature_drift_threshold
    drift_threshold: float = 0.25

    @property
    def is_classifier(self) -> bool:
        """True unless the model's task is regression."""
        return self.task != "regression"


def version_monitoring(registry: Registry, model_name: str, number: int) -> VersionMonitoring:
    """Windows, volume, failures and predicted-vs-actual of one version (reads only)."""
    from signoff.core.db.registry import db_now

    with registry.read() as session:
        version = get_version(session, model_name, number)
        model = version.model
        live = live_version_of(session, model.id)
        out = VersionMonitoring(
            model.name, number, model.task, live is not None and live.id == version.id, None
        )
        try:
            rules = MonitoringRules.for_model(model)
        except MonitoringRulesError as exc:
            out.rules_error = str(exc)
            return out
        out.series = version_series(session, version, rules, registry.store)
        out.features = feature_drift(
            session,
            version,
            window_days=rules.window_days,
            origin=WINDOW_ORIGIN,
            bins=rules.psi_bins,
            min_reference=MIN_REFERENCE_SCORES,
            store=registry.store,
        )
        out.feature_threshold, out.drift_threshold = (
            rules.feature_drift_threshold,
            rules.drift_threshold,
        )
        out.scores, out.actuals = predicted_vs_actual(session, version)
        if out.is_classifier and out.scores:
            out.calibration = dbw.calibration_bins(
                session, version.id, version.model_id, SCATTER_LIMIT
            )
        if out.is_live:
            out.health = assess_model(session, model, db_now(session), registry.store)
        return out
