"""A fake MLflow server (a small local http.server) whose answers a test can make hostile.

It starts with :func:`healthy_routes`, a minimal well-behaved MLflow; a test replaces a route
with a bad answer (a path trick, a foreign redirect, an oversize body, malformed JSON, an auth
error) and checks the importer refuses it. Used by the hostile-answer tests and the import
dialog's tests (through the ``fake`` fixture in tests/mlflow/conftest.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = tuple[int, dict[str, str], bytes | Iterator[bytes]]
RAW = 0  # an answer with this status is written to the socket as it is (status line included)
Route = Callable[[dict[str, list[str]], "Handler"], Answer]
API = "/api/2.0/mlflow"
ART = "/api/2.0/mlflow-artifacts/artifacts"


def js(data: Any, status: int = 200) -> Answer:
    """A JSON answer with *status*."""
    return status, {"Content-Type": "application/json"}, json.dumps(data).encode()


def healthy_routes() -> dict[str, Route]:
    """A minimal, well-behaved MLflow: one model, one version, one 5-byte artifact."""
    return {
        f"{API}/registered-models/search": lambda q, h: js(
            {"registered_models": [{"name": "m", "aliases": [], "tags": []}]}
        ),
        f"{API}/model-versions/search": lambda q, h: js(
            {
                "model_versions": [
                    {
                        "name": "m",
                        "version": "1",
                        "status": "READY",
                        "run_id": "r1",
                        "source": "models:/m-1",
                    }
                ]
            }
        ),
        f"{API}/runs/get": lambda q, h: js(
            {
                "run": {
                    "info": {"run_id": "r1", "artifact_uri": "mlflow-artifacts:/1/r1/artifacts"},
                    "data": {"metrics": [{"key": "auc", "value": 0.8}], "params": []},
                }
            }
        ),
        f"{API}/model-versions/get-download-uri": lambda q, h: js(
            {"artifact_uri": "mlflow-artifacts:/1/models/m-1/artifacts"}
        ),
        ART: lambda q, h: js(
            {"files": [{"path": "model.pkl", "is_dir": False, "file_size": 5}]}
            if q["path"][0] == "1/models/m-1/artifacts"
            else {}
        ),
        f"{ART}/1/models/m-1/artifacts/model.pkl": lambda q, h: (
            200,
            {"Content-Length": "5"},
            b"hello",
        ),
    }


class Handler(BaseHTTPRequestHandler):
    """Answers each GET from the server's routes and records the path and headers."""

    server: FakeServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        parts = urlsplit(self.path)
        self.server.requests.append((parts.path, dict(self.headers)))
        route = self.server.routes.get(parts.path)
        status, headers, body = (
            route(parse_qs(parts.query), self)
            if route
            else js({"error_code": "ENDPOINT_NOT_FOUND"}, 404)
        )
        if status == RAW:  # the route writes the whole answer itself, a byte at a time if it likes
            self._write(body)
            return
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self._write(body)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        """POST routes (runs/search) answer like GET ones; the body is available as
        ``handler.json_body``."""
        length = int(self.headers.get("Content-Length") or 0)
        self.json_body = json.loads(self.rfile.read(length) or b"null")
        self.do_GET()

    def _write(self, body: bytes | Iterator[bytes]) -> None:
        try:
            for chunk in [body] if isinstance(body, bytes) else body:
                self.wfile.write(chunk)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *_args: Any) -> None:
        pass


class FakeServer(ThreadingHTTPServer):
    """The fake on a free localhost port; tests replace ``routes`` to make it hostile."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes: dict[str, Route] = healthy_routes()
        self.requests: list[tuple[str, dict[str, str]]] = []

    @property
    def url(self) -> str:
        """Where the fake listens."""
        return f"http://127.0.0.1:{self.server_address[1]}"
