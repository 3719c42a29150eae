"""Monitoring arithmetic against scikit-learn and against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import accuracy_score, mean_absolute_error, mean_squared_error, roc_auc_score

from signoff.core.monitoring import metrics as mm


def test_auc_hand_checked_with_ties() -> None:
    # positives 0.8, 0.4; negatives 0.4, 0.1 -> pairs: (0.8>0.4)=1, (0.8>0.1)=1,
    # (0.4 vs 0.4 tie)=0.5, (0.4>0.1)=1 -> 3.5 / 4
    assert mm.roc_auc([1, 1, 0, 0], [0.8, 0.4, 0.4, 0.1]) == pytest.approx(0.875)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_matches_sklearn_on_random_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 500)
    s = np.round(rng.random(500) * 0.5 + y * 0.3, 2)  # rounded: many ties
    assert mm.roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_auc_undefined_with_one_class() -> None:
    assert mm.roc_auc([1, 1, 1], [0.2, 0.5, 0.9]) is None
    assert mm.roc_auc([], []) is None


def test_accuracy_rmse_mae_match_sklearn() -> None:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 300)
    s = rng.random(300)
    assert mm.accuracy(y, s, 0.5) == pytest.approx(accuracy_score(y, s >= 0.5))
    actual = rng.normal(100, 20, 300)
    pred = actual + rng.normal(0, 5, 300)
    assert mm.rmse(actual, pred) == pytest.approx(math.sqrt(mean_squared_error(actual, pred)))
    assert mm.mae(actual, pred) == pytest.approx(mean_absolute_error(actual, pred))


def test_rmse_mae_hand_checked() -> None:
    assert mm.rmse([1, 2, 3], [1, 2, 6]) == pytest.approx(math.sqrt(3))
    assert mm.mae([1, 2, 3], [2, 2, 6]) == pytest.approx(4 / 3)
    assert mm.compute_metric("mae", [0], [2]) == 2


def test_unknown_metric_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown monitoring metric 'f1'"):
        mm.compute_metric("f1", [1], [1])


def test_psi_zero_for_identical_and_hand_checked_for_a_shift() -> None:
    ref = list(range(1, 101))  # quartile edges at 25.75, 50.5, 75.25
    assert mm.population_stability(ref, ref, bins=4) == pytest.approx(0.0)
    # current: 50% in the first quarter, 50% in the last, none in the middle two
    cur = [10] * 50 + [90] * 50
    expected = 2 * (0.5 - 0.25) * math.log(0.5 / 0.25) + 2 * (mm.PSI_EPSILON - 0.25) * math.log(
        mm.PSI_EPSILON / 0.25
    )
    assert mm.population_stability(ref, cur, bins=4) == pytest.approx(expected)


def test_psi_grows_with_the_shift() -> None:
    rng = np.random.default_rng(3)
    ref = rng.normal(0, 1, 5000)
    small = mm.population_stability(ref, rng.normal(0.1, 1, 5000))
    large = mm.population_stability(ref, rng.normal(1.0, 1, 5000))
    assert small < 0.1 < 0.25 < large
    assert mm.population_stability(ref, []) is None


def test_calibration_bins_match_sklearn() -> None:
    rng = np.random.default_rng(11)
    p = rng.random(1000)
    y = (rng.random(1000) < p).astype(int)
    bins = mm.calibration_bins(y, p, bins=10)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    assert [b.observed_rate for b in bins] == pytest.approx(list(prob_true))
    assert [b.mean_predicted for b in bins] == pytest.approx(list(prob_pred))
    assert sum(b.count for b in bins) == 1000
