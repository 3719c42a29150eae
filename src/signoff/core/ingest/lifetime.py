"""A version's lifetime, and the predictions reported outside it.

A version can make predictions from the moment it exists in the registry (published, or
created in MLflow for an imported one) — or from the start of its first live period, when
the deployment history says it was live even earlier (history brought in from before the
registry existed) — until it is marked "do not use" or retired. A prediction the factory
reports outside that span is still stored exactly as reported — it is a fact about what ran —
but flagged in ``predictions.outside_lifetime``, counted separately in the ingest's result and
audit event, and left out of every monitoring window, so that a wrong version label or a
forgotten retired model cannot move a live model's metrics.

A superseded version is *not* outside its lifetime: a consumer may pin it on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from signoff.core.db.schema import DO_NOT_USE, RETIRED

INSIDE = ""
BEFORE_VERSION = "before_version"
AFTER_DO_NOT_USE = "after_do_not_use"
AFTER_RETIRED = "after_retired"

WORDS = {
    BEFORE_VERSION: "dated before their version existed in the registry (or was first live)",
    AFTER_DO_NOT_USE: "dated after their version was marked do-not-use",
    AFTER_RETIRED: "dated after their version was retired",
}


@dataclass(frozen=True)
class Lifetime:
    """When a version could make predictions: from *start*, until *end* (None: still can)."""

    start: datetime
    end: datetime | None = None
    end_kind: str = INSIDE

    @classmethod
    def of(
        cls,
        created_at: datetime,
        state: str,
        state_changed_at: datetime,
        first_live: datetime | None = None,
    ) -> Lifetime:
        """The lifetime of a version created at *created_at* (first live at *first_live*, if
        ever), now in *state* since *state_changed_at*."""
        start = min(created_at, first_live) if first_live is not None else created_at
        if state == DO_NOT_USE:
            return cls(start, state_changed_at, AFTER_DO_NOT_USE)
        if state == RETIRED:
            return cls(start, state_changed_at, AFTER_RETIRED)
        return cls(start)

    def judge(self, at: datetime) -> str:
        """INSIDE, or which side of the lifetime a prediction made at *at* falls."""
        if at < self.start:
            return BEFORE_VERSION
        if self.end is not None and at > self.end:
            return self.end_kind
        return INSIDE


def describe(counts: dict[str, int]) -> str:
    """'3 predictions outside their version's lifetime (2 dated before …, 1 dated after …)'."""
    total = sum(counts.values())
    if not total:
        return ""
    parts = ", ".join(f"{n} {WORDS[kind]}" for kind, n in sorted(counts.items()) if n)
    return (
        f"{total} prediction{'s' if total != 1 else ''} outside their version's lifetime "
        f"({parts}): stored and flagged, not counted by monitoring"
    )
