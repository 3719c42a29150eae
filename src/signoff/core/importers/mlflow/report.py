"""The report of one MLflow import, in words a person can read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ImportReport:
    """What one import did, in words a person can read."""

    server: str
    models_created: list[str] = field(default_factory=list)
    models_updated: list[str] = field(default_factory=list)
    versions_imported: list[str] = field(default_factory=list)
    versions_updated: list[str] = field(default_factory=list)
    versions_unchanged: int = 0
    went_live: list[str] = field(default_factory=list)
    changed_upstream: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: values MLflow has that the import changed (a tier's spelling) or left out (a tag that
    #: is no tier, a time that is no time, a deleted run), each also in the audit trail
    notes: list[str] = field(default_factory=list)
    artifacts_stored: int = 0
    cancelled: bool = False

    @property
    def nothing_new(self) -> bool:
        return not (
            self.models_created
            or self.models_updated
            or self.versions_imported
            or self.versions_updated
            or self.went_live
        )

    def lines(self) -> list[str]:
        """The report as lines of text for the command line and the dialog."""
        out = [
            f"MLflow import from {self.server}"
            + (" — CANCELLED (versions completed before it are kept)" if self.cancelled else "")
        ]
        out.append(
            f"  models created: {len(self.models_created)}, updated: "
            f"{len(self.models_updated)}; versions imported: "
            f"{len(self.versions_imported)}, metadata updated: "
            f"{len(self.versions_updated)}, unchanged: {self.versions_unchanged}; "
            f"artifact files stored: {self.artifacts_stored}"
        )
        for title, items in (
            ("went live", self.went_live),
            ("CHANGED UPSTREAM (kept as imported)", self.changed_upstream),
            ("skipped", self.skipped),
            ("note", self.notes),
        ):
            out += [f"  {title}: {item}" for item in items]
        return out

    def kept(self) -> str:
        """What of the import is kept when it stops part way, in words ('' for nothing)."""
        models = sorted(set(self.models_created) | set(self.models_updated))
        done = (
            [f"{len(self.versions_imported)} version(s) imported"] if self.versions_imported else []
        )
        if models:
            shown = ", ".join(models[:5]) + (
                f" and {len(models) - 5} more" if len(models) > 5 else ""
            )
            done.append(f"model(s) {shown}")
        return f"kept what was complete before it: {'; '.join(done)}" if done else ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
