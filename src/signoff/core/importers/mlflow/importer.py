"""Import an MLflow model registry into Signoff: models, versions, runs and artifacts.

``import_mlflow(registry, url)`` reads every registered model of an MLflow tracking server
and, for each ready model version, its run (metrics, params, tags, dataset inputs) and its
artifacts (the model folder and the run's files such as notebooks and requirements). Each
version becomes a Signoff version whose number is the MLflow version number, with every
artifact file hashed into the artifact store as a component.

The import is incremental and idempotent. Each imported version remembers where it came
from in ``Version.manifest["mlflow"]`` (name, version, run id, artifact digest, …), so a
second run imports only new versions, updates changed metadata (audited), and *reports* —
never overwrites — a version whose artifacts changed upstream after import.

Every version is written in one transaction with its audit event after all of its files are
in the store; blobs added for a version that then fails are removed again. A hostile or
broken answer stops the import with a clear error; versions completed before it are kept.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.catalog.summary import refresh_model_summary
from signoff.core.common.errors import Cancelled
from signoff.core.common.progress import CancelCheck, ProgressCallback, check_cancelled
from signoff.core.db.registry import Registry, db_now
from signoff.core.db.schema import DO_NOT_USE, REJECTED, Component, Metric, Model, Version
from signoff.core.governance.deployment import record_go_live
from signoff.core.importers.mlflow import mapping as mapping
from signoff.core.importers.mlflow.artifacts import ArtifactSteps, _Run
from signoff.core.importers.mlflow.client import (
    HostileAnswerError,
    MlflowClient,
    MlflowError,
)
from signoff.core.importers.mlflow.mapping import ms_to_datetime, tag_dict
from signoff.core.importers.mlflow.report import ImportReport
from signoff.core.importers.mlflow.version import (
    parse_run,
    run_components,
    version_row,
    version_spec,
)

log = logging.getLogger(__name__)

__all__ = ["ImportReport", "MlflowError", "HostileAnswerError", "import_mlflow"]


class MlflowImporter(ArtifactSteps):
    """One import run against one server; use :func:`import_mlflow`."""

    def __init__(
        self,
        registry: Registry,
        client: MlflowClient,
        *,
        actor: str,
        artifacts: bool,
        verify_artifacts: bool,
        max_artifact_bytes: int,
        page_size: int,
        progress: ProgressCallback | None,
        cancelled: CancelCheck | None,
    ) -> None:
        self.registry, self.client, self.actor = registry, client, actor
        self.artifacts, self.verify = artifacts, verify_artifacts
        self.max_artifact_bytes, self.page_size = max_artifact_bytes, page_size
        self._progress = progress or (lambda _f, _m: None)
        self._cancelled = cancelled or (lambda: False)
        self.report = ImportReport(client.base_url)
        self._fraction = 0.0
        self._runs: dict[str, dict[str, Any]] = {}

    # -- driver -----------------------------------------------------------------------------
    def run(self, only: list[str] | None = None) -> ImportReport:
        self._progress(0.0, f"connecting to {self.client.base_url}")
        self.client.check_server()
        registered = []
        for item in self.client.registered_models(self.page_size):
            name = item.get("name")
            if not isinstance(name, str) or not name.strip() or len(name) > 200:
                raise HostileAnswerError(f"a registered model has an unusable name {name!r}")
            if only is None or name in only:
                registered.append(item)
        total = max(len(registered), 1)
        for index, item in enumerate(registered):
            self._fraction = index / total
            try:
                self._check_cancel()
                self._progress(self._fraction, f"{item['name']} ({index + 1}/{total})")
                self._import_model(item, 1 / total)
            except Cancelled:
                self.report.cancelled = True
                break
        self._progress(1.0, "cancelled" if self.report.cancelled else "done")
        log.info("%s", "; ".join(self.report.lines()))
        return self.report

    def _check_cancel(self) -> None:
        check_cancelled(self._cancelled, "the import")

    # -- one registered model -----------------------------------------------------------------
    def _import_model(self, registered: dict[str, Any], share: float) -> None:
        name = registered["name"]
        versions = []
        for v in self.client.model_versions(name, self.page_size):
            number = str(v.get("version", ""))
            if not number.isdigit() or v.get("name", name) != name:
                raise HostileAnswerError(
                    f"{name}: a model version has an unusable number "
                    f"{v.get('version')!r} or name {v.get('name')!r}"
                )
            versions.append(v)
        versions.sort(key=lambda v: int(v["version"]))
        existing, foreign = self._existing(name)
        if foreign:
            self.report.skipped.append(
                f"{name}: a Signoff model of that name already exists and was not imported "
                "from MLflow; rename one of them to import it"
            )
            return
        model_id = self._upsert_model(registered)
        aliases = mapping.aliases_by_version(registered)
        wanted = [
            v
            for v in versions
            if mapping.is_ready(v) and (int(v["version"]) not in existing or self.artifacts)
        ]
        self._runs = self.client.runs_by_id(
            [v["run_id"] for v in wanted if isinstance(v.get("run_id"), str)]
        )
        ready, prepared, added = [], [], []
        try:
            for i, v in enumerate(versions):
                number = v["version"]
                label = f"{name} v{number}"
                self._check_cancel()
                self._progress(self._fraction + share * i / max(len(versions), 1), label)
                status = v.get("status", "READY")
                if status != "READY":
                    self.report.skipped.append(
                        f"{label}: registration status {status}"
                        + (
                            " (will be imported once ready)"
                            if status == "PENDING_REGISTRATION"
                            else ""
                        )
                    )
                    continue
                ready.append(v)
                known = existing.get(int(number))
                if known is None:
                    mine: list[str] = []  # blobs this version added, dropped if it fails
                    try:
                        spec = self._prepare_version(name, v, aliases.get(number, []), mine)
                    except BaseException:
                        self._discard(mine)
                        raise
                    prepared.append(spec)
                    added += mine
                elif known.get("mlflow") is None:
                    self.report.skipped.append(
                        f"{label}: Signoff already has a v{number} of "
                        f"{name} that did not come from MLflow"
                    )
                else:
                    self._refresh_version(known, v, aliases.get(number, []))
        except Cancelled:
            # versions completely downloaded before the cancel are kept; nothing partial
            self._write_versions(model_id, prepared, added)
            raise
        except BaseException:
            self._discard(added)
            raise
        self._write_versions(model_id, prepared, added)
        target, reason = mapping.live_target(registered, ready)
        if target is not None:
            self._apply_live(model_id, name, int(target), reason)

    def _existing(self, name: str) -> tuple[dict[int, dict[str, Any]], bool]:
        with self.registry.read() as session:
            model = session.scalar(select(Model).where(Model.name == name))
            if model is None:
                return {}, False
            rows = session.execute(
                select(Version.id, Version.number, Version.manifest).where(
                    Version.model_id == model.id
                )
            ).all()
        known = {
            number: {"id": vid, "mlflow": (manifest or {}).get("mlflow")}
            for vid, number, manifest in rows
        }
        foreign = bool(known) and all(k["mlflow"] is None for k in known.values())
        return known, foreign

    def _upsert_model(self, registered: dict[str, Any]) -> int:
        name = registered["name"]
        columns = mapping.model_columns(registered)
        with self.registry.write() as session:
            model = session.scalar(select(Model).where(Model.name == name))
            if model is None:
                model = Model(**mapping.model_row(registered, columns, db_now(session)))
                session.add(model)
                session.flush()
                append_event(
                    session,
                    actor=self.actor,
                    action=events.MODEL_CREATED,
                    entity_type="model",
                    entity_id=name,
                    model_id=model.id,
                    payload={"source": "mlflow", "server": self.client.base_url, **columns},
                )
                self.report.models_created.append(name)
            else:
                changed = {
                    k: {"from": getattr(model, k), "to": v}
                    for k, v in columns.items()
                    if getattr(model, k) != v
                }
                if not changed:
                    return model.id
                for key, value in columns.items():
                    setattr(model, key, value)
                append_event(
                    session,
                    actor=self.actor,
                    action=events.MODEL_UPDATED,
                    entity_type="model",
                    entity_id=name,
                    model_id=model.id,
                    payload={"source": "mlflow", "changed": changed},
                )
                self.report.models_updated.append(name)
            refresh_model_summary(session, model.id)
            return model.id

    # -- one new version -----------------------------------------------------------------
    def _prepare_version(
        self, name: str, v: dict[str, Any], aliases: list[str], added: list[str]
    ) -> dict[str, Any]:
        """Download and hash everything of one new version; the rows to write."""
        number = v["version"]
        label = f"{name} v{number}"
        run = self._read_run(v.get("run_id"), label)
        files, listing, notes = self._artifact_files(name, number, run, label)
        stored = self._download_all(files, label, added)
        components = (
            self._components(stored, run, label)
            + run_components(self.registry.store, run, added)
            + notes
        )
        return version_spec(
            self.client.base_url,
            name,
            v,
            run,
            aliases,
            components,
            stored,
            listing,
            self.report.skipped,
            self._python_version(stored),
        )

    def _write_versions(
        self, model_id: int, prepared: list[dict[str, Any]], added: list[str]
    ) -> None:
        """Write a model's new versions, their components, metrics and events, in one go."""
        if not prepared:
            return
        try:
            with self.registry.write() as session:
                taken = set(
                    session.scalars(select(Version.number).where(Version.model_id == model_id))
                )
                written = []
                for spec in prepared:
                    if spec["number"] in taken:
                        self.report.skipped.append(f"{spec['label']}: imported meanwhile")
                        continue
                    self._add_version(session, model_id, spec)
                    written.append(spec)
                refresh_model_summary(session, model_id)
        except BaseException:
            self._discard(added)
            raise
        added.clear()
        for spec in written:
            self.report.versions_imported.append(spec["label"])
            self.report.artifacts_stored += spec["files"]

    def _add_version(self, session: Session, model_id: int, spec: dict[str, Any]) -> None:
        v = spec["v"]
        created = ms_to_datetime(v.get("creation_timestamp")) or db_now(session)
        version = Version(model_id=model_id, **version_row(spec, created))
        session.add(version)
        session.flush()
        for comp in spec["components"]:
            session.add(Component(version_id=version.id, **comp))
        for metric in spec["metrics"]:
            session.add(Metric(version_id=version.id, **metric))
        append_event(
            session,
            actor=self.actor,
            action=events.VERSION_IMPORTED,
            entity_type="version",
            entity_id=spec["label"],
            model_id=model_id,
            version_id=version.id,
            payload={
                "source": "mlflow",
                "server": self.client.base_url,
                "mlflow_version": v["version"],
                "run_id": spec["identity"]["run_id"],
                "manifest_hash": spec["manifest_hash"],
                "artifact_digest": spec["identity"]["artifact_digest"],
                "components": [[c["kind"], c["name"], c["sha256"]] for c in spec["components"]],
            },
        )

    def _discard(self, added: list[str]) -> None:
        for sha in added:
            self.registry.store.remove(sha)
        added.clear()

    def _read_run(self, run_id: object, label: str) -> _Run | None:
        if not run_id:
            return None
        if not isinstance(run_id, str) or not run_id.isalnum():
            raise HostileAnswerError(f"{label}: unusable run id {run_id!r}")
        return parse_run(run_id, self._runs.get(run_id) or self.client.run(run_id), label)

    # -- versions already imported ------------------------------------------------------------
    def _refresh_version(
        self, known: dict[str, Any], v: dict[str, Any], aliases: list[str]
    ) -> None:
        meta = known["mlflow"]
        label = f"{meta['name']} v{meta['version']}"
        if self.artifacts:
            self._check_upstream_artifacts(meta, label)
        fresh = {
            "description": v.get("description") or "",
            "tags": tag_dict(v.get("tags")),
            "aliases": aliases,
            "stage": v.get("current_stage", "None"),
        }
        changed = {
            k: {"from": meta.get(k), "to": val} for k, val in fresh.items() if meta.get(k) != val
        }
        if not changed:
            self.report.versions_unchanged += 1
            return
        with self.registry.write() as session:
            version = session.get(Version, known["id"])
            assert version is not None  # read before, and versions are never deleted
            manifest = dict(version.manifest or {})
            manifest["mlflow"] = {**manifest.get("mlflow", {}), **fresh}
            version.manifest = manifest
            append_event(
                session,
                actor=self.actor,
                action=events.VERSION_METADATA_UPDATED,
                entity_type="version",
                entity_id=label,
                model_id=version.model_id,
                version_id=version.id,
                payload={"source": "mlflow", "changed": changed},
            )
            refresh_model_summary(session, version.model_id)
        self.report.versions_updated.append(f"{label}: {', '.join(sorted(changed))}")

    def _check_upstream_artifacts(self, meta: dict[str, Any], label: str) -> None:
        run = self._read_run(meta.get("run_id"), label) if meta.get("run_id") else None
        files, listing, _notes = self._artifact_files(meta["name"], meta["version"], run, label)
        if mapping.artifact_listing_digest(listing) != meta.get("artifact_listing"):
            self.report.changed_upstream.append(
                f"{label}: its artifact files changed in MLflow after import (names or sizes "
                f"differ); Signoff keeps the imported content (digest "
                f"{str(meta.get('artifact_digest'))[:12]}…)"
            )
            return
        if self.verify and files:
            added: list[str] = []
            try:
                stored = self._download_all(files, label, added)
            finally:
                for sha in added:  # verification must not leave new blobs behind
                    self.registry.store.remove(sha)
            digest = mapping.content_digest([(c["path"], c["sha256"]) for c in stored])
            if digest != meta.get("artifact_digest"):
                self.report.changed_upstream.append(
                    f"{label}: the content of its artifact files changed in MLflow after import;"
                    f" Signoff keeps the imported content (digest "
                    f"{str(meta.get('artifact_digest'))[:12]}…, now {digest[:12]}…)"
                )

    def _apply_live(self, model_id: int, name: str, number: int, reason: str) -> None:
        with self.registry.write() as session:
            model = session.get(Model, model_id)
            assert model is not None  # imported before, and models are never deleted
            if model.live_version == number:
                return
            version = session.scalar(
                select(Version).where(Version.model_id == model_id, Version.number == number)
            )
            if version is None or not (version.manifest or {}).get("mlflow"):
                return
            if version.state in (DO_NOT_USE, REJECTED):
                self.report.skipped.append(
                    f"{name} v{number}: MLflow marks it live ({reason}) "
                    f"but Signoff has it {version.state}; not made live"
                )
                return
            record_go_live(session, version, actor=self.actor)
        self.report.went_live.append(f"{name} v{number} (MLflow {reason})")


def import_mlflow(
    registry: Registry,
    url: str,
    *,
    actor: str | None = None,
    artifacts: bool = True,
    verify_artifacts: bool = False,
    max_artifact_bytes: int = 4 * 1024**3,
    page_size: int = 1000,
    only: list[str] | None = None,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
    client: MlflowClient | None = None,
) -> ImportReport:
    """Import (or bring up to date) every registered model of the MLflow server at *url*.

    Promises: each new ready version arrives complete (components hashed into the store,
    metrics, params, audit event) or not at all; running it again adds nothing unless
    MLflow changed; a version whose artifacts changed upstream is reported, never
    overwritten. *progress(fraction, message)* is called as work advances; when
    *cancelled()* turns true the import stops between files and the report says so.
    Raises MlflowError (and subclasses) for unreachable, refusing or hostile servers.
    """
    importer = MlflowImporter(
        registry,
        client or MlflowClient(url),
        actor=actor or registry.actor,
        artifacts=artifacts,
        verify_artifacts=verify_artifacts,
        max_artifact_bytes=max_artifact_bytes,
        page_size=page_size,
        progress=progress,
        cancelled=cancelled,
    )
    return importer.run(only)
