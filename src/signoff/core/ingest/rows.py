"""The columns of each ingest kind and how one row is checked and converted.

A row is a mapping of column name to value (text from CSV, typed from JSON Lines or Python).
:class:`RowSpec.convert` returns the values to insert, the row's unique key and the model it
belongs to, or raises :class:`RowError` naming every field that is wrong.
"""

from __future__ import annotations

import contextlib
import json
import math
import operator
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from signoff.core.common.text import BLANKS, name_problem, version_number
from signoff.core.db.schema import Deployment, Execution, Model, Outcome, Prediction, Version
from signoff.core.ingest.lifetime import INSIDE, Lifetime
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


class RowError(ValueError):
    """One row is wrong; the message names each bad field."""


class Resolver:
    """Looks up models, versions and executions by name once per ingest, then from a cache."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # the ingest's writer thread shares the session's connection; look-ups take this lock
        self.lock = threading.Lock()
        self._models: dict[str, int | None] = {}
        self._versions: dict[tuple[int, int], int | None] = {}
        self._lifetimes: dict[int, Lifetime] = {}
        self._executions: dict[str, int | None] = {}
        # (version cell, model cell) -> (version id, model id), or the reason it is wrong
        self.refs: dict[tuple[Any, Any], tuple[int | None, int | None] | str] = {}

    def model_id(self, name: str) -> int:
        """The id of the model called *name*; RowError when there is none."""
        if name not in self._models:
            with self.lock:
                self._models[name] = self.session.scalar(select(Model.id).where(Model.name == name))
        found = self._models[name]
        if found is None:
            raise RowError(f"unknown model '{name}'")
        return found

    def version_id(self, name: str, number: int) -> tuple[int, int]:
        """(version id, model id) of ``name`` v*number*; RowError when unknown."""
        model_id = self.model_id(name)
        key = (model_id, number)
        if key not in self._versions:
            with self.lock:
                first_live = (
                    select(func.min(Deployment.live_from))
                    .where(Deployment.version_id == Version.id)
                    .scalar_subquery()
                )
                row = self.session.execute(
                    select(
                        Version.id,
                        Version.created_at,
                        Version.state,
                        Version.state_changed_at,
                        first_live,
                    ).where(Version.model_id == model_id, Version.number == number)
                ).first()
            self._versions[key] = row[0] if row else None
            if row:
                self._lifetimes[row[0]] = Lifetime.of(row[1], row[2], row[3], row[4])
        found = self._versions[key]
        if found is None:
            raise RowError(f"unknown version: model '{name}' has no v{number}")
        return found, model_id

    def outside_lifetime(self, version_id: int, at: datetime) -> str:
        """INSIDE, or why a prediction at *at* falls outside the version's lifetime."""
        lifetime = self._lifetimes.get(version_id)
        return lifetime.judge(at) if lifetime is not None else INSIDE

    def execution_id(self, external_id: str) -> int:
        """The id of the execution reported as *external_id*; RowError when unknown."""
        if external_id not in self._executions:
            with self.lock:
                self._executions[external_id] = self.session.scalar(
                    select(Execution.id).where(Execution.external_id == external_id)
                )
        found = self._executions[external_id]
        if found is None:
            raise RowError(f"unknown execution '{external_id}' (ingest executions first)")
        return found


def _version(
    record: dict[str, Any], resolver: Resolver, errors: list[str]
) -> tuple[int | None, int | None]:
    cache_key = (record.get("version"), record.get("model"))
    try:
        cached = resolver.refs.get(cache_key)
    except TypeError:  # an unhashable value (a JSON list or object)
        cached = None
    if cached is not None:
        if isinstance(cached, str):
            errors.append(cached)
            return None, None
        return cached
    before = len(errors)
    found = _resolve_version(record, resolver, errors)
    with contextlib.suppress(TypeError):
        resolver.refs[cache_key] = found if len(errors) == before else errors[-1]
    return found


def _resolve_version(
    record: dict[str, Any], resolver: Resolver, errors: list[str]
) -> tuple[int | None, int | None]:
    try:
        ref = str(record.get("version", "")).strip(BLANKS)
        model = str(record.get("model", "")).strip(BLANKS)
    except ValueError:  # an integer beyond Python's digit limit
        errors.append("version: does not name a version number")
        return None, None
    if not ref:
        errors.append("version: missing (give 'model@number', or a model and a version column)")
        return None, None
    if model:
        name, number_text = model, ref
    else:
        name, sep, number_text = ref.rpartition("@")
        if not sep:
            errors.append(
                f"version: {_short(ref)} must be 'model@number' when there is no model column"
            )
            return None, None
    number_text = number_text.strip(BLANKS).removeprefix("v").removeprefix("V")
    number = version_number(number_text)
    if number is None:
        errors.append(
            f"version: {_short(ref)} does not name a version number "
            "(a whole number from 1, in the digits 0-9)"
        )
        return None, None
    name = name.strip(BLANKS)
    problem = name_problem(name, 200)
    if problem:
        errors.append(f"version: the model name {problem}")
        return None, None
    try:
        return resolver.version_id(name, number)
    except RowError as exc:
        errors.append(str(exc))
        return None, None


