"""Two versions of a model side by side, as plain data: what ``signoff diff A B`` prints.

Built on :func:`signoff.core.catalog.compare.compare_versions` (the Compare page's data): each
versioning dimension with its status and both hashes, a unified diff of every changed text
component, and every metric with its delta.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from signoff.core.catalog.compare import SAME, Comparison, compare_versions, text_diff_inputs
from signoff.core.common.errors import HashMismatchError, SignoffError
from signoff.core.db.registry import Registry

MAX_DIFF_LINES = 400  # beyond this a diff is cut, with the count of lines left out


@dataclass
class DimensionDiff:
    """One dimension (a component matched by kind and name) in both versions."""

    kind: str
    name: str
    status: str
    left: dict[str, Any] | None
    right: dict[str, Any] | None
    diff: str = ""  # unified diff of the two texts ("" when same, binary or external)
    note: str = ""  # why there is no text diff for a changed dimension


@dataclass
class VersionDiff:
    """Everything that differs between two versions of one model."""

    model: str
    left: int
    right: int
    states: tuple[str, str]
    dimensions: list[DimensionDiff] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> list[DimensionDiff]:
        return [d for d in self.dimensions if d.status != SAME]

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "left": self.left,
            "right": self.right,
            "states": list(self.states),
            "dimensions": [d.__dict__ for d in self.dimensions],
            "metrics": self.metrics,
        }


def _cell(comparison: Comparison, row_index: int, side: int) -> dict[str, Any] | None:
    cell = comparison.dimensions[row_index].cells[side]
    if cell is None:
        return None
    return {"location": cell.location, "sha256": cell.sha256, "size": cell.size}


def _cut(diff: str) -> str:
    lines = diff.splitlines(keepends=True)
    if len(lines) <= MAX_DIFF_LINES:
        return diff
    kept = "".join(lines[:MAX_DIFF_LINES])
    return kept + f"… {len(lines) - MAX_DIFF_LINES} more lines of the diff not shown\n"


def version_diff(registry: Registry, model: str, left: int, right: int) -> VersionDiff:
    """Compare *left* and *right* of *model* dimension by dimension, with text diffs.

    Raises NotFoundError for an unknown model or version, SignoffError when both are the same.
    A stored file whose hash no longer matches is reported in the dimension's note.
    """
    if left == right:
        raise SignoffError(f"both sides are {model}@{left}; name two different versions")
    with registry.read() as session:
        comparison = compare_versions(session, model, [left, right])
    result = VersionDiff(model, left, right, (comparison.states[0], comparison.states[1]))
    for index, row in enumerate(comparison.dimensions):
        status = row.cells[1].status if row.cells[1] is not None else "removed"
        if row.cells[0] is None and row.cells[1] is not None:
            status = "added"
        entry = DimensionDiff(
            row.kind, row.name, status, _cell(comparison, index, 0), _cell(comparison, index, 1)
        )
        if status != SAME:
            try:
                a, b, diff = text_diff_inputs(registry, row, 0, 1)
            except HashMismatchError as exc:
                entry.note = str(exc)
            else:
                if diff and (a is not None or b is not None):
                    entry.diff = _cut(diff)
                else:
                    entry.note = "no text diff: binary, external or too large to compare as text"
        result.dimensions.append(entry)
    for metric in comparison.metrics:
        result.metrics.append(
            {
                "name": metric.name,
                "dataset": metric.dataset,
                "left": metric.values[0],
                "right": metric.values[1],
                "delta": metric.delta(1),
            }
        )
    return result
