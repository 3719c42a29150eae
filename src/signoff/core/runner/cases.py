"""Reference records and generated robustness cases for the deployment checks.

Reference files are JSON Lines, a JSON list, or CSV (numbers converted). The robustness cases
are derived from the reference inputs' schema: for each field, values missing, null, at and
beyond the observed boundaries, extreme, not finite, of the wrong type; for text fields, empty,
unseen and very long values.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_MISSING = object()


def read_records(path: Path) -> list[Any]:
    """The records in a JSON Lines, JSON (a list) or CSV file."""
    text = Path(path).read_text(encoding="utf-8")
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        rows = csv.DictReader(io.StringIO(text))
        return [{k: _number(v) for k, v in row.items()} for row in rows]
    stripped = text.lstrip()
    if suffix == ".json" or stripped.startswith("["):
        data = json.loads(text)
        return data if isinstance(data, list) else [data]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _number(text: str | None) -> int | float | str | None:
    if text is None or text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


@dataclass(frozen=True)
class Case:
    """One generated record and what was done to the base record to make it."""

    field: str
    variant: str
    record: dict[str, Any]

    def describe(self) -> str:
        return f"{self.field} {self.variant}:" if self.field else f"{self.variant}:"


def _schema(inputs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    schema: dict[str, dict[str, Any]] = {}
    for record in inputs:
        for key, value in record.items():
            entry = schema.setdefault(key, {"numbers": [], "texts": set(), "bools": 0})
            if isinstance(value, bool):
                entry["bools"] += 1
            elif isinstance(value, int | float) and math.isfinite(value):
                entry["numbers"].append(value)
            elif isinstance(value, str):
                entry["texts"].add(value)
    return schema


def robustness_cases(inputs: list[dict[str, Any]]) -> list[Case]:
    """Extreme, boundary and missing values for each field of the reference inputs."""
    base = dict(inputs[0])
    cases = [Case("", "empty record", {})]
    for key, info in _schema(inputs).items():
        variants: list[tuple[str, Any]] = [("missing", _MISSING), ("null", None)]
        if info["numbers"]:
            lo, hi = min(info["numbers"]), max(info["numbers"])
            span = (hi - lo) or max(abs(hi), 1.0)
            variants += [
                ("at the observed minimum", lo),
                ("at the observed maximum", hi),
                ("zero", 0),
                ("negative one", -1),
                ("far below the observed range", lo - 10 * span),
                ("far above the observed range", hi + 10 * span),
                ("huge", 1e300),
                ("hugely negative", -1e300),
                ("NaN", float("nan")),
                ("infinite", float("inf")),
                ("text instead of a number", "not a number"),
            ]
        elif info["texts"]:
            variants += [
                ("empty text", ""),
                ("an unseen category", "UNSEEN-CATEGORY"),
                ("very long text", "x" * 10_000),
                ("a number instead of text", 12345),
            ]
        elif info["bools"]:
            variants += [("text instead of true/false", "yes"), ("a number", 2)]
        for variant, value in variants:
            record = dict(base)
            if value is _MISSING:
                record.pop(key, None)
            else:
                record[key] = value
            cases.append(Case(key, variant, record))
    return cases


def _numbers(value: Any, path: str = "output") -> list[tuple[str, float]]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [(path, float(value))]
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in _numbers(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [n for i, v in enumerate(value) for n in _numbers(v, f"{path}[{i}]")]
    return []


def valid_output_problem(output: Any, reference_outputs: list[Any]) -> str:
    """Why *output* is not a valid answer ('' when it is): not finite, a score outside [0, 1],
    an unknown label, or a shape unlike the validated reference outputs."""
    for path, number in _numbers(output):
        if not math.isfinite(number):
            return f"returned {number} at {path}"
    if isinstance(output, dict):
        score = output.get("score")
        if isinstance(score, int | float) and not isinstance(score, bool) and not 0 <= score <= 1:
            return f"returned score {score}, outside [0, 1]"
        refs = [r for r in reference_outputs if isinstance(r, dict)]
        if refs:
            keys = set(refs[0])
            if set(output) != keys:
                return (
                    f"returned fields {sorted(output)}, the validated outputs have {sorted(keys)}"
                )
            labels = {label for r in refs if isinstance(label := r.get("label"), str)}
            if labels and output.get("label") not in labels:
                return f"returned label {output.get('label')!r}, not one of {sorted(labels)}"
    elif reference_outputs and isinstance(reference_outputs[0], dict):
        return f"returned {type(output).__name__}, the validated outputs are objects"
    return ""
