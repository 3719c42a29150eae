"""What MLflow holds but Signoff refuses or maps, against the fake server: each refusal has its
reason in the report, each mapping a note in the report and the audit trail, and a model that
fails leaves nothing behind (no model row, no audit event, no blob)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from signoff.cli import main
from signoff.core.db.schema import AuditEvent, Component, Model, Version
from signoff.core.importers.mlflow.client import (
    HostileAnswerError,
    MlflowClient,
    MlflowError,
    RetryPolicy,
)
from signoff.core.importers.mlflow.importer import import_mlflow
from tests.helpers.fake_mlflow import API, ART, Answer, FakeServer, js

FAST = RetryPolicy(attempts=2, backoff_s=0.01, connect_timeout_s=2, read_timeout_s=5)


def run_import(registry, fake: FakeServer, **kwargs: Any):
    client = MlflowClient(fake.url, retry=FAST, env={})
    return import_mlflow(registry, fake.url, client=client, **kwargs)


def models_served(fake: FakeServer, models: list[dict[str, Any]]) -> None:
    fake.routes[f"{API}/registered-models/search"] = lambda q, h: js({"registered_models": models})


def versions_served(fake: FakeServer, by_model: dict[str, list[dict[str, Any]]]) -> None:
    def search(q, h) -> Answer:
        name = q["filter"][0].split("'")[1]
        return js({"model_versions": by_model.get(name, [])})

    fake.routes[f"{API}/model-versions/search"] = search


def ready(name: str, number: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "version": number, "status": "READY", **extra}


def test_names_that_break_the_rule_are_skipped_with_the_reason(fake, registry):
    bad = ["credit@2", "../escape", "nul\x00name", "Credit Risk", "bob\u202eevil", "x" * 101]
    models_served(fake, [{"name": n} for n in bad] + [{"name": "fine-model"}])
    versions_served(fake, {})
    report = run_import(registry, fake)
    assert report.models_created == ["fine-model"]
    text = "\n".join(report.skipped)
    assert "'credit@2': not imported: a model name must be 1-100 lower-case" in text
    assert "'../escape': not imported" in text
    assert "contains a control character (U+0000" in text
    assert "contains a bidirectional formatting character (U+202E" in text
    assert "--rename 'Credit Risk=credit-risk'" in text
    with registry.read() as session:
        assert list(session.scalars(select(Model.name))) == ["fine-model"]


def test_an_explicit_rename_imports_a_model_under_a_signoff_name(fake, registry):
    models_served(fake, [{"name": "Credit Risk"}])
    versions_served(fake, {"Credit Risk": [ready("Credit Risk", "1", run_id="r1")]})
    fake.routes[f"{API}/model-versions/get-download-uri"] = lambda q, h: js(
        {"artifact_uri": "mlflow-artifacts:/1/models/m-1/artifacts"}
        if q["name"] == ["Credit Risk"]
        else {}
    )
    report = run_import(registry, fake, rename={"Credit Risk": "credit-risk"})
    assert report.versions_imported == ["credit-risk v1"]
    with registry.read() as session:
        version = session.scalars(select(Version)).one()
        assert version.manifest["mlflow"]["name"] == "Credit Risk"  # where it came from
    # a second import finds it again under its Signoff name, and adds nothing
    again = run_import(registry, fake, rename={"Credit Risk": "credit-risk"})
    assert again.versions_imported == [] and again.versions_unchanged == 1


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("\u00b2", "'\\\\xb2'"),  # superscript two: str.isdigit() says yes
        ("\u0661\u0662", "'\\\\u0661\\\\u0662'"),  # Arabic-Indic twelve
        ("0", "'0'"),
        ("03", "'03'"),
        ("-1", "'-1'"),
        ("1" * 5000, "characters"),
        (True, "True"),
    ],
)
def test_version_numbers_that_are_not_positive_ascii_integers_are_skipped(
    fake, registry, number, shown
):
    versions_served(fake, {"m": [ready("m", number, run_id="r1"), ready("m", "1", run_id="r1")]})
    report = run_import(registry, fake)
    assert report.versions_imported == ["m v1"]
    (line,) = [s for s in report.skipped if "a version number must be" in s]
    assert line.startswith("m: MLflow version ") and shown.replace("\\\\", "\\") in line


def test_a_version_listed_twice_is_refused_with_the_reason(fake, registry):
    versions_served(
        fake, {"m": [ready("m", "1", run_id="r1"), ready("m", 1, run_id="r1"), ready("m", "2")]}
    )
    fake.routes[f"{API}/model-versions/get-download-uri"] = lambda q, h: js(
        {"artifact_uri": "mlflow-artifacts:/1/models/m-1/artifacts"}
    )
    report = run_import(registry, fake)
    assert report.versions_imported == ["m v2"]
    assert any(
        s.startswith("m v1: not imported: the server lists version 1 2 times")
        for s in report.skipped
    )


def test_text_with_control_characters_skips_the_version_naming_the_field(fake, registry):
    versions_served(
        fake,
        {
            "m": [
                ready("m", "1", run_id="r1", user_id="bob\u202e\x00"),
                ready("m", "2", run_id="r1", description="ok\r\nmultiline\tfine"),
            ]
        },
    )
    fake.routes[f"{API}/model-versions/get-download-uri"] = lambda q, h: js(
        {"artifact_uri": "mlflow-artifacts:/1/models/m-1/artifacts"}
    )
    report = run_import(registry, fake)
    assert report.versions_imported == ["m v2"]
    assert any(s.startswith("m v1: not imported: its author contains") for s in report.skipped)


@pytest.mark.parametrize(
    ("tag", "tier", "note"),
    [
        ("HIGH", "high", "the risk_tier tag 'HIGH' was read as 'high'"),
        (" Low ", "low", "the risk_tier tag ' Low ' was read as 'low'"),
        ("critical", "medium", "the risk_tier tag 'critical' is not a Signoff risk tier"),
    ],
)
def test_risk_tiers_are_read_without_case_and_every_change_is_noted(
    fake, registry, tag, tier, note
):
    models_served(fake, [{"name": "m", "tags": [{"key": "risk_tier", "value": tag}]}])
    report = run_import(registry, fake)
    assert any(note in line for line in report.notes)
    with registry.read() as session:
        assert session.scalar(select(Model.risk_tier)) == tier
        (payload,) = session.scalars(
            select(AuditEvent.payload).where(AuditEvent.action == "model.import_notes")
        ).all()
        assert any(note in n for n in json.loads(payload)["notes"])
    # the same MLflow values again: reported again, but audited only once
    again = run_import(registry, fake)
    assert any(note in line for line in again.notes)
    with registry.read() as session:
        events = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "model.import_notes")
        ).all()
        assert len(events) == 1


def test_an_import_never_changes_the_tier_of_a_model_signoff_has(fake, registry):
    models_served(fake, [{"name": "m", "tags": [{"key": "risk_tier", "value": "high"}]}])
    run_import(registry, fake)
    models_served(fake, [{"name": "m", "tags": [{"key": "risk_tier", "value": "low"}]}])
    report = run_import(registry, fake)
    assert any("says 'low' but Signoff has 'high'" in line for line in report.notes)
    with registry.read() as session:
        assert session.scalar(select(Model.risk_tier)) == "high"


@pytest.mark.parametrize("stamp", [10**20, "9" * 400, -5, 1e300])
def test_huge_or_negative_timestamps_use_the_import_time_and_say_so(fake, registry, stamp):
    versions_served(fake, {"m": [ready("m", "1", run_id="r1", creation_timestamp=stamp)]})
    report = run_import(registry, fake)
    assert report.versions_imported == ["m v1"]
    assert any("creation time" in n and "import time is used" in n for n in report.notes)
    with registry.read() as session:
        created = session.scalar(select(Version.created_at))
        assert 2000 < created.year < 9999
        payload = json.loads(
            session.scalar(
                select(AuditEvent.payload).where(AuditEvent.action == "version.imported")
            )
        )
        assert any("creation time" in n for n in payload["notes"])


def test_deeply_nested_json_is_refused_without_a_traceback(fake, registry):
    deep = b'{"run": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    fake.routes[f"{API}/runs/get"] = lambda q, h: (200, {"Content-Type": "application/json"}, deep)
    with pytest.raises(HostileAnswerError, match="nested too deeply|nested more than"):
        run_import(registry, fake)
    moderately = {"run": {"info": {"run_id": "r1"}, "data": {"tags": [{"key": "k", "value": ""}]}}}
    node: dict[str, Any] = moderately
    for _ in range(100):
        node["x"] = {}
        node = node["x"]
    fake.routes[f"{API}/runs/get"] = lambda q, h: js(moderately)
    with pytest.raises(HostileAnswerError, match="nested more than 64 deep"):
        run_import(registry, fake)
    with registry.read() as session:
        assert session.scalar(select(func.count()).select_from(Version)) == 0


def test_text_that_is_not_unicode_is_refused(fake, registry):
    fake.routes[f"{API}/runs/get"] = lambda q, h: (
        200,
        {"Content-Type": "application/json"},
        b'{"run": {"info": {"run_id": "r1"}, '
        b'"data": {"params": [{"key": "k", "value": "\\ud800"}]}}}',
    )
    with pytest.raises(HostileAnswerError, match="unpaired surrogate"):
        run_import(registry, fake)


def test_a_deleted_run_is_imported_and_flagged(fake, registry, home, capsys):
    fake.routes[f"{API}/runs/get"] = lambda q, h: js(
        {
            "run": {
                "info": {
                    "run_id": "r1",
                    "lifecycle_stage": "deleted",
                    "artifact_uri": "mlflow-artifacts:/1/r1/artifacts",
                },
                "data": {"metrics": [], "params": [{"key": "lr", "value": "0.1"}]},
            }
        }
    )
    report = run_import(registry, fake)
    assert any("its MLflow run r1 is deleted" in n for n in report.notes)
    assert main(["--home", str(home), "show", "m@1", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["source"]["run_deleted"] is True and shown["source"]["run_id"] == "r1"
    assert main(["--home", str(home), "show", "m@1"]) == 0
    out = capsys.readouterr().out
    assert "run r1  DELETED in MLflow" in out and "params.json" in out


def test_show_json_has_the_source_registrys_aliases_tags_stage_and_description(
    fake, registry, home, capsys
):
    models_served(fake, [{"name": "m", "aliases": [{"alias": "challenger", "version": "1"}]}])
    versions_served(
        fake,
        {
            "m": [
                ready(
                    "m",
                    "1",
                    run_id="r1",
                    current_stage="Staging",
                    description="first cut",
                    tags=[{"key": "team", "value": "risk"}],
                )
            ]
        },
    )
    run_import(registry, fake)
    assert main(["--home", str(home), "show", "m@1", "--json"]) == 0
    source = json.loads(capsys.readouterr().out)["source"]
    assert source["aliases"] == ["challenger"] and source["tags"] == {"team": "risk"}
    assert source["stage"] == "Staging" and source["description"] == "first cut"


def test_a_model_that_fails_leaves_no_shell_and_no_event(fake, registry):
    models_served(fake, [{"name": "good"}, {"name": "bad"}])
    versions_served(
        fake, {"good": [ready("good", "1", run_id="r1")], "bad": [ready("bad", "1", run_id="r1")]}
    )

    def download_uri(q, h) -> Answer:
        if q["name"] == ["bad"]:
            return js({"artifact_uri": "mlflow-artifacts://evil.example/x"})
        return js({"artifact_uri": "mlflow-artifacts:/1/models/m-1/artifacts"})

    fake.routes[f"{API}/model-versions/get-download-uri"] = download_uri
    with pytest.raises(HostileAnswerError, match="another host") as err:
        run_import(registry, fake)
    assert "kept what was complete before it: 1 version(s) imported; model(s) good" in str(
        err.value
    )
    with registry.read() as session:
        assert list(session.scalars(select(Model.name))) == ["good"]
        entities = set(session.scalars(select(AuditEvent.entity_id)))
        assert not any(e.startswith("bad") for e in entities)
        assert session.scalar(select(func.count()).select_from(Component)) >= 1


def test_a_model_whose_second_version_fails_keeps_nothing_of_it(fake, registry):
    versions_served(fake, {"m": [ready("m", "1", run_id="r1"), ready("m", "2", run_id="r2")]})

    def run(q, h) -> Answer:
        if q["run_id"] == ["r2"]:
            return js({"run": {"info": {"run_id": "r2"}, "data": {"metrics": "not a list"}}})
        return js({"run": {"info": {"run_id": "r1"}, "data": {"metrics": []}}})

    fake.routes[f"{API}/runs/get"] = run
    with pytest.raises(HostileAnswerError, match="metrics are not a list"):
        run_import(registry, fake)
    with registry.read() as session:
        assert session.scalar(select(func.count()).select_from(Model)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    root = registry.store.root
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]


def test_an_artifact_over_the_size_limit_is_recorded_not_copied(fake, registry):
    report = run_import(registry, fake, max_artifact_bytes=3)  # model.pkl declares 5 bytes
    assert report.versions_imported == ["m v1"]
    assert any(
        "model/model.pkl is 5 bytes" in n and "Recorded, not copied" in n for n in report.notes
    )
    assert f"{ART}/1/models/m-1/artifacts/model.pkl" not in [p for p, _ in fake.requests]
    with registry.read() as session:
        (component,) = session.scalars(
            select(Component).where(Component.uri.like("mlflow-artifacts:%"))
        ).all()
        assert not component.stored and component.size == 5 and component.sha256 is None


def test_an_artifact_of_unknown_size_that_runs_past_the_limit_is_refused(fake, registry):
    fake.routes[ART] = lambda q, h: js(
        {"files": [{"path": "model.pkl", "is_dir": False}]}  # no file_size
        if q["path"][0] == "1/models/m-1/artifacts"
        else {}
    )
    with pytest.raises(
        MlflowError, match="larger than 3 bytes .at least 5., the limit for a stored component"
    ):
        run_import(registry, fake, max_artifact_bytes=3)
    with registry.read() as session:
        assert session.scalar(select(func.count()).select_from(Model)) == 0


def test_show_prints_every_component_of_an_imported_version(fake, registry, home, capsys):
    # a stored artifact, the run's parameters (no path, no URI) and a dataset (a URI only)
    fake.routes[f"{API}/runs/get"] = lambda q, h: js(
        {
            "run": {
                "info": {"run_id": "r1", "artifact_uri": "mlflow-artifacts:/1/r1/artifacts"},
                "data": {"metrics": [], "params": [{"key": "lr", "value": "0.1"}]},
                "inputs": {
                    "dataset_inputs": [
                        {
                            "dataset": {
                                "name": "train",
                                "digest": "abc",
                                "source": json.dumps({"uri": "s3://lake/train.parquet"}),
                            },
                            "tags": [{"key": "mlflow.data.context", "value": "training"}],
                        }
                    ]
                },
            }
        }
    )
    run_import(registry, fake)
    assert main(["--home", str(home), "show", "m@1", "--json"]) == 0
    components = json.loads(capsys.readouterr().out)["components"]
    assert sorted(c["kind"] for c in components) == ["configuration", "data", "model_object"]
    assert main(["--home", str(home), "show", "m@1"]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    listed = captured.out.split("\ncomponents:\n", 1)[1].splitlines()
    for component in components:
        where = component["path"] or component["uri"] or component["name"]
        assert any(line.split()[0] == component["kind"] and where in line for line in listed), (
            component,
            listed,
        )
    assert any("s3://lake/train.parquet" in line and "external" in line for line in listed)
