"""Generated bad answers from a fake MLflow server, thrown at the client and the importer.

Hypothesis makes up what each endpoint answers — any JSON in the places MLflow puts its
records, names with control characters, version numbers in other scripts, timestamps past the
year 9999, bodies that are not JSON at all — and the client either returns data or raises the
project's own error (:class:`MlflowError`, a :class:`SignoffError`). When the import raises,
the registry is exactly as it was: every table's row count and the audit chain's head; when it
returns, every version it stored is complete.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from signoff.core.common.errors import SignoffError
from signoff.core.db.schema import AuditEvent, Component, Version
from signoff.core.importers.mlflow.client import (
    ImportLimits,
    MlflowClient,
    MlflowError,
    RetryPolicy,
)
from signoff.core.importers.mlflow.importer import import_mlflow
from tests.helpers.bad_input import (
    EXAMPLES,
    OTHER_DIGITS,
    bad_version_numbers,
    json_values,
    registry_state,
    with_bad_char,
)
from tests.helpers.fake_mlflow import API, ART, healthy_routes

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FAST = RetryPolicy(attempts=1, backoff_s=0.0, connect_timeout_s=2, read_timeout_s=5)
LIMITS = ImportLimits(request_deadline_s=10, import_deadline_s=60, max_pages=20)

ROUTES = {
    "models": f"{API}/registered-models/search",
    "versions": f"{API}/model-versions/search",
    "run": f"{API}/runs/get",
    "uri": f"{API}/model-versions/get-download-uri",
    "listing": ART,
}

names = st.one_of(
    st.text(max_size=12),
    with_bad_char(),
    st.sampled_from(["credit@2", "../x", "Credit Risk", "m", "x" * 300]),
    json_values(),
)
numbers = st.one_of(
    bad_version_numbers(), st.sampled_from(OTHER_DIGITS), st.just("1"), json_values()
)
stamps = st.one_of(st.integers(), st.floats(), st.text(max_size=6), st.just(10**40))


@st.composite
def answers(draw: st.DrawFn) -> tuple[str, bytes]:
    """(route key, body) for one endpoint: MLflow-shaped with bad values, or any JSON."""
    route = draw(st.sampled_from(sorted(ROUTES)))
    shaped: dict[str, Any]
    if route == "models":
        shaped = {
            "registered_models": [
                {
                    "name": draw(names),
                    "tags": draw(
                        st.lists(
                            st.fixed_dictionaries(
                                {
                                    "key": st.sampled_from(["risk_tier", "owner", "title"]) | names,
                                    "value": json_values(),
                                }
                            ),
                            max_size=3,
                        )
                        | json_values()
                    ),
                    "aliases": draw(json_values()),
                    "creation_timestamp": draw(stamps),
                    "description": draw(json_values()),
                }
            ],
            "next_page_token": draw(st.none() | st.text(max_size=4)),
        }
    elif route == "versions":
        shaped = {
            "model_versions": [
                {
                    "name": draw(st.just("m") | names),
                    "version": draw(numbers),
                    "status": draw(st.sampled_from(["READY", "PENDING_REGISTRATION"]) | names),
                    "run_id": draw(st.just("r1") | json_values()),
                    "creation_timestamp": draw(stamps),
                    "user_id": draw(names),
                    "tags": draw(json_values()),
                    "current_stage": draw(names),
                }
                for _ in range(draw(st.integers(1, 3)))
            ]
        }
    elif route == "run":
        shaped = {
            "run": {
                "info": draw(
                    st.fixed_dictionaries(
                        {
                            "run_id": st.just("r1") | json_values(),
                            "lifecycle_stage": st.sampled_from(["active", "deleted"])
                            | json_values(),
                            "artifact_uri": st.just("mlflow-artifacts:/1/r1/artifacts")
                            | json_values(),
                        }
                    )
                    | json_values()
                ),
                "data": draw(json_values()),
                "inputs": draw(json_values()),
            }
        }
    elif route == "uri":
        shaped = {"artifact_uri": draw(json_values() | with_bad_char())}
    else:
        shaped = {"files": draw(st.lists(json_values(), max_size=3) | json_values())}
    kind = draw(st.sampled_from(["shaped", "shaped", "shaped", "json", "bytes"]))
    if kind == "json":
        return route, json.dumps(draw(json_values())).encode()
    if kind == "bytes":
        return route, draw(st.binary(max_size=64))
    return route, json.dumps(shaped).encode()


def _serve(fake, route: str, body: bytes) -> None:
    fake.routes = healthy_routes()
    fake.routes[ROUTES[route]] = lambda q, h: (200, {"Content-Type": "application/json"}, body)


@SETTINGS
@given(answer=answers())
def test_the_client_returns_data_or_raises_its_own_error(fake, answer) -> None:
    route, body = answer
    _serve(fake, route, body)
    client = MlflowClient(fake.url, retry=FAST, env={}, limits=LIMITS)
    calls = {
        "models": lambda: list(client.registered_models()),
        "versions": lambda: list(client.model_versions("m")),
        "run": lambda: client.run("r1"),
        "uri": lambda: client.download_uri("m", "1"),
        "listing": lambda: client.list_artifacts("1/models/m-1/artifacts", what="m v1"),
    }
    try:
        calls[route]()
    except MlflowError as exc:
        assert str(exc)


@SETTINGS
@given(answer=answers())
def test_the_import_raises_its_own_error_and_changes_nothing_or_completes(
    fake, registry, answer
) -> None:
    route, body = answer
    _serve(fake, route, body)
    before = registry_state(registry)
    client = MlflowClient(fake.url, retry=FAST, env={}, limits=LIMITS)
    try:
        report = import_mlflow(registry, fake.url, client=client)
    except SignoffError as exc:
        assert str(exc)
        assert registry_state(registry) == before
        return
    assert all(isinstance(line, str) for line in report.lines())
    with registry.read() as session:  # each version stored is whole: what its event lists
        for version in session.scalars(select(Version)):
            payload = session.scalar(
                select(AuditEvent.payload).where(
                    AuditEvent.version_id == version.id, AuditEvent.action == "version.imported"
                )
            )
            assert payload is not None
            stored = session.scalar(
                select(func.count())
                .select_from(Component)
                .where(Component.version_id == version.id)
            )
            assert stored == len(json.loads(payload)["components"])
