"""Scoring entry point of this model folder: ``predict(records) -> list[dict]``.

The contract Signoff relies on (the runner re-executes it, monitoring reads the score):

* ``records`` is a list of dicts, one per subject, with the fields listed in config.json;
  fields not listed are ignored.
* one JSON-serialisable output dict per record, in order, deterministic:
  classifiers give ``{"score": <probability of the positive class>, "label": <str>}``,
  regressors give ``{"prediction": <float>}``.
* a record with a missing field, a value of the wrong type, a number outside the declared
  range or a category that is not declared is refused with ``ValueError`` naming the record
  and the field (a clean, declared rejection); nothing is scored then.
"""

import json
import math
from functools import lru_cache
from pathlib import Path

import joblib
import numpy as np

CONFIG = json.loads(Path(__file__).with_name("config.json").read_text(encoding="utf-8"))
FEATURES = CONFIG["features"]
TASK = CONFIG["task"]


@lru_cache(maxsize=1)
def load_model():
    """The trained model object stored next to this file."""
    return joblib.load(Path(__file__).with_name("model.joblib"))


def _number(index, name, value, spec):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"record {index}: field '{name}' must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"record {index}: field '{name}' must be finite, got {value!r}")
    if not spec["min"] <= value <= spec["max"]:
        raise ValueError(
            f"record {index}: field '{name}' = {value!r} is outside the "
            f"declared range [{spec['min']}, {spec['max']}]"
        )
    return [value]


def _category(index, name, value, spec):
    if not isinstance(value, str):
        raise ValueError(f"record {index}: field '{name}' must be text, got {value!r}")
    if value not in spec["values"]:
        raise ValueError(
            f"record {index}: field '{name}' = {value!r} is not one of {', '.join(spec['values'])}"
        )
    return [1.0 if value == choice else 0.0 for choice in spec["values"]]


def to_matrix(records):
    """Validate records and encode them as the model's numeric input matrix."""
    if not isinstance(records, list):
        raise ValueError(f"predict expects a list of records, got {type(records).__name__}")
    rows = []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise ValueError(
                f"record {index}: expected an object with fields, got {type(record).__name__}"
            )
        row = []
        for spec in FEATURES:
            name = spec["name"]
            if name not in record:
                raise ValueError(f"record {index}: missing field '{name}'")
            encode = _number if spec["type"] == "number" else _category
            row.extend(encode(index, name, record[name], spec))
        rows.append(row)
    width = sum(1 if s["type"] == "number" else len(s["values"]) for s in FEATURES)
    return np.array(rows, dtype=float).reshape(len(rows), width)


def predict(records):
    """Score *records*; see the module docstring for the contract."""
    matrix = to_matrix(records)
    if not len(matrix):
        return []
    model = load_model()
    if TASK == "classification":
        negative, positive = CONFIG["labels"]
        scores = model.predict_proba(matrix)[:, 1]
        return [
            {
                "score": round(float(s), 6),
                "label": positive if round(float(s), 6) >= CONFIG["threshold"] else negative,
            }
            for s in scores
        ]
    return [{"prediction": round(float(v), 3)} for v in model.predict(matrix)]
