"""``signoff import mlflow`` against a fake server that misbehaves, as a person at a terminal
sees it: a server that never stops is given up on with a message and exit 2 (no traceback,
nothing stored); what MLflow holds but Signoff refuses is printed with its reason, exit 0;
options that make no sense are refused before anything is asked of the server."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from signoff.cli import main
from signoff.core.db.schema import Version
from tests.helpers.bad_input import registry_state
from tests.helpers.fake_mlflow import API, ART, Answer, js


def import_cli(home, fake, *options: str) -> list[str]:
    return ["--home", str(home), "import", "mlflow", fake.url, "--retries", "1", *options]


def refused(capsys, argv: list[str]) -> str:
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, (captured.out, captured.err)
    assert captured.err.startswith("signoff: error: ")
    assert "Traceback" not in captured.err + captured.out
    return captured.err


def test_endless_pages_end_at_the_page_cap_with_exit_2(fake, registry, home, capsys):
    def endless(q, h) -> Answer:
        page = int(q.get("page_token", ["0"])[0])
        return js({"registered_models": [], "next_page_token": str(page + 1)})

    fake.routes[f"{API}/registered-models/search"] = endless
    before = registry_state(registry)
    err = refused(capsys, import_cli(home, fake, "--max-pages", "5"))
    assert "kept sending pages past 5" in err
    assert registry_state(registry) == before


def test_the_import_deadline_given_on_the_command_line_holds(fake, registry, home, capsys):
    def slow_endless(q, h) -> Answer:
        time.sleep(0.05)
        page = int(q.get("page_token", ["0"])[0])
        return js({"registered_models": [], "next_page_token": str(page + 1)})

    fake.routes[f"{API}/registered-models/search"] = slow_endless
    before = registry_state(registry)
    started = time.monotonic()
    err = refused(capsys, import_cli(home, fake, "--deadline", "2", "--max-pages", "100000"))
    assert time.monotonic() - started < 2 + 8  # the deadline, and slack for a loaded machine
    assert "the import ran past its deadline of 2 s" in err
    assert registry_state(registry) == before


def test_a_download_that_drips_ends_at_the_request_deadline(fake, registry, home, capsys):
    def drip(q, h) -> Answer:
        def body():
            for byte in b"hello":
                time.sleep(0.8)
                yield bytes([byte])

        return 200, {"Content-Length": "5"}, body()

    fake.routes[f"{ART}/1/models/m-1/artifacts/model.pkl"] = drip
    before = registry_state(registry)
    err = refused(capsys, import_cli(home, fake, "--request-deadline", "1"))
    assert "the server took more than 1 s to send artifact model.pkl" in err
    assert registry_state(registry) == before


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--max-pages", "0"], "--max-pages and --max-depth must be at least 1"),
        (["--rename", "no equals sign"], "--rename"),
        (["--max-artifact-size", "lots"], "lots"),
    ],
)
def test_options_that_make_no_sense_are_refused_before_asking(
    fake, registry, home, capsys, options, words
):
    err = refused(capsys, import_cli(home, fake, *options))
    assert words in err
    assert fake.requests == []


def test_refused_names_numbers_and_metrics_are_printed_with_the_reason(
    fake, registry, home, capsys
):
    fake.routes[f"{API}/registered-models/search"] = lambda q, h: js(
        {"registered_models": [{"name": "m"}, {"name": "credit@2"}]}
    )

    def versions(q, h) -> Answer:
        if "credit@2" in q["filter"][0]:
            return js({})
        return js(
            {
                "model_versions": [
                    {"name": "m", "version": "\u00b2", "status": "READY", "run_id": "r1"},
                    {"name": "m", "version": "1", "status": "READY", "run_id": "r1"},
                ]
            }
        )

    fake.routes[f"{API}/model-versions/search"] = versions
    metrics = [
        {"key": "auc", "value": 0.8},
        {"key": "gini", "value": "Infinity"},  # how MLflow's JSON spells an infinite double
        {"key": "ks", "value": "NaN"},
    ]
    fake.routes[f"{API}/runs/get"] = lambda q, h: js(
        {
            "run": {
                "info": {"run_id": "r1", "artifact_uri": "mlflow-artifacts:/1/r1/artifacts"},
                "data": {"metrics": metrics, "params": []},
            }
        }
    )
    assert main(import_cli(home, fake)) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    out = captured.out
    assert "'credit@2': not imported: a model name must be" in out
    assert "m: MLflow version '\\xb2'" in out and "a version number must be" in out
    assert "metric gini = 'Infinity' is not a finite number" in out
    assert "metric ks = 'NaN' is not a finite number" in out
    with registry.read() as session:
        (version,) = session.scalars(select(Version)).all()
        assert version.number == 1
        assert {(m.name, m.value) for m in version.metrics} == {("auc", 0.8)}


def test_a_bare_infinity_in_the_json_is_not_stored_as_a_metric(fake, registry, home, capsys):
    # Python's own JSON writer spells an infinite float as a bare Infinity token
    fake.routes[f"{API}/runs/get"] = lambda q, h: (
        200,
        {"Content-Type": "application/json"},
        b'{"run": {"info": {"run_id": "r1", "artifact_uri": "mlflow-artifacts:/1/r1/artifacts"},'
        b' "data": {"metrics": [{"key": "auc", "value": Infinity},'
        b' {"key": "ks", "value": -Infinity}, {"key": "gini", "value": NaN}]}}}',
    )
    code = main(import_cli(home, fake))
    captured = capsys.readouterr()
    assert code == 0 and "Traceback" not in captured.err + captured.out
    assert "metric auc = inf is not a finite number" in captured.out
    assert "metric ks = -inf is not a finite number" in captured.out
    assert "metric gini = nan is not a finite number" in captured.out
    with registry.read() as session:
        (version,) = session.scalars(select(Version)).all()
        assert version.metrics == []
