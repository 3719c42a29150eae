"""A real MLflow tracking server for the importer tests, started once per test session.

The server runs ``mlflow server`` on a free localhost port with a SQLite backend and a local
artifact root (served through MLflow's artifact proxy), and is populated by
``populate_mlflow.py`` with the real MLflow client in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.mlflow_server import serve_mlflow

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

    def populate(self, mode: str, env: dict[str, str] | None = None) -> dict[str, Any]:
        return populate_server(self.url, self.root, mode, env)


def populate_server(
    url: str, root: Path, mode: str, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run ``populate_mlflow.py`` against the server at *url* (with *env* added)."""
    out = root / f"{mode}.json"
    subprocess.run(
        [sys.executable, str(HERE / "populate_mlflow.py"), url, mode, str(out)],
        check=True,
        capture_output=True,
        timeout=600,
        env={**os.environ, **(env or {}), "MLFLOW_TRACKING_URI": url},
    )
    return json.loads(out.read_text())


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A populated MLflow server (skips when mlflow is not installed)."""
    pytest.importorskip(
        "mlflow",
        reason="the MLflow importer tests need `pip install mlflow` (it is in the test extra)",
    )
    root = tmp_path_factory.mktemp("mlflow-server")
    with serve_mlflow(root / "mlflow.db", root, start_timeout_s=420) as url:
        server = MlflowServer(url, root, {})
        server.expected = server.populate("base")
        yield server


@pytest.fixture
def fake():  # noqa: ANN201 - a FakeServer, defined with the hostile answers it serves
    """The fake MLflow server (tests/helpers/fake_mlflow.py), serving on a free localhost port."""
    from tests.helpers.fake_mlflow import FakeServer

    server = FakeServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
