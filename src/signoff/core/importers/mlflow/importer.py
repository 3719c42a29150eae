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

Each registered model is written in one transaction (:mod:`.writing`) after all of its new
versions' files are in the store: a model that fails leaves nothing — no model row, no audit
event, no blob. A hostile or broken answer stops the import with a clear error; models
completed before it are kept, and the message says which. What MLflow holds but Signoff cannot
take as it is (a name that breaks the name rule, a version number that is not a positive
whole number, text with control characters, a risk tier of another spelling) is skipped or
mapped with the reason in the report (:mod:`.checks`, :mod:`.mapping`).

The import never runs forever: each request has a deadline for its whole answer, the import
one of its own, and paged lists and artifact listings are capped
(:class:`~signoff.core.importers.mlflow.transport.ImportLimits`).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from signoff.core.common.errors import Cancelled
from signoff.core.common.progress import CancelCheck, ProgressCallback, check_cancelled
from signoff.core.db.registry import Registry
from signoff.core.db.schema import Model, Version
from signoff.core.db.storage_errors import local_folder, storage_errors
from signoff.core.importers.mlflow import checks
from signoff.core.importers.mlflow import mapping as mapping
from signoff.core.importers.mlflow.artifacts import ArtifactSteps, _Run
from signoff.core.importers.mlflow.client import (
    HostileAnswerError,
    ImportLimits,
    MlflowClient,
    MlflowError,
)
from signoff.core.importers.mlflow.mapping import tag_dict
from signoff.core.importers.mlflow.report import ImportReport
from signoff.core.importers.mlflow.version import parse_run, run_components, version_spec
from signoff.core.importers.mlflow.writing import ModelPlan, write_model
from signoff.core.publishing.limits import max_component_bytes, too_large_message

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
        renames: dict[str, str] | None,
        progress: ProgressCallback | None,
        cancelled: CancelCheck | None,
    ) -> None:
        self.registry, self.client, self.actor = registry, client, actor
        self.artifacts, self.verify = artifacts, verify_artifacts
        self.max_artifact_bytes, self.page_size = max_artifact_bytes, page_size
        self.renames = dict(renames or {})
        self._progress = progress or (lambda _f, _m: None)
        self._cancelled = cancelled or (lambda: False)
        self.report = ImportReport(client.base_url)
        self._fraction = 0.0
        self._runs: dict[str, dict[str, Any]] = {}

    # -- driver -----------------------------------------------------------------------------
    def run(self, only: list[str] | None = None, deadline_s: float | None = None) -> ImportReport:
        self.registry.refuse_if_read_only("importing from MLflow")
        self.client.start_import(deadline_s)
        self._progress(0.0, f"connecting to {self.client.base_url}")
        try:
            self._run(only)
        except MlflowError as exc:
            kept = self.report.kept()
            raise type(exc)(f"{exc}{'; ' + kept if kept else ''}") from exc
        self._progress(1.0, "cancelled" if self.report.cancelled else "done")
        log.info("%s", "; ".join(self.report.lines()))
        return self.report

    def _run(self, only: list[str] | None) -> None:
        self.client.check_server()
        registered = []
        for item in self.client.registered_models(self.page_size):
            name = item.get("name")
            if not isinstance(name, str) or not name.strip() or len(name) > 1000:
                raise HostileAnswerError(f"a registered model has an unusable name {name!r}")
            if only is None or name in only:
                registered.append(item)
        total = max(len(registered), 1)
        for index, item in enumerate(registered):
            self._fraction = index / total
            try:
                self._check_cancel()
                self.client.check_import_deadline(f"model {index + 1} of {total}")
                self._progress(self._fraction, f"{item['name']} ({index + 1}/{total})")
                self._import_model(item, 1 / total)
            except Cancelled:
                self.report.cancelled = True
                break

    def _check_cancel(self) -> None:
        check_cancelled(self._cancelled, "the import")

    # -- one registered model -----------------------------------------------------------------
    def _import_model(self, registered: dict[str, Any], share: float) -> None:
        """Import one registered model in one transaction: all that arrived of it, or nothing.

        A cancel keeps the versions downloaded completely before it (written with the model
        in one transaction); any other failure writes nothing of the model and removes the
        blobs it added.
        """
        mlflow_name = registered["name"]
        name, why = checks.model_name(mlflow_name, self.renames)
        if name is None:
            self.report.skipped.append(why)
            return
        problem = checks.registered_model_problem(registered)
        if problem:
            self.report.skipped.append(f"{name}: not imported: {problem}")
            return
        versions = checks.usable_versions(
            name,
            mlflow_name,
            list(self.client.model_versions(mlflow_name, self.page_size)),
            self.report.skipped,
        )
        existing, foreign = self._existing(name)
        if foreign:
            self.report.skipped.append(
                f"{name}: a Signoff model of that name already exists and was not imported "
                "from MLflow; rename one of them (--rename) to import it"
            )
            return
        columns, notes = mapping.model_mapping(registered)
        stamp = mapping.timestamp_note(registered.get("creation_timestamp"), name)
        plan = ModelPlan(name, mlflow_name, registered, columns, notes + ([stamp] if stamp else []))
        cancelled = False
        try:
            self._gather(plan, versions, existing, share)
        except Cancelled:
            cancelled = True  # versions completely downloaded before the cancel are kept
        except BaseException:
            self._discard(plan.added)
            raise
        try:
            self._write_model(plan)
        except BaseException:
            self._discard(plan.added)
            raise
        if cancelled:
            raise Cancelled("the import was cancelled")

    def _gather(
        self,
        plan: ModelPlan,
        versions: list[dict[str, Any]],
        existing: dict[int, dict[str, Any]],
        share: float,
    ) -> None:
        """Download and hash every new version of *plan*'s model; note metadata changes."""
        name = plan.name
        aliases = mapping.aliases_by_version(plan.registered)
        wanted = [
            v
            for v in versions
            if mapping.is_ready(v) and (int(v["version"]) not in existing or self.artifacts)
        ]
        self._runs = self.client.runs_by_id(
            [v["run_id"] for v in wanted if isinstance(v.get("run_id"), str)]
        )
        ready = []
        for i, v in enumerate(versions):
            number = v["version"]
            label = f"{name} v{number}"
            self._check_cancel()
            self.client.check_import_deadline(label)
            self._progress(self._fraction + share * i / max(len(versions), 1), label)
            status = v.get("status", "READY")
            if status != "READY":
                self.report.skipped.append(
                    f"{label}: registration status {status}"
                    + (" (will be imported once ready)" if status == "PENDING_REGISTRATION" else "")
                )
                continue
            ready.append(v)
            known = existing.get(int(number))
            if known is None:
                mine: list[str] = []  # blobs this version added, dropped if it fails
                try:
                    spec = self._prepare_version(plan, v, aliases.get(number, []), mine)
                except BaseException:
                    self._discard(mine)
                    raise
                plan.new.append(spec)
                plan.added += mine
            elif known.get("mlflow") is None:
                self.report.skipped.append(
                    f"{label}: Signoff already has a v{number} of {name} that did not come "
                    "from MLflow"
                )
            else:
                change = self._version_changes(known, v, aliases.get(number, []))
                if change is not None:
                    plan.refreshed.append(change)
        target, reason = mapping.live_target(plan.registered, ready)
        if target is not None:
            plan.live = (int(target), reason)

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

    def _write_model(self, plan: ModelPlan) -> None:
        write_model(
            self.registry, plan, actor=self.actor, server=self.client.base_url, report=self.report
        )

    # -- one new version -----------------------------------------------------------------
    def _prepare_version(
        self, plan: ModelPlan, v: dict[str, Any], aliases: list[str], added: list[str]
    ) -> dict[str, Any]:
        """Download and hash everything of one new version; the rows to write."""
        number = v["version"]
        label = f"{plan.name} v{number}"
        run = self._read_run(v.get("run_id"), label)
        files, listing, notes = self._artifact_files(plan.mlflow_name, number, run, label)
        files, too_large = self._within_size_limit(files, label)
        with storage_errors(local_folder(self.registry.store)):
            stored = self._download_all(files, label, added)
            components = (
                self._components(stored, run, label)
                + run_components(self.registry.store, run, added)
                + notes
                + [component for component, _note in too_large]
            )
        spec = version_spec(
            self.client.base_url,
            plan.name,
            v,
            run,
            aliases,
            components,
            stored,
            listing,
            self._python_version(stored),
            mlflow_name=plan.mlflow_name,
        )
        spec["notes"] += [note for _component, note in too_large]
        return spec

    def _within_size_limit(
        self, files: list[tuple[str, str, str, str, int | None]], label: str
    ) -> tuple[list[tuple[str, str, str, str, int | None]], list[tuple[dict[str, Any], str]]]:
        """The files small enough to store, and for each larger one an external component
        (its MLflow location, not copied) with a note saying so."""
        keep, too_large = [], []
        limit = self.max_artifact_bytes
        for item in files:
            path, origin, root, rel, size = item
            if size is None or size <= limit:
                keep.append(item)
                continue
            kind, role = mapping.component_for(path, origin)
            component = {
                "kind": kind,
                "name": path.split("/", 1)[1],
                "path": None,
                "uri": f"mlflow-artifacts:/{root}/{rel}",
                "sha256": None,
                "size": size,
                "stored": False,
                "role": role,
                "details": {"origin": origin, "source": "mlflow", "note": "over the size limit"},
            }
            too_large.append(
                (
                    component,
                    f"{label}: {too_large_message(path, size, limit, flag='--max-artifact-size')} "
                    "Recorded, not copied.",
                )
            )
        return keep, too_large

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
    def _version_changes(
        self, known: dict[str, Any], v: dict[str, Any], aliases: list[str]
    ) -> dict[str, Any] | None:
        """What changed in MLflow about a version imported before (None: nothing)."""
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
            return None
        return {
            "id": known["id"],
            "label": label,
            "fresh": fresh,
            "changed": changed,
            "line": f"{label}: {', '.join(sorted(changed))}",
        }

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


