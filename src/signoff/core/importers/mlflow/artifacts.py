"""The artifact steps of an MLflow import: find a version's files, download, classify.

A version's files come from two places: the model folder its download URI names and the
run's own artifact folder (notebooks, requirements, release notes). Both are listed and
downloaded through the MLflow artifact proxy (``mlflow-artifacts:/``) into temporary files
inside the artifact store, then moved into it under their sha256.

When MLflow keeps its artifacts in a bucket (``s3://bucket/…``, a server without
``--serve-artifacts``) and the registry's own store is in the same bucket, the files are
listed and read in the bucket itself: each is hashed as it streams in and copied under its
sha256 by the object store, so nothing passes through the tracking server and nothing is
uploaded again. Other locations the proxy does not serve are recorded as external
components and reported, not downloaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signoff.core.artifacts.protocol import TransferCancelled
from signoff.core.artifacts.s3 import BucketStore
from signoff.core.artifacts.s3_adopt import adopt_object, list_under
from signoff.core.artifacts.store import ArtifactStore
from signoff.core.common.errors import Cancelled
from signoff.core.common.files import staged_file
from signoff.core.db.registry import Registry
from signoff.core.importers.mlflow import mapping as mapping
from signoff.core.importers.mlflow.client import (
    HostileAnswerError,
    MlflowClient,
    artifact_root_path,
    safe_artifact_path,
)
from signoff.core.importers.mlflow.report import ImportReport

BUCKET_ROOT = "s3:"  # marks a root that is a key prefix in the registry store's own bucket


@dataclass
class _Run:
    """What the importer keeps of a run."""

    run_id: str
    info: dict[str, Any]
    metrics: list[dict[str, Any]]
    params: dict[str, str]
    tags: dict[str, str]
    datasets: list[dict[str, Any]]
    artifact_uri: str | None
    deleted: bool = False  # MLflow's lifecycle stage says the run was deleted


class ArtifactSteps:
    """Mixed into the importer: needs ``client``, ``registry``, ``report``, ``artifacts``,
    ``max_artifact_bytes``, ``_progress``, ``_fraction``, ``_cancelled``, ``_check_cancel``."""

    client: MlflowClient
    registry: Registry
    report: ImportReport
    artifacts: bool
    max_artifact_bytes: int
    _progress: Callable[[float, str], None]
    _fraction: float
    _cancelled: Callable[[], bool]
    _check_cancel: Callable[[], None]

    def _artifact_files(
        self, name: str, number: str, run: _Run | None, label: str
    ) -> tuple[
        list[tuple[str, str, str, str, int | None]],
        list[tuple[str, int | None]],
        list[dict[str, Any]],
    ]:
        """[(component path, origin, root, relative path, size)], the listing, notes."""
        if not self.artifacts:
            return [], [], []
        notes: list[dict[str, Any]] = []
        roots: dict[str, str | None] = {}
        uris = {
            "model": self.client.download_uri(name, number),
            "run": run.artifact_uri if run else None,
        }
        for origin, uri in uris.items():
            if not uri:
                roots[origin] = None
            elif str(uri).startswith("mlflow-artifacts:"):
                roots[origin] = artifact_root_path(uri, f"{label} {origin} artifact location")
            elif self._same_bucket(str(uri)) is not None:
                roots[origin] = BUCKET_ROOT + str(self._same_bucket(str(uri)))
            else:
                roots[origin] = None
                notes.append(
                    {
                        "kind": "model_object" if origin == "model" else "documentation",
                        "name": f"mlflow {origin} artifacts",
                        "path": None,
                        "uri": str(uri),
                        "sha256": None,
                        "size": None,
                        "stored": False,
                        "role": "",
                        "details": {
                            "origin": origin,
                            "note": "not proxied by the MLflow server, nor in the registry "
                            "store's bucket; not downloaded",
                        },
                    }
                )
                self.report.skipped.append(
                    f"{label}: {origin} artifacts at {uri} are not "
                    "served by the MLflow proxy; recorded, not copied"
                )
        files: list[tuple[str, str, str, str, int | None]] = []
        mroot, rroot = roots["model"], roots["run"]
        if mroot and rroot and (mroot == rroot or mroot.startswith(rroot + "/")):
            sub = mroot[len(rroot) + 1 :]
            for rel, size in self._listing(rroot, label):
                if not sub or rel.startswith(sub + "/"):
                    files.append(
                        (f"model/{rel[len(sub) + 1 :] if sub else rel}", "model", rroot, rel, size)
                    )
                else:
                    files.append((f"run/{rel}", "run", rroot, rel, size))
        else:
            for origin, root in (("model", mroot), ("run", rroot)):
                if root:
                    files += [
                        (f"{origin}/{rel}", origin, root, rel, size)
                        for rel, size in self._listing(root, label)
                    ]
        listing = [(path, size) for path, _o, _r, _rel, size in files]
        return files, listing, notes

    def _same_bucket(self, uri: str) -> str | None:
        """The key prefix of an ``s3://`` URI in the registry store's own bucket, else None."""
        store = self.registry.store
        if not isinstance(store, BucketStore) or not uri.startswith("s3://"):
            return None
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        if bucket != store.bucket:
            return None
        prefix = prefix.strip("/")
        return safe_artifact_path(prefix, "MLflow artifact location") if prefix else ""

    def _listing(self, root: str, label: str) -> list[tuple[str, int | None]]:
        """The files below *root*: from the MLflow proxy, or the bucket for a bucket root."""
        if not root.startswith(BUCKET_ROOT):
            return self.client.list_artifacts(root, what=label)
        store = self.registry.store
        assert isinstance(store, BucketStore)
        listed: list[tuple[str, int | None]] = []
        for rel, size in list_under(store, root[len(BUCKET_ROOT) :]):
            listed.append((safe_artifact_path(rel, f"artifact path in {label}"), size))
        return listed

    def _adopt(self, root: str, rel: str, size: int | None, label: str) -> tuple[str, int, bool]:
        """Store a file of the registry's own bucket under its hash, read in place."""
        store = self.registry.store
        assert isinstance(store, BucketStore)
        if size is not None and size > self.max_artifact_bytes:
            raise HostileAnswerError(
                f"artifact {rel}: {size} bytes, more than the limit of {self.max_artifact_bytes}"
            )
        prefix = root[len(BUCKET_ROOT) :]
        key = f"{prefix}/{rel}" if prefix else rel
        try:
            return adopt_object(
                store, key, rel, progress=self._file_progress(label, rel), cancelled=self._cancelled
            )
        except TransferCancelled as exc:
            raise Cancelled("the import was cancelled") from exc

    def _download_all(
        self, files: list[tuple[str, str, str, str, int | None]], label: str, added: list[str]
    ) -> list[dict[str, Any]]:
        store = self.registry.store
        staging = store.staging_dir()
        out = []
        for i, (path, origin, root, rel, size) in enumerate(files):
            self._check_cancel()
            self._progress(self._fraction, f"{label}: {path} ({i + 1}/{len(files)})")
            if root.startswith(BUCKET_ROOT):
                sha, got, new = self._adopt(root, rel, size, label)
                if new:
                    added.append(sha)
                out.append({"path": path, "origin": origin, "sha256": sha, "size": got})
                continue
            try:
                with staged_file(staging, prefix=".mlflow-") as staged:
                    with open(staged, "wb") as sink:
                        self.client.download(
                            root,
                            rel,
                            size,
                            sink,
                            max_bytes=self.max_artifact_bytes,
                            cancelled=self._cancelled,
                        )
                    sha, got, new = self._keep(staged, label, path)
            except TransferCancelled as exc:
                raise Cancelled("the import was cancelled") from exc
            if new:
                added.append(sha)
            out.append({"path": path, "origin": origin, "sha256": sha, "size": got})
        return out

    def _keep(self, staged: Path, label: str, path: str) -> tuple[str, int, bool]:
        """Store a downloaded file: a folder store moves it into place (it was staged inside
        the store), a bucket uploads it with progress and cancel."""
        store = self.registry.store
        if isinstance(store, ArtifactStore):
            return store.adopt(staged)
        return store.put_file(
            staged, progress=self._file_progress(label, path), cancelled=self._cancelled
        )

    def _file_progress(self, label: str, path: str) -> Callable[[float, str], None]:
        """Progress of one file's transfer, shown within the import's overall progress."""

        def progress(_fraction: float, message: str) -> None:
            self._progress(self._fraction, f"{label}: {message}")

        return progress

    def _components(
        self, stored: list[dict[str, Any]], run: _Run | None, label: str
    ) -> list[dict[str, Any]]:
        comps = []
        for item in stored:
            kind, role = mapping.component_for(item["path"], item["origin"])
            comps.append(
                {
                    "kind": kind,
                    "name": item["path"].split("/", 1)[1],
                    "path": item["path"],
                    "uri": None,
                    "sha256": item["sha256"],
                    "size": item["size"],
                    "stored": True,
                    "role": role,
                    "details": {"origin": item["origin"], "source": "mlflow"},
                }
            )
        return comps

    def _python_version(self, stored: list[dict[str, Any]]) -> str:
        for item in stored:
            if item["path"].endswith("python_env.yaml") and item["origin"] == "model":
                data = self.registry.store.read_bytes(item["sha256"], item["path"])
                return mapping.python_version_from(data.decode("utf-8", "replace"))
        return ""
