"""Staleness: judging each live model against its monitoring rules and keeping its flag.

A live model is stale when any of these holds (each reason is spelled out in
``Model.stale_reason``, one per line):

* **performance** — the monitoring metric was beyond the baseline by more than the tolerance
  (below it for AUC/accuracy, above it for RMSE/MAE) in each of the last ``windows`` judged
  windows (a window is judged when it has at least ``min_labelled`` predictions with outcomes);
* **drift** — the PSI of the latest window with enough scores exceeds ``drift_threshold``;
* **feature drift** — the PSI of an input feature in the latest window with enough input
  records exceeds ``feature_drift_threshold`` (when the rules give one; see
  :mod:`signoff.core.monitoring.features`);
* **age** — more than ``max_age_days`` have passed since the live version was last approved
  (its latest approving decision, or the day it went live when no decision is recorded).

A model with no live version is never stale. The flag and reason are written only when they
change, together with an audit event in the same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from signoff.core.artifacts.protocol import Store
from signoff.core.audit import events
from signoff.core.audit.chain import append_event, canonical_json
from signoff.core.catalog.lookup import live_version_of
from signoff.core.catalog.revalidation import OVERDUE, revalidation_of
from signoff.core.db.registry import Registry, db_now
from signoff.core.db.schema import PRODUCTION, Decision, Deployment, Model, Version
from signoff.core.monitoring.features import FeatureDriftSeries, drift_reason, feature_drift
from signoff.core.monitoring.windows import (
    MIN_REFERENCE_SCORES,
    WINDOW_ORIGIN,
    MonitoringRules,
    MonitoringRulesError,
    VersionSeries,
    version_series,
)
from signoff.core.notifications.notices import STALE_CHANGED
from signoff.core.notifications.outbox import queue_for_consumers

log = logging.getLogger(__name__)


@dataclass
class ModelHealth:
    """What monitoring concluded about one model (plain data; safe to hand to a GUI thread)."""

    model_id: int
    model: str
    live_version: int | None
    stale: bool = False
    reasons: list[str] = field(default_factory=list)
    metric: str = ""
    latest_value: float | None = None
    latest_window: datetime | None = None
    baseline: float | None = None
    latest_psi: float | None = None
    last_approved_at: datetime | None = None
    series: VersionSeries | None = None
    features: FeatureDriftSeries | None = None
    max_feature_psi: float | None = None  # the largest feature PSI of the latest window
    changed: bool = False  # the stored flag or reason was updated by this evaluation
    stored_stale: bool = False  # what the registry held when this was judged
    stored_reason: str = ""

    @property
    def reason(self) -> str:
        """The reasons, one per line (what ``Model.stale_reason`` stores)."""
        return "\n".join(self.reasons)

    @property
    def delta(self) -> float | None:
        """Latest judged value minus baseline, or None."""
        if self.latest_value is None or self.baseline is None:
            return None
        return self.latest_value - self.baseline

    def to_json(self) -> dict[str, Any]:
        """The verdict as plain JSON data (``signoff monitor --json``)."""
        return {
            "model": self.model,
            "live_version": self.live_version,
            "stale": self.stale,
            "reasons": self.reasons,
            "metric": self.metric,
            "latest_value": self.latest_value,
            "latest_window": self.latest_window.isoformat() if self.latest_window else None,
            "baseline": self.baseline,
            "delta": self.delta,
            "latest_psi": self.latest_psi,
            "max_feature_psi": self.max_feature_psi,
            "last_approved_at": (
                self.last_approved_at.isoformat() if self.last_approved_at else None
            ),
            "changed": self.changed,
        }


def last_approval(session: Session, version: Version) -> datetime | None:
    """When *version* was last approved: its latest approving decision, else its go-live."""
    approved = session.scalar(
        select(func.max(Decision.at)).where(
            Decision.version_id == version.id, func.lower(Decision.action).like("%approv%")
        )
    )
    if approved is not None:
        return approved
    return session.scalar(
        select(func.max(Deployment.live_from)).where(
            Deployment.version_id == version.id, Deployment.environment == PRODUCTION
        )
    )


def assess_model(
    session: Session, model: Model, now: datetime, store: Store | None = None
) -> ModelHealth:
    """Judge one model against its rules; reads only."""
    version = live_version_of(session, model.id)
    health = ModelHealth(
        model.id,
        model.name,
        version.number if version else None,
        stored_stale=bool(model.flag_stale),
        stored_reason=model.stale_reason or "",
    )
    if version is None:
        return health
    try:
        rules = MonitoringRules.for_model(model)
    except MonitoringRulesError as exc:
        health.reasons.append(f"monitoring rules cannot be applied: {exc}")
        health.stale = True
        return health
    series = version_series(session, version, rules, store)
    health.series, health.metric, health.baseline = series, rules.metric, series.baseline
    judged = [w for w in series.windows if w.judged]
    if judged:
        health.latest_value, health.latest_window = judged[-1].value, judged[-1].start
    tail = judged[-rules.windows :]
    if series.limit is not None and len(tail) == rules.windows and all(w.breach for w in tail):
        word = "below" if rules.higher_is_better else "above"
        sign = "−" if rules.higher_is_better else "+"
        values = ", ".join(f"{w.value:.3f}" for w in tail)
        health.reasons.append(
            f"performance: {rules.metric.upper()} was {word} baseline {series.baseline:.3f} "
            f"{sign} tolerance {rules.tolerance:g} = {series.limit:.3f} in the last "
            f"{rules.windows} consecutive windows (from {tail[0].start:%Y-%m-%d} to "
            f"{tail[-1].end:%Y-%m-%d}: {values})"
        )
    with_psi = [w for w in series.windows if w.psi is not None]
    if with_psi:
        latest = with_psi[-1]
        health.latest_psi = latest.psi
        if latest.psi is not None and latest.psi > rules.drift_threshold:
            health.reasons.append(
                f"drift: score PSI {latest.psi:.3f} in the window from {latest.start:%Y-%m-%d} "
                f"exceeds the threshold {rules.drift_threshold:g} (against the "
                f"{series.psi_reference})"
            )
    features = feature_drift(
        session,
        version,
        window_days=rules.window_days,
        origin=WINDOW_ORIGIN,
        bins=rules.psi_bins,
        min_reference=MIN_REFERENCE_SCORES,
        store=store,
    )
    health.features = features
    latest_features = features.latest(rules.min_predictions)
    if latest_features is not None:
        health.max_feature_psi = max(
            (f.psi for f in latest_features.features if f.psi is not None), default=None
        )
    if rules.feature_drift_threshold is not None:
        reason = drift_reason(features, rules.feature_drift_threshold, rules.min_predictions)
        if reason:
            health.reasons.append(reason)
    health.last_approved_at = last_approval(session, version)
    if rules.max_age_days is not None and health.last_approved_at is not None:
        age = (now - health.last_approved_at).total_seconds() / 86400
        if age > rules.max_age_days:
            health.reasons.append(
                f"age: v{version.number} was last approved on "
                f"{health.last_approved_at:%Y-%m-%d}, {age:.0f} days ago, more than the "
                f"{rules.max_age_days:g} days allowed"
            )
    # model risk: a live version past its tier's revalidation date is stale too (one never
    # validated at all is the inventory's and the alerts' business, not a monitoring verdict)
    schedule = revalidation_of(session, model, now)
    if schedule is not None and schedule.due is not None and schedule.status == OVERDUE:
        health.reasons.append(f"revalidation: {schedule.describe()}")
    health.stale = bool(health.reasons)
    return health


def assess_all(
    registry: Registry, now: datetime | None = None, models: list[str] | None = None
) -> list[ModelHealth]:
    """Judge every model (or the named ones) without writing anything."""
    with registry.read() as session:
        now = now or db_now(session)
        stmt = select(Model).order_by(Model.name)
        if models:
            stmt = stmt.where(Model.name.in_(models))
        return [assess_model(session, m, now, registry.store) for m in session.scalars(stmt)]


def evaluate_staleness(
    registry: Registry,
    *,
    actor: str | None = None,
    now: datetime | None = None,
    models: list[str] | None = None,
) -> list[ModelHealth]:
    """Judge every model and store each changed stale flag/reason with an audit event.

    The judging reads in one session; each model whose flag or reason changed is then
    updated in its own short write transaction, re-reading the stored flag first.
    """
    actor = actor or registry.actor
    results = assess_all(registry, now, models)
    for health in results:
        if health.stored_stale == health.stale and health.stored_reason == health.reason:
            continue  # nothing to store: no write transaction at all
        with registry.write() as session:
            model = session.get(Model, health.model_id)
            if model is None:
                continue
            payload = {
                "stale": health.stale,
                "reasons": health.reasons,
                "live_version": health.live_version,
            }
            if session.get_bind().dialect.name == "postgresql":
                # the database checks who may judge, stores the flag and audits it
                health.changed = bool(
                    session.execute(
                        text("SELECT signoff_set_stale(:m, :s, :r, CAST(:p AS jsonb))"),
                        {
                            "m": model.id,
                            "s": health.stale,
                            "r": health.reason,
                            "p": canonical_json(payload),
                        },
                    ).scalar_one()
                )
                continue
            if model.flag_stale == health.stale and (model.stale_reason or "") == health.reason:
                continue
            was = model.flag_stale
            model.flag_stale, model.stale_reason = health.stale, health.reason
            if health.stale and not was:
                action = events.FLAGGED_STALE
            elif was and not health.stale:
                action = events.STALE_CLEARED
            else:
                action = events.STALE_REASON_CHANGED
            append_event(
                session,
                actor=actor,
                action=action,
                entity_type="model",
                entity_id=model.name,
                model_id=model.id,
                payload=payload,
            )
            health.changed = True
            _tell_consumers(session, model, health)
            log.info("%s: %s", model.name, action)
    return results


def _tell_consumers(session: Session, model: Model, health: ModelHealth) -> None:
    """The model's consumers hear that the live version turned stale, or no longer is."""
    if health.live_version is None:
        return
    live = session.scalar(
        select(Version).where(Version.model_id == model.id, Version.number == health.live_version)
    )
    if live is not None:
        queue_for_consumers(
            session,
            live,
            STALE_CHANGED,
            payload={"stale": health.stale, "reasons": health.reasons},
        )
