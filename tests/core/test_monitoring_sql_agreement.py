"""Windows aggregated by the database agree with the Python path, on SQLite and PostgreSQL.

The same registry is read both ways (``version_series(in_database=True/False)``), on data built
to hit the edges: an empty version, a window with one class only, a window with no outcomes,
unlabelled predictions among labelled ones, tied scores, scores at 0 and 1 and on the PSI
quantile edges, outcomes observed before the prediction (ignored), predictions
dated before the window origin (negative day numbers) and flagged outside the lifetime.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import update

from signoff.core.catalog import lookup
from signoff.core.db.schema import Prediction
from signoff.core.ingest.records import ingest_records
from signoff.core.monitoring import dbwindows as dbw
from signoff.core.monitoring import metrics as mm
from signoff.core.monitoring import pywindows
from signoff.core.monitoring.windows import (
    MonitoringRules,
    predicted_vs_actual,
    scored_pairs,
    version_series,
)
from tests.helpers.monitoring import START, make_live

TOL = 1e-9
METRICS = ["auc", "accuracy", "rmse", "mae"]


@pytest.fixture(params=["sqlite", "postgresql"])
def any_registry(request: pytest.FixtureRequest):
    """A registry on SQLite, then on PostgreSQL (skipped without SIGNOFF_TEST_PG_URL)."""
    name = "registry" if request.param == "sqlite" else "pg_registry"
    return request.getfixturevalue(name)


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=TOL, abs_tol=TOL)


def assert_same_series(old, new) -> None:  # noqa: ANN001 - two VersionSeries
    assert new.psi_reference == old.psi_reference
    assert (new.baseline, new.baseline_source) == (old.baseline, old.baseline_source)
    assert [w.start for w in new.windows] == [w.start for w in old.windows]
    for o, n in zip(old.windows, new.windows, strict=True):
        assert (n.predictions, n.labelled, n.executions, n.failed_executions) == (
            o.predictions,
            o.labelled,
            o.executions,
            o.failed_executions,
        ), o.start
        for name in ("value", "psi", "mean_score", "mean_actual"):
            assert close(getattr(o, name), getattr(n, name)), (o.start, name, o, n)
        assert (n.judged, n.breach) == (o.judged, o.breach), o.start


def edge_data(registry, seed: int = 7) -> None:  # noqa: ANN001
    """Five weekly windows of awkward predictions and outcomes for toy-model v1."""
    rng = np.random.default_rng(seed)
    preds, outs = [], []

    def add(k: int, i: int, score: float, actual: float | None, **outcome) -> None:  # noqa: ANN003
        key = f"w{k}-{i}"
        at = START + timedelta(days=7 * k, hours=1, minutes=i)
        preds.append(
            {"subject_key": key, "predicted_at": at, "version": "toy-model@1", "score": score}
        )
        if actual is not None:
            when = outcome.get("observed_at", at + timedelta(days=40))
            outs.append(
                {
                    "subject_key": key,
                    "observed_at": when,
                    "actual": actual,
                    "model": outcome.get("model", "toy-model"),
                }
            )

    # window 0: tied scores on a 0.1 grid, 0 and 1 included, a third unlabelled
    for i in range(120):
        score = round(float(rng.integers(0, 11)) / 10, 1)
        actual = None if i % 3 == 0 else float(rng.random() < score)
        add(0, i, score, actual)
    # window 1: one class only (every outcome 1), continuous scores
    for i in range(80):
        add(1, i, float(rng.random()), 1.0)
    # window 2: no outcome at all
    for i in range(60):
        add(2, i, float(rng.random() ** 3), None)
    # window 3: probabilities as actuals, scores outside [0, 1] for the errors
    for i in range(90):
        add(3, i, float(rng.normal(0.5, 0.4)), float(rng.random()))
    # window 4: a few rows, each outcome kind: later (counted), before (ignored)
    for i in range(12):
        at = START + timedelta(days=28, hours=1, minutes=i)
        when = at - timedelta(days=1) if i % 4 == 0 else at + timedelta(days=1)
        add(4, i, float(i % 5) / 4, float(i % 2), observed_at=when)
    # a second, later outcome for some subjects: the first one after the prediction counts
    for out in list(outs[::5]):
        later = dict(out, observed_at=out["observed_at"] + timedelta(days=9))
        outs.append(dict(later, actual=1.0 - float(out["actual"])))
    ingest_records(registry, "predictions", preds)
    ingest_records(registry, "outcomes", outs)


def series_both(session, rules: MonitoringRules):  # noqa: ANN001, ANN201
    version = lookup.get_version(session, "toy-model", 1)
    old = version_series(session, version, rules, None, in_database=False)
    new = version_series(session, version, rules, None, in_database=True)
    return old, new


@pytest.mark.parametrize("metric", METRICS)
def test_windows_agree_on_edge_data(any_registry, tmp_path: Path, metric: str) -> None:
    make_live(any_registry, tmp_path)
    edge_data(any_registry)
    with any_registry.write() as s:
        version = lookup.get_version(s, "toy-model", 1)
        # rows dated before the window origin (negative day numbers, floor not truncation)
        for i, day in enumerate([25, 26, 31, 31]):
            s.execute(
                update(Prediction)
                .where(Prediction.version_id == version.id, Prediction.subject_key == f"w3-1{i}")
                .values(predicted_at=datetime(2023, 12, day, 13, i))
            )
        s.execute(
            update(Prediction)
            .where(Prediction.version_id == version.id, Prediction.subject_key.like("w2-2%"))
            .values(outside_lifetime="before_version")
        )
    for bins, window_days, min_predictions in [(10, 7, 30), (4, 14, 1), (1, 7, 1), (10, 3, 50)]:
        rules = MonitoringRules(
            metric=metric,
            baseline=0.6 if metric in ("auc", "accuracy") else 0.3,
            window_days=window_days,
            psi_bins=bins,
            min_predictions=min_predictions,
            min_labelled=10,
        )
        with any_registry.read() as s:
            old, new = series_both(s, rules)
        assert len(new.windows) >= 4
        assert_same_series(old, new)
        if metric == "auc" and window_days == 7:
            one_class = [w for w in new.windows if w.start == START + timedelta(days=7)]
            assert one_class[0].labelled == 80 and one_class[0].value is None
            unlabelled = [w for w in new.windows if w.start == START + timedelta(days=14)]
            assert unlabelled[0].labelled == 0 and unlabelled[0].mean_actual is None


def test_empty_version_agrees(any_registry, tmp_path: Path) -> None:
    make_live(any_registry, tmp_path)
    with any_registry.read() as s:
        old, new = series_both(s, MonitoringRules(metric="auc"))
        version = lookup.get_version(s, "toy-model", 1)
        assert predicted_vs_actual(s, version) == ([], [])
        assert dbw.calibration_bins(s, version.id, version.model_id, 100) == []
    assert new.windows == old.windows == []
    assert new.psi_reference == old.psi_reference == "no scores"


def test_psi_against_a_given_reference_agrees(any_registry, tmp_path: Path) -> None:
    """A development reference with ties whose quantiles fall exactly on live scores."""
    make_live(any_registry, tmp_path)
    edge_data(any_registry)
    reference = [0.0, 0.1, 0.1, 0.2, 0.5, 0.5, 0.5, 0.7, 0.9, 1.0, 1.0] * 7
    with any_registry.read() as s:
        version = lookup.get_version(s, "toy-model", 1)
        pairs = scored_pairs(s, version.id, version.model_id)
        for bins in (10, 3, 1):
            rules = MonitoringRules(metric="auc", window_days=7, psi_bins=bins, min_predictions=1)
            old = pywindows.aggregate_in_python(pairs, rules, reference)
            new = dbw.window_aggregates(
                s,
                version.id,
                version.model_id,
                metric="auc",
                window_days=7,
                reference=reference,
                psi_bins=bins,
                min_predictions=1,
            )
            assert [w.start for w in new] == [w.start for w in old]
            for o, n in zip(old, new, strict=True):
                assert o.psi is not None and close(o.psi, n.psi), (bins, o.start, o.psi, n.psi)


def test_scatter_and_calibration_agree(any_registry, tmp_path: Path) -> None:
    make_live(any_registry, tmp_path)
    edge_data(any_registry)
    with any_registry.read() as s:
        version = lookup.get_version(s, "toy-model", 1)
        labelled = [
            (sc, a) for _, sc, a in scored_pairs(s, version.id, version.model_id) if a is not None
        ]
        # scores exactly at 0 and 1 and on inner edges, and outside [0, 1] (clipped)
        labelled_scores = {sc for sc, _ in labelled}
        assert {0.0, 0.5, 1.0} <= labelled_scores
        assert min(labelled_scores) < 0 and max(labelled_scores) > 1
        for limit in (5000, 100, 7):
            expected = labelled[-limit:]
            scores, actuals = predicted_vs_actual(s, version, limit)
            assert scores == [sc for sc, _ in expected]
            assert actuals == [a for _, a in expected]
            for bins in (10, 5, 1):
                old = mm.calibration_bins(actuals, scores, bins)
                new = dbw.calibration_bins(s, version.id, version.model_id, limit, bins)
                assert [(b.lower, b.upper, b.count) for b in new] == [
                    (b.lower, b.upper, b.count) for b in old
                ]
                for o, n in zip(old, new, strict=True):
                    assert close(o.mean_predicted, n.mean_predicted)
                    assert close(o.observed_rate, n.observed_rate)


def test_window_origin_is_one() -> None:
    from signoff.core.monitoring import windows

    assert windows.WINDOW_ORIGIN == dbw.ORIGIN == dbw.WINDOW_ORIGIN
