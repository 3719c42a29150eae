"""A real ``mlflow server`` on a SQLite store, for the importer tests and the MLflow benchmark."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers.served import free_port, serve_process


@contextmanager
def serve_mlflow(
    db: Path,
    workdir: Path,
    *,
    start_timeout_s: float = 600,
    artifact_root: str | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """Run ``mlflow server`` on the store *db* for as long as the block runs; yields its URL.

    Artifacts are served through MLflow's proxy from ``workdir/artifacts``, or, with
    *artifact_root* (``s3://bucket/prefix``), kept there by the clients themselves and not
    proxied. The server's output goes to ``workdir/server.log`` (its tail is in the error when
    the server does not start).
    """
    port = free_port()
    with serve_process(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--backend-store-uri",
            f"sqlite:///{db}",
            *(
                ["--default-artifact-root", artifact_root, "--no-serve-artifacts"]
                if artifact_root
                else ["--artifacts-destination", str(workdir / "artifacts")]
            ),
            "--workers",
            "1",
        ],
        name="mlflow server",
        port=port,
        health_path="/health",
        log_path=workdir / "server.log",
        env={**os.environ, **(env or {})},
        start_timeout_s=start_timeout_s,
        poll_s=0.5,
    ) as url:
        yield url
