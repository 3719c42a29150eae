"""Writing small, real model folders for tests."""

from __future__ import annotations

from pathlib import Path

SCORE = """\
import json
from pathlib import Path

_WEIGHTS = json.loads(Path(__file__).with_name("model.json").read_text())


def predict(records):
    out = []
    for r in records:
        if "x" not in r:
            raise ValueError("record is missing field 'x'")
        s = _WEIGHTS["a"] * float(r["x"]) + _WEIGHTS["b"]
        out.append({"score": s, "label": "high" if s > 0.5 else "low"})
    return out
"""


def write_model_folder(
    folder: Path,
    *,
    name: str = "toy-model",
    author: str = "alice",
    weights: str = '{"a": 0.1, "b": 0.2}',
    tier: str = "medium",
    extra_toml: str = "",
    notes: str = "# Release notes\n\nFirst version.\n",
    auc: float = 0.8,
) -> Path:
    """Create a complete model folder (manifest, scoring script, model object, docs)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "score.py").write_text(SCORE)
    (folder / "model.json").write_text(weights)
    (folder / "requirements.txt").write_text("numpy==2.4.6\n")
    (folder / "RELEASE_NOTES.md").write_text(notes)
    (folder / "config.json").write_text('{"threshold": 0.5}\n')
    (folder / "data").mkdir(exist_ok=True)
    (folder / "data" / "train.csv").write_text("x,y\n1,0\n2,1\n")
    (folder / "tests").mkdir(exist_ok=True)
    (folder / "tests" / "inputs.jsonl").write_text('{"x": 1}\n{"x": 5}\n')
    (folder / "tests" / "outputs.jsonl").write_text(
        '{"score": 0.30000000000000004, "label": "low"}\n{"score": 0.7, "label": "high"}\n'
    )
    (folder / "signoff.toml").write_text(f'''\
[model]
name = "{name}"
title = "A toy model"
description = "Scores x linearly."
owner = "{author}"
business_unit = "Testing"
risk_tier = "{tier}"
tags = ["toy", "linear"]

[version]
author = "{author}"
entry_point = "score.py:predict"
model_object = "model.json"
environment = "requirements.txt"
release_notes = "RELEASE_NOTES.md"
python = "3.11"

[[data]]
name = "training set"
path = "data/train.csv"

[[data]]
name = "bureau feed"
uri = "s3://bucket/bureau/2026-10.parquet"

[[configuration]]
path = "config.json"

[[tests]]
name = "reference"
inputs = "tests/inputs.jsonl"
outputs = "tests/outputs.jsonl"

[[metrics]]
name = "auc"
value = {auc}
dataset = "validation"
{extra_toml}''')
    return folder
