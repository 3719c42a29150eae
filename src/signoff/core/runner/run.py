"""Running a registered version on records: verify, compare the environment, score.

:func:`run_version` is what checks and reproduction call. It loads the version's plain data,
materialises its components into a clean working folder (each hash-checked before anything
runs), compares the captured environment with the interpreter, and scores the records in a
child process. A hash mismatch refuses the run and appends a ``run.refused`` audit event.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from signoff.core.artifacts.protocol import ProgressFn, Store, TransferCancelled
from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.catalog.component_ref import ComponentRef
from signoff.core.common.errors import NotFoundError
from signoff.core.common.progress import CancelCheck, StepCallback
from signoff.core.db.registry import Registry
from signoff.core.db.schema import Setting, Version
from signoff.core.runner.environment import EnvironmentReport, compare_environment
from signoff.core.runner.process import (
    CANCELLED,
    REFUSED,
    Limits,
    RunResult,
    run_entry_point,
)
from signoff.core.runner.venv import EnvironmentBuildError, PackageSource, ensure_venv
from signoff.core.runner.workspace import HashCheck, prepare_workspace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VersionSpec:
    """What the runner needs to know about a version, as plain data."""

    version_id: int
    model_id: int
    model: str
    number: int
    entry_point: str
    python_version: str
    manifest_hash: str
    components: tuple[ComponentRef, ...]
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.model} v{self.number}"


@dataclass
class VersionRun:
    """A run of one version: the hashes checked, the environment, and the scoring result."""

    spec: VersionSpec
    hash_checks: list[HashCheck]
    environment: EnvironmentReport | None
    result: RunResult
    details: dict[str, Any] = field(default_factory=dict)


def load_version_spec(session: Session, version_id: int) -> VersionSpec:
    """The version's runner data; NotFoundError if there is no such version."""
    version = session.scalar(
        select(Version)
        .where(Version.id == version_id)
        .options(selectinload(Version.components), selectinload(Version.model))
    )
    if version is None:
        raise NotFoundError(f"no version with id {version_id}")
    return VersionSpec(
        version.id,
        version.model_id,
        version.model.name,
        version.number,
        version.entry_point,
        version.python_version,
        version.manifest_hash,
        tuple(ComponentRef.of(c) for c in version.components),
        dict(version.manifest or {}),
    )


def runner_settings(registry: Registry) -> dict[str, Any]:
    """The ``runner`` setting (limits, wheelhouse, index), overridden by the environment."""
    with registry.read() as session:
        row = session.get(Setting, "runner")
        settings = dict(row.value) if row is not None else {}
    if os.environ.get("SIGNOFF_WHEELHOUSE"):
        settings["wheelhouse"] = os.environ["SIGNOFF_WHEELHOUSE"]
    if os.environ.get("SIGNOFF_PACKAGE_INDEX"):
        settings["index_url"] = os.environ["SIGNOFF_PACKAGE_INDEX"]
    return settings


def default_limits(settings: dict[str, Any]) -> Limits:
    """Limits from the ``runner`` setting, else 60 s and 2048 MB."""
    return Limits(
        time_s=float(settings.get("time_s", 60.0)), memory_mb=settings.get("memory_mb", 2048)
    )


def record_refusal(
    registry: Registry, spec: VersionSpec, problems: list[HashCheck], *, actor: str, purpose: str
) -> None:
    """Append the ``run.refused`` audit event naming every component that failed its check."""
    with registry.write() as session:
        append_event(
            session,
            actor=actor,
            action=events.RUN_REFUSED,
            entity_type="version",
            entity_id=spec.label,
            model_id=spec.model_id,
            version_id=spec.version_id,
            payload={
                "purpose": purpose,
                "manifest_hash": spec.manifest_hash,
                "problems": [p.to_json() for p in problems],
            },
        )


