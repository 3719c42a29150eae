"""How one row of each ingest kind is checked and converted to the values stored.

Each ``convert_*`` takes a row (column name to value: text from CSV, typed from JSON Lines or
Python) and returns the values to insert, the row's unique key and the model it belongs to,
or raises :class:`RowError` naming every field that is wrong.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, cast

from signoff.core.ingest.lifetime import INSIDE
from signoff.core.ingest.resolver import Resolver, RowError, version_of
from signoff.core.ingest.values import (
    as_count,
    as_json,
    as_number,
    as_record,
    as_sha,
    as_status,
    as_time,
    convert_fields,
    text_of,
)

SCORE_FIELDS = ("score", "prediction")  # where a structured output keeps its number


def _missing(record: dict[str, Any], columns: tuple[str, ...], errors: list[str]) -> None:
    for column in columns:
        if column not in record:
            errors.append(f"{column}: missing")


EXECUTION_FIELDS = {
    "external_id": text_of(200),
    "consumer": text_of(200),
    "process": text_of(200),
    "started_at": as_time,
    "ended_at": as_time,
    "rows_scored": as_count,
    "status": as_status,
    "duration_s": as_number,
    "input_uri": text_of(1000),
    "input_sha256": as_sha,
    "output_uri": text_of(1000),
    "output_sha256": as_sha,
}


def convert_execution(
    record: dict[str, Any], resolver: Resolver
) -> tuple[dict[str, Any], str, int | None]:
    errors: list[str] = []
    _missing(record, ("external_id", "started_at"), errors)
    values = convert_fields(record, EXECUTION_FIELDS, errors)
    version_id, model_id = version_of(record, resolver, errors)
    started, ended = values.get("started_at"), values.get("ended_at")
    if started and ended and ended < started:
        errors.append("ended_at: is before started_at")
    if values.get("duration_s", 0) < 0:
        errors.append("duration_s: is negative")
    if errors:
        raise RowError("; ".join(errors))
    consumer = values.pop("consumer", None) or values.pop("process", "")
    values.pop("process", None)
    if "duration_s" not in values and started and ended:
        values["duration_s"] = (ended - started).total_seconds()
    row = {
        "external_id": values["external_id"],
        "version_id": version_id,
        "consumer": consumer,
        "started_at": started,
        "ended_at": ended,
        "rows_scored": values.get("rows_scored", 0),
        "status": values.get("status", "succeeded"),
        "duration_s": values.get("duration_s"),
        "input_uri": values.get("input_uri", ""),
        "input_sha256": values.get("input_sha256", ""),
        "output_uri": values.get("output_uri", ""),
        "output_sha256": values.get("output_sha256", ""),
    }
    return row, values["external_id"], model_id


PREDICTION_FIELDS = {
    "subject_key": text_of(200),
    "predicted_at": as_time,
    "score": as_number,
    "output": as_json,
    "input_record": as_record,
    "input_ref": text_of(1000),
    "input_sha256": as_sha,
    "execution": text_of(200),
}


def score_of(output: Any) -> float | None:
    """The numeric score in a model output: the number itself, or its "score" field
    (classifiers), or its "prediction" field (regressors)."""
    if isinstance(output, bool):
        return None
    if isinstance(output, int | float):
        return float(output) if math.isfinite(output) else None
    if isinstance(output, dict):
        for key in SCORE_FIELDS:
            if key in output:
                return score_of(output[key])
    return None


_PREDICTION_OPTIONAL = {
    k: PREDICTION_FIELDS[k] for k in ("input_record", "input_ref", "input_sha256", "execution")
}
_subject_text = text_of(200)


def prediction_key(version_id: int | None, time_text: str, subject: str) -> str:
    """A prediction's unique key as one string (its time as 'YYYY-MM-DD HH:MM:SS.ffffff')."""
    return "\x1f".join((str(version_id), time_text, subject))


def convert_prediction(
    record: dict[str, Any], resolver: Resolver
) -> tuple[dict[str, Any], str, int | None]:
    # written out by hand rather than through convert_fields: this runs a million times per file
    errors: list[str] = []
    get = record.get
    subject = get("subject_key")
    if subject is None:
        errors.append("subject_key: missing")
    else:
        try:
            subject = _subject_text(subject)
        except ValueError as exc:
            errors.append(f"subject_key: {exc}")
        else:
            if not subject:
                errors.append("subject_key: is blank")
    at = get("predicted_at")
    if at is None:
        errors.append("predicted_at: missing")
    else:
        try:
            at = as_time(at)
        except ValueError as exc:
            errors.append(f"predicted_at: {exc}")
    version_id, model_id = version_of(record, resolver, errors)
    score, output = get("score"), get("output")
    if score is not None:
        try:
            score = as_number(score)
        except ValueError as exc:
            errors.append(f"score: {exc}")
    if output is not None:
        try:
            output = as_json(output)
        except ValueError as exc:
            errors.append(f"output: {exc}")
    elif score is None:
        errors.append("score/output: give the score, the output, or both")
    extra = (
        convert_fields(record, _PREDICTION_OPTIONAL, errors)
        if len(record) > 5 or any(k in record for k in _PREDICTION_OPTIONAL)
        else {}
    )
    execution_id = None
    if extra.get("execution"):
        try:
            execution_id = resolver.execution_id(extra["execution"])
        except RowError as exc:
            errors.append(f"execution: {exc}")
    if errors:
        raise RowError("; ".join(errors))
    if score is None:
        score = score_of(output)
    if output is None:
        output = score
    outside = (
        resolver.outside_lifetime(version_id, at)
        if version_id is not None and isinstance(at, datetime)
        else INSIDE
    )
    row = {
        "subject_key": subject,
        "predicted_at": at,
        "version_id": version_id,
        "execution_id": execution_id,
        "input_record": extra.get("input_record"),
        "input_ref": extra.get("input_ref", ""),
        "input_sha256": extra.get("input_sha256", ""),
        "output": output,
        "score": score,
        "outside_lifetime": outside,
    }
    key = prediction_key(
        version_id, cast(datetime, at).isoformat(" ", "microseconds"), str(subject)
    )
    return row, key, model_id


OUTCOME_FIELDS = {
    "subject_key": text_of(200),
    "observed_at": as_time,
    "actual": as_number,
    "model": text_of(200),
}


def convert_outcome(
    record: dict[str, Any], resolver: Resolver
) -> tuple[dict[str, Any], str, int | None]:
    errors: list[str] = []
    _missing(record, ("subject_key", "observed_at", "actual"), errors)
    values = convert_fields(record, OUTCOME_FIELDS, errors)
    model_id = None
    if values.get("model"):
        try:
            model_id = resolver.model_id(values["model"])
        except RowError as exc:
            errors.append(f"model: {exc}")
    if values.get("subject_key") == "":
        errors.append("subject_key: is blank")
    if errors:
        raise RowError("; ".join(errors))
    row = {
        "subject_key": values["subject_key"],
        "observed_at": values["observed_at"],
        "actual": values["actual"],
        "model_id": model_id,
    }
    return row, f"{model_id or 0}\x1f{row['observed_at']}\x1f{row['subject_key']}", model_id