@dataclass(frozen=True)
class RowSpec:
    """One ingest kind: its table, columns and conversion."""

    kind: str
    table: Table
    required: tuple[str, ...]
    optional: tuple[str, ...]
    convert_fn: Callable[[dict[str, Any], Resolver], tuple[dict[str, Any], str, int | None]]
    key_columns: tuple[str, ...]
    insert_columns: tuple[str, ...]
    time_columns: tuple[str, ...] = ()
    json_columns: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column this kind accepts, required first."""
        return self.required + self.optional

    def check_columns(self, names: list[str]) -> str | None:
        """A reason when the columns are wrong (unknown, missing or repeated), else None."""
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            return f"column(s) named twice: {', '.join(dupes)}"
        unknown = [n for n in names if n not in self.columns]
        missing = [c for c in self.required if c not in names]
        parts = []
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        if missing:
            parts.append(f"missing required column(s) {', '.join(missing)}")
        if parts:
            return (
                "; ".join(parts)
                + f" — {self.kind} need {', '.join(self.required)}"
                + (f" and may have {', '.join(self.optional)}" if self.optional else "")
            )
        return None

    def convert(
        self, record: dict[str, Any], resolver: Resolver
    ) -> tuple[dict[str, Any], str, int | None]:
        return self.convert_fn(record, resolver)

    def describe_key(self, values: dict[str, Any]) -> str:
        """The row's unique key as ``column=value`` pairs, for messages."""
        return ", ".join(f"{c}={values.get(c)}" for c in self.key_columns)

    def insert_sql(self, dialect: str) -> str:
        """INSERT … ON CONFLICT DO NOTHING with named parameters in the driver's style.

        Rows go to the driver's ``executemany`` as they are (see :meth:`bind`): SQLAlchemy's
        per-row type processing costs more than the rest of the ingest together.
        """
        names = ", ".join(self.insert_columns)
        mark = "%s" if dialect == "postgresql" else "?"
        params = ", ".join(mark for _ in self.insert_columns)
        return f"INSERT INTO {self.table.name} ({names}) VALUES ({params}) ON CONFLICT DO NOTHING"

    def bind(self, row: dict[str, Any], sqlite: bool) -> tuple[Any, ...]:
        """The driver values of a converted row, stored exactly as SQLAlchemy would store them
        (SQLite: datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' text; JSON columns as JSON text)."""
        if sqlite:
            for column in self.time_columns:
                value = row[column]
                if value is not None:
                    row[column] = value.isoformat(" ", "microseconds")
        for column in self.json_columns:
            value = row[column]
            if value is not None:
                # json.dumps of a float is its repr; skip the encoder for the common case
                row[column] = repr(value) if type(value) is float else json.dumps(value)
        return operator.itemgetter(*self.insert_columns)(row)


def _short(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


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


def _convert_execution(
    record: dict[str, Any], resolver: Resolver
) -> tuple[dict[str, Any], str, int | None]:
    errors: list[str] = []
    _missing(record, ("external_id", "started_at"), errors)
    values = convert_fields(record, EXECUTION_FIELDS, errors)
    version_id, model_id = _version(record, resolver, errors)
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


def _convert_prediction(
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
    version_id, model_id = _version(record, resolver, errors)
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
    return row, f"{version_id}\x1f{at}\x1f{subject}", model_id


OUTCOME_FIELDS = {
    "subject_key": text_of(200),
    "observed_at": as_time,
    "actual": as_number,
    "model": text_of(200),
}


def _convert_outcome(
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


# SQLAlchemy types a mapped class's __table__ as any FromClause; a class declared with
# __tablename__ has a Table there
SPECS: dict[str, RowSpec] = {
    "executions": RowSpec(
        "executions",
        cast(Table, Execution.__table__),
        ("external_id", "version", "started_at"),
        (
            "model",
            "consumer",
            "process",
            "ended_at",
            "rows_scored",
            "status",
            "duration_s",
            "input_uri",
            "input_sha256",
            "output_uri",
            "output_sha256",
        ),
        _convert_execution,
        ("external_id",),
        (
            "external_id",
            "version_id",
            "consumer",
            "started_at",
            "ended_at",
            "rows_scored",
            "status",
            "duration_s",
            "input_uri",
            "input_sha256",
            "output_uri",
            "output_sha256",
        ),
        time_columns=("started_at", "ended_at"),
    ),
    "predictions": RowSpec(
        "predictions",
        cast(Table, Prediction.__table__),
        ("subject_key", "predicted_at", "version"),
        ("model", "score", "output", "input_record", "input_ref", "input_sha256", "execution"),
        _convert_prediction,
        ("subject_key", "predicted_at", "version_id"),
        (
            "subject_key",
            "predicted_at",
            "version_id",
            "execution_id",
            "input_record",
            "input_ref",
            "input_sha256",
            "output",
            "score",
            "outside_lifetime",
        ),
        time_columns=("predicted_at",),
        json_columns=("input_record", "output"),
    ),
    "outcomes": RowSpec(
        "outcomes",
        cast(Table, Outcome.__table__),
        ("subject_key", "observed_at", "actual"),
        ("model",),
        _convert_outcome,
        ("subject_key", "observed_at"),
        ("subject_key", "observed_at", "actual", "model_id"),
        time_columns=("observed_at",),
    ),
}
