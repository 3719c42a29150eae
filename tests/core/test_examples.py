"""The shipped example folder, examples/credit-risk: publishable as is, and honest.

Its reference outputs really come from its predict, its model really comes from its train.py,
it rejects bad records cleanly, and regenerating it from the demo code gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import nbformat
import pytest

from signoff.cli import main
from signoff.core.audit.chain import verify_chain
from signoff.core.catalog import lookup
from signoff.core.publishing.publisher import publish
from signoff.demo.folder import load_predict

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "credit-risk"

RUN_PREDICT = """\
import json, sys
sys.path.insert(0, sys.argv[1])
from score import predict
records = [json.loads(line) for line in open(sys.argv[2])]
print(json.dumps(predict(records)))
"""


def _jsonl(path: Path) -> list:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def example_predict():
    return load_predict(EXAMPLE, "_test_example_credit_risk_score")


def test_example_publishes_as_is_and_every_component_round_trips(registry) -> None:
    published = publish(registry, EXAMPLE)
    assert str(published) == "credit-risk v1"
    with registry.read() as s:
        version = lookup.get_version(s, "credit-risk", 1)
        assert version.author == "alice" and version.state == "draft"
        assert version.entry_point == "score.py:predict"
        stored = {c.path: c for c in version.components if c.stored}
        assert set(stored) == {
            "score.py",
            "model.joblib",
            "requirements.txt",
            "RELEASE_NOTES.md",
            "analysis.ipynb",
            "data/train.csv",
            "data/validation.csv",
            "train.py",
            "config.json",
            "README.md",
            "tests/reference_inputs.jsonl",
            "tests/reference_outputs.jsonl",
        }
        for path, component in stored.items():
            original = (EXAMPLE / path).read_bytes()
            assert component.sha256 == hashlib.sha256(original).hexdigest(), path
            assert registry.store.read_bytes(component.sha256, path) == original, path
        external = [c for c in version.components if not c.stored]
        assert [c.uri for c in external] == ["s3://signoff-demo-lake/credit/extract-105.parquet"]
        assert len(external[0].sha256) == 64
        roles = {c.role for c in version.components}
        assert {
            "entry_point",
            "model_object",
            "environment",
            "release_notes",
            "notebook",
            "reference_inputs",
            "reference_outputs",
        } <= roles
        metrics = {m.name: m.value for m in version.metrics}
        assert set(metrics) == {"auc", "accuracy", "brier"} and 0.75 < metrics["auc"] < 1
        model = lookup.get_model(s, "credit-risk")
        assert model.risk_tier == "high" and model.business_unit == "Retail Credit"
        assert model.monitoring_rules["metric"] == "auc"
        assert model.monitoring_rules["baseline"] == metrics["auc"]
        assert verify_chain(s).intact


def test_signoff_publish_command_on_the_example(home: Path, capsys) -> None:
    assert main(["--home", str(home), "publish", str(EXAMPLE)]) == 0
    assert capsys.readouterr().out.strip() == "credit-risk v1"
    assert main(["--home", str(home), "publish", str(EXAMPLE)]) == 2
    assert "already has exactly this content" in capsys.readouterr().err


def test_reference_outputs_are_what_predict_gives_in_a_fresh_process(tmp_path: Path) -> None:
    inputs = EXAMPLE / "tests" / "reference_inputs.jsonl"
    done = subprocess.run(
        [sys.executable, "-B", "-c", RUN_PREDICT, str(EXAMPLE), str(inputs)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=True,
    )
    outputs = json.loads(done.stdout)
    expected = _jsonl(EXAMPLE / "tests" / "reference_outputs.jsonl")
    assert len(outputs) == len(expected) == len(_jsonl(inputs)) == 200
    assert outputs == expected
    for out in outputs:
        assert set(out) == {"score", "label"}
        assert 0.0 <= out["score"] <= 1.0
        assert out["label"] == ("default" if out["score"] >= 0.35 else "repay")
    assert {o["label"] for o in outputs} == {"default", "repay"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"age": None}, "field 'age' must be a number"),
        ({"income": "52000"}, "field 'income' must be a number"),
        ({"credit_lines": True}, "field 'credit_lines' must be a number"),
        ({"debt_ratio": float("nan")}, "field 'debt_ratio' must be finite"),
        ({"debt_ratio": float("inf")}, "field 'debt_ratio' must be finite"),
        ({"age": 17}, r"field 'age' = 17.0 is outside the declared range \[18, 100\]"),
        ({"income": -1}, "outside the declared range"),
        ({"employment": "astronaut"}, "field 'employment' = 'astronaut' is not one of"),
        ({"employment": 3}, "field 'employment' must be text"),
    ],
)
def test_invalid_records_are_refused_with_a_clear_value_error(
    example_predict, change, message
) -> None:
    good = _jsonl(EXAMPLE / "tests" / "reference_inputs.jsonl")[:3]
    bad = dict(good[1], **change)
    with pytest.raises(ValueError, match=message) as err:
        example_predict([good[0], bad, good[2]])
    assert "record 1" in str(err.value)


def test_missing_field_and_non_record_inputs_are_refused(example_predict) -> None:
    record = _jsonl(EXAMPLE / "tests" / "reference_inputs.jsonl")[0]
    del record["months_at_address"]
    with pytest.raises(ValueError, match="record 0: missing field 'months_at_address'"):
        example_predict([record])
    with pytest.raises(ValueError, match="expected an object"):
        example_predict(["not a record"])
    with pytest.raises(ValueError, match="expects a list of records"):
        example_predict({"age": 40})
    assert example_predict([]) == []


def test_boundary_values_score_validly_and_extra_fields_are_ignored(example_predict) -> None:
    config = json.loads((EXAMPLE / "config.json").read_text())
    for pick in ("min", "max"):
        record = {
            f["name"]: (f[pick] if f["type"] == "number" else f["values"][-1])
            for f in config["features"]
        }
        record["customer_id"] = "C-1"
        (out,) = example_predict([record])
        assert math.isfinite(out["score"]) and 0.0 <= out["score"] <= 1.0


def test_requirements_pin_exactly_what_is_installed() -> None:
    pins = dict(
        line.split("==")
        for line in (EXAMPLE / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert {"scikit-learn", "numpy", "joblib"} <= set(pins)
    for name, version in pins.items():
        assert metadata.version(name) == version, name


def test_notebook_has_really_executed_outputs() -> None:
    nb = nbformat.read(EXAMPLE / "analysis.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    outputs = [o for c in code for o in c.outputs]
    streams = "".join(o.text for o in outputs if o.output_type == "stream")
    assert "2400 training rows, 800 validation rows" in streams
    metrics = {m["name"]: m["value"] for m in _toml_metrics()}
    assert f"validation AUC {metrics['auc']:.4f}" in streams
    html = [o.data["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("<th>feature</th>" in h and "<td>debt_ratio</td>" in h for h in html)
    pngs = [o.data["image/png"] for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 2
    import base64

    assert all(base64.b64decode(p).startswith(b"\x89PNG") for p in pngs)


def _toml_metrics() -> list[dict]:
    import tomllib

    return tomllib.loads((EXAMPLE / "signoff.toml").read_text())["metrics"]


def test_train_py_reproduces_the_shipped_model_object(tmp_path: Path) -> None:
    copy = tmp_path / "credit-risk"
    shutil.copytree(EXAMPLE, copy)
    (copy / "model.joblib").unlink()
    subprocess.run(
        [sys.executable, "-B", "train.py"], cwd=copy, capture_output=True, timeout=300, check=True
    )
    assert (copy / "model.joblib").read_bytes() == (EXAMPLE / "model.joblib").read_bytes()
    assert json.loads((copy / "metrics.json").read_text()) == {
        m["name"]: m["value"] for m in _toml_metrics()
    }


def test_regenerating_the_example_gives_identical_files(tmp_path: Path) -> None:
    from signoff.demo.example import write_example

    fresh = write_example(tmp_path / "credit-risk")
    shipped = sorted(p.relative_to(EXAMPLE) for p in EXAMPLE.rglob("*") if p.is_file())
    assert sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()) == shipped
    for rel in shipped:
        assert (fresh / rel).read_bytes() == (EXAMPLE / rel).read_bytes(), rel


@pytest.mark.slow
def test_example_passes_the_real_deployment_checks(registry) -> None:
    """The scoring contract as the runner sees it: reference outputs reproduce in a
    subprocess, generated extreme/missing values get valid answers or declared rejections,
    and the captured environment resolves."""
    from signoff.core.governance.checks import run_checks
    from signoff.core.governance.people import save_person

    published = publish(registry, EXAMPLE)
    with registry.write() as s:  # the checks are recorded by a validator, never the author
        save_person(s, "vera", actor="vera", roles=["validator"])
    results = run_checks(
        registry,
        published.version_id,
        checks=("reference_outputs", "robustness", "environment"),
        actor="vera",
    )
    assert [(r.check, r.passed) for r in results] == [
        ("reference_outputs", True),
        ("robustness", True),
        ("environment", True),
    ], [r.summary for r in results]
    assert "declared rejections" in results[1].summary
