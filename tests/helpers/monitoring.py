"""A live model with monitoring rules, and windows of predictions and outcomes fed to it.

Shared by the monitoring tests of the core, the command line, PostgreSQL and the charts: each
window holds 200 scores a week apart from :data:`START`, 'good' windows separate the classes,
'bad' ones do not, 'drift' ones score a shifted population.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from signoff.core.catalog import lookup
from signoff.core.governance.deployment import record_go_live
from signoff.core.governance.states import change_state
from signoff.core.ingest.records import ingest_records
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder

START = datetime(2026, 1, 5)  # a Monday: windows of 7 days start here
LIVE_FROM = datetime(2026, 1, 1)
RULES = """
[monitoring]
metric = "{metric}"
tolerance = {tolerance}
windows = 2
window_days = 7
drift_threshold = 0.25
max_age_days = 365
min_labelled = 40
"""


def make_live(
    registry,  # noqa: ANN001 - a Registry
    tmp_path: Path,
    *,
    metric: str = "auc",
    tolerance: float = 0.05,
    baseline_value: float = 0.8,
    name: str = "toy-model",
) -> None:
    """Publish *name* v1 with monitoring rules on *metric* and walk it live at LIVE_FROM."""
    extra = RULES.format(metric=metric, tolerance=tolerance)
    toml_metric = baseline_value
    folder = write_model_folder(tmp_path / name, name=name, auc=toml_metric, extra_toml=extra)
    if metric != "auc":
        text = (folder / "signoff.toml").read_text().replace('name = "auc"', f'name = "{metric}"')
        (folder / "signoff.toml").write_text(text)
    publish(registry, folder)
    with registry.write() as s:
        version = lookup.get_version(s, name, 1)
        # walk the lifecycle (PostgreSQL refuses a draft going straight to live)
        for state in ("in_review", "approved", "ready"):
            change_state(s, version, state, at=LIVE_FROM - timedelta(days=1))
        record_go_live(s, version, actor="alice", at=LIVE_FROM)


def window_rows(
    k: int,
    kind: str,
    rng: np.random.Generator,
    n: int = 200,
    labelled: int | None = None,
    name: str = "toy-model",
):
    """Predictions and outcomes for window *k*: 'good' separates the classes, 'bad' does not,
    'drift' scores a shifted population (scores pushed towards 0) that is still separated."""
    scores = rng.random(n)
    if kind == "drift":
        scores = scores**4
    flip = rng.random(n) < 0.1
    separated = (scores > np.median(scores)) ^ flip
    labels = rng.random(n) < 0.5 if kind == "bad" else separated
    at = START + timedelta(days=7 * k + 1)
    preds = [
        {
            "subject_key": f"{name}-w{k}-{i}",
            "predicted_at": at + timedelta(minutes=i),
            "version": f"{name}@1",
            "score": float(scores[i]),
        }
        for i in range(n)
    ]
    outs = [
        {
            "subject_key": f"{name}-w{k}-{i}",
            "observed_at": at + timedelta(days=30),
            "actual": int(labels[i]),
            "model": name,
        }
        for i in range(labelled or n)
    ]
    return preds, outs, scores, labels.astype(int)


def feed(registry, kinds: list[str], seed: int = 0, name: str = "toy-model") -> list:  # noqa: ANN001
    """Ingest one window of predictions and outcomes per entry of *kinds* (see window_rows).

    Returns each window's (scores, labels), the truth a test computes its expectations from.
    """
    rng = np.random.default_rng(seed)
    all_preds, all_outs, truth = [], [], []
    for k, kind in enumerate(kinds):
        preds, outs, scores, labels = window_rows(k, kind, rng, name=name)
        all_preds += preds
        all_outs += outs
        truth.append((scores, labels))
    ingest_records(registry, "predictions", all_preds)
    ingest_records(registry, "outcomes", all_outs)
    return truth
