"""The artifact steps of an MLflow import: find a version's files, download, classify.

A version's files come from two places: the model folder its download URI names and the
run's own artifact folder (notebooks, requirements, release notes). Both are listed and
downloaded through the MLflow artifact proxy (``mlflow-artifacts:/``) into temporary files
inside the artifact store, then moved into it under their sha256. Locations the proxy does
not serve (``s3://…`` on a server without ``--serve-artifacts``) are recorded as external
components and reported, not downloaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from signoff.core.common.files import staged_file
from signoff.core.db.registry import Registry
from signoff.core.importers.mlflow import mapping as mapping
from signoff.core.importers.mlflow.client import MlflowClient, artifact_root_path
from signoff.core.importers.mlflow.report import ImportReport


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
                            "note": "not proxied by the MLflow server; not downloaded",
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
            for rel, size in self.client.list_artifacts(rroot, what=label):
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
                        for rel, size in self.client.list_artifacts(root, what=label)
                    ]
        listing = [(path, size) for path, _o, _r, _rel, size in files]
        return files, listing, notes

    def _download_all(
        self, files: list[tuple[str, str, str, str, int | None]], label: str, added: list[str]
    ) -> list[dict[str, Any]]:
        store = self.registry.store
        out = []
        for i, (path, origin, root, rel, size) in enumerate(files):
            self._check_cancel()
            self._progress(self._fraction, f"{label}: {path} ({i + 1}/{len(files)})")
            with staged_file(store.root, prefix=".mlflow-") as staged:
                with open(staged, "wb") as sink:
                    self.client.download(
                        root,
                        rel,
                        size,
                        sink,
                        max_bytes=self.max_artifact_bytes,
                        cancelled=self._cancelled,
                    )
                sha, got, new = store.adopt(staged)
            if new:
                added.append(sha)
            out.append({"path": path, "origin": origin, "sha256": sha, "size": got})
        return out

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
