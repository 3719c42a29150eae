"""Deployment checks on real published versions; results land in the evidence table."""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import select

from signoff.core.common.files import sha256_file
from signoff.core.db.schema import AuditEvent, Evidence, Version
from signoff.core.governance.checks import CheckOptions, latest_evidence, run_checks
from signoff.core.publishing.publisher import publish
from signoff.core.runner import Limits
from tests.helpers.runner_models import (
    INPUTS,
    PICKLE_SCORE,
    expected_pickle_outputs,
    write_pickle_model,
    write_sklearn_model,
)

MODEL = {"w": 0.9, "b": 0.05}


@pytest.fixture(autouse=True)
def checker(registry):
    """Deployment checks are recorded by a validator (vera), never by the version's author."""
    from signoff.core.governance.people import save_person

    with registry.write() as s:
        save_person(s, "vera", actor="vera", display_name="Vera Validator", roles=["validator"])
    registry.set_actor_for_embedded("vera")
    return "vera"


def _by_name(results):  # noqa: ANN001, ANN202
    return {r.check: r for r in results}


def test_a_sound_version_passes_every_check_and_evidence_is_stored(registry, tmp_path):
    published = publish(registry, write_pickle_model(tmp_path / "m"))
    results = _by_name(run_checks(registry, published.version_id, actor="vera"))
    assert all(r.passed for r in results.values()), {k: r.summary for k, r in results.items()}
    assert (
        results["reference_outputs"].summary
        == "3 reference record(s) reproduce their validated outputs"
    )
    assert "declared rejections" in results["robustness"].summary
    assert results["robustness"].details["rejected"] > 5  # missing/NaN/text are rejected cleanly
    assert "ms per record" in results["performance"].summary
    with registry.read() as session:
        rows = session.scalars(select(Evidence).order_by(Evidence.id)).all()
        assert [r.check for r in rows] == [
            "reference_outputs",
            "robustness",
            "environment",
            "performance",
        ]
        assert {r.manifest_hash for r in rows} == {published.manifest_hash}
        assert {r.actor for r in rows} == {"vera"}
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "evidence.recorded")
        ).all()
        assert [json.loads(e.payload)["check"] for e in events] == [r.check for r in rows]
        assert set(latest_evidence(session, published.version_id)) == set(results)


def test_reference_outputs_difference_is_shown_and_tolerance_is_configurable(registry, tmp_path):
    outputs = expected_pickle_outputs(MODEL, INPUTS)
    outputs[1] = {**outputs[1], "score": outputs[1]["score"] + 0.05}
    published = publish(registry, write_pickle_model(tmp_path / "m", outputs=outputs))
    result = run_checks(registry, published.version_id, checks=("reference_outputs",))[0]
    assert not result.passed
    assert "record 1 output.score: validated 0.82" in result.summary
    diff = result.details["tests"][0]["differences"][0]
    assert diff["record"] == 1 and diff["reproduced"] == pytest.approx(0.77)

    loose = CheckOptions(tolerance=0.1)
    result = run_checks(
        registry, published.version_id, checks=("reference_outputs",), options=loose
    )[0]
    assert result.passed


def test_labels_are_exact_whatever_the_tolerance(registry, tmp_path):
    outputs = expected_pickle_outputs(MODEL, INPUTS)
    outputs[0] = {**outputs[0], "label": "decline"}
    published = publish(registry, write_pickle_model(tmp_path / "m", outputs=outputs))
    result = run_checks(
        registry,
        published.version_id,
        checks=("reference_outputs",),
        options=CheckOptions(tolerance=1.0),
    )[0]
    assert not result.passed and "output.label" in result.summary


def test_exact_fields_refuse_a_difference_within_tolerance(registry, tmp_path):
    outputs = expected_pickle_outputs(MODEL, INPUTS)
    outputs[2] = {**outputs[2], "score": outputs[2]["score"] + 1e-7}  # manifest tolerance 1e-6
    published = publish(registry, write_pickle_model(tmp_path / "m", outputs=outputs))
    assert run_checks(registry, published.version_id, checks=("reference_outputs",))[0].passed
    strict = CheckOptions(exact_fields=("score",))
    assert not run_checks(
        registry, published.version_id, checks=("reference_outputs",), options=strict
    )[0].passed


FRAGILE = {
    "crash": (
        "def predict(records):\n"
        "    return [{'score': r['debt'] / r['income'] / 2, 'label': 'accept'} "
        "for r in records]\n",
        "crashed with",
    ),
    "nan": (
        "import math\n"
        "def predict(records):\n"
        "    out = []\n"
        "    for r in records:\n"
        "        x = r.get('income')\n"
        "        if not isinstance(x, (int, float)) or x != x:\n"
        "            raise ValueError('income must be a number')\n"
        "        out.append({'score': math.nan if abs(x) > 1e12 else 0.1, 'label': 'accept'})\n"
        "    return out\n",
        "returned nan",
    ),
    "range": (
        "def predict(records):\n"
        "    out = []\n"
        "    for r in records:\n"
        "        if not isinstance(r.get('debt'), (int, float)) or r['debt'] != r['debt']:\n"
        "            raise ValueError('debt must be a number')\n"
        "        out.append({'score': r['debt'] / 10000, 'label': 'accept'})\n"
        "    return out\n",
        "outside [0, 1]",
    ),
}


@pytest.mark.parametrize("kind", sorted(FRAGILE))
def test_robustness_catches_crashes_nan_and_out_of_range(registry, tmp_path, kind):
    code, expected = FRAGILE[kind]
    published = publish(registry, write_pickle_model(tmp_path / "m", score_code=code))
    result = run_checks(registry, published.version_id, checks=("robustness",))[0]
    assert not result.passed
    assert any(expected in f["problem"] for f in result.details["failures"]), result.details