class PreparedVersion:
    """A version verified into a working folder, ready to score several batches.

    Use as a context manager; the working folder is removed on exit. ``refusal`` holds the
    result (it is None otherwise) when a component failed its hash check; then nothing can be
    scored.
    """

    def __init__(
        self,
        registry: Registry,
        version_id: int,
        *,
        actor: str | None = None,
        purpose: str = "run",
        on_step: StepCallback | None = None,
        cancelled: CancelCheck | None = None,
    ) -> None:
        with registry.read() as session:
            spec = load_version_spec(session, version_id)
        self._prepare(registry.store, spec, runner_settings(registry), on_step, cancelled)
        if self.refusal is not None:
            record_refusal(
                registry,
                self.spec,
                self.workspace.problems,
                actor=actor or registry.actor,
                purpose=purpose,
            )

    @classmethod
    def from_spec(
        cls,
        store: Store,
        spec: VersionSpec,
        settings: dict[str, Any],
        on_step: StepCallback | None = None,
        cancelled: CancelCheck | None = None,
    ) -> PreparedVersion:
        """Verify *spec*'s components into a working folder without touching the database
        (for many runs driven from other threads); the caller records any refusal with
        :func:`record_refusal`."""
        prepared = cls.__new__(cls)
        prepared._prepare(store, spec, settings, on_step, cancelled)
        return prepared

    def _prepare(
        self,
        store: Store,
        spec: VersionSpec,
        settings: dict[str, Any],
        on_step: StepCallback | None,
        cancelled: CancelCheck | None = None,
    ) -> None:
        step = on_step or (lambda *_: None)
        self.spec = spec
        self.settings = settings
        self.environment: EnvironmentReport | None = None
        self.python: str | None = None
        self.environment_problem = ""
        step("verify", "running", f"checking {len(self.spec.components)} components")
        # a bucket's objects are fetched into the download cache first: say how far that is
        self.workspace = prepare_workspace(
            store,
            list(self.spec.components),
            progress=_download_steps(step),
            cancelled=cancelled,
        )
        self.refusal: RunResult | None = None
        if not self.workspace.verified:
            names = ", ".join(f"{p.kind} '{p.name}'" for p in self.workspace.problems)
            step("verify", "failed", f"hash mismatch: {names}")
            self.refusal = RunResult(
                REFUSED,
                error_type="HashMismatch",
                message=f"hash mismatch: {names}; nothing was run",
            )
            return
        step("verify", "done", f"{len(self.workspace.checks)} components verified")

    @property
    def manifest_raw(self) -> dict[str, Any]:
        """The manifest as published (its TOML tables as a dict)."""
        return self.spec.manifest

    def resolve_environment(self) -> EnvironmentReport:
        """Compare the captured environment (building a cached venv when configured)."""
        if self.environment is None:
            self.environment, self.python, self.environment_problem = _environment(
                self.spec, self.workspace.workdir, self.settings
            )
        return self.environment

    def score(
        self,
        records: list[Any],
        *,
        limits: Limits | None = None,
        mode: str = "batch",
        cancelled: CancelCheck | None = None,
        warmup: bool = False,
    ) -> RunResult:
        """Score *records* in a fresh child process (never raises for a bad run)."""
        if self.refusal is not None:
            return self.refusal
        self.resolve_environment()
        return run_entry_point(
            self.workspace.workdir,
            self.spec.entry_point,
            records,
            limits=limits or default_limits(self.settings),
            python=self.python,
            mode=mode,
            cancelled=cancelled,
            warmup=warmup,
        )

    def close(self) -> None:
        """Remove the working folder."""
        self.workspace.cleanup()

    def __enter__(self) -> PreparedVersion:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def run_version(
    registry: Registry,
    version_id: int,
    records: list[Any],
    *,
    limits: Limits | None = None,
    mode: str = "batch",
    cancelled: CancelCheck | None = None,
    actor: str | None = None,
    purpose: str = "run",
    on_step: StepCallback | None = None,
) -> VersionRun:
    """Verify, materialise and run a version on *records*; never raises for a bad run.

    *on_step* is told of the steps ``verify``, ``environment`` and ``run`` as they start and
    end; when *cancelled* says to stop, the result has status ``cancelled`` (a running
    scoring process is killed).

    A component whose hash does not match refuses the run (status ``refused``, audit event
    ``run.refused``) before any process starts. Raises NotFoundError for an unknown version.
    """
    step = on_step or (lambda *_: None)
    try:
        prepared_version = PreparedVersion(
            registry, version_id, actor=actor, purpose=purpose, on_step=step, cancelled=cancelled
        )
    except TransferCancelled:
        with registry.read() as session:
            spec = load_version_spec(session, version_id)
        step("verify", "failed", "cancelled while fetching the components")
        return VersionRun(spec, [], None, RunResult(CANCELLED))
    with prepared_version as prepared:
        spec, checks = prepared.spec, prepared.workspace.checks
        if prepared.refusal is not None:
            return VersionRun(spec, checks, None, prepared.refusal)
        if cancelled is not None and cancelled():
            return VersionRun(spec, checks, None, RunResult(CANCELLED))
        step("environment", "running", "comparing with the captured environment")
        env = prepared.resolve_environment()
        problem = prepared.environment_problem
        step("environment", "failed" if problem else "done", problem or env.summary())
        if cancelled is not None and cancelled():
            return VersionRun(spec, checks, env, RunResult(CANCELLED))
        step("run", "running", f"scoring {len(records)} record(s) with {spec.entry_point}")
        result = prepared.score(records, limits=limits, mode=mode, cancelled=cancelled)
        step("run", "done" if result.ok else "failed", result.describe())
        return VersionRun(
            spec, checks, env, result, details={"environment_problem": problem} if problem else {}
        )


def _download_steps(step: StepCallback) -> ProgressFn:
    """Turn a store's download progress into "verify" step updates, a few per object."""
    last: dict[str, float] = {}

    def progress(fraction: float, message: str) -> None:
        what = message.split(":", 1)[0]
        if fraction >= 1.0 or fraction - last.get(what, -1.0) >= 0.1:
            last[what] = fraction
            step("verify", "running", message)

    return progress


def environment_text(spec: VersionSpec, workdir: Path) -> str | None:
    """The text of the version's (already verified) environment component, if it has one."""
    for comp in spec.components:
        if comp.kind == "environment" and comp.path:
            path = workdir / comp.path
            if path.is_file():
                return path.read_text(encoding="utf-8", errors="replace")
    return None


def _environment(
    spec: VersionSpec, workdir: Path, settings: dict[str, Any]
) -> tuple[EnvironmentReport, str | None, str]:
    text = environment_text(spec, workdir)
    here = compare_environment(text, spec.python_version)
    source = PackageSource(settings.get("wheelhouse"), settings.get("index_url"))
    if text is None or here.matches or not source.configured:
        return here, None, ""
    try:
        python = str(ensure_venv(text, source))
    except EnvironmentBuildError as exc:
        here.note = str(exc)
        return here, None, f"{exc}; running in the current interpreter"
    report = compare_environment(text, spec.python_version, python)
    report.venv = str(Path(python).parent.parent)
    return report, python, ""
