"""Bad input for the property-based tests, and what "nothing changed" means for a registry.

The strategies make values a person or a broken tool could send — text with control
characters, bidirectional overrides or unpaired surrogates, NaN and infinities, numbers with
thousands of digits, version numbers in other scripts, arrays nested 100,000 deep, TOML dates
where text belongs — and :func:`registry_state` is what must stay the same when one is refused:
every table's row count and the head of the audit chain.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import func, select

from signoff.core.db.schema import AuditEvent, Base

#: examples per property (more for a long hunt: SIGNOFF_HYPOTHESIS_EXAMPLES=2000)
EXAMPLES = int(os.environ.get("SIGNOFF_HYPOTHESIS_EXAMPLES", "30"))
#: characters no name or text field may hold (a sample of each kind)
BAD_CHARS = ["\x00", "\x1b", "\x7f", "\x85", "\u202e", "\u202d", "\u2066", "\u200f", "\x08"]
#: "digits" that are not ASCII digits: str.isdigit() accepts every one of them
OTHER_DIGITS = ["\u00b2", "\u0661\u0662", "\u0967", "\uff13", "\u2463", "\U0001d7d9"]


def registry_state(registry) -> tuple[dict[str, int], str | None]:
    """(row count per table, hash of the last audit event): what a refusal must not change."""
    with registry.read() as session:
        counts = {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }
        head = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))
    return counts, head


def with_bad_char(text: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """Text with at least one character no name or text field may hold."""
    base = text or st.text(max_size=20)
    return st.tuples(base, st.sampled_from(BAD_CHARS), base).map(lambda t: t[0] + t[1] + t[2])


def bad_numbers() -> st.SearchStrategy[Any]:
    """Values that are no finite number: NaN, ±inf, integers past a float, text, booleans."""
    return st.one_of(
        st.sampled_from([math.nan, math.inf, -math.inf, 10**400, -(10**400)]),
        st.booleans(),
        st.text(max_size=10),
    )


def bad_version_numbers() -> st.SearchStrategy[Any]:
    """Things a server or a file could give as a version number that are not one."""
    return st.one_of(
        st.sampled_from(OTHER_DIGITS + ["0", "00", "03", "-1", "1.0", "1e3", "1_0", "+1", ""]),
        st.just("1" * 5000),
        st.integers(max_value=0),
        st.integers(min_value=2**31),
        st.booleans(),
        st.floats(),
        st.text(max_size=8).filter(lambda t: not (t.isascii() and t.isdigit())),
    )


def deep_array(depth: int) -> str:
    """JSON (and TOML) text of arrays nested *depth* deep."""
    return "[" * depth + "]" * depth


def toml_value(value: Any) -> str:
    """*value* as a TOML literal (enough of TOML for these tests; tomllib reads it)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        out = []
        for ch in value:
            code = ord(ch)
            if ch in '"\\':
                out.append("\\" + ch)
            elif code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF:
                out.append(f"\\u{code:04X}")
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML for {value!r}")


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON value, awkward numbers and text included."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=12),
        with_bad_char(),
    )
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=max_leaves,
    )
