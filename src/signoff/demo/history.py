"""Recorded factory history for the demo: weekly scoring runs, their predictions, outcomes.

For each model, every week of the 26 weeks before the anchor date, a batch of generated
customer records is scored by REALLY calling ``predict`` of the version that was live that
week (so an auditor can re-run any prediction and get the same output). Outcomes arrive after
the model's outcome lag and most subjects get one. The card-fraud population shifts from mid
August, so its live accuracy really drops and monitoring sees it go stale.

Every run's input and output files are kept in the demo's data lake (``HOME/datalake``, what
``s3://signoff-demo-factory/`` holds for the factory), with their hashes on the execution. From
1 August the factory records predictions by reference only, as most factories do: the record
stays in the lake, the prediction keeps its ``input_ref`` and ``input_sha256``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from signoff.core.audit.chain import canonical_json
from signoff.core.db.registry import Registry
from signoff.core.ingest.records import ingest_records
from signoff.demo.catalog import ANCHOR, ModelSpec
from signoff.demo.datagen import generate

WEEKS = 26
SUBJECT_PREFIX = {
    "credit": "APP",
    "churn": "CUST",
    "fraud": "TXN",
    "demand": "STORE",
    "complaint": "CMP",
}
FAILED_WEEKS = {"credit-risk": 9, "card-fraud": 17}  # a failed run, then a successful rerun
FACTORY = "frank"  # the account the factory's execution processes report with
LAKE_BUCKET = "s3://signoff-demo-factory/"  # what the demo's data lake folder stands for
LAKE_FOLDER = "datalake"  # inside the demo home
BY_REFERENCE_FROM = datetime(2026, 8, 1)  # from then on predictions keep only their reference


@dataclass
class HistoryCounts:
    """How much history one model got."""

    executions: int = 0
    predictions: int = 0
    outcomes: int = 0


def run_dates() -> list[datetime]:
    """The weekly run times (Sunday 02:00) in the 26 weeks before the anchor date."""
    first = ANCHOR - timedelta(weeks=WEEKS) + timedelta(hours=2)
    return [first + timedelta(weeks=i) for i in range(WEEKS)]


def live_number_at(model: ModelSpec, at: datetime) -> int | None:
    """Which demo version was live at *at*, from the catalog's go-live dates."""
    live = [(v.events["live"], v.number) for v in model.versions if "live" in v.events]
    started = [number for when, number in sorted(live) if when <= at]
    return started[-1] if started else None


def drift_shift(model: ModelSpec, at: datetime) -> float:
    """How far the population has moved at *at* (0 before the drift, rising to 0.9)."""
    if model.drift_from is None or at < model.drift_from:
        return 0.0
    weeks = (at - model.drift_from).days // 7
    return min(0.9, 0.45 + 0.08 * weeks)


def _seed(model: ModelSpec, week: int) -> int:
    return int(hashlib.sha256(f"{model.name}/{week}".encode()).hexdigest()[:8], 16)


def _keep_in_lake(lake: Path, base_uri: str, name: str, content: bytes) -> None:
    path = lake / base_uri.removeprefix(LAKE_BUCKET) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def record_history(
    registry: Registry,
    model: ModelSpec,
    predictors: dict[int, Callable[[list[dict[str, Any]]], list[dict[str, Any]]]],
    lake: Path,
) -> HistoryCounts:
    """Report the model's executions, predictions and outcomes as its factory would: through
    the ingest API (:func:`signoff.core.ingest.records.ingest_records`), one call per kind, each one
    transaction with its audit events; every run's files go to the data lake folder *lake*."""
    counts = HistoryCounts()
    consumer = model.consumers[0]["name"]
    executions: list[dict[str, Any]] = []
    predictions: list[dict[str, Any]] = []
    outcomes: list[dict[str, Any]] = []
    for week, started in enumerate(run_dates()):
        number = live_number_at(model, started)
        if number is None:
            continue
        seed = _seed(model, week)
        records, actuals = generate(model.domain, model.run_size, seed, drift_shift(model, started))
        batch = "".join(canonical_json(r) + "\n" for r in records).encode()
        base_uri = f"{LAKE_BUCKET}{model.name}/{started:%Y-%m-%d}"
        _keep_in_lake(lake, base_uri, "input.jsonl", batch)
        run = {
            "model": model.name,
            "version": number,
            "consumer": consumer,
            "input_uri": f"{base_uri}/input.jsonl",
            "input_sha256": hashlib.sha256(batch).hexdigest(),
        }
        if FAILED_WEEKS.get(model.name) == week:
            executions.append(
                {
                    **run,
                    "external_id": f"{model.name}-{started:%Y-%m-%d}-attempt1",
                    "started_at": started,
                    "ended_at": started + timedelta(seconds=41),
                    "rows_scored": 0,
                    "status": "failed",
                    "duration_s": 41.0,
                }
            )
            started += timedelta(hours=1)
        outputs = predictors[number](records)
        scored = "".join(canonical_json(o) + "\n" for o in outputs).encode()
        _keep_in_lake(lake, base_uri, "output.jsonl", scored)
        duration = round(0.8 + 0.01 * len(records), 2)
        execution_id = f"{model.name}-{started:%Y-%m-%d}"
        executions.append(
            {
                **run,
                "external_id": execution_id,
                "started_at": started,
                "ended_at": started + timedelta(seconds=duration),
                "rows_scored": len(records),
                "status": "succeeded",
                "duration_s": duration,
                "output_uri": f"{base_uri}/output.jsonl",
                "output_sha256": hashlib.sha256(scored).hexdigest(),
            }
        )
        keep = np.random.default_rng(seed + 1).random(len(records)) > 0.08
        prefix = SUBJECT_PREFIX[model.domain]
        for i, (record, output, actual) in enumerate(zip(records, outputs, actuals, strict=True)):
            subject = f"{prefix}-{started:%y%m%d}-{i:03d}"
            predicted_at = started + timedelta(seconds=2 * i)
            prediction = {
                "model": model.name,
                "version": number,
                "subject_key": subject,
                "predicted_at": predicted_at,
                "execution": execution_id,
                "input_ref": f"{base_uri}/input.jsonl#{i + 1}",
                "input_sha256": hashlib.sha256(canonical_json(record).encode()).hexdigest(),
                "output": output,
            }
            if started < BY_REFERENCE_FROM:
                prediction["input_record"] = record
            predictions.append(prediction)
            observed = predicted_at + timedelta(days=model.outcome_lag_days)
            if keep[i] and observed <= ANCHOR:
                outcomes.append(
                    {
                        "model": model.name,
                        "subject_key": subject,
                        "observed_at": observed,
                        "actual": actual,
                    }
                )
    source = f"{model.name} factory feed (demo)"
    for kind, rows in (
        ("executions", executions),
        ("predictions", predictions),
        ("outcomes", outcomes),
    ):
        if rows:
            result = ingest_records(registry, kind, rows, actor=FACTORY, source=source)
            setattr(counts, kind, result.inserted)
    return counts