def test_robustness_catches_a_hang(registry, tmp_path):
    code = PICKLE_SCORE.replace(
        '        income, debt = r["income"], r["debt"]\n',
        '        income, debt = r["income"], r["debt"]\n'
        "        while income == 0:\n            pass\n",
    )
    assert code != PICKLE_SCORE
    published = publish(registry, write_pickle_model(tmp_path / "m", score_code=code))
    result = run_checks(
        registry,
        published.version_id,
        checks=("robustness",),
        options=CheckOptions(limits=Limits(time_s=2)),
    )[0]
    assert not result.passed and "time limit" in result.summary
    assert result.summary.endswith("it hung on income zero"), result.summary


def test_environment_differences_fail_the_check(registry, tmp_path):
    folder = write_pickle_model(tmp_path / "m")
    (folder / "requirements.txt").write_text(
        "numpy==0.0.1\nsurely-not-installed-pkg==1.0\n-r other.txt\n"
    )
    published = publish(registry, folder)
    result = run_checks(registry, published.version_id, checks=("environment",))[0]
    assert not result.passed and "3 difference(s)" in result.summary
    problems = {d["package"]: d["problem"] for d in result.details["differences"]}
    assert problems == {
        "numpy": "different version",
        "surely-not-installed-pkg": "missing",
        "-r other.txt": "not checked",
    }


def test_performance_limits_from_options_and_manifest(registry, tmp_path):
    folder = write_pickle_model(tmp_path / "m")
    with open(folder / "signoff.toml", "a") as handle:
        handle.write("\n[monitoring.performance]\nmax_memory_mb = 1\n")
    published = publish(registry, folder)
    result = run_checks(registry, published.version_id, checks=("performance",))[0]
    assert not result.passed and "over 1 MB" in result.summary
    assert result.details["limits"]["max_memory_mb"] == 1.0
    result = run_checks(
        registry,
        published.version_id,
        checks=("performance",),
        options=CheckOptions(max_memory_mb=4096, max_ms_per_record=1e-9),
    )[0]
    assert not result.passed and "ms per record is over" in result.summary


def test_tampered_version_fails_every_check_without_running(registry, tmp_path):
    folder = write_pickle_model(tmp_path / "m")
    published = publish(registry, folder)
    marker = tmp_path / "IMPORTED"
    blob = registry.store.path_for(sha256_file(folder / "score.py"))
    os.chmod(blob, 0o644)
    blob.write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    results = run_checks(registry, published.version_id)
    assert [r.passed for r in results] == [False] * 4
    assert all("hash mismatch" in r.summary for r in results)
    assert not marker.exists()
    with registry.read() as session:
        assert (
            session.scalar(select(AuditEvent.action).where(AuditEvent.action == "run.refused"))
            == "run.refused"
        )


def test_evidence_is_bound_to_the_manifest_it_checked(registry, tmp_path):
    published = publish(registry, write_pickle_model(tmp_path / "m"))
    run_checks(registry, published.version_id, checks=("environment",))
    with registry.write() as session:  # simulate a manifest that no longer matches the evidence
        session.get(Version, published.version_id).manifest_hash = "f" * 64
    with registry.read() as session:
        assert latest_evidence(session, published.version_id) == {}


def test_unknown_check_and_bad_options_are_refused_before_anything_runs(registry, tmp_path):
    published = publish(registry, write_pickle_model(tmp_path / "m"))
    with pytest.raises(ValueError, match="unknown check"):
        run_checks(registry, published.version_id, checks=("vibes",))
    with pytest.raises(ValueError, match="tolerance must be a non-negative number"):
        run_checks(registry, published.version_id, options=CheckOptions(tolerance=-1))
    with pytest.raises(ValueError, match="performance_records must be at least 1"):
        run_checks(registry, published.version_id, options=CheckOptions(performance_records=0))
    with registry.read() as session:
        assert session.scalars(select(Evidence)).all() == []


@pytest.mark.slow
def test_trained_sklearn_model_passes(registry, tmp_path):
    published = publish(registry, write_sklearn_model(tmp_path / "s"))
    results = _by_name(run_checks(registry, published.version_id))
    assert all(r.passed for r in results.values()), {k: r.summary for k, r in results.items()}
    assert results["environment"].summary.startswith("3 pins all satisfied")


def test_passing_checks_move_an_approved_version_to_ready_and_it_can_go_live(registry, tmp_path):
    from signoff.core.catalog.lookup import get_version
    from signoff.core.governance.workflow import run_transition
    from tests.helpers.workflow import add_people

    add_people(registry)
    publish(registry, write_pickle_model(tmp_path / "m", name="credit-limit"), actor="alice")
    for action, who in (("submit", "alice"), ("approve", "val"), ("approve", "biz")):
        run_transition(registry, action, "credit-limit", 1, actor=who)
    with registry.read() as session:
        version_id = get_version(session, "credit-limit", 1).id
    assert run_checks(registry, version_id, checks=("reference_outputs",), actor="rel")[0].passed
    with registry.read() as session:  # robustness and environment are still missing
        assert get_version(session, "credit-limit", 1).state == "approved"

    run_checks(registry, version_id, actor="rel")  # the high tier needs three checks
    with registry.read() as session:
        assert get_version(session, "credit-limit", 1).state == "ready"
        assert (
            session.scalar(select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(1))
            == "version.ready"
        )
    run_transition(registry, "approve", "credit-limit", 1, actor="rel")
    assert run_transition(registry, "go_live", "credit-limit", 1, actor="rel").state_after == "live"
