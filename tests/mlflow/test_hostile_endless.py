"""A fake MLflow server that never stops: endless pages, folders inside folders, answers that
drip in a byte at a time, headers that never end.

Each case is stopped by the importer's own limits — the page cap, the listing depth, the
deadline of one request or of the whole import — with a clear error and nothing written. The
wall-clock bounds asserted are the configured deadlines plus a generous margin for a loaded
machine: they check that the deadline holds, not how fast anything is.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import func, select

from signoff.core.db.schema import AuditEvent, Component, Model, Version
from signoff.core.importers.mlflow.client import (
    HostileAnswerError,
    ImportDeadlineError,
    ImportLimits,
    MlflowClient,
    MlflowError,
    RequestDeadlineError,
    RetryPolicy,
)
from signoff.core.importers.mlflow.importer import import_mlflow
from tests.helpers.fake_mlflow import API, ART, RAW, Answer, FakeServer, js

FAST = RetryPolicy(attempts=2, backoff_s=0.01, connect_timeout_s=2, read_timeout_s=30)
MARGIN_S = 8.0  # slack over a deadline on a loaded 2-core machine


def run_import(registry, fake: FakeServer, limits: ImportLimits | None = None, **kwargs: Any):
    client = MlflowClient(fake.url, retry=FAST, env={}, limits=limits or ImportLimits())
    return import_mlflow(registry, fake.url, client=client, **kwargs)


def counts(registry) -> tuple[int, int, int, int]:
    with registry.read() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table))
            for table in (Model, Version, Component, AuditEvent)
        )


def blobs(registry) -> list[str]:
    root = registry.store.root
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def drip(body: bytes, every_s: float):
    """The bytes of *body* one at a time, *every_s* apart (each gap well inside the timeout)."""
    for byte in body:
        time.sleep(every_s)
        yield bytes([byte])


# -- endless lists -----------------------------------------------------------------------------
def test_endless_pagination_stops_at_the_page_cap(fake, registry):
    def endless(q, h) -> Answer:
        page = int(q.get("page_token", ["0"])[0])
        return js({"registered_models": [], "next_page_token": str(page + 1)})

    fake.routes[f"{API}/registered-models/search"] = endless
    with pytest.raises(HostileAnswerError, match="kept sending pages past 25"):
        run_import(registry, fake, ImportLimits(max_pages=25))
    asked = [p for p, _ in fake.requests if p.endswith("registered-models/search")]
    assert len(asked) == 1 + 25  # the server check, then exactly the cap
    assert counts(registry) == (0, 0, 0, 0)


def test_endless_pagination_is_stopped_by_the_import_deadline(fake, registry):
    def slow_endless(q, h) -> Answer:
        time.sleep(0.05)
        page = int(q.get("page_token", ["t0"])[0][1:])
        return js({"registered_models": [], "next_page_token": f"t{page + 1}"})

    fake.routes[f"{API}/registered-models/search"] = slow_endless
    started = time.monotonic()
    with pytest.raises(ImportDeadlineError, match="past its deadline of 2 s"):
        run_import(registry, fake, ImportLimits(max_pages=10**9), deadline_s=2)
    assert time.monotonic() - started < 2 + MARGIN_S
    assert counts(registry) == (0, 0, 0, 0)


def test_an_artifact_listing_that_recurses_stops_at_the_depth_limit(fake, registry):
    # every folder holds another folder called "a": a/a/a/a/... for ever
    fake.routes[ART] = lambda q, h: js({"files": [{"path": "a", "is_dir": True}]})
    with pytest.raises(HostileAnswerError, match="nested more than 6 deep"):
        run_import(registry, fake, ImportLimits(max_listing_depth=6))
    assert len([p for p, _ in fake.requests if p == ART]) == 7
    assert counts(registry) == (0, 0, 0, 0) and blobs(registry) == []


def test_an_artifact_listing_that_fans_out_stops_at_the_folder_limit(fake, registry):
    def wide(q, h) -> Answer:  # every folder holds 50 folders
        return js({"files": [{"path": f"d{i}", "is_dir": True} for i in range(50)]})

    fake.routes[ART] = wide
    with pytest.raises(HostileAnswerError, match="more than 30 folders"):
        run_import(registry, fake, ImportLimits(max_listing_folders=30))
    assert counts(registry) == (0, 0, 0, 0)


# -- answers that never finish -----------------------------------------------------------------
def test_a_download_that_drips_is_stopped_by_the_request_deadline(fake, registry):
    fake.routes[f"{ART}/1/models/m-1/artifacts/model.pkl"] = lambda q, h: (
        200,
        {"Content-Length": "5"},
        drip(b"hello", 0.8),  # 4 s in all, each byte well inside the 30 s read timeout
    )
    started = time.monotonic()
    with pytest.raises(RequestDeadlineError, match="more than 1.5 s to send artifact model.pkl"):
        run_import(registry, fake, ImportLimits(request_deadline_s=1.5))
    assert time.monotonic() - started < 1.5 + MARGIN_S
    assert counts(registry) == (0, 0, 0, 0) and blobs(registry) == []


def test_a_json_answer_that_drips_is_stopped_and_not_retried(fake, registry):
    body = b'{"registered_models": []}' * 1
    fake.routes[f"{API}/registered-models/search"] = lambda q, h: (
        200,
        {"Content-Type": "application/json"},
        drip(body, 0.3),
    )
    started = time.monotonic()
    with pytest.raises(RequestDeadlineError, match="the registered-model list"):
        run_import(registry, fake, ImportLimits(request_deadline_s=1))
    assert time.monotonic() - started < 1 + MARGIN_S
    assert len(fake.requests) == 1  # a deadline is not a reason to ask again


def test_headers_that_drip_are_stopped_by_the_watchdog(fake, registry):
    # the HTTP library itself reads status line and headers: only the watchdog can stop it
    head = b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"x" * 200 + b"\r\n"
    fake.routes[f"{API}/registered-models/search"] = lambda q, h: (RAW, {}, drip(head, 0.2))
    started = time.monotonic()
    with pytest.raises(RequestDeadlineError, match="more than 1 s"):
        run_import(registry, fake, ImportLimits(request_deadline_s=1))
    assert time.monotonic() - started < 1 + MARGIN_S


def test_a_server_that_goes_silent_after_the_headers_is_stopped(fake, registry):
    def silent(q, h) -> Answer:
        def body():
            yield b"{"
            time.sleep(20)  # shorter than the 30 s read timeout: only the deadline stops it
            yield b"}"

        return 200, {"Content-Type": "application/json"}, body()

    fake.routes[f"{API}/registered-models/search"] = silent
    started = time.monotonic()
    with pytest.raises(RequestDeadlineError):
        run_import(registry, fake, ImportLimits(request_deadline_s=1))
    assert time.monotonic() - started < 1 + MARGIN_S


def test_the_import_deadline_keeps_the_models_completed_before_it(fake, registry):
    models = [{"name": f"model-{i}"} for i in range(40)]
    fake.routes[f"{API}/registered-models/search"] = lambda q, h: js({"registered_models": models})

    def versions(q, h) -> Answer:
        time.sleep(0.3)
        return js({})

    fake.routes[f"{API}/model-versions/search"] = versions
    started = time.monotonic()
    with pytest.raises(ImportDeadlineError, match="kept what was complete before it") as err:
        run_import(registry, fake, deadline_s=2)
    assert time.monotonic() - started < 2 + MARGIN_S
    created = counts(registry)[0]
    assert 0 < created < 40 and "model(s) model-0" in str(err.value)


def test_a_connection_that_breaks_mid_download_is_a_clear_error(fake, registry):
    def breaks(q, h) -> Answer:
        def body():
            yield b"he"
            h.connection.shutdown(2)  # the server goes away part way

        return 200, {"Content-Length": "5"}, body()

    fake.routes[f"{ART}/1/models/m-1/artifacts/model.pkl"] = breaks
    with pytest.raises(MlflowError, match="broke while downloading model.pkl|sent 2"):
        run_import(registry, fake)
    assert counts(registry) == (0, 0, 0, 0) and blobs(registry) == []
