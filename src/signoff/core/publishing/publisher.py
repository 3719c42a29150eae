"""Publishing a model folder as the next draft version (the lab side).

Everything is validated, and each file hashed as it is copied into the artifact store, before
the database is touched; the version, its components, metrics and audit event are then written
in one transaction. Blobs added to the artifact store for a publish that fails are removed
again, so a failed publish leaves nothing.

A stored component may be at most :func:`max_component_bytes` large (2 GB unless
``SIGNOFF_MAX_COMPONENT_SIZE`` or the caller says otherwise): larger data is named by its URI
and sha256 instead of being copied into the store. The limit is checked before any file is
copied, so a 2 GB sparse file costs a ``stat``, not a 2 GB copy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from signoff.core.artifacts.protocol import Store
from signoff.core.audit import events
from signoff.core.audit.chain import append_event, canonical_json
from signoff.core.catalog.summary import refresh_model_summary
from signoff.core.common.errors import DuplicatePublishError, HashMismatchError, ManifestError
from signoff.core.common.files import sha256_bytes
from signoff.core.common.text import text_problem
from signoff.core.db.registry import Registry, db_now
from signoff.core.db.schema import DRAFT, Component, Metric, Model, Version
from signoff.core.db.storage_errors import local_folder, storage_errors
from signoff.core.publishing import limits
from signoff.core.publishing.manifest import ComponentSpec, Manifest, read_manifest

log = logging.getLogger(__name__)

MAX_RELEASE_NOTES_BYTES = 16 * 2**20


@dataclass(frozen=True)
class Published:
    """The version a publish created."""

    model: str
    number: int
    version_id: int
    manifest_hash: str

    def __str__(self) -> str:
        return f"{self.model} v{self.number}"


def _check_sizes(manifest: Manifest, limit: int) -> None:
    """Refuse a component over *limit* before anything is copied or hashed."""
    for spec in manifest.components:
        if spec.source is not None:
            limits.check_component_size(spec.source, f"{spec.kind} '{spec.name}'", limit)


def _store_components(
    store: Store, manifest: Manifest, added: list[str], limit: int
) -> list[tuple[ComponentSpec, str | None, int | None]]:
    """Copy each component file into *store*, hashed on the way (each file is read once).

    The blobs newly added are appended to *added* as they are stored, for the caller to
    remove if the publish does not commit. A file that grew past *limit* while it was being
    copied is refused.
    """
    hashed: list[tuple[ComponentSpec, str | None, int | None]] = []
    for spec in manifest.components:
        if spec.source is None:
            hashed.append((spec, spec.pinned_sha256, None))
            continue
        sha, size, new = store.put_file(spec.source)
        if new:
            added.append(sha)
        if size > limit:
            raise ManifestError(
                f"{spec.kind} '{spec.name}' ({spec.rel_path}) changed while it was being "
                "published; nothing was published"
            )
        if spec.pinned_sha256 and spec.pinned_sha256 != sha:
            raise HashMismatchError(
                f"{spec.kind} '{spec.name}' ({spec.rel_path})", spec.pinned_sha256, sha
            )
        hashed.append((spec, sha, size))
    return hashed


def manifest_hash(
    manifest: Manifest, hashed: list[tuple[ComponentSpec, str | None, int | None]]
) -> str:
    """The hash of a version's content: components, entry point, metrics, monitoring.

    Author and model metadata are left out on purpose, so publishing identical content
    again under another name is recognised as a duplicate.
    """
    content = {
        "model": manifest.model["name"],
        "entry_point": manifest.version.get("entry_point"),
        "python": manifest.version.get("python", ""),
        "components": sorted(
            [spec.kind, spec.name, spec.rel_path or "", spec.uri or "", sha or "", spec.role]
            for spec, sha, _ in hashed
        ),
        "metrics": sorted((m["name"], m["dataset"], m["value"]) for m in manifest.metrics),
        "monitoring": manifest.monitoring,
    }
    return sha256_bytes(canonical_json(content).encode())


def publish(
    registry: Registry,
    folder: Path | str,
    *,
    actor: str | None = None,
    max_component_bytes: int | None = None,
) -> Published:
    """Publish *folder* (with its ``signoff.toml``) as the next draft version of its model.

    Raises ManifestError (a component over *max_component_bytes*, by default
    :func:`~signoff.core.publishing.limits.max_component_bytes`, included),
    HashMismatchError or DuplicatePublishError and writes nothing when the folder cannot be
    published; ReadOnlyRegistryError or DiskFullError when the registry cannot take it.
    """
    registry.refuse_if_read_only("publishing")
    limit = max_component_bytes if max_component_bytes is not None else limits.max_component_bytes()
    manifest = read_manifest(Path(folder))
    _check_sizes(manifest, limit)
    actor = actor or registry.actor
    release_notes_path = next(
        s.source for s in manifest.components if s.role == "release_notes" and s.source is not None
    )
    if release_notes_path.stat().st_size > MAX_RELEASE_NOTES_BYTES:
        raise ManifestError(
            f"release notes {release_notes_path.name} are larger than "
            f"{MAX_RELEASE_NOTES_BYTES // 2**20} MiB; they are read on screen, keep them short"
        )
    try:
        release_notes = release_notes_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"release notes {release_notes_path.name} are not UTF-8 text") from exc
    problem = text_problem(release_notes)
    if problem:
        raise ManifestError(f"release notes {release_notes_path.name}: the text {problem}")

    added: list[str] = []
    try:
        with storage_errors(local_folder(registry.store)):
            hashed = _store_components(registry.store, manifest, added, limit)
        digest = manifest_hash(manifest, hashed)
        with registry.write() as session:
            result = _register(session, manifest, hashed, digest, release_notes, actor)
    except BaseException:
        for sha in added:
            registry.store.remove(sha)
        raise
    log.info("published %s", result)
    return result


def _register(
    session: Session,
    manifest: Manifest,
    hashed: list[tuple[ComponentSpec, str | None, int | None]],
    digest: str,
    release_notes: str,
    actor: str,
) -> Published:
    meta = manifest.model
    model = session.scalar(select(Model).where(Model.name == meta["name"]))
    now = db_now(session)
    if model is None:
        model = Model(
            name=meta["name"], created_at=now, monitoring_rules={}, risk_tier=meta["risk_tier"]
        )
        session.add(model)
        session.flush()
        append_event(
            session,
            actor=actor,
            action=events.MODEL_CREATED,
            entity_type="model",
            entity_id=model.name,
            payload=meta,
            model_id=model.id,
        )
    else:
        duplicate = session.scalar(
            select(Version.number).where(
                Version.model_id == model.id, Version.manifest_hash == digest
            )
        )
        if duplicate is not None:
            raise DuplicatePublishError(
                f"{meta['name']} v{duplicate} already has exactly this content "
                f"(manifest hash {digest[:12]}…); nothing was published"
            )
        if meta["risk_tier"] != model.risk_tier:
            # the tier chooses the approval policy: it is governance data, not the author's
            raise ManifestError(
                f"the manifest says risk_tier = {meta['risk_tier']!r} but {model.name} is "
                f"{model.risk_tier!r}; a model's risk tier is changed only by an admin or its "
                f"business owner (`signoff tier {model.name} {meta['risk_tier']} --reason …`), "
                "never by publishing. Nothing was published."
            )
    changed = _apply_model_metadata(model, meta, manifest.monitoring)
    if changed and model.version_count:
        append_event(
            session,
            actor=actor,
            action=events.MODEL_UPDATED,
            entity_type="model",
            entity_id=model.name,
            payload={"changed": changed},
            model_id=model.id,
        )
    number = (
        session.scalar(select(func.max(Version.number)).where(Version.model_id == model.id)) or 0
    ) + 1
    version = Version(
        model_id=model.id,
        review_round=0,
        number=number,
        author=manifest.version["author"],
        created_at=now,
        state=DRAFT,
        state_changed_at=now,
        release_notes=release_notes,
        manifest_hash=digest,
        manifest=manifest.raw,
        entry_point=manifest.version["entry_point"],
        python_version=str(manifest.version.get("python", "")),
    )
    session.add(version)
    _flush_or_refuse(session)
    for spec, sha, size in hashed:
        session.add(
            Component(
                version_id=version.id,
                kind=spec.kind,
                name=spec.name,
                path=spec.rel_path,
                uri=spec.uri,
                sha256=sha,
                size=size,
                stored=spec.source is not None,
                role=spec.role,
                details=spec.details,
            )
        )
    for metric in manifest.metrics:
        session.add(Metric(version_id=version.id, **metric))
    append_event(
        session,
        actor=actor,
        action=events.VERSION_PUBLISHED,
        entity_type="version",
        entity_id=f"{model.name} v{number}",
        model_id=model.id,
        version_id=version.id,
        payload={
            "manifest_hash": digest,
            "author": version.author,
            "components": [[s.kind, s.name, sha] for s, sha, _ in hashed],
        },
    )
    refresh_model_summary(session, model.id)
    return Published(model.name, number, version.id, digest)


def _flush_or_refuse(session: Session) -> None:
    """Flush the new version; the shared database's own refusal becomes a ManifestError."""
    try:
        session.flush()
    except DBAPIError as exc:
        message = str(getattr(getattr(exc.orig, "diag", None), "message_primary", "") or "")
        if getattr(exc.orig, "sqlstate", None) == "42501" and message:
            raise ManifestError(f"the registry refused the version: {message}") from exc
        raise


def _apply_model_metadata(
    model: Model, meta: dict[str, Any], monitoring: dict[str, Any]
) -> dict[str, Any]:
    changed: dict[str, Any] = {}
    # not the risk tier: a new model takes the manifest's, later only a decision changes it
    for key in ("title", "description", "owner", "business_unit", "tags", "task"):
        if getattr(model, key) != meta[key]:
            changed[key] = {"from": getattr(model, key), "to": meta[key]}
            setattr(model, key, meta[key])
    if monitoring and model.monitoring_rules != monitoring:
        changed["monitoring_rules"] = {"from": model.monitoring_rules, "to": monitoring}
        model.monitoring_rules = monitoring
    return changed
