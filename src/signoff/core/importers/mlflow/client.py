"""A small, suspicious REST client for an MLflow tracking server.

It reads what the importer needs — registered models, model versions, runs and artifacts —
through MLflow's REST API with ``requests``, and treats every answer as untrusted:

* credentials come from the environment (``MLFLOW_TRACKING_USERNAME``/``_PASSWORD`` for
  basic auth, ``MLFLOW_TRACKING_TOKEN`` for a bearer token) — see
  :mod:`~signoff.core.importers.mlflow.rest` for the HTTP underneath;
* every request has a timeout for each next byte *and* a deadline for the whole answer, and
  the import has a deadline of its own (:mod:`~signoff.core.importers.mlflow.transport`);
  5xx answers and dropped connections are retried with exponential backoff, never past the
  import's deadline; 401/403/404 become errors that say what to do;
* redirects are followed by hand, and only within the same scheme, host and port;
* JSON answers are size-capped and must parse, nest no deeper than a limit and have the
  expected shape; paged lists stop after a number of pages, artifact listings at a depth
  and a number of folders;
* artifact paths are checked before use (no ``..``, no absolute paths, no ``#``/``?``,
  no percent-encoded tricks — MLflow CVE-2024-1483 / CVE-2024-3848);
* downloads are streamed with a cap: a body larger than the listing declared is refused.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any, BinaryIO
from urllib.parse import quote, unquote

import requests

from signoff.core.common.progress import CancelCheck, check_cancelled
from signoff.core.importers.mlflow.errors import (
    DeadlineError,
    HostileAnswerError,
    ImportDeadlineError,
    MlflowAuthError,
    MlflowError,
    MlflowNotFoundError,
    RequestDeadlineError,
)
from signoff.core.importers.mlflow.rest import (
    _BROKEN,
    RestTransport,
    RetryPolicy,
    credentials_from_environment,
)
from signoff.core.importers.mlflow.transport import ImportLimits, RequestWatch, shape_problem

log = logging.getLogger(__name__)

API = "/api/2.0/mlflow"
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"
MAX_JSON_BYTES = 64 * 1024 * 1024
DOWNLOAD_SLACK = 0  # a download may not exceed its declared size by a single byte
CHUNK = 256 * 1024


__all__ = [
    "DeadlineError",
    "HostileAnswerError",
    "ImportDeadlineError",
    "ImportLimits",
    "MlflowAuthError",
    "MlflowClient",
    "MlflowError",
    "MlflowNotFoundError",
    "RequestDeadlineError",
    "RetryPolicy",
    "credentials_from_environment",
]

_ENCODED = re.compile(r"%[0-9a-fA-F]{2}")


def safe_artifact_path(path: object, what: str = "artifact path") -> str:
    """Return *path* if it is a plain relative path; raise HostileAnswerError otherwise.

    Refuses absolute and drive paths, ``..`` and ``.`` segments, backslashes, ``#`` and
    ``?`` (which cut a URL short, as in CVE-2024-1483), percent-encoding (``%2e%2e``),
    control characters and empty segments.
    """
    if not isinstance(path, str) or not path:
        raise HostileAnswerError(f"{what}: expected a non-empty relative path, got {path!r}")
    problems = []
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path) or "://" in path:
        problems.append("it is absolute")
    if "\\" in path:
        problems.append("it contains a backslash")
    if "#" in path or "?" in path:
        problems.append("it contains '#' or '?' (URL fragment/query tricks, CVE-2024-1483)")
    if _ENCODED.search(path) or unquote(path) != path:
        problems.append("it is percent-encoded")
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        problems.append("it contains control characters")
    parts = path.split("/")
    if any(p in ("..", ".") for p in parts) or ".." in unquote(unquote(path)).split("/"):
        problems.append("it contains '..' or '.' segments")
    elif any(p == "" for p in parts):
        problems.append("it contains an empty segment")
    if problems:
        raise HostileAnswerError(f"refusing {what} {path!r}: {'; '.join(problems)}")
    return path


def artifact_root_path(uri: object, what: str) -> str:
    """The path part of an ``mlflow-artifacts:/…`` URI, checked; other URIs are refused."""
    if not isinstance(uri, str):
        raise HostileAnswerError(f"{what}: expected an artifact URI, got {uri!r}")
    if not uri.startswith("mlflow-artifacts:"):
        raise MlflowError(
            f"{what} {uri!r} is not served through the MLflow artifact proxy; start the "
            "server with --serve-artifacts (the default) so Signoff can download artifacts"
        )
    rest = uri[len("mlflow-artifacts:") :]
    if rest.startswith("//"):
        # mlflow-artifacts://host:port/path names another server: never follow it
        raise HostileAnswerError(f"refusing {what} {uri!r}: it points at another host")
    return safe_artifact_path(rest.lstrip("/"), what)


class MlflowClient(RestTransport):
    """Read-only access to one MLflow tracking server."""

    def __init__(
        self,
        base_url: str,
        *,
        retry: RetryPolicy | None = None,
        env: dict[str, str] | None = None,
        session: requests.Session | None = None,
        limits: ImportLimits | None = None,
    ) -> None:
        super().__init__(base_url, retry=retry, env=env, session=session, limits=limits)
        self._experiment_ids: list[str] | None = None

    def get_json(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        what: str,
        method: str = "GET",
        json_body: Any = None,
    ) -> dict[str, Any]:
        """GET (or POST) an API path and return its JSON object, checked and size-capped."""

        def read(response: requests.Response, watch: RequestWatch) -> tuple[bytes, str]:
            body = _read_capped(response, MAX_JSON_BYTES, what, watch)
            return body, response.headers.get("Content-Type", "?")

        body, kind = self._exchange(
            method, path, what=what, read=read, params=params, json_body=json_body
        )
        try:
            data = json.loads(body.decode("utf-8"))
        except RecursionError:
            raise HostileAnswerError(
                f"{self.base_url} answered {what} with JSON nested too deeply to read"
            ) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise HostileAnswerError(
                f"{self.base_url} answered {what} with something that is not JSON "
                f"({kind}, {len(body)} bytes): is this an MLflow tracking server?"
            ) from exc
        if not isinstance(data, dict):
            raise HostileAnswerError(f"{what}: expected a JSON object, got {type(data).__name__}")
        problem = shape_problem(data, self.limits.max_json_depth)
        if problem:
            raise HostileAnswerError(
                f"{self.base_url} answered {what} with JSON Signoff refuses: {problem}"
            )
        return data

    def paginate(
        self, path: str, key: str, params: dict[str, Any], *, what: str, page_size: int
    ) -> Iterator[dict[str, Any]]:
        """Yield every item of a paged list, following ``next_page_token`` to the end.

        Stops with HostileAnswerError when the server repeats a token or sends more than
        ``limits.max_pages`` pages.
        """
        token: str | None = None
        seen: set[str] = set()
        pages = 0
        while True:
            pages += 1
            if pages > self.limits.max_pages:
                raise HostileAnswerError(
                    f"{what}: the server kept sending pages past {self.limits.max_pages} "
                    f"(page size {page_size}); stopping. If the registry really is that "
                    "large, raise the limit with --max-pages"
                )
            query = dict(params, max_results=page_size)
            if token:
                query["page_token"] = token
            data = self.get_json(path, query, what=what)
            items = data.get(key, [])
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise HostileAnswerError(f"{what}: '{key}' is not a list of objects")
            yield from items
            token = data.get("next_page_token") or None
            if token is None:
                return
            if not isinstance(token, str) or token in seen or len(token) > 10_000:
                raise HostileAnswerError(f"{what}: the server repeats a page token; stopping")
            seen.add(token)

    # -- MLflow resources -----------------------------------------------------------------
    def check_server(self) -> None:
        """Raise a clear error unless the URL answers like an MLflow tracking server."""
        try:
            data = self.get_json(
                f"{API}/registered-models/search",
                {"max_results": 1},
                what="the registered-model list",
            )
        except MlflowNotFoundError as exc:
            raise MlflowError(
                f"{self.base_url} is not an MLflow tracking server "
                "(it has no /api/2.0/mlflow/registered-models/search)"
            ) from exc
        except HostileAnswerError as exc:
            raise MlflowError(f"{self.base_url} is not an MLflow tracking server: {exc}") from exc
        if not (set(data) <= {"registered_models", "next_page_token"}):
            raise MlflowError(
                f"{self.base_url} is not an MLflow tracking server "
                f"(unexpected answer keys {sorted(data)[:5]})"
            )

    def registered_models(self, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        """Every registered model, with description, tags and aliases."""
        return self.paginate(
            f"{API}/registered-models/search",
            "registered_models",
            {},
            what="the registered-model list",
            page_size=page_size,
        )

    def model_versions(self, name: str, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        """Every version of the registered model *name*."""
        escaped = name.replace("\\", "\\\\").replace("'", "\\'")
        return self.paginate(
            f"{API}/model-versions/search",
            "model_versions",
            {"filter": f"name='{escaped}'"},
            what=f"the versions of {name!r}",
            page_size=page_size,
        )

    def run(self, run_id: str) -> dict[str, Any]:
        """A run with its metrics, params, tags and dataset inputs."""
        data = self.get_json(f"{API}/runs/get", {"run_id": run_id}, what=f"run {run_id}")
        run = data.get("run")
        if not isinstance(run, dict) or not isinstance(run.get("info"), dict):
            raise HostileAnswerError(f"run {run_id}: the answer has no run info")
        return run

    def runs_by_id(self, run_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Fetch many runs at once through ``runs/search``; {} where the server cannot.

        Runs it does not return are fetched one by one with :meth:`run` by the caller.
        """
        ids = sorted({r for r in run_ids if isinstance(r, str) and r.isalnum()})
        if not ids:
            return {}
        try:
            if self._experiment_ids is None:
                self._experiment_ids = [
                    str(e.get("experiment_id"))
                    for e in self.paginate(
                        f"{API}/experiments/search",
                        "experiments",
                        {},
                        what="the experiment list",
                        page_size=1000,
                    )
                ]
            out: dict[str, dict[str, Any]] = {}
            for start in range(0, len(ids), 100):
                chunk = ids[start : start + 100]
                data = self.get_json(
                    f"{API}/runs/search",
                    method="POST",
                    what="runs",
                    json_body={
                        "experiment_ids": self._experiment_ids,
                        "max_results": 1000,
                        "filter": "attributes.run_id IN ("
                        + ",".join(f"'{r}'" for r in chunk)
                        + ")",
                    },
                )
                for run in data.get("runs") or []:
                    info = run.get("info") if isinstance(run, dict) else None
                    if isinstance(info, dict) and info.get("run_id") in chunk:
                        out[info["run_id"]] = run
            return out
        except MlflowError as exc:
            if isinstance(exc, MlflowAuthError | DeadlineError):
                raise
            log.info("runs/search unavailable (%s); reading runs one by one", exc)
            return {}

    def download_uri(self, name: str, version: str) -> str:
        """Where the artifacts of a model version live (an ``mlflow-artifacts:/`` URI)."""
        data = self.get_json(
            f"{API}/model-versions/get-download-uri",
            {"name": name, "version": version},
            what=f"the artifact location of {name} v{version}",
        )
        uri = data.get("artifact_uri")
        if not isinstance(uri, str):
            raise HostileAnswerError(f"{name} v{version}: the artifact location is missing")
        return uri

    def list_artifacts(self, root: str, *, what: str) -> list[tuple[str, int | None]]:
        """Every file under the proxied artifact folder *root*: (relative path, declared size).

        Stops with HostileAnswerError at folders nested deeper than
        ``limits.max_listing_depth``, or more than ``limits.max_listing_folders`` of them.
        """
        out: list[tuple[str, int | None]] = []
        pending = [""]
        listed: set[str] = set()
        limits = self.limits
        while pending:
            sub = pending.pop()
            if sub in listed:
                raise HostileAnswerError(f"the artifacts of {what}: the folder {sub!r} repeats")
            listed.add(sub)
            if len(listed) > limits.max_listing_folders:
                raise HostileAnswerError(
                    f"the artifacts of {what}: more than {limits.max_listing_folders} folders; "
                    "stopping"
                )
            if sub.count("/") + 1 > limits.max_listing_depth:
                raise HostileAnswerError(
                    f"the artifacts of {what}: folders nested more than "
                    f"{limits.max_listing_depth} deep ({sub[:80]}…); stopping"
                )
            folder = f"{root}/{sub}" if sub else root
            data = self.get_json(ARTIFACTS_API, {"path": folder}, what=f"the artifacts of {what}")
            files = data.get("files", [])
            if not isinstance(files, list):
                raise HostileAnswerError(f"the artifacts of {what}: 'files' is not a list")
            for entry in files:
                if not isinstance(entry, dict):
                    raise HostileAnswerError(f"the artifacts of {what}: a malformed entry")
                name = safe_artifact_path(entry.get("path"), f"artifact path in {what}")
                # the proxy answers names relative to the folder asked for
                rel = f"{sub}/{name}" if sub and not name.startswith(sub + "/") else name
                safe_artifact_path(rel, f"artifact path in {what}")
                if entry.get("is_dir"):
                    if len(out) + len(pending) > 100_000:
                        raise HostileAnswerError(f"the artifacts of {what}: too many entries")
                    pending.append(rel)
                    continue
                size = entry.get("file_size")
                if size is not None and (not isinstance(size, int) or size < 0):
                    raise HostileAnswerError(f"artifact {rel!r} of {what}: bad size {size!r}")
                out.append((rel, size))
        return sorted(out)

    def download(
        self,
        root: str,
        rel: str,
        declared: int | None,
        sink: BinaryIO,
        *,
        max_bytes: int,
        cancelled: CancelCheck | None = None,
    ) -> int:
        """Stream one artifact into *sink*; refuses a body larger than declared or allowed.

        The whole download, not only each read, is bounded by the per-request deadline (and
        the import's). A body that breaks off is an error, not retried: the sink holds part.
        """
        safe_artifact_path(rel)
        path = f"{ARTIFACTS_API}/{quote(root)}/{quote(rel)}"
        limit = max_bytes if declared is None else min(max_bytes, declared + DOWNLOAD_SLACK)
        what = f"artifact {rel}"

        def too_large(size: int) -> MlflowError:
            return MlflowError(
                f"artifact {rel}: larger than {limit:,} bytes (at least {size:,}), the limit "
                "for a stored component (--max-artifact-size); not imported"
            )

        def stream(response: requests.Response, watch: RequestWatch) -> int:
            header = response.headers.get("Content-Length")
            if header is not None and header.isdigit() and int(header) > limit:
                if declared is not None and declared <= max_bytes:
                    raise HostileAnswerError(
                        f"artifact {rel}: the server sends {int(header)} bytes but declared "
                        f"{declared}; refusing it"
                    )
                raise too_large(int(header))
            written = 0
            try:
                for chunk in response.iter_content(CHUNK):
                    watch.check()
                    written += len(chunk)
                    if written > limit and declared is not None and declared <= max_bytes:
                        raise HostileAnswerError(
                            f"artifact {rel}: the server sent more than the {limit} bytes it "
                            "declared; refusing it"
                        )
                    if written > limit:
                        raise too_large(written)
                    check_cancelled(cancelled, "the import")
                    sink.write(chunk)
            except _BROKEN as exc:
                watch.raise_if_fired()
                raise MlflowError(
                    f"the connection to {self.base_url} broke while downloading {rel} "
                    f"({exc.__class__.__name__}); nothing of it was kept"
                ) from exc
            return written

        written = self._exchange("GET", path, what=what, read=stream)
        if declared is not None and written != declared:
            raise HostileAnswerError(
                f"artifact {rel}: the server declared {declared} bytes but sent {written}"
            )
        return written


def _read_capped(response: requests.Response, cap: int, what: str, watch: RequestWatch) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise HostileAnswerError(
            f"{what}: the answer declares {declared} bytes, over the {cap}-byte limit"
        )
    limit = int(declared) if declared is not None and declared.isdigit() else cap
    buf = bytearray()
    for chunk in response.iter_content(CHUNK):
        watch.check()
        buf += chunk
        if len(buf) > limit:
            raise HostileAnswerError(
                f"{what}: the answer is larger than the {limit} bytes it declared; refusing it"
            )
    return bytes(buf)
