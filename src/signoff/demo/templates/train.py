"""Train this folder's model: data/train.csv -> model.joblib, validated on data/validation.csv.

Run from anywhere: ``python train.py``. Hyper-parameters and features come from config.json;
the features are encoded by score.py's own ``to_matrix``, so training and scoring cannot
disagree. Writes model.joblib and metrics.json (the development metrics in the manifest).
"""

import csv
import gzip
import io
import json
import pickle
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from score import CONFIG, FEATURES, predict, to_matrix  # noqa: E402


def read_split(name):
    """Records (typed as config.json declares) and targets of one CSV split."""
    numeric = {f["name"] for f in FEATURES if f["type"] == "number"}
    with open(HERE / "data" / name, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    targets = np.array([float(row.pop("target")) for row in rows])
    records = [{k: float(v) if k in numeric else v for k, v in row.items()} for row in rows]
    return records, targets


def build_model(algorithm, params, seed):
    """The scikit-learn estimator named in config.json."""
    from sklearn.ensemble import (
        GradientBoostingClassifier,
        GradientBoostingRegressor,
        RandomForestClassifier,
    )
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if algorithm == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500, **params))
    if algorithm == "ridge":
        return make_pipeline(StandardScaler(), Ridge(**params))
    if algorithm == "gbm":
        return GradientBoostingClassifier(random_state=seed, **params)
    if algorithm == "gbr":
        return GradientBoostingRegressor(random_state=seed, **params)
    if algorithm == "forest":
        return RandomForestClassifier(random_state=seed, n_jobs=1, **params)
    raise ValueError(f"unknown algorithm {algorithm!r}")


def evaluate(records, targets):
    """Development metrics of the saved model, computed through predict()."""
    from sklearn import metrics

    outputs = predict(records)
    if CONFIG["task"] == "classification":
        scores = np.array([o["score"] for o in outputs])
        labels = np.array([o["label"] == CONFIG["labels"][1] for o in outputs])
        return {
            "auc": metrics.roc_auc_score(targets, scores),
            "accuracy": metrics.accuracy_score(targets, labels),
            "brier": metrics.brier_score_loss(targets, scores),
        }
    predicted = np.array([o["prediction"] for o in outputs])
    return {
        "rmse": float(np.sqrt(metrics.mean_squared_error(targets, predicted))),
        "mae": metrics.mean_absolute_error(targets, predicted),
        "r2": metrics.r2_score(targets, predicted),
    }


class _CanonicalPickler(pickle._Pickler):
    """Pickles equal strings as one object, so the bytes do not depend on this process.

    The pickle memo is keyed by object identity; whether two equal strings inside a model
    are one object or two depends on what the process did before, so the same model could
    pickle (and hash) differently from one run to the next. Interning every string first
    makes the output depend only on the model's content.
    """

    def save(self, obj, save_persistent_id=True):
        if type(obj) is str:
            obj = sys.intern(obj)
        super().save(obj, save_persistent_id)


def save_model(model, path):
    """Write *model* as a byte-stable, gzip-compressed pickle (``joblib.load`` reads it)."""
    buffer = io.BytesIO()
    _CanonicalPickler(buffer, protocol=5).dump(model)
    with (
        open(path, "wb") as handle,
        gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0) as packed,
    ):
        packed.write(buffer.getvalue())


def main():
    train_records, train_targets = read_split("train.csv")
    model = build_model(CONFIG["algorithm"], CONFIG["hyperparameters"], CONFIG["seed"])
    model.fit(to_matrix(train_records), train_targets)
    save_model(model, HERE / "model.joblib")
    import score

    score.load_model.cache_clear()
    result = {
        name: round(float(value), 6)
        for name, value in evaluate(*read_split("validation.csv")).items()
    }
    (HERE / "metrics.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
