"""Checking a whole store against what a registry refers to, and copying it to another store.

Both work on any two kinds of store through the protocol. The references come from the
database (:func:`signoff.core.db.references.referenced_objects`): sha256 -> what uses it.

* :func:`check_store` re-hashes every referenced object where it is stored (for a bucket the
  object itself, never the download cache) and lists what is missing, what was altered and
  what the store holds that nothing refers to (orphans: harmless uploads of publishes that
  did not commit, or leftovers of another registry sharing the prefix).
* :func:`migrate_store` copies every referenced object into the target, verifying each as it
  goes: the source's bytes must hash to their key on the way out and the target confirms the
  write as every publish does. It is resumable: an object the target already holds with the
  right size was verified when it was copied and is skipped, so a second run after an
  interruption copies only what is left. A damaged source object is reported, never copied.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from signoff.core.artifacts.protocol import CancelledFn, Store, TransferCancelled
from signoff.core.common.errors import HashMismatchError, NotFoundError

log = logging.getLogger(__name__)

StepFn = Callable[[int, int, str], None]  # objects done, objects in all, what is happening


@dataclass
class Problem:
    """One referenced object that is not as the registry recorded it."""

    sha256: str
    used_by: list[str]
    problem: str  # "missing" or "altered"
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "problem": self.problem,
            "used_by": self.used_by,
            "detail": self.detail,
        }


@dataclass
class StoreCheck:
    """The outcome of :func:`check_store`."""

    store: str
    checked: int = 0
    verified_bytes: int = 0
    problems: list[Problem] = field(default_factory=list)
    orphans: list[tuple[str, int]] = field(default_factory=list)

    @property
    def missing(self) -> list[Problem]:
        return [p for p in self.problems if p.problem == "missing"]

    @property
    def altered(self) -> list[Problem]:
        return [p for p in self.problems if p.problem == "altered"]

    @property
    def ok(self) -> bool:
        """True when every referenced object is there and unaltered (orphans are allowed)."""
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "checked": self.checked,
            "verified_bytes": self.verified_bytes,
            "ok": self.ok,
            "missing": [p.to_json() for p in self.missing],
            "altered": [p.to_json() for p in self.altered],
            "orphaned": [{"sha256": s, "size": n} for s, n in self.orphans],
        }


def _problem(sha: str, used_by: list[str], exc: Exception) -> Problem:
    if isinstance(exc, HashMismatchError):
        return Problem(sha, used_by, "altered", f"found sha256 {exc.actual}")
    return Problem(sha, used_by, "missing", str(exc))


def check_store(
    store: Store,
    references: Mapping[str, list[str]],
    *,
    step: StepFn | None = None,
    cancelled: CancelledFn | None = None,
) -> StoreCheck:
    """Re-hash every referenced object in *store*; list the missing, altered and orphaned.

    Raises TransferCancelled when *cancelled()* turns true, ArtifactStoreError when the
    store cannot be reached.
    """
    report = StoreCheck(store.url)
    total = len(references)
    for index, sha in enumerate(sorted(references)):
        if cancelled is not None and cancelled():
            raise TransferCancelled("the check")
        used_by = references[sha]
        if step is not None:
            step(index, total, f"checking {used_by[0]}")
        try:
            report.verified_bytes += store.verify(sha, used_by[0], cancelled=cancelled)
        except (HashMismatchError, NotFoundError) as exc:
            report.problems.append(_problem(sha, used_by, exc))
            log.warning("artifact %s (%s): %s", sha[:12], used_by[0], exc)
        report.checked += 1
    report.orphans = sorted((s, n) for s, n in store.objects() if s not in references)
    if step is not None:
        step(total, total, "done")
    return report


@dataclass
class Migration:
    """The outcome of :func:`migrate_store`."""

    source: str
    target: str
    copied: int = 0
    copied_bytes: int = 0
    already_there: int = 0
    problems: list[Problem] = field(default_factory=list)
    left_behind: int = 0  # source objects nothing refers to (not copied)

    @property
    def complete(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "complete": self.complete,
            "copied": self.copied,
            "copied_bytes": self.copied_bytes,
            "already_there": self.already_there,
            "not_copied": [p.to_json() for p in self.problems],
            "orphans_left_behind": self.left_behind,
        }


def migrate_store(
    source: Store,
    target: Store,
    references: Mapping[str, list[str]],
    *,
    step: StepFn | None = None,
    cancelled: CancelledFn | None = None,
) -> Migration:
    """Copy every referenced object from *source* to *target*, verifying each one.

    Safe to run again after an interruption or a cancel: what the target already holds is
    skipped. Raises TransferCancelled (the object in flight is not left half-written).
    """
    report = Migration(source.url, target.url)
    total = len(references)
    for index, sha in enumerate(sorted(references)):
        used_by = references[sha]
        if cancelled is not None and cancelled():
            raise TransferCancelled("the migration")
        expected_size = source.size_of(sha)
        if expected_size is not None and target.size_of(sha) == expected_size:
            report.already_there += 1
            if step is not None:
                step(index + 1, total, f"already there: {used_by[0]}")
            continue
        if step is not None:
            step(index, total, f"copying {used_by[0]}")
        try:
            local = source.local_file(sha, used_by[0], cancelled=cancelled)
            _sha, size, _new = target.put_file(local, expected_sha256=sha, cancelled=cancelled)
        except (HashMismatchError, NotFoundError) as exc:
            report.problems.append(_problem(sha, used_by, exc))
            log.warning("not migrated: %s (%s): %s", sha[:12], used_by[0], exc)
            continue
        report.copied += 1
        report.copied_bytes += size
        if step is not None:
            step(index + 1, total, f"copied {used_by[0]}")
    report.left_behind = sum(1 for s, _n in source.objects() if s not in references)
    return report
