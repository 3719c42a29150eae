"""The keys seen so far in one ingest source, to refuse a key given twice, in bounded memory.

A file of a million rows cannot keep a million key strings (about 150 bytes each, with the
dictionary around them). Each key is kept as a 64-bit and a 32-bit hash and its line number,
20 bytes, in sorted numpy runs merged as they grow (a log-structured set: adding n keys costs
O(n log n), a look-up one binary search per run).

Exactness: equal keys always have equal hashes, so a repeated key is never missed. Two
different keys are taken for one only if both of their hashes agree; they are Python's
keyed string hash (SipHash, keyed afresh in each process) of the key and of the key with a
suffix, so that happens with probability about n² / 2⁹⁷ — and it could only ever refuse a
good file, never store a repeated key. Keys repeated within one batch are found exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_SUFFIX = "\x1e"


class KeySet:
    """Keys added batch by batch; :meth:`earlier` says which were added before."""

    def __init__(self) -> None:
        # runs of (first hash, second hash, line), each sorted by the first hash; sizes shrink
        self._runs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._last: tuple[list[str], np.ndarray, np.ndarray, np.ndarray] | None = None

    def earlier(self, keys: list[str], lines: Sequence[int]) -> dict[int, int]:
        """{index in *keys*: the line that gave the key first} for the keys seen before,
        in an earlier batch or earlier in this one."""
        if not keys:
            return {}
        h1, h2, order = self._hashed(keys)
        repeated: dict[int, int] = {}
        ordered = h1[order]
        if bool(np.any(ordered[1:] == ordered[:-1])):  # equal first hashes: look at the keys
            where: dict[str, int] = {}
            for i, key in enumerate(keys):
                if key in where:
                    repeated[i] = lines[where[key]]
                else:
                    where[key] = i
        for run1, run2, run_lines in self._runs:
            at = np.searchsorted(run1, ordered)  # sorted queries walk the run in order
            hit = at < len(run1)
            hit[hit] = run1[at[hit]] == ordered[hit]
            for k in np.flatnonzero(hit).tolist():
                i, j = int(order[k]), int(at[k])
                while j < len(run1) and run1[j] == h1[i]:
                    if run2[j] == h2[i]:
                        line = int(run_lines[j])
                        repeated[i] = min(line, repeated.get(i, line))
                        break
                    j += 1
        return repeated

    def add(self, keys: list[str], lines: Sequence[int]) -> None:
        """Remember *keys* (each new, as :meth:`earlier` found) given on *lines*."""
        if not keys:
            return
        h1, h2, order = self._hashed(keys)
        self._runs.append((h1[order], h2[order], np.asarray(lines, dtype=np.int64)[order]))
        while len(self._runs) > 1 and len(self._runs[-2][0]) <= 2 * len(self._runs[-1][0]):
            newer, older = self._runs.pop(), self._runs.pop()
            # both are sorted: insert the newer run's entries where they belong, one array at
            # a time, so a merge needs one more array's memory, not an index of the whole
            at = np.searchsorted(older[0], newer[0])
            merged = [np.insert(a, at, b) for a, b in zip(older, newer, strict=True)]
            self._runs.append((merged[0], merged[1], merged[2]))

    def _hashed(self, keys: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The keys' hashes and the order that sorts the first (kept for the same list)."""
        if self._last is None or self._last[0] is not keys:
            h1, h2 = _hashes(keys)
            self._last = (keys, h1, h2, np.argsort(h1, kind="stable"))
        return self._last[1], self._last[2], self._last[3]


def _hashes(keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    first = np.fromiter(map(hash, keys), dtype=np.int64, count=len(keys))
    second = np.fromiter(
        map(hash, [key + _SUFFIX for key in keys]), dtype=np.int64, count=len(keys)
    )
    return first, second.astype(np.int32)  # 32 bits are enough beside the first 64
