"""A fake MLflow server (a small local http.server) serving each bad answer the importer
must refuse: path tricks, foreign redirects, oversize bodies, malformed JSON, auth errors.

Every refusal must be a clear error, write nothing outside the artifact store, and leave no
half-imported version behind.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from signoff.core.db.schema import Component, Model, Version
from signoff.core.importers.mlflow import client as mlflow_client
from signoff.core.importers.mlflow.client import (
    HostileAnswerError,
    MlflowAuthError,
    MlflowClient,
    MlflowError,
    RetryPolicy,
    safe_artifact_path,
)
from signoff.core.importers.mlflow.importer import import_mlflow
from tests.helpers.fake_mlflow import API, ART, Answer, FakeServer, healthy_routes, js

FAST = RetryPolicy(attempts=3, backoff_s=0.01, connect_timeout_s=2, read_timeout_s=2)


def run_import(registry, fake: FakeServer, **kwargs: Any):
    return import_mlflow(
        registry,
        fake.url,
        client=MlflowClient(fake.url, retry=FAST, env=kwargs.pop("env", {})),
        **kwargs,
    )


def assert_nothing_imported(registry, tmp_path: Path) -> None:
    with registry.read() as session:
        assert session.scalar(select(func.count()).select_from(Version)) == 0
        assert session.scalar(select(func.count()).select_from(Component)) == 0
    root = registry.store.root
    blobs = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
    assert blobs == []  # no blob and no temporary download left in the store
    outside = {p.name for p in tmp_path.rglob("*")} - {
        "home",
        "registry.db",
        "artifacts",
        "registry.db-wal",
        "registry.db-shm",
    }
    assert not {p for p in outside if "secret" in p or "passwd" in p or "evil" in p}


def test_the_healthy_fake_imports(fake, registry):
    report = run_import(registry, fake)
    assert report.versions_imported == ["m v1"]
    with registry.read() as session:
        (comp,) = session.scalars(select(Component).where(Component.path.is_not(None))).all()
        assert comp.path == "model/model.pkl" and registry.store.read_bytes(comp.sha256) == b"hello"


@pytest.mark.parametrize(
    "bad_path",
    [
        "../../../../tmp/evil.pkl",
        "/etc/passwd",
        "model#/../../secret",
        "%2e%2e/%2e%2e/secret",
        "..%2fsecret",
        "C:\\Windows\\evil",
        "ok/./../secret",
        "a//b",
    ],
)
def test_hostile_artifact_paths_are_refused(fake, registry, tmp_path, bad_path):
    fake.routes[ART] = lambda q, h: js(
        {"files": [{"path": bad_path, "is_dir": False, "file_size": 5}]}
    )
    with pytest.raises(HostileAnswerError, match="refusing artifact path"):
        run_import(registry, fake)
    assert_nothing_imported(registry, tmp_path)


def test_a_hostile_directory_entry_is_refused_before_descending(fake, registry, tmp_path):
    fake.routes[ART] = lambda q, h: js({"files": [{"path": "..", "is_dir": True}]})
    with pytest.raises(HostileAnswerError, match="'..'"):
        run_import(registry, fake)
    assert_nothing_imported(registry, tmp_path)


def test_artifact_location_on_another_host_is_refused(fake, registry, tmp_path):
    fake.routes[f"{API}/model-versions/get-download-uri"] = lambda q, h: js(
        {"artifact_uri": "mlflow-artifacts://evil.example:443/1/models/m-1/artifacts"}
    )
    with pytest.raises(HostileAnswerError, match="another host"):
        run_import(registry, fake)
    assert_nothing_imported(registry, tmp_path)


def test_redirect_to_another_host_is_refused(fake, registry, tmp_path):
    port = fake.server_address[1]
    fake.routes[f"{ART}/1/models/m-1/artifacts/model.pkl"] = lambda q, h: (
        302,
        {"Location": f"http://localhost:{port}/steal"},
        b"",
    )
    with pytest.raises(HostileAnswerError, match="redirect .* to another host"):
        run_import(registry, fake)
    assert "/steal" not in [path for path, _ in fake.requests]
    assert_nothing_imported(registry, tmp_path)


def test_redirect_within_the_server_is_followed(fake, registry):
    fake.routes[f"{ART}/1/models/m-1/artifacts/model.pkl"] = lambda q, h: (
        307,
        {"Location": "/blob/model.pkl"},
        b"",
    )
    fake.routes["/blob/model.pkl"] = lambda q, h: (200, {"Content-Length": "5"}, b"hello")
    assert run_import(registry, fake).versions_imported == ["m v1"]


def test_download_far_larger_than_declared_is_refused(fake, registry, tmp_path):
    def flood(q, h) -> Answer:  # no Content-Length: the body runs until the connection closes
        return 200, {}, (b"x" * 65536 for _ in range(200))

    fake.routes[f"{ART}/1/models/m-1/artifacts/model.pkl"] = flood
    with pytest.raises(HostileAnswerError, match="more than the 5 bytes it declared"):
        run_import(registry, fake)
    assert_nothing_imported(registry, tmp_path)


def test_content_length_over_the_declared_size_is_refused(fake, registry, tmp_path):
    fake.routes[f"{ART}/1/models/m-1/artifacts/model.pkl"] = lambda q, h: (
        200,
        {"Content-Length": "50000000"},
        b"x" * 100,
    )
    with pytest.raises(HostileAnswerError, match="sends 50000000 bytes but declared 5"):
        run_import(registry, fake)
    assert_nothing_imported(registry, tmp_path)


def test_json_answer_over_the_cap_is_refused(fake, registry, tmp_path, monkeypatch):
    monkeypatch.setattr(mlflow_client, "MAX_JSON_BYTES", 100_000)
    fake.routes[f"{API}/runs/get"] = lambda q, h: (
        200,
        {"Content-Type": "application/json"},
        (
            b'{"run": {"info": {}, "data": {"tags": ['
            + b'{"key":"k","value":"v"},' * 10_000
            + b"{}]}}}"
            for _ in range(1)
        ),
    )
    with pytest.raises(HostileAnswerError, match="larger than the 100000 bytes"):
        run_import(registry, fake)
    assert_nothing_imported(registry, tmp_path)


@pytest.mark.parametrize("body", [b"{not json", b'["a list"]', b"\xff\xfe"])
def test_malformed_json_is_refused(fake, registry, tmp_path, body):
    fake.routes[f"{API}/runs/get"] = lambda q, h: (200, {"Content-Type": "application/json"}, body)
    with pytest.raises(HostileAnswerError, match="not JSON|expected a JSON object"):
        run_import(registry, fake)
    assert_nothing_imported(registry, tmp_path)


def test_wrong_shapes_are_refused(fake, registry, tmp_path):
    fake.routes[f"{API}/model-versions/search"] = lambda q, h: js(
        {"model_versions": [{"name": "m", "version": "1; DROP", "status": "READY"}]}
    )
    report = run_import(registry, fake)  # a version Signoff cannot name is skipped, said why
    assert report.versions_imported == []
    assert any("'1; DROP' not imported: a version number must be" in s for s in report.skipped)
    fake.routes = healthy_routes()
    fake.routes[ART] = lambda q, h: js({"files": "not a list"})
    with pytest.raises(HostileAnswerError, match="'files' is not a list"):
        run_import(registry, fake)
    assert_nothing_imported(registry, tmp_path)


def test_401_and_403_say_what_to_do(fake, registry):
    fake.routes[f"{API}/registered-models/search"] = lambda q, h: js(
        {"error_code": "UNAUTHENTICATED"}, 401
    )
    with pytest.raises(MlflowAuthError, match="MLFLOW_TRACKING_USERNAME"):
        run_import(registry, fake)
    fake.routes[f"{API}/registered-models/search"] = lambda q, h: js(
        {"error_code": "PERMISSION_DENIED", "message": "no READ on m"}, 403
    )
    with pytest.raises(MlflowAuthError, match="denied permission.*no READ on m"):
        run_import(registry, fake)


def test_404_mid_import_names_what_is_missing(fake, registry, tmp_path):
    del fake.routes[f"{API}/runs/get"]
    with pytest.raises(MlflowError, match="has no run r1 \\(HTTP 404\\)"):
        run_import(registry, fake)
    assert_nothing_imported(registry, tmp_path)


@pytest.mark.parametrize(
    "route",
    [
        lambda q, h: (200, {"Content-Type": "text/html"}, b"<html><body>Jenkins</body></html>"),
        lambda q, h: js({"error": "no such page"}, 404),
        lambda q, h: js({"status": "ok", "items": []}),
    ],
)
def test_a_url_that_is_not_an_mlflow_server(fake, registry, route):
    fake.routes[f"{API}/registered-models/search"] = route
    with pytest.raises(MlflowError, match="is not an MLflow tracking server"):
        run_import(registry, fake)


def test_5xx_is_retried_with_backoff_then_succeeds(fake, registry):
    failures = {"left": 2}
    healthy = fake.routes[f"{API}/runs/get"]

    def flaky(q, h) -> Answer:
        if failures["left"]:
            failures["left"] -= 1
            return js({"error_code": "INTERNAL_ERROR"}, 503)
        return healthy(q, h)

    fake.routes[f"{API}/runs/get"] = flaky
    assert run_import(registry, fake).versions_imported == ["m v1"]
    assert [p for p, _ in fake.requests].count(f"{API}/runs/get") == 3


def test_5xx_forever_gives_up_with_a_clear_error(fake, registry, tmp_path):
    fake.routes[f"{API}/runs/get"] = lambda q, h: js({}, 500)
    with pytest.raises(MlflowError, match="answered HTTP 500 .*gave up after 3 attempts"):
        run_import(registry, fake)
    assert_nothing_imported(registry, tmp_path)


def test_a_server_that_hangs_times_out(fake, registry):
    def hang(q, h) -> Answer:
        time.sleep(3)
        return js({})

    fake.routes[f"{API}/registered-models/search"] = hang
    client = MlflowClient(fake.url, retry=RetryPolicy(attempts=1, read_timeout_s=0.5), env={})
    with pytest.raises(MlflowError, match="could not reach .*Timeout"):
        import_mlflow(registry, fake.url, client=client)


def test_basic_auth_and_bearer_token_come_from_the_environment(fake, registry):
    run_import(
        registry,
        fake,
        env={"MLFLOW_TRACKING_USERNAME": "ann", "MLFLOW_TRACKING_PASSWORD": "s3cret"},
    )
    assert {h.get("Authorization") for _, h in fake.requests} == {"Basic YW5uOnMzY3JldA=="}
    fake.requests.clear()
    run_import(registry, fake, env={"MLFLOW_TRACKING_TOKEN": "tok-123"})
    assert {h.get("Authorization") for _, h in fake.requests} == {"Bearer tok-123"}


def test_every_page_is_followed_and_a_repeating_token_is_refused(fake, registry):
    def paged(q, h) -> Answer:
        page = int(q.get("page_token", ["0"])[0])
        body: dict[str, Any] = {"registered_models": [{"name": f"model-{page}"}]}
        if page < 2:
            body["next_page_token"] = str(page + 1)
        return js(body)

    fake.routes[f"{API}/registered-models/search"] = paged
    fake.routes[f"{API}/model-versions/search"] = lambda q, h: js({})
    report = run_import(registry, fake)
    assert report.models_created == ["model-0", "model-1", "model-2"]
    with registry.read() as session:
        assert session.scalar(select(func.count()).select_from(Model)) == 3
    fake.routes[f"{API}/registered-models/search"] = lambda q, h: js(
        {"registered_models": [], "next_page_token": "same"}
    )
    with pytest.raises(HostileAnswerError, match="repeats a page token"):
        run_import(registry, fake)


def test_safe_artifact_path_accepts_ordinary_names():
    for ok in ("model.pkl", "notebooks/validation.ipynb", "data/train-2026.csv", "a b/c.txt"):
        assert safe_artifact_path(ok) == ok


def test_a_password_can_come_from_the_keyring(fake, registry, monkeypatch):
    import sys
    import types

    asked = []
    keyring = types.ModuleType("keyring")
    keyring.get_password = lambda service, user: asked.append((service, user)) or "from-ring"
    monkeypatch.setitem(sys.modules, "keyring", keyring)
    run_import(registry, fake, env={"MLFLOW_TRACKING_USERNAME": "ann"})
    assert asked == [(fake.url, "ann")]
    assert {h.get("Authorization") for _, h in fake.requests} == {"Basic YW5uOmZyb20tcmluZw=="}
