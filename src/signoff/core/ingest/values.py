"""Converters for one field of an ingest row: each returns the value or raises ValueError.

The message is a short reason ("is not a number"); :mod:`signoff.core.ingest.rows` prefixes
the column's name and collects every bad field of a row before refusing it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from signoff.core.common.clock import parse_time, to_naive_utc
from signoff.core.publishing.manifest import SHA_RE

EXECUTION_STATUSES = ("succeeded", "failed", "running", "cancelled")


def as_time(value: Any) -> datetime:
    """An ISO-8601 time (or datetime) as naive UTC."""
    if isinstance(value, datetime):
        return to_naive_utc(value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an ISO-8601 time")
    try:
        if value.endswith("Z"):  # the common case: UTC, already what the registry stores
            parsed = datetime.fromisoformat(value[:-1])
            if parsed.tzinfo is None:
                return parsed
        parsed = datetime.fromisoformat(value)  # Python 3.11 reads most of ISO-8601
        return parsed if parsed.tzinfo is None else to_naive_utc(parsed)
    except ValueError:
        pass
    try:
        return parse_time(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an ISO-8601 time such as 2026-03-01T09:30:00Z"
        ) from None


def as_number(value: Any) -> float:
    """A finite number (not a boolean)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def as_count(value: Any) -> int:
    """A whole number ≥ 0."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        number = int(value) if not isinstance(value, float) else None
    except (TypeError, ValueError):
        number = None
    if number is None or number < 0:
        raise ValueError(f"{value!r} is not a whole number ≥ 0")
    return number


def text_of(limit: int) -> Callable[[Any], str]:
    """A converter to stripped text of at most *limit* characters."""

    def convert(value: Any) -> str:
        if isinstance(value, dict | list):
            raise ValueError("must be text, not a JSON structure")
        text = str(value).strip()
        if len(text) > limit:
            raise ValueError(f"is longer than {limit} characters")
        return text

    return convert


def as_sha(value: Any) -> str:
    """A sha256 in lower-case hexadecimal."""
    text = str(value).strip().lower()
    if not SHA_RE.match(text):
        raise ValueError(f"{value!r} is not a sha256 (64 hexadecimal characters)")
    return text


def as_json(value: Any) -> Any:
    """JSON text decoded; anything else (or text that is not JSON) as given."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def as_record(value: Any) -> dict[str, Any]:
    """A JSON object (or its text)."""
    value = as_json(value)
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object of the input fields")
    return value


def as_status(value: Any) -> str:
    """One of the execution statuses."""
    text = str(value).strip().lower()
    if text not in EXECUTION_STATUSES:
        raise ValueError(f"{value!r} is not one of {', '.join(EXECUTION_STATUSES)}")
    return text


def convert_fields(
    record: dict[str, Any], converters: dict[str, Callable[[Any], Any]], errors: list[str]
) -> dict[str, Any]:
    """Convert the columns *converters* knows; append ``column: reason`` to *errors*."""
    out: dict[str, Any] = {}
    for column, raw in record.items():
        convert = converters.get(column)
        if convert is not None:
            try:
                out[column] = convert(raw)
            except ValueError as exc:
                errors.append(f"{column}: {exc}")
    return out