def import_mlflow(
    registry: Registry,
    url: str,
    *,
    actor: str | None = None,
    artifacts: bool = True,
    verify_artifacts: bool = False,
    max_artifact_bytes: int | None = None,
    page_size: int = 1000,
    only: list[str] | None = None,
    rename: dict[str, str] | None = None,
    deadline_s: float | None = None,
    limits: ImportLimits | None = None,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
    client: MlflowClient | None = None,
) -> ImportReport:
    """Import (or bring up to date) every registered model of the MLflow server at *url*.

    Promises: each registered model arrives in one transaction — its new ready versions
    complete (components hashed into the store, metrics, params, audit events) — or nothing
    of it does; running it again adds nothing unless MLflow changed; a version whose
    artifacts changed upstream is reported, never overwritten. Names, version numbers and
    text MLflow has that Signoff refuses are skipped with their reason; *rename* maps MLflow
    names to Signoff names explicitly. *progress(fraction, message)* is called as work
    advances; when *cancelled()* turns true the import stops between files and the report
    says so. No artifact larger than *max_artifact_bytes* (default: the registry's component
    size limit, 2 GB) is stored.

    *limits* (or the client's own) bound each request, the pages of a list and the depth of
    a listing; *deadline_s* (default ``limits.import_deadline_s``) bounds the whole import.
    Raises MlflowError (and subclasses; DeadlineError when a deadline passes) for
    unreachable, refusing, hostile or endless servers; ReadOnlyRegistryError on a registry
    open read-only.
    """
    if client is None:
        client = MlflowClient(url, limits=limits)
    elif limits is not None:
        client.limits = limits
    importer = MlflowImporter(
        registry,
        client,
        actor=actor or registry.actor,
        artifacts=artifacts,
        verify_artifacts=verify_artifacts,
        max_artifact_bytes=(
            max_artifact_bytes if max_artifact_bytes is not None else max_component_bytes()
        ),
        page_size=page_size,
        renames=rename,
        progress=progress,
        cancelled=cancelled,
    )
    deadline = deadline_s if deadline_s is not None else client.limits.import_deadline_s
    return importer.run(only, deadline)
