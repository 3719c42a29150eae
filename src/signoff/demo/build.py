"""Building the demo registry's content into an (empty) registry home.

Order: people; then per model, each version's folder is written, trained and published by
its author with :func:`signoff.core.publishing.publish`, back-dated, and walked through its
lifecycle history in date order; then consumers; then the factory history of runs,
predictions and outcomes (their files in the demo's data lake); then the monitoring judgement
and, last, the auditor's stored campaign over August (:mod:`signoff.demo.campaign`). Everything
is deterministic except database timestamps of audit events (they record when the demo was
built, as an audit log must).
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from signoff.core.audit import events
from signoff.core.audit.chain import append_event, event_count
from signoff.core.db.registry import open_registry
from signoff.core.db.schema import Model, Version
from signoff.core.monitoring.staleness import evaluate_staleness
from signoff.core.publishing.publisher import publish
from signoff.demo.campaign import configure_lake, run_demo_campaign
from signoff.demo.catalog import ADMINISTRATOR as ADMIN
from signoff.demo.catalog import ANCHOR, MODELS, ModelSpec
from signoff.demo.factory_loop import play_factory_loop
from signoff.demo.folder import load_predict, write_version_folder
from signoff.demo.history import LAKE_FOLDER, HistoryCounts, record_history
from signoff.demo.lifecycle import (
    add_consumers,
    add_users,
    backdate_publish,
    play_version_history,
)
from signoff.demo.risk import add_model_risk

log = logging.getLogger(__name__)

STEP_ORDER = ("submit", "approve", "reject", "ready", "live", "do_not_use", "retire")


@dataclass
class BuildReport:
    """What a build produced, for the one-line summary and the benchmark."""

    models: int = 0
    versions: int = 0
    executions: int = 0
    predictions: int = 0
    outcomes: int = 0
    audit_events: int = 0
    campaigns: int = 0
    campaign_exceptions: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"{self.models} models, {self.versions} versions, {self.executions} runs, "
            f"{self.predictions:,} predictions, {self.outcomes:,} outcomes, "
            f"{self.audit_events:,} audit events, {self.campaigns} audit campaign "
            f"({self.campaign_exceptions} exceptions)"
        )


def _timed(report: BuildReport, key: str, started: float) -> None:
    report.seconds[key] = report.seconds.get(key, 0.0) + time.perf_counter() - started


def _build_model(registry, model: ModelSpec, home: Path, report: BuildReport) -> None:  # noqa: ANN001
    sources = home / "sources"
    version_ids: dict[int, int] = {}
    predictors, folders = {}, {}
    for spec in model.versions:
        started = time.perf_counter()
        folder = write_version_folder(model, spec, sources / model.name / f"v{spec.number}")
        _timed(report, "folders (train, notebook, tests)", started)
        started = time.perf_counter()
        published = publish(registry, folder, actor=spec.author)
        with registry.write() as session:
            version = session.get(Version, published.version_id)
            backdate_publish(session, version, spec.published)
            if spec.number == 1:
                session.get(Model, version.model_id).created_at = spec.published
        version_ids[spec.number] = published.version_id
        folders[spec.number] = folder
        predictors[spec.number] = load_predict(
            folder, f"_signoff_demo_history_{model.name.replace('-', '_')}_v{spec.number}"
        )
        _timed(report, "publish", started)
        report.versions += 1

    started = time.perf_counter()
    steps = sorted(
        (when, STEP_ORDER.index(step), spec.number, step)
        for spec in model.versions
        for step, when in spec.events.items()
    )
    first_live = min((w for w, _, _, s in steps if s == "live"), default=ANCHOR)
    with registry.write() as session:
        versions = {n: session.get(Version, vid) for n, vid in version_ids.items()}
        db_model = versions[1].model
        # consumers first, so go-lives and do-not-use marks notify them as they would
        add_consumers(session, model, db_model, versions, first_live - timedelta(days=7))
    specs = {spec.number: spec for spec in model.versions}
    for _when, _order, number, step in steps:
        with registry.write() as session:
            version = session.get(Version, version_ids[number])
            play_version_history(
                session, model, specs[number], version, step, folders[number], predictors[number]
            )
    with registry.write() as session:
        db_model = session.get(Model, db_model.id)
        versions = {n: session.get(Version, vid) for n, vid in version_ids.items()}
        _rules_of_live_version(session, db_model, versions)
    _timed(report, "lifecycle and consumers", started)

    started = time.perf_counter()
    counts: HistoryCounts = record_history(registry, model, predictors, home / LAKE_FOLDER)
    report.executions += counts.executions
    report.predictions += counts.predictions
    report.outcomes += counts.outcomes
    _timed(report, "runs, predictions, outcomes", started)


def _rules_of_live_version(session, db_model: Model, versions: dict[int, Version]) -> None:  # noqa: ANN001
    """Publishing leaves the latest candidate's [monitoring] (its baseline) on the model;
    monitoring must judge the live version against its own development baseline."""
    live = next((v for v in versions.values() if v.number == db_model.live_version), None)
    if live is None or db_model.monitoring_rules == live.manifest.get("monitoring"):
        return
    changed = {"from": db_model.monitoring_rules, "to": live.manifest["monitoring"]}
    db_model.monitoring_rules = live.manifest["monitoring"]
    append_event(
        session,
        actor=ADMIN,
        action=events.MODEL_UPDATED,
        entity_type="model",
        entity_id=db_model.name,
        model_id=db_model.id,
        payload={
            "changed": {"monitoring_rules": changed},
            "why": f"baseline of the live version v{live.number}",
        },
    )


def build_into(home: Path) -> BuildReport:
    """Build the whole demo registry into *home* (which must not hold a registry yet)."""
    report = BuildReport()
    registry = open_registry(home=home)
    try:
        registry.set_actor_for_embedded(ADMIN)
        with registry.write() as session:
            add_users(session)
        (home / LAKE_FOLDER).mkdir(parents=True, exist_ok=True)
        configure_lake(registry)
        for model in MODELS:
            # train.py prints its metrics; keep the build quiet
            with contextlib.redirect_stdout(io.StringIO()):
                _build_model(registry, model, home, report)
            report.models += 1
        add_model_risk(registry)
        # the real monitoring judges the recorded history, as of the demo's anchor date
        evaluate_staleness(registry, actor=ADMIN, now=ANCHOR)
        started = time.perf_counter()
        campaign = run_demo_campaign(registry, home)
        report.campaign_exceptions = campaign.drawn - campaign.counts.get("reproduced", 0)
        report.campaigns = 1
        _timed(report, "audit campaign", started)
        # then the factory loop: who moved off the do-not-use version; the alerts raised
        play_factory_loop(registry)
        with registry.read() as session:
            report.audit_events = event_count(session)
            assert session.scalar(select(func.count(Version.id))) == report.versions
    finally:
        registry.close()
    log.info("demo built: %s", report.summary())
    return report
