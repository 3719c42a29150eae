"""Monitoring windows on known data, and staleness rules firing exactly when they should."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import mean_absolute_error, roc_auc_score, root_mean_squared_error
from sqlalchemy import select

from signoff.core.audit.chain import verify_chain
from signoff.core.catalog import inventory, lookup
from signoff.core.db.schema import AuditEvent, Decision, Model
from signoff.core.ingest.records import ingest_records
from signoff.core.monitoring.staleness import assess_all, evaluate_staleness
from signoff.core.monitoring.windows import window_start
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder
from tests.helpers.monitoring import START, feed, make_live, window_rows


def health_of(registry, now: datetime = datetime(2026, 4, 1), name: str = "toy-model"):
    [health] = assess_all(registry, now=now, models=[name])
    return health


def test_windows_match_sklearn_and_hand_counts(registry, tmp_path: Path) -> None:
    make_live(registry, tmp_path)
    truth = feed(registry, ["good", "bad", "good"])
    ingest_records(
        registry,
        "executions",
        [
            {
                "external_id": f"r{i}",
                "version": "toy-model@1",
                "status": status,
                "started_at": START + timedelta(days=d),
            }
            for i, (d, status) in enumerate(
                [(1, "succeeded"), (2, "failed"), (8, "failed"), (15, "succeeded"), (22, "failed")]
            )
        ],
    )
    health = health_of(registry)
    series = health.series
    assert [w.start for w in series.windows] == [START + timedelta(days=7 * k) for k in range(4)]
    assert [w.predictions for w in series.windows] == [200, 200, 200, 0]
    assert [w.labelled for w in series.windows] == [200, 200, 200, 0]
    assert [(w.executions, w.failed_executions) for w in series.windows] == [
        (2, 1),
        (1, 1),
        (1, 0),
        (1, 1),
    ]
    for window, (scores, labels) in zip(series.windows, truth, strict=False):
        assert window.value == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
        assert window.mean_score == pytest.approx(scores.mean())
    assert series.baseline == 0.8 and series.baseline_source == "development metric"
    assert series.limit == pytest.approx(0.75)
    assert [w.breach for w in series.windows[:3]] == [False, True, False]
    # the reference test outputs hold 2 scores: too few, so the first live window is used
    assert series.psi_reference.startswith("first window in production (2026-01-05, 200")
    assert series.windows[0].psi == pytest.approx(0.0)
    assert health.stale is False and health.reasons == []


def test_window_alignment_is_independent_of_the_data() -> None:
    assert window_start(datetime(2026, 1, 11, 23, 59), 7) == datetime(2026, 1, 5)
    assert window_start(datetime(2026, 1, 12), 7) == datetime(2026, 1, 12)
    assert window_start(datetime(2023, 12, 31), 7) == datetime(2023, 12, 25)


@pytest.mark.parametrize(
    ("kinds", "stale"),
    [
        (["good", "good", "bad"], False),  # one breaching window is not enough
        (["good", "bad", "good", "bad"], False),  # breaches, but not consecutive
        (["bad", "bad", "good"], False),  # the latest window recovered
        (["good", "bad", "bad"], True),  # two consecutive breaches at the end
    ],
)
def test_performance_rule_fires_exactly_on_n_consecutive_breaches(
    registry, tmp_path: Path, kinds: list[str], stale: bool
) -> None:
    make_live(registry, tmp_path)
    feed(registry, kinds, seed=1)
    health = health_of(registry)
    assert health.stale is stale
    if stale:
        [reason] = health.reasons
        assert reason.startswith(
            "performance: AUC was below baseline 0.800 − tolerance 0.05 "
            "= 0.750 in the last 2 consecutive windows (from 2026-01-12 "
            "to 2026-01-26:"
        )
    else:
        assert health.reasons == []


def test_windows_without_enough_outcomes_are_not_judged(registry, tmp_path: Path) -> None:
    make_live(registry, tmp_path)
    rng = np.random.default_rng(5)
    preds, outs = [], []
    for k, (kind, labelled) in enumerate([("good", None), ("bad", None), ("bad", 39)]):
        p, o, _, _ = window_rows(k, kind, rng, labelled=labelled)
        preds, outs = preds + p, outs + o
    ingest_records(registry, "predictions", preds)
    ingest_records(registry, "outcomes", outs)
    health = health_of(registry)
    assert [w.judged for w in health.series.windows] == [True, True, False]
    assert health.stale is False  # the last window has 39 < 40 outcomes: only one judged breach


def test_drift_rule(registry, tmp_path: Path) -> None:
    make_live(registry, tmp_path)
    feed(registry, ["good", "good", "drift"], seed=2)
    health = health_of(registry)
    assert health.series.windows[1].psi < 0.25 < health.series.windows[2].psi
    [reason] = health.reasons
    assert reason.startswith(
        f"drift: score PSI {health.latest_psi:.3f} in the window from "
        "2026-01-19 exceeds the threshold 0.25 (against the first window"
    )


def test_age_rule_counts_from_the_latest_approval(registry, tmp_path: Path) -> None:
    make_live(registry, tmp_path)
    assert health_of(registry, now=datetime(2026, 12, 31)).stale is False  # 364 days
    old = health_of(registry, now=datetime(2027, 1, 2))
    assert old.reasons == [
        "age: v1 was last approved on 2026-01-01, 366 days ago, more than the 365 days allowed"
    ]
    with registry.write() as s:
        version = lookup.get_version(s, "toy-model", 1)
        s.add(
            Decision(
                version_id=version.id,
                actor="vera",
                at=datetime(2026, 6, 1),
                action="approve",
                gate="go_live",
                role="validator",
                manifest_hash=version.manifest_hash,
            )
        )
    assert health_of(registry, now=datetime(2027, 1, 2)).stale is False


def test_regression_metric_and_direction(registry, tmp_path: Path) -> None:
    make_live(registry, tmp_path, metric="rmse", tolerance=2.0, baseline_value=10.0)
    rng = np.random.default_rng(9)
    preds, outs, truth = [], [], []
    for k, noise in enumerate([9.0, 13.0, 14.0]):
        actual = rng.normal(100, 15, 100)
        pred = actual + rng.normal(0, noise, 100)
        at = START + timedelta(days=7 * k + 2)
        preds += [
            {
                "subject_key": f"s{k}-{i}",
                "predicted_at": at,
                "version": "toy-model@1",
                "score": float(pred[i]),
            }
            for i in range(100)
        ]
        outs += [
            {
                "subject_key": f"s{k}-{i}",
                "observed_at": at + timedelta(days=7),
                "actual": float(actual[i]),
            }
            for i in range(100)
        ]
        truth.append((actual, pred))
    ingest_records(registry, "predictions", preds)
    ingest_records(registry, "outcomes", outs)
    health = health_of(registry)
    for window, (actual, pred) in zip(health.series.windows, truth, strict=True):
        assert window.value == pytest.approx(root_mean_squared_error(actual, pred))
    assert health.series.limit == 12.0
    assert [w.breach for w in health.series.windows] == [False, True, True]
    assert health.reasons[0].startswith(
        "performance: RMSE was above baseline 10.000 + tolerance 2 = 12.000"
    )
    # MAE on the same pairs, through the stored rules (changed in a write, judged afresh)
    with registry.write() as s:
        model = lookup.get_model(s, "toy-model")
        model.monitoring_rules = dict(model.monitoring_rules, metric="mae", baseline=8.0)
    series = health_of(registry).series
    assert series.baseline_source == "monitoring rules" and series.baseline == 8.0
    assert series.windows[0].value == pytest.approx(mean_absolute_error(*truth[0]))


def test_outcomes_before_the_prediction_or_for_another_model_are_ignored(
    registry, tmp_path: Path
) -> None:
    make_live(registry, tmp_path)
    make_live(registry, tmp_path, name="other-model")
    at = START + timedelta(days=1)
    ingest_records(
        registry,
        "predictions",
        [{"subject_key": "A", "predicted_at": at, "version": "toy-model@1", "score": 0.9}],
    )
    ingest_records(
        registry,
        "outcomes",
        [
            {"subject_key": "A", "observed_at": at - timedelta(days=1), "actual": 0},  # before
            {
                "subject_key": "A",
                "observed_at": at + timedelta(days=1),
                "actual": 0,
                "model": "other-model",
            },  # another model's outcome
            {"subject_key": "A", "observed_at": at + timedelta(days=2), "actual": 1},  # this one
            {"subject_key": "A", "observed_at": at + timedelta(days=3), "actual": 0},
        ],
    )  # later
    window = health_of(registry).series.windows[0]
    assert (window.labelled, window.mean_actual) == (1, 1.0)


def test_evaluate_sets_flag_once_with_audit_event_and_clears_it(registry, tmp_path: Path) -> None:
    make_live(registry, tmp_path)
    feed(registry, ["good", "bad", "bad"], seed=3)
    now = datetime(2026, 4, 1)
    [health] = evaluate_staleness(registry, now=now, actor="monitor-bot")
    assert health.stale and health.changed

    def events() -> list[tuple[str, str, str]]:
        with registry.read() as s:
            return [
                tuple(r)
                for r in s.execute(
                    select(AuditEvent.action, AuditEvent.actor, AuditEvent.payload)
                    .where(AuditEvent.action.like("monitoring.%stale%"))
                    .order_by(AuditEvent.seq)
                )
            ]

    [(action, actor, payload)] = events()
    assert (action, actor) == ("monitoring.flagged_stale", "monitor-bot")
    assert json.loads(payload)["reasons"] == health.reasons
    with registry.read() as s:
        model = lookup.get_model(s, "toy-model")
        assert model.flag_stale and model.stale_reason == health.reason
        rows = inventory.inventory(s, inventory.InventoryQuery(flags=["stale"]))
        assert [r.name for r in rows] == ["toy-model"]
    # evaluating again changes nothing and writes nothing
    [again] = evaluate_staleness(registry, now=now)
    assert again.stale and not again.changed
    assert len(events()) == 1
    # two good windows later the model recovers and the flag is cleared, audited
    rng = np.random.default_rng(4)
    preds, outs = [], []
    for k in (3, 4):
        p, o, _, _ = window_rows(k, "good", rng)
        preds, outs = preds + p, outs + o
    ingest_records(registry, "predictions", preds)
    ingest_records(registry, "outcomes", outs)
    [cleared] = evaluate_staleness(registry, now=now)
    assert not cleared.stale and cleared.changed
    assert [e[0] for e in events()] == ["monitoring.flagged_stale", "monitoring.stale_cleared"]
    with registry.read() as s:
        assert not lookup.get_model(s, "toy-model").flag_stale
        assert verify_chain(s).intact


def test_models_not_live_are_never_stale_and_bad_rules_are_reported(
    registry, tmp_path: Path
) -> None:
    publish(registry, write_model_folder(tmp_path / "draft", name="draft-only"))
    [health] = assess_all(registry, models=["draft-only"])
    assert (health.live_version, health.stale) == (None, False)
    make_live(registry, tmp_path)
    with registry.write() as s:
        s.scalar(select(Model).where(Model.name == "toy-model")).monitoring_rules = {"metric": "f1"}
    health = health_of(registry)
    assert health.stale
    assert "monitoring metric 'f1' must be one of auc, accuracy, rmse, mae" in health.reason
