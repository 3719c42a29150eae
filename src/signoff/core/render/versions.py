"""A version's documents as the renderer needs them: bytes read (hash-checked) from the store.

The GUI tabs and reports call these in a worker; they open their own read session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from signoff.core.catalog.lookup import get_model, get_version
from signoff.core.db.schema import Version

if TYPE_CHECKING:
    from signoff.core.db.registry import Registry

ROLE_KINDS = {"notebook": "notebook", "release_notes": "markdown"}


@dataclass(frozen=True)
class VersionDocument:
    """One document of a version: its bytes (None when the version has none) and identity."""

    model: str
    number: int
    role: str  # "notebook" or "release_notes"
    kind: str  # "notebook" or "markdown"
    name: str  # the file name as published
    sha256: str | None
    data: bytes | None

    @property
    def present(self) -> bool:
        """True when the version has this document."""
        return self.data is not None


@dataclass(frozen=True)
class VersionChoice:
    """A version of the model offered for comparison, with its state."""

    number: int
    state: str
    is_live: bool


def load_version_document(
    registry: Registry,
    model: str,
    number: int,
    role: str,
    *,
    progress: Callable[[float, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> VersionDocument:
    """The *role* document of ``model`` v*number*, read from the artifact store.

    The store re-checks the sha256 (HashMismatchError if the file was altered); from a bucket
    the download reports *progress* and stops when *cancelled()* turns true. Release notes
    published before they were stored as a component fall back to the text column.
    NotFoundError if the model or version does not exist.
    """
    if role not in ROLE_KINDS:
        raise ValueError(f"unknown document role {role!r}")
    with registry.read() as session:
        version = get_version(session, model, number)
        component = next((c for c in version.components if c.role == role), None)
        notes_text = version.release_notes
        ident = (
            (component.path or component.name, component.sha256)
            if component is not None and component.sha256 and component.stored
            else None
        )
    kind = ROLE_KINDS[role]
    if ident is not None:
        name, sha = ident
        data = registry.store.read_bytes(
            sha, f"{model} v{number} {role} ({name})", progress=progress, cancelled=cancelled
        )
        return VersionDocument(model, number, role, kind, name.rsplit("/", 1)[-1], sha, data)
    if role == "release_notes" and notes_text:
        data = notes_text.encode("utf-8")
        import hashlib

        return VersionDocument(
            model, number, role, kind, "release notes", hashlib.sha256(data).hexdigest(), data
        )
    return VersionDocument(model, number, role, kind, "", None, None)


def release_notes_of_versions(
    registry: Registry, model: str
) -> tuple[list[VersionChoice], int | None]:
    """Every version of *model* (newest first) and the live version's number (or None)."""
    with registry.read() as session:
        model_row = get_model(session, model)
        rows = session.execute(
            select(Version.number, Version.state)
            .where(Version.model_id == model_row.id)
            .order_by(Version.number.desc())
        ).all()
        live = model_row.live_version
    return [VersionChoice(n, s, n == live) for n, s in rows], live
