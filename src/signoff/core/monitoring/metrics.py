"""The arithmetic of monitoring: AUC, accuracy, RMSE/MAE, population stability, calibration.

Pure numpy so the core needs no scikit-learn at run time; the tests check every function
against scikit-learn's implementation or against values worked out by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Which way is better, per metric: the staleness rule "below baseline minus tolerance" turns
# into "above baseline plus tolerance" for error metrics.
HIGHER_IS_BETTER = {"auc": True, "accuracy": True, "rmse": False, "mae": False}

# PSI bins with no reference or no current mass would give log(0); they get this floor.
PSI_EPSILON = 1e-4


def _arrays(y_true: Sequence[float], y_score: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(y_true, dtype=float)
    s = np.asarray(y_score, dtype=float)
    if t.shape != s.shape:
        raise ValueError(f"{t.size} actual values but {s.size} predictions")
    return t, s


def roc_auc(y_true: Sequence[float], y_score: Sequence[float]) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties counted half); None with one class only.

    Actual values are read as positive when > 0.5, so labels 0/1 and probabilities both work.
    """
    t, s = _arrays(y_true, y_score)
    positive = t > 0.5
    n_pos = int(positive.sum())
    n_neg = t.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(s.size, dtype=float)
    sorted_scores = s[order]
    # average ranks for ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(avg, counts)
    rank_sum = ranks[positive].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def accuracy(
    y_true: Sequence[float], y_score: Sequence[float], threshold: float = 0.5
) -> float | None:
    """Share of predictions on the right side of *threshold* (score >= threshold means 1)."""
    t, s = _arrays(y_true, y_score)
    if t.size == 0:
        return None
    return float(((s >= threshold) == (t > 0.5)).mean())


def rmse(y_true: Sequence[float], y_pred: Sequence[float]) -> float | None:
    """Root mean squared error; None without data."""
    t, s = _arrays(y_true, y_pred)
    if t.size == 0:
        return None
    return float(math.sqrt(np.mean((t - s) ** 2)))


def mae(y_true: Sequence[float], y_pred: Sequence[float]) -> float | None:
    """Mean absolute error; None without data."""
    t, s = _arrays(y_true, y_pred)
    if t.size == 0:
        return None
    return float(np.mean(np.abs(t - s)))


def compute_metric(
    name: str, y_true: Sequence[float], y_score: Sequence[float], threshold: float = 0.5
) -> float | None:
    """The named monitoring metric (auc, accuracy, rmse, mae) on paired values."""
    if name == "auc":
        return roc_auc(y_true, y_score)
    if name == "accuracy":
        return accuracy(y_true, y_score, threshold)
    if name == "rmse":
        return rmse(y_true, y_score)
    if name == "mae":
        return mae(y_true, y_score)
    raise ValueError(f"unknown monitoring metric '{name}'; known: {', '.join(HIGHER_IS_BETTER)}")


def psi_edges(reference: Sequence[float] | np.ndarray, bins: int = 10) -> np.ndarray:
    """Bin edges at the reference's quantiles (duplicates merged), open at both ends."""
    ref = np.asarray(reference, dtype=float)
    if ref.size == 0:
        raise ValueError("the PSI reference has no scores")
    inner = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    return np.concatenate(([-np.inf], inner, [np.inf]))


def population_stability(
    reference: Sequence[float] | np.ndarray,
    current: Sequence[float] | np.ndarray,
    bins: int = 10,
) -> float | None:
    """PSI = sum((cur% - ref%) * ln(cur% / ref%)) over the reference's quantile bins.

    Rules of thumb: < 0.1 stable, 0.1–0.25 some shift, > 0.25 a significant shift.
    None when either side has no scores.
    """
    cur = np.asarray(current, dtype=float)
    ref = np.asarray(reference, dtype=float)
    if cur.size == 0 or ref.size == 0:
        return None
    edges = psi_edges(ref, bins)
    # right-closed bins so a value equal to a quantile lands with the values below it
    return psi_of_shares(bin_shares(ref, edges), bin_shares(cur, edges))


def bin_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Each bin's share of *values* (a value on an inner edge goes below it), floored."""
    idx = np.searchsorted(edges[1:-1], values, side="left")
    counts = np.bincount(idx, minlength=edges.size - 1)
    return count_shares(counts, values.size)


def count_shares(counts: Sequence[int] | np.ndarray, total: int) -> np.ndarray:
    """Bin counts as shares of *total*, each at least PSI_EPSILON."""
    return np.maximum(np.asarray(counts, dtype=float) / total, PSI_EPSILON)


def psi_of_shares(ref_share: np.ndarray, cur_share: np.ndarray) -> float:
    """sum((cur - ref) * ln(cur / ref)) over bins of floored shares."""
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


@dataclass(frozen=True)
class CalibrationBin:
    """One bin of a reliability diagram: mean predicted probability vs observed rate."""

    lower: float
    upper: float
    mean_predicted: float
    observed_rate: float
    count: int


def calibration_bins(
    y_true: Sequence[float], y_score: Sequence[float], bins: int = 10
) -> list[CalibrationBin]:
    """Equal-width probability bins over [0, 1] (scores clipped), empty bins left out.

    Matches ``sklearn.calibration.calibration_curve(strategy="uniform")``.
    """
    t, s = _arrays(y_true, y_score)
    s = np.clip(s, 0.0, 1.0)
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.searchsorted(edges[1:-1], s)
    out = []
    for b in range(bins):
        mask = idx == b
        n = int(mask.sum())
        if n:
            out.append(
                CalibrationBin(
                    float(edges[b]),
                    float(edges[b + 1]),
                    float(s[mask].mean()),
                    float((t[mask] > 0.5).mean()),
                    n,
                )
            )
    return out
