"""Model folders for runner, checks and reproduction tests: real scoring code, real pickles."""

from __future__ import annotations

import json
import pickle
import sys
from importlib import metadata
from pathlib import Path

PICKLE_SCORE = """\
import pickle
from pathlib import Path

with open(Path(__file__).with_name("model.pkl"), "rb") as handle:
    _MODEL = pickle.load(handle)


def predict(records):
    out = []
    for r in records:
        if "income" not in r or "debt" not in r:
            raise ValueError("record needs 'income' and 'debt'")
        income, debt = r["income"], r["debt"]
        if not isinstance(income, (int, float)) or not isinstance(debt, (int, float)):
            raise ValueError("income and debt must be numbers")
        if income != income or debt != debt or abs(income) == float("inf") \\
                or abs(debt) == float("inf"):
            raise ValueError("income and debt must be finite")
        ratio = max(0.0, min(1.0, debt / income)) if income > 0 else 1.0
        score = _MODEL["w"] * ratio + _MODEL["b"]
        score = max(0.0, min(1.0, score))
        out.append({"score": round(score, 6), "label": "decline" if score > 0.5 else "accept"})
    return out
"""

SKLEARN_SCORE = """\
from pathlib import Path

import joblib
import numpy as np

_MODEL = joblib.load(Path(__file__).with_name("model.joblib"))
FIELDS = ("age", "income")


def predict(records):
    rows = []
    for r in records:
        if any(f not in r or r[f] is None for f in FIELDS):
            raise ValueError("record needs age and income")
        rows.append([float(r[f]) for f in FIELDS])
    probs = _MODEL.predict_proba(np.array(rows))[:, 1]
    return [{"score": float(p), "label": "yes" if p > 0.5 else "no"} for p in probs]
"""

INPUTS = [
    {"income": 50000, "debt": 10000},
    {"income": 30000, "debt": 24000},
    {"income": 80000, "debt": 1000},
]


def current_pins(*names: str) -> str:
    """requirements.txt text pinning *names* at the versions installed here."""
    return "".join(f"{n}=={metadata.version(n)}\n" for n in names)


def _common_files(
    folder: Path,
    name: str,
    entry_model: str,
    inputs: list[dict],
    outputs: list[dict],
    requirements: str,
) -> None:
    (folder / "requirements.txt").write_text(requirements)
    (folder / "NOTES.md").write_text(f"# {name}\n\nA test model.\n")
    (folder / "tests").mkdir(exist_ok=True)
    (folder / "tests" / "inputs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in inputs))
    (folder / "tests" / "outputs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in outputs))
    py = f"{sys.version_info[0]}.{sys.version_info[1]}"
    (folder / "signoff.toml").write_text(f'''\
[model]
name = "{name}"
title = "{name} for tests"
owner = "alice"
business_unit = "Testing"
risk_tier = "high"

[version]
author = "alice"
entry_point = "score.py:predict"
model_object = "{entry_model}"
environment = "requirements.txt"
release_notes = "NOTES.md"
python = "{py}"

[[tests]]
name = "reference"
inputs = "tests/inputs.jsonl"
outputs = "tests/outputs.jsonl"
tolerance = 1e-6
''')


def expected_pickle_outputs(model: dict, inputs: list[dict]) -> list[dict]:
    out = []
    for r in inputs:
        ratio = max(0.0, min(1.0, r["debt"] / r["income"]))
        score = max(0.0, min(1.0, model["w"] * ratio + model["b"]))
        out.append({"score": round(score, 6), "label": "decline" if score > 0.5 else "accept"})
    return out


def write_pickle_model(
    folder: Path,
    *,
    name: str = "pickle-model",
    w: float = 0.9,
    b: float = 0.05,
    score_code: str = PICKLE_SCORE,
    pickled: bytes | None = None,
    outputs: list[dict] | None = None,
) -> Path:
    """A model whose scoring code unpickles ``model.pkl`` (pure Python, fast to start)."""
    folder.mkdir(parents=True, exist_ok=True)
    model = {"w": w, "b": b}
    (folder / "score.py").write_text(score_code)
    (folder / "model.pkl").write_bytes(pickled if pickled is not None else pickle.dumps(model))
    _common_files(
        folder,
        name,
        "model.pkl",
        INPUTS,
        outputs if outputs is not None else expected_pickle_outputs(model, INPUTS),
        "",
    )
    return folder


def write_sklearn_model(folder: Path, *, name: str = "sk-model", seed: int = 0) -> Path:
    """A real logistic regression trained on synthetic data, saved with joblib."""
    import joblib
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.uniform(18, 80, 400), rng.uniform(10_000, 120_000, 400)])
    y = ((x[:, 0] / 80 + x[:, 1] / 120_000 + rng.normal(0, 0.2, 400)) > 1.0).astype(int)
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x, y)
    joblib.dump(pipe, folder / "model.joblib")
    (folder / "score.py").write_text(SKLEARN_SCORE)
    inputs = [
        {"age": 25, "income": 20000},
        {"age": 60, "income": 90000},
        {"age": 45, "income": 55000},
    ]
    probs = pipe.predict_proba(np.array([[r["age"], r["income"]] for r in inputs]))[:, 1]
    outputs = [{"score": float(p), "label": "yes" if p > 0.5 else "no"} for p in probs]
    _common_files(
        folder,
        name,
        "model.joblib",
        inputs,
        outputs,
        current_pins("numpy", "scikit-learn", "joblib"),
    )
    return folder
