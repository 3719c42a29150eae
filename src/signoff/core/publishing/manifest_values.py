"""What values a ``signoff.toml`` may hold, checked before any table of it is read.

The manifest is stored with the version (as JSON) and hashed, so every value in it must be
something JSON holds exactly and a reviewer can read: finite numbers (TOML allows ``nan`` and
``inf``), text without control characters or bidirectional overrides (tabs and line breaks
are fine), no TOML dates or times (JSON has none; write them as text), and no nesting deeper
than a person writes. Each problem names the key it was found at.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from signoff.core.common.errors import ManifestError
from signoff.core.common.text import name_problem, number_problem, text_problem

MAX_DEPTH = 16
MAX_MANIFEST_BYTES = 1024 * 1024


def check_manifest_values(raw: dict[str, Any]) -> None:
    """Raise ManifestError naming the first value of *raw* that a manifest may not hold."""
    pending: list[tuple[str, Any, int]] = [("", raw, 0)]
    while pending:
        where, value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise ManifestError(f"{where or 'the manifest'}: nested more than {MAX_DEPTH} deep")
        if isinstance(value, dict):
            for key, item in value.items():
                problem = name_problem(key, 100)
                if problem:
                    raise ManifestError(f"a key in {where or 'the manifest'} {problem}")
                pending.append((f"{where}.{key}" if where else key, item, depth + 1))
        elif isinstance(value, list):
            pending += [(f"{where}[{i}]", item, depth + 1) for i, item in enumerate(value)]
        elif isinstance(value, str):
            problem = text_problem(value)
            if problem:
                raise ManifestError(f"{where}: the text {problem}")
        elif isinstance(value, datetime | date | time):
            raise ManifestError(
                f"{where}: TOML dates and times are not kept in a manifest; write it as text "
                f'("{value.isoformat()}")'
            )
        elif not isinstance(value, bool):
            problem = number_problem(value)
            if problem:
                raise ManifestError(f"{where}: {problem}")


def one_line(table: dict[str, Any], key: str, where: str, limit: int) -> str:
    """``table[key]`` (default '') as a one-line name of at most *limit* characters."""
    value = table.get(key, "")
    if not isinstance(value, str):
        raise ManifestError(f"[{where}] {key} must be text, got {value!r}")
    problem = name_problem(value, limit)
    if problem:
        raise ManifestError(f"[{where}] {key} {value!r} {problem}")
    return value


def name_text(value: object, what: str, limit: int) -> str:
    """*value* as a one-line name of at most *limit* characters, or ManifestError."""
    if not isinstance(value, str):
        raise ManifestError(f"{what} must be text, got {value!r}")
    problem = name_problem(value, limit)
    if problem:
        raise ManifestError(f"{what} {value!r} {problem}")
    return value
