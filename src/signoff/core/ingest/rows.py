"""The columns of each ingest kind, its table, and how its rows go to the database driver.

A row is a mapping of column name to value (text from CSV, typed from JSON Lines or Python).
:meth:`RowSpec.convert` returns the values to insert, the row's unique key and the model it
belongs to, or raises :class:`RowError` naming every field that is wrong (the conversions are
in :mod:`signoff.core.ingest.convert`).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table

from signoff.core.db.schema import Execution, Outcome, Prediction
from signoff.core.ingest.convert import (
    convert_execution,
    convert_outcome,
    convert_prediction,
    score_of,
)
from signoff.core.ingest.resolver import Resolver, RowError

__all__ = ["SPECS", "Resolver", "RowError", "RowSpec", "score_of"]


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

    def insert_sql(self, dialect: str, rows: int = 1) -> str:
        """INSERT … ON CONFLICT DO NOTHING of *rows* rows, parameters in the driver's style.

        Rows go to the driver as they are (see :meth:`bind`): SQLAlchemy's per-row type
        processing costs more than the rest of the ingest together.
        """
        names = ", ".join(self.insert_columns)
        mark = "%s" if dialect == "postgresql" else "?"
        one = "(" + ", ".join(mark for _ in self.insert_columns) + ")"
        values = ", ".join([one] * rows)
        return f"INSERT INTO {self.table.name} ({names}) VALUES {values} ON CONFLICT DO NOTHING"

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
        convert_execution,
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
        convert_prediction,
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
        convert_outcome,
        ("subject_key", "observed_at"),
        ("subject_key", "observed_at", "actual", "model_id"),
        time_columns=("observed_at",),
    ),
}
