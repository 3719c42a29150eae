"""Comparing versions of one model: which dimensions changed, text diffs, metric deltas.

Plain dataclasses built inside one session (see :mod:`signoff.core.catalog.version_page`), Qt-free.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from signoff.core.catalog import lookup
from signoff.core.catalog.component_ref import ComponentRef
from signoff.core.catalog.version_page import component_content
from signoff.core.db.registry import Registry
from signoff.core.db.schema import COMPONENT_KINDS

SAME, CHANGED, ADDED, REMOVED = "same", "changed", "added", "removed"


@dataclass
class DimensionCell:
    location: str
    sha256: str | None
    size: int | None
    status: str  # same / changed / added / removed, relative to the first version


@dataclass
class DimensionRow:
    kind: str
    name: str
    cells: list[DimensionCell | None]  # one per compared version; None where absent

    @property
    def status(self) -> str:
        """The row's overall status: the most significant status across versions."""
        statuses = {c.status for c in self.cells if c is not None}
        if any(c is None for c in self.cells[1:]) and self.cells[0] is not None:
            statuses.add(REMOVED)
        for word in (CHANGED, ADDED, REMOVED):
            if word in statuses:
                return word
        return SAME

    def component(self, index: int) -> ComponentRef | None:
        cell = self.cells[index]
        if cell is None:
            return None
        return ComponentRef(
            self.kind,
            self.name,
            cell.location if not _is_uri(cell.location) else None,
            cell.location if _is_uri(cell.location) else None,
            cell.sha256,
            cell.size,
            cell.sha256 is not None and not _is_uri(cell.location),
            "",
        )


def _is_uri(location: str) -> bool:
    return "://" in location


@dataclass
class MetricRow:
    name: str
    dataset: str
    values: list[float | None]

    def delta(self, index: int) -> float | None:
        """Value of version *index* minus the first version's (None if either is missing)."""
        base, value = self.values[0], self.values[index]
        if base is None or value is None:
            return None
        return value - base


@dataclass
class Comparison:
    """Two or more versions of one model side by side; the first is the baseline."""

    model: str
    numbers: list[int]
    states: list[str]
    dimensions: list[DimensionRow]
    metrics: list[MetricRow]

    def changed(self) -> list[DimensionRow]:
        return [d for d in self.dimensions if d.status != SAME]


def compare_versions(session: Session, name: str, numbers: list[int]) -> Comparison:
    """Compare versions of a model dimension by dimension and metric by metric.

    Components are matched by (kind, name); a cell's status compares it with the first
    version: same sha256, changed, added (absent in the first) or removed (absent here).
    Raises ValueError for fewer than two distinct versions, NotFoundError for unknown ones.
    """
    numbers = list(dict.fromkeys(numbers))
    if len(numbers) < 2:
        raise ValueError("choose at least two different versions to compare")
    versions = [lookup.get_version(session, name, n) for n in numbers]
    keys: dict[tuple[str, str], None] = {}
    by_version = []
    for v in versions:
        comps = {(c.kind, c.name): c for c in v.components}
        by_version.append(comps)
        for key in sorted(
            comps,
            key=lambda k: (COMPONENT_KINDS.index(k[0]) if k[0] in COMPONENT_KINDS else 99, k[1]),
        ):
            keys.setdefault(key)
    dimensions = []
    for key in sorted(
        keys, key=lambda k: (COMPONENT_KINDS.index(k[0]) if k[0] in COMPONENT_KINDS else 99, k[1])
    ):
        base = by_version[0].get(key)
        cells: list[DimensionCell | None] = []
        for i, comps in enumerate(by_version):
            c = comps.get(key)
            if c is None:
                cells.append(None)
                continue
            if i == 0:
                status = SAME
            elif base is None:
                status = ADDED
            else:
                status = SAME if (c.sha256, c.uri) == (base.sha256, base.uri) else CHANGED
            cells.append(DimensionCell(c.path or c.uri or "", c.sha256, c.size, status))
        dimensions.append(DimensionRow(key[0], key[1], cells))
    metric_keys: dict[tuple[str, str], list[float | None]] = {}
    for i, v in enumerate(versions):
        for m in v.metrics:
            metric_keys.setdefault((m.name, m.dataset), [None] * len(versions))[i] = m.value
    metrics = [MetricRow(n, d, vals) for (n, d), vals in sorted(metric_keys.items())]
    return Comparison(name, numbers, [v.state for v in versions], dimensions, metrics)


def text_diff_inputs(
    registry: Registry, row: DimensionRow, left: int, right: int
) -> tuple[str | None, str | None, str]:
    """The two texts to show side by side for a dimension (None where absent or binary),
    and a unified diff of them for a quick look."""
    texts: list[str | None] = []
    for index in (left, right):
        component = row.component(index)
        if component is None or not component.stored:
            texts.append(None)
            continue
        texts.append(component_content(registry, component).text)
    a, b = texts
    diff = "".join(
        difflib.unified_diff(
            (a or "").splitlines(True),
            (b or "").splitlines(True),
            fromfile=f"left/{row.name}",
            tofile=f"right/{row.name}",
        )
    )
    return a, b, diff


# -- dashboard ----------------------------------------------------------------------------


@dataclass
class DiffLine:
    """One aligned line of a side-by-side diff; None on a side where the line is absent."""

    left: str | None
    right: str | None
    tag: str  # equal / replace / delete / insert


def side_by_side(left: str | None, right: str | None) -> list[DiffLine]:
    """Align two texts line by line for a side-by-side view (difflib opcodes)."""
    a = (left or "").splitlines()
    b = (right or "").splitlines()
    out: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(DiffLine(x, y, tag) for x, y in zip(a[i1:i2], b[j1:j2], strict=True))
            continue
        span = max(i2 - i1, j2 - j1)
        for k in range(span):
            x = a[i1 + k] if i1 + k < i2 else None
            y = b[j1 + k] if j1 + k < j2 else None
            out.append(DiffLine(x, y, tag))
    return out
