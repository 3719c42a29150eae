"""A real ``mlflow server`` on a SQLite store, for the importer tests and the MLflow benchmark."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A TCP port on localhost that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    import requests

    port = free_port()
    log = open(workdir / "server.log", "wb")  # noqa: SIM115 - closed after the server stops
    proc = subprocess.Popen(
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
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=workdir,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    "mlflow server exited: " + (workdir / "server.log").read_text()[-2000:]
                )
            try:
                if requests.get(f"{url}/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"mlflow server did not start within {start_timeout_s:g} s: "
                    + (workdir / "server.log").read_text()[-2000:]
                )
            time.sleep(0.5)
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            proc.wait()
        log.close()
