"""Materialising a version's components into a clean working folder, hash-checked first.

Every stored component is copied out of the artifact store (for a bucket, out of the local
download cache, fetching it first when it is not there) and the copy is hashed; if any
component's hash differs from the one recorded at publish (or its blob is missing), the whole
working folder is deleted before any scoring process is started, so an altered file is never
imported, unpickled or executed.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from signoff.core.artifacts.protocol import CancelledFn, ProgressFn, Store
from signoff.core.catalog.component_ref import ComponentRef
from signoff.core.common.errors import HashMismatchError, NotFoundError

log = logging.getLogger(__name__)


@dataclass
class HashCheck:
    """The outcome of checking one component's hash."""

    kind: str
    name: str
    path: str | None
    expected: str | None
    actual: str | None
    ok: bool
    problem: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Workspace:
    """A working folder holding a version's verified components (or the reasons it does not)."""

    root: Path
    workdir: Path
    checks: list[HashCheck]

    @property
    def problems(self) -> list[HashCheck]:
        return [c for c in self.checks if not c.ok]

    @property
    def verified(self) -> bool:
        return not self.problems

    def cleanup(self) -> None:
        """Delete the working folder and everything in it."""
        shutil.rmtree(self.root, ignore_errors=True)


def _safe_relative(path: str) -> PurePosixPath:
    rel = PurePosixPath(path.replace("\\", "/"))
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ValueError(f"component path {path!r} would leave the working folder")
    return rel


def prepare_workspace(
    store: Store,
    components: list[ComponentRef],
    parent: Path | None = None,
    *,
    progress: ProgressFn | None = None,
    cancelled: CancelledFn | None = None,
) -> Workspace:
    """Copy every stored component into a new folder, checking each one's sha256.

    Returns a workspace whose ``checks`` list every component (also the ones that were not
    stored, such as external data URIs, marked as not checked). When any check fails, the
    working folder has already been emptied and removed: nothing of it can be run.
    *progress(fraction, message)* follows downloads from a bucket; when *cancelled()* turns
    true the folder is removed and TransferCancelled raised (ArtifactStoreError likewise
    when the store cannot be reached: that is no verdict on the components).
    """
    root = Path(tempfile.mkdtemp(prefix="signoff-run-", dir=parent))
    try:
        return _fill(store, components, root, progress, cancelled)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def _fill(
    store: Store,
    components: list[ComponentRef],
    root: Path,
    progress: ProgressFn | None,
    cancelled: CancelledFn | None,
) -> Workspace:
    workdir = root / "work"
    workdir.mkdir()
    checks: list[HashCheck] = []
    for comp in components:
        if not comp.stored or not comp.path or not comp.sha256:
            checks.append(
                HashCheck(
                    comp.kind,
                    comp.name,
                    comp.path or comp.uri,
                    comp.sha256,
                    None,
                    True,
                    "not stored: external reference, not checked",
                )
            )
            continue
        try:
            dest = workdir / _safe_relative(comp.path)
            store.materialize(comp.sha256, dest, comp.label, progress=progress, cancelled=cancelled)
            checks.append(
                HashCheck(comp.kind, comp.name, comp.path, comp.sha256, comp.sha256, True)
            )
        except HashMismatchError as exc:
            checks.append(
                HashCheck(
                    comp.kind, comp.name, comp.path, comp.sha256, exc.actual, False, "hash mismatch"
                )
            )
        except (NotFoundError, ValueError, OSError) as exc:
            checks.append(
                HashCheck(comp.kind, comp.name, comp.path, comp.sha256, None, False, str(exc))
            )
    workspace = Workspace(root, workdir, checks)
    if not workspace.verified:
        # an altered file must never be left where anything could import it
        shutil.rmtree(workdir, ignore_errors=True)
        for bad in workspace.problems:
            log.warning("refusing to run: %s %s: %s", bad.kind, bad.name, bad.problem)
    return workspace
