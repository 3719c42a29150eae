"""A real MLflow tracking server for the importer tests, started once per test session.

The server runs ``mlflow server`` on a free localhost port with a SQLite backend and a local
artifact root (served through MLflow's artifact proxy), and is populated by
``populate_mlflow.py`` with the real MLflow client in a subprocess.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

HERE = Path(__file__).parent


@dataclass
class MlflowServer:
    url: str
    root: Path  # holds mlflow.db and the artifact folder
    expected: dict[str, Any]

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    def local_path(self, artifact_uri: str) -> Path:
        """The file-system folder behind an ``mlflow-artifacts:/…`` URI of this server."""
        return self.artifacts / artifact_uri.split(":", 1)[1].lstrip("/")

    def populate(self, mode: str) -> dict[str, Any]:
        out = self.root / f"{mode}.json"
        subprocess.run([sys.executable, str(HERE / "populate_mlflow.py"), self.url, mode,
                        str(out)], check=True, capture_output=True, timeout=600,
                       env={**os.environ, "MLFLOW_TRACKING_URI": self.url})
        return json.loads(out.read_text())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A populated MLflow server (skips when mlflow is not installed)."""
    pytest.importorskip("mlflow", reason="the MLflow importer tests need `pip install mlflow` "
                        "(it is in the test extra)")
    root = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    log = open(root / "server.log", "wb")  # noqa: SIM115 - closed after the server stops
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
         "--artifacts-destination", str(root / "artifacts"), "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=root)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 420
        while True:
            if proc.poll() is not None:
                raise RuntimeError("mlflow server exited: "
                                   + (root / "server.log").read_text()[-2000:])
            try:
                if requests.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("mlflow server did not start within 420 s")
            time.sleep(0.5)
        server = MlflowServer(url, root, {})
        server.expected = server.populate("base")
        yield server
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        except ProcessLookupError:
            proc.wait(timeout=10)
        log.close()
