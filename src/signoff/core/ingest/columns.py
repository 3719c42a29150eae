"""The fast path for CSV predictions: a batch of rows checked column by column.

:func:`signoff.core.ingest.convert.convert_prediction` checks one row at a time, about 8 µs of
Python per row. A factory's prediction file is a million rows of the same few columns, so here
a batch is checked a column at a time with C-level operations (one regular-expression search
over a column's joined text, ``map`` of the converters). The checks are the same as the
row-by-row ones and at least as strict: whenever a batch holds anything they do not accept as
it is — a bad value, but also a blank to trim, an upper-case hash, a time with an offset — the
answer is None and the caller converts that batch row by row, which gives the exact messages.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime
from itertools import repeat
from operator import attrgetter, itemgetter, methodcaller
from typing import Any

from signoff.core.common.text import name_problem
from signoff.core.ingest.lifetime import INSIDE
from signoff.core.ingest.resolver import Resolver, version_of

#: the prediction columns this path reads; a file with any other column goes row by row
COLUMNS = frozenset(
    {"subject_key", "predicted_at", "version", "model", "score", "input_ref", "input_sha256"}
)
# a blank at either end of a value (values joined with ","; a "," inside a value can only
# make this match when nothing is wrong, which costs speed, never correctness)
_EDGE_BLANK = re.compile(r"(?:^|,)[ \t\r\n]|[ \t\r\n](?:,|$)")
_HEX = re.compile(r"[0-9a-f]*")
_NO_Z = itemgetter(slice(None, -1))
_ENDS_Z = methodcaller("endswith", "Z")
_TIME_TEXT = methodcaller("isoformat", " ", "microseconds")  # as SQLite stores it, and in keys
_KEY_JOIN = "\x1f".join  # signoff.core.ingest.convert.prediction_key
_TZINFO = attrgetter("tzinfo")  # tzinfo objects are true, naive times have None


class Batch:
    """A converted batch: per row its key, model id and driver values."""

    def __init__(self, keys: list[str], model_ids: list[int], bound: list[tuple[Any, ...]]):
        self.keys, self.model_ids, self.bound = keys, model_ids, bound
        #: lifetime kind per row when any row is outside its version's lifetime, else None
        self.outside: list[str] | None = None


class PredictionColumns:
    """Converts batches of CSV prediction rows with the header *header* (see module doc)."""

    def __init__(self, header: list[str], resolver: Resolver, sqlite: bool) -> None:
        self.at = {name: i for i, name in enumerate(header)}
        self.resolver, self.sqlite = resolver, sqlite
        self._refs: dict[Any, tuple[int, int] | None] = {}

    @staticmethod
    def handles(header: list[str]) -> bool:
        """Whether this path can read a file with these columns."""
        return "score" in header and set(header) <= COLUMNS

    def convert(self, rows: list[list[str]]) -> Batch | None:
        """The batch converted, or None when it must go row by row."""
        columns = list(zip(*rows, strict=True))
        at = self.at
        subjects: list[str] = list(columns[at["subject_key"]])
        if "" in subjects or not _plain(subjects, 200):
            return None
        times = _times(columns[at["predicted_at"]])
        scores = _numbers(columns[at["score"]])
        model = columns[at["model"]] if "model" in at else None
        refs = self._refs_of(columns[at["version"]], model)
        if times is None or scores is None or refs is None:
            return None
        input_refs = columns[at["input_ref"]] if "input_ref" in at else None
        shas = columns[at["input_sha256"]] if "input_sha256" in at else None
        if (input_refs and not _plain(input_refs, 1000)) or (shas and not _shas(shas)):
            return None
        version_ids, model_ids = list(map(itemgetter(0), refs)), list(map(itemgetter(1), refs))
        texts = list(map(_TIME_TEXT, times))
        keys = list(map(_KEY_JOIN, zip(map(str, version_ids), texts, subjects, strict=True)))
        outside = self._outside(version_ids, times)
        bound = list(
            zip(
                subjects,
                texts if self.sqlite else times,
                version_ids,
                repeat(None),
                repeat(None),
                input_refs or repeat(""),
                shas or repeat(""),
                map(repr, scores),
                scores,
                outside or repeat(INSIDE),
            )
        )
        batch = Batch(keys, model_ids, bound)
        batch.outside = outside
        return batch

    def _refs_of(
        self, versions: tuple[str, ...], models: tuple[str, ...] | None
    ) -> list[tuple[int, int]] | None:
        cells: Any = versions if models is None else list(zip(versions, models, strict=True))
        refs = list(map(self._refs.get, cells))
        if None in refs:
            for cell in set(cells) - self._refs.keys():
                version, model = cell if isinstance(cell, tuple) else (cell, "")
                record = {k: v for k, v in (("version", version), ("model", model)) if v != ""}
                errors: list[str] = []
                found = version_of(record, self.resolver, errors)
                self._refs[cell] = None if errors else found  # type: ignore[assignment]
            refs = list(map(self._refs.get, cells))
            if None in refs:
                return None
        return refs  # type: ignore[return-value]

    def _outside(self, version_ids: list[int], times: list[datetime]) -> list[str] | None:
        """Each row's lifetime kind, or None when every row is inside its version's lifetime."""
        distinct = set(version_ids)
        if len(distinct) == 1:
            lifetime = self.resolver.lifetime(version_ids[0])
            if lifetime is None:
                return None
            if min(times) >= lifetime.start and (
                lifetime.end is None or max(times) <= lifetime.end
            ):
                return None
        judged = list(map(self.resolver.outside_lifetime, version_ids, times))
        return judged if any(judged) else None


def _plain(values: Sequence[str], limit: int) -> bool:
    """Whether every one of *values* is a name of at most *limit* characters with no blank to
    trim (ASCII text is checked with str methods, anything else with the name rule's regex)."""
    joined = ",".join(values)
    if not (joined.isascii() and joined.isprintable()) and name_problem(joined):
        return False
    if " " in joined and _EDGE_BLANK.search(joined):
        return False
    return max(map(len, values)) <= limit


def _shas(values: Sequence[str]) -> bool:
    """Whether every one of *values* is empty or a sha256 in lower-case hexadecimal."""
    return set(map(len, values)) <= {0, 64} and _HEX.fullmatch("".join(values)) is not None


def _times(values: Sequence[str]) -> list[datetime] | None:
    """Naive UTC times from ISO-8601 text ending in Z (what a factory writes), else None."""
    if sum(map(_ENDS_Z, values)) != len(values):
        return None
    try:
        times = list(map(datetime.fromisoformat, map(_NO_Z, values)))
    except ValueError:
        return None
    if any(map(_TZINFO, times)):  # an offset before the Z: the row-by-row path reads it
        return None
    return times


def _numbers(values: Sequence[str]) -> list[float] | None:
    try:
        numbers = list(map(float, values))
    except ValueError:
        return None
    return numbers if all(map(math.isfinite, numbers)) else None
