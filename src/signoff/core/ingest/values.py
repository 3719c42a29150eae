"""Converters for one field of an ingest row: each returns the value or raises ValueError.

The message is a short reason ("is not a number"); :mod:`signoff.core.ingest.rows` prefixes
the column's name and collects every bad field of a row before refusing it.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from signoff.core.common.clock import parse_time, to_naive_utc
from signoff.core.common.text import BLANKS, name_problem
from signoff.core.publishing.manifest import SHA_RE

EXECUTION_STATUSES = ("succeeded", "failed", "running", "cancelled")
MAX_COUNT = 2**31 - 1  # the integer columns on PostgreSQL
MAX_JSON_DEPTH = 64


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a finite number (JSON has no {name})")


def parse_json(text: str) -> Any:
    """Decode one JSON text strictly: no NaN/Infinity, no integers longer than Python reads,
    no nesting deeper than :data:`MAX_JSON_DEPTH`; ValueError with a short reason otherwise."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise ValueError(f"is nested more than {MAX_JSON_DEPTH} deep") from None
    except ValueError as exc:  # an integer over Python's digit limit, or NaN/Infinity
        raise ValueError(f"is not usable JSON: {_unusable(exc)}") from None
    check_depth(value)
    return value


def _unusable(exc: ValueError) -> str:
    """Why decoding stopped, in a person's words (Python's own names its internal limit)."""
    message = str(exc)
    if "integer string conversion" in message:
        digits = sys.get_int_max_str_digits()
        return f"it holds a whole number too long to read (more than {digits} digits)"
    return message.split(";")[0]


def check_depth(value: Any) -> None:
    """Raise ValueError when *value* (decoded JSON) nests deeper than MAX_JSON_DEPTH."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"is nested more than {MAX_JSON_DEPTH} deep")
        if isinstance(item, dict):
            pending += [(v, depth + 1) for v in item.values()]
        elif isinstance(item, list):
            pending += [(v, depth + 1) for v in item]


def as_time(value: Any) -> datetime:
    """An ISO-8601 time (or datetime) as naive UTC."""
    if isinstance(value, datetime):
        try:
            return to_naive_utc(value)
        except OverflowError:
            raise ValueError(f"{value.isoformat()} is outside the years 1-9999 in UTC") from None
    if not isinstance(value, str):
        raise ValueError(f"{_short(value)} is not an ISO-8601 time")
    try:
        if value.endswith("Z"):  # the common case: UTC, already what the registry stores
            parsed = datetime.fromisoformat(value[:-1])
            if parsed.tzinfo is None:
                return parsed
        parsed = datetime.fromisoformat(value)  # Python 3.11 reads most of ISO-8601
        return parsed if parsed.tzinfo is None else to_naive_utc(parsed)
    except (ValueError, OverflowError):
        pass
    try:
        return parse_time(value)
    except (ValueError, OverflowError):
        raise ValueError(
            f"{_short(value)} is not an ISO-8601 time such as 2026-03-01T09:30:00Z"
        ) from None


def as_number(value: Any) -> float:
    """A finite number (not a boolean)."""
    if isinstance(value, bool):
        raise ValueError(f"{_short(value)} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{_short(value)} is not a number") from None
    except OverflowError:
        raise ValueError(f"{_short(value)} is too large for a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{_short(value)} is not a finite number")
    return number


def as_count(value: Any) -> int:
    """A whole number ≥ 0."""
    if isinstance(value, bool):
        raise ValueError(f"{_short(value)} is not a whole number")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        number = int(value) if not isinstance(value, float) else None
    except (TypeError, ValueError, OverflowError):
        number = None
    if number is None or number < 0:
        raise ValueError(f"{_short(value)} is not a whole number ≥ 0")
    if number > MAX_COUNT:
        raise ValueError(f"{_short(value)} is larger than {MAX_COUNT:,}")
    return number


def text_of(limit: int) -> Callable[[Any], str]:
    """A converter to stripped one-line text of at most *limit* characters (no control
    characters, no bidirectional overrides)."""

    def convert(value: Any) -> str:
        if isinstance(value, dict | list):
            raise ValueError("must be text, not a JSON structure")
        # only ordinary blanks are trimmed: str.strip() would also drop control characters
        # such as U+001F or U+0085, and a name that holds one is refused, not cleaned up
        text = str(value).strip(BLANKS)
        problem = name_problem(text, limit)
        if problem:
            raise ValueError(problem)
        return text

    return convert


def as_sha(value: Any) -> str:
    """A sha256 in lower-case hexadecimal."""
    text = str(value).strip().lower()
    if not SHA_RE.fullmatch(text):
        raise ValueError(f"{_short(value)} is not a sha256 (64 hexadecimal characters)")
    return text


def _short(value: Any) -> str:
    """*value* as a person reads it in a message: its repr, cut to 60 characters."""
    try:
        text = repr(value)
    except ValueError:  # an integer beyond Python's digit limit cannot even be printed
        return "a number with thousands of digits"
    return text if len(text) <= 60 else text[:57] + "..."


def as_json(value: Any) -> Any:
    """JSON text decoded; anything else (or text that is not JSON) as given.

    Raises ValueError for text that is JSON but unusable (NaN, a 5000-digit number, nesting
    deeper than MAX_JSON_DEPTH) and for a given value nested too deeply.
    """
    if isinstance(value, str):
        try:
            decoded = json.loads(value, parse_constant=_refuse_constant)
        except json.JSONDecodeError:
            return value
        except RecursionError:
            raise ValueError(f"is nested more than {MAX_JSON_DEPTH} deep") from None
        except ValueError as exc:
            raise ValueError(f"is not usable JSON: {_unusable(exc)}") from None
        value = decoded
    check_depth(value)
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
        raise ValueError(f"{_short(value)} is not one of {', '.join(EXECUTION_STATUSES)}")
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
