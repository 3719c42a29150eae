"""Feature drift: the population-stability index of each input feature, live against reference.

Score drift says the model's outputs moved; feature drift says which *inputs* moved, before
the outcomes that would show a loss of performance arrive. For every feature of the input
records the factory reported with its predictions (``input_record``), each monitoring window
is compared with the version's reference inputs (the ``[[tests]]`` inputs it was published
with), or with its first live window when those hold fewer than ``MIN_REFERENCE_SCORES``
records, exactly as for the scores:

* a **numeric** feature (every reference value a number) is binned at the reference's
  quantiles, as the score PSI is;
* a **categorical** feature is compared category by category; a category the reference
  never saw counts in one "unseen" bin, so a new value is drift, not an error.

The staleness rule ``[monitoring] feature_drift_threshold`` (off unless given) makes a model
stale when a feature's PSI in the latest window with enough records exceeds it.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.artifacts.protocol import Store
from signoff.core.common.errors import SignoffError
from signoff.core.db.schema import Component, Prediction, Version
from signoff.core.monitoring import metrics as mm

log = logging.getLogger(__name__)

NUMERIC, CATEGORICAL = "numeric", "categorical"
UNSEEN = "\x00unseen"


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's PSI in one window."""

    feature: str
    kind: str  # numeric | categorical
    psi: float | None
    records: int


@dataclass
class FeatureWindow:
    """Every feature's PSI in one monitoring window."""

    start: datetime
    end: datetime
    records: int
    features: list[FeatureDrift] = field(default_factory=list)


@dataclass
class FeatureDriftSeries:
    """Per-feature drift of one version, window by window, and what it is measured against."""

    reference: str
    features: list[str] = field(default_factory=list)
    windows: list[FeatureWindow] = field(default_factory=list)

    def latest(self, min_records: int) -> FeatureWindow | None:
        """The latest window with at least *min_records* input records."""
        judged = [w for w in self.windows if w.records >= min_records]
        return judged[-1] if judged else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def feature_psi(
    reference: list[Any], current: list[Any], bins: int = 10
) -> tuple[str, float | None]:
    """(kind, PSI) of one feature; None when either side has no values."""
    ref = [v for v in reference if v is not None]
    cur = [v for v in current if v is not None]
    if ref and all(_is_number(v) for v in ref):
        numbers = [float(v) for v in cur if _is_number(v)]
        return NUMERIC, mm.population_stability(ref, numbers, bins) if numbers else None
    if not ref or not cur:
        return CATEGORICAL, None
    ref_counts = Counter(str(v) for v in ref)
    cur_counts = Counter(str(v) if str(v) in ref_counts else UNSEEN for v in cur)
    psi = 0.0
    for category in set(ref_counts) | set(cur_counts):
        r = max(ref_counts.get(category, 0) / len(ref), mm.PSI_EPSILON)
        c = max(cur_counts.get(category, 0) / len(cur), mm.PSI_EPSILON)
        psi += (c - r) * math.log(c / r)
    return CATEGORICAL, float(psi)


def reference_inputs(
    session: Session, store: Store | None, version_id: int
) -> list[dict[str, Any]]:
    """The records of the version's reference inputs (JSON Lines), [] when unavailable."""
    if store is None:
        return []
    components = session.scalars(
        select(Component).where(
            Component.version_id == version_id,
            Component.role == "reference_inputs",
            Component.stored,
        )
    ).all()
    records: list[dict[str, Any]] = []
    for component in components:
        if component.sha256 is None:
            continue
        try:
            content = store.read_bytes(component.sha256, component.name).decode("utf-8")
        except (SignoffError, OSError, UnicodeDecodeError) as exc:
            log.warning("reference inputs %s unreadable: %s", component.name, exc)
            continue
        for line in content.splitlines():
            try:
                value = json.loads(line) if line.strip() else None
            except json.JSONDecodeError:
                value = None
            if isinstance(value, dict):
                records.append(value)
    return records


def _window_start(at: datetime, origin: datetime, size: timedelta) -> datetime:
    return origin + size * math.floor((at - origin) / size)


def feature_drift(
    session: Session,
    version: Version,
    *,
    window_days: int,
    origin: datetime,
    bins: int = 10,
    min_reference: int = 50,
    store: Store | None = None,
) -> FeatureDriftSeries:
    """Every window's per-feature PSI of *version*'s live input records against its reference."""
    size = timedelta(days=window_days)
    buckets: dict[datetime, list[dict[str, Any]]] = {}
    for at, record in session.execute(
        select(Prediction.predicted_at, Prediction.input_record)
        .where(Prediction.version_id == version.id, Prediction.input_record.is_not(None))
        .order_by(Prediction.predicted_at)
    ):
        if isinstance(record, dict):
            buckets.setdefault(_window_start(at, origin, size), []).append(record)
    reference = reference_inputs(session, store, version.id)
    if len(reference) >= min_reference:
        source = f"development reference inputs ({len(reference)} records)"
    elif buckets:
        first = min(buckets)
        reference = buckets[first]
        source = f"first window in production ({first:%Y-%m-%d}, {len(reference)} records)"
    else:
        return FeatureDriftSeries("no input records")
    names = sorted({k for r in reference for k in r})
    series = FeatureDriftSeries(source, names)
    columns = {name: [r.get(name) for r in reference] for name in names}
    for start in sorted(buckets):
        rows = buckets[start]
        window = FeatureWindow(start, start + size, len(rows))
        for name in names:
            kind, psi = feature_psi(columns[name], [r.get(name) for r in rows], bins)
            window.features.append(FeatureDrift(name, kind, psi, len(rows)))
        series.windows.append(window)
    return series


def drift_reason(series: FeatureDriftSeries, threshold: float, min_records: int) -> str | None:
    """The staleness reason when a feature of the latest window drifted beyond *threshold*."""
    latest = series.latest(min_records)
    if latest is None:
        return None
    over = sorted(
        (f for f in latest.features if f.psi is not None and f.psi > threshold),
        key=lambda f: -(f.psi or 0.0),
    )
    if not over:
        return None
    listed = ", ".join(f"{f.feature} {f.psi:.3f}" for f in over)
    return (
        f"feature drift: input PSI in the window from {latest.start:%Y-%m-%d} exceeds the "
        f"threshold {threshold:g} for {listed} (against the {series.reference})"
    )


def top_features(window: FeatureWindow, limit: int = 12) -> list[FeatureDrift]:
    """The window's features by PSI, largest first (unknown PSI last)."""
    return sorted(window.features, key=lambda f: (f.psi is None, -(f.psi or 0.0)))[:limit]


__all__ = ["FeatureDrift", "FeatureDriftSeries", "drift_reason", "feature_drift", "feature_psi"]
