"""The demo registry: complete, deterministic, consistent, and built safely.

One demo is built per session (the ``demo_home`` fixture); the determinism test builds a
second one and compares.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import nbformat
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sqlalchemy import func, select

from signoff.cli import main
from signoff.core.audit import events
from signoff.core.audit.chain import canonical_json, verify_chain
from signoff.core.catalog import lookup
from signoff.core.db.registry import open_registry
from signoff.core.db.schema import (
    STATES,
    AuditEvent,
    Component,
    Consumer,
    Decision,
    Deployment,
    Execution,
    Model,
    Outcome,
    Prediction,
    User,
    Version,
)
from signoff.demo import MARKER, DemoError, build_demo, ensure_demo, is_complete
from signoff.demo.catalog import MODELS

RUN_JOBS = """\
import importlib.util, json, sys
jobs = json.load(open(sys.argv[1]))
results = []
for i, job in enumerate(jobs):
    spec = importlib.util.spec_from_file_location(f"score_{i}", job["folder"] + "/score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results.append(module.predict(job["records"]))
print(json.dumps(results))
"""


@pytest.fixture
def demo(demo_home: Path):
    reg = open_registry(home=demo_home)
    yield reg
    reg.close()


def test_every_model_has_live_and_latest_version_in_ls_json(demo_home: Path, capsys) -> None:
    assert main(["--home", str(demo_home), "ls", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == {m.name for m in MODELS}
    for spec in MODELS:
        row = rows[spec.name]
        live = next(v.number for v in spec.versions if v.fate == "live")
        assert row["live_version"] == live, spec.name
        assert row["latest_version"] == len(spec.versions), spec.name
        assert row["latest_state"] == spec.versions[-1].fate, spec.name
        assert row["business_unit"] == spec.business_unit and row["risk_tier"] == spec.risk_tier
    assert len({r["business_unit"] for r in rows.values()}) == 5
    assert {r["risk_tier"] for r in rows.values()} == {"high", "medium", "low"}


def test_versions_are_in_every_lifecycle_state(demo) -> None:
    with demo.read() as s:
        states = Counter(s.scalars(select(Version.state)))
        assert set(states) == set(STATES)
        for spec in MODELS:
            got = {v.number: v.state for v in lookup.get_model(s, spec.name).versions}
            assert got == {v.number: v.fate for v in spec.versions}, spec.name
            assert 2 <= len(got) <= 5


def test_versions_differ_for_real_and_carry_every_component(demo) -> None:
    with demo.read() as s:
        versions = list(s.scalars(select(Version)))
        assert len({v.manifest_hash for v in versions}) == len(versions)
        for version in versions:
            kinds = {c.kind for c in version.components}
            assert kinds == {
                "script",
                "model_object",
                "environment",
                "documentation",
                "data",
                "configuration",
                "tests",
            }, version.label
            assert {m.name for m in version.metrics} in (
                {"auc", "accuracy", "brier"},
                {"rmse", "mae", "r2"},
            )
        for spec in MODELS:
            configs = []
            for version in lookup.get_model(s, spec.name).versions:
                config = next(c for c in version.components if c.path == "config.json")
                configs.append(json.loads(demo.store.read_bytes(config.sha256)))
            assert len(
                {json.dumps([c["features"], c["algorithm"], c["hyperparameters"]]) for c in configs}
            ) == len(configs), spec.name


def test_notebooks_are_executed_with_text_tables_and_figures(demo) -> None:
    with demo.read() as s:
        notebooks = list(s.scalars(select(Component).where(Component.role == "notebook")))
        assert len(notebooks) == sum(len(m.versions) for m in MODELS)
        for component in notebooks[:4]:
            nb = nbformat.reads(demo.store.read_bytes(component.sha256).decode(), as_version=4)
            nbformat.validate(nb)
            outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
            assert any(o.output_type == "stream" and "training rows" in o.text for o in outputs)
            assert any("<table>" in o.get("data", {}).get("text/html", "") for o in outputs)
            assert sum("image/png" in o.get("data", {}) for o in outputs) == 2


def test_people_consumers_and_the_do_not_use_flag(demo) -> None:
    with demo.read() as s:
        roles = {u.login: {r.role for r in u.roles} for u in s.scalars(select(User))}
        assert roles["alice"] == {"author"} and roles["bob"] == {"validator"}
        assert "business_owner" in roles["carol"] and roles["dave"] == {"release_manager"}
        assert "auditor" in roles["erin"] and roles["frank"] == {"admin"}
        churn = lookup.get_model(s, "customer-churn")
        pinned = s.scalar(select(Consumer).where(Consumer.name == "retention-campaigns"))
        assert pinned.pinned_version.number == 2 and pinned.pinned_version.state == "do_not_use"
        flagged = set(s.scalars(select(Model.name).where(Model.flag_dnu_consumed.is_(True))))
        assert flagged == {"customer-churn"} and churn.flag_dnu_consumed
        consumers = list(s.scalars(select(Consumer)))
        assert any(c.pinned_version_id is None for c in consumers)
        hooks = {c.webhook_url for c in consumers}
        assert None in hooks and any(h and h.startswith("http://127.0.0.1:") for h in hooks)
        dnu = lookup.get_version(s, "customer-churn", 2)
        reason = s.scalar(
            select(Decision.comment).where(
                Decision.version_id == dnu.id, Decision.action == "do_not_use"
            )
        )
        assert "leakage" in reason


def test_the_demo_writes_the_same_event_names_as_the_core(demo) -> None:
    known = {v for k, v in vars(events).items() if k.isupper() and isinstance(v, str)}
    with demo.read() as s:
        people = dict(
            s.execute(
                select(AuditEvent.entity_id, AuditEvent.action).where(
                    AuditEvent.entity_type == "person"
                )
            ).all()
        )
        actions = Counter(s.scalars(select(AuditEvent.action)))
        consumers = s.scalar(select(func.count(Consumer.id)))
    assert people["frank"] == events.PERSON_CREATED and len(people) == 7
    assert actions[events.CONSUMER_ADDED] == consumers > 0
    unknown = {
        a
        for a in actions
        if a not in known
        and not events.is_decision(a)
        and not a.startswith(events.FINDING_PREFIX)
        and not a.endswith("_ingested")
    }
    assert unknown == set()


def test_decisions_are_bound_to_manifests_and_authors_never_sign(demo) -> None:
    with demo.read() as s:
        for version in s.scalars(select(Version)):
            decisions = list(s.scalars(select(Decision).where(Decision.version_id == version.id)))
            if version.state == "draft":
                assert decisions == []
                continue
            assert decisions, version.label
            assert {d.manifest_hash for d in decisions} == {version.manifest_hash}
            signers = {d.actor for d in decisions if d.action != "submit"}
            assert version.author not in signers, version.label
        review = lookup.get_model(s, "credit-risk")
        assert review.flag_open_review and review.review_waiting_since == datetime(2026, 10, 22)
        fraud_v2 = lookup.get_version(s, "card-fraud", 2)
        gates = [
            (d.action, d.gate, d.role, d.actor)
            for d in s.scalars(
                select(Decision).where(Decision.version_id == fraud_v2.id).order_by(Decision.at)
            )
        ]
        assert gates == [
            ("submit", "", "", "grace"),
            ("approve", "production_use", "validator", "bob"),
            ("approve", "production_use", "business_owner", "carol"),
            ("approve", "go_live", "release_manager", "dave"),
            ("go_live", "", "", "dave"),
        ]


def test_ready_and_live_versions_carry_passing_check_evidence(demo) -> None:
    from signoff.core.db.schema import Evidence, OutboxMessage
    from signoff.core.governance.policy import current_policy

    with demo.read() as s:
        for version in s.scalars(select(Version)):
            rows = list(s.scalars(select(Evidence).where(Evidence.version_id == version.id)))
            reached_ready = version.state in ("ready", "live", "superseded", "retired") or (
                version.state == "do_not_use"
            )
            if not reached_ready:
                assert rows == [], version.label
                continue
            required = current_policy(s, version.model.risk_tier).checks
            assert sorted(r.check for r in rows) == sorted(required), version.label
            assert all(r.passed and r.manifest_hash == version.manifest_hash for r in rows)
        robust = s.scalar(select(Evidence).where(Evidence.check == "robustness"))
        assert "declared rejections" in robust.summary and robust.details["rejected"] > 0
        events = Counter(s.scalars(select(OutboxMessage.event)))
        assert events["went_live"] >= 11 and events["do_not_use"] == 2


def test_deployment_history_matches_who_made_each_prediction(demo) -> None:
    with demo.read() as s:
        assert lookup.live_version_at(s, "credit-risk", datetime(2025, 6, 1)).number == 1
        assert lookup.live_version_at(s, "credit-risk", datetime(2026, 6, 1)).number == 2
        assert lookup.live_version_at(s, "credit-risk", datetime(2026, 9, 1)).number == 3
        assert lookup.live_version_at(s, "card-fraud", datetime(2024, 12, 1)) is None
        rows = s.execute(
            select(Model.name, Version.number, Prediction.predicted_at)
            .join(Version, Version.id == Prediction.version_id)
            .join(Model, Model.id == Version.model_id)
        ).all()
        for name, number, at in rows[::50]:
            assert lookup.live_version_at(s, name, at).number == number
        assert {(n, v) for n, v, _ in rows if n == "credit-risk"} == {
            ("credit-risk", 2),
            ("credit-risk", 3),
        }
        periods = s.scalar(select(func.count(Deployment.id)))
        assert periods == sum(1 for m in MODELS for v in m.versions if "live" in v.events)


def test_recorded_history_is_consistent(demo) -> None:
    with demo.read() as s:
        n_pred = s.scalar(select(func.count(Prediction.id)))
        n_out = s.scalar(select(func.count(Outcome.id)))
        assert 2000 <= n_pred <= 6000 and 0.6 * n_pred <= n_out < n_pred
        failed = s.scalar(select(func.count()).where(Execution.status == "failed"))
        assert failed == 2
        for p in s.scalars(select(Prediction).limit(300)):
            assert (
                p.input_sha256
                == hashlib.sha256(canonical_json(p.input_record).encode()).hexdigest()
            )
            assert p.score == p.output.get("score", p.output.get("prediction"))
            execution = s.get(Execution, p.execution_id)
            assert execution.version_id == p.version_id and execution.status == "succeeded"
        last = s.scalar(select(func.max(Prediction.predicted_at)))
        first = s.scalar(select(func.min(Prediction.predicted_at)))
        assert timedelta(days=170) < last - first < timedelta(days=182)


def _auc_by_period(s, model: str, split: datetime) -> tuple[float, float]:
    rows = s.execute(
        select(Prediction.predicted_at, Prediction.score, Outcome.actual)
        .join(Outcome, Outcome.subject_key == Prediction.subject_key)
        .join(Version, Version.id == Prediction.version_id)
        .join(Model, Model.id == Version.model_id)
        .where(Model.name == model)
    ).all()
    before = [(sc, a) for t, sc, a in rows if t < split]
    after = [(sc, a) for t, sc, a in rows if t >= split]
    auc = [roc_auc_score([a for _, a in part], [sc for sc, _ in part]) for part in (before, after)]
    return auc[0], auc[1]


def test_card_fraud_really_drifts_and_only_it_is_stale(demo) -> None:
    with demo.read() as s:
        baseline = next(
            m.value for m in lookup.get_version(s, "card-fraud", 2).metrics if m.name == "auc"
        )
        before, after = _auc_by_period(s, "card-fraud", datetime(2026, 9, 1))
        assert before > baseline - 0.05
        assert after < baseline - 0.2
        steady_before, steady_after = _auc_by_period(s, "credit-risk", datetime(2026, 8, 3))
        assert min(steady_before, steady_after) > 0.75
        stale = {m.name: m.stale_reason for m in s.scalars(select(Model)) if m.flag_stale}
        assert list(stale) == ["card-fraud", "demand-forecast"]
        assert "AUC was below baseline" in stale["card-fraud"]
        assert stale["demand-forecast"].startswith("revalidation: demand-forecast v2")


def test_recorded_predictions_reproduce_from_stored_artifacts(demo, tmp_path: Path) -> None:
    from signoff.core.reproduction.datalocations import configured_locations
    from signoff.core.reproduction.inputs import RecordReader

    lake = RecordReader(configured_locations(demo))  # August on: recorded by reference
    jobs, expected = [], []
    with demo.read() as s:
        for spec in MODELS:
            model = lookup.get_model(s, spec.name)
            sample = list(
                s.scalars(
                    select(Prediction)
                    .join(Version, Version.id == Prediction.version_id)
                    .where(Version.model_id == model.id)
                    .order_by(Prediction.id)
                    .limit(400)
                )
            )[::80]
            version = s.get(Version, sample[-1].version_id)
            sample = [p for p in sample if p.version_id == version.id]
            folder = tmp_path / spec.name
            for c in version.components:
                if c.stored:
                    demo.store.materialize(c.sha256, folder / c.path, c.name)
            records = [p.input_record or lake.read(p.input_ref)[0] for p in sample]
            jobs.append({"folder": str(folder), "records": records})
            expected.append([p.output for p in sample])
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    done = subprocess.run(
        [sys.executable, "-B", "-c", RUN_JOBS, str(tmp_path / "jobs.json")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=True,
    )
    assert json.loads(done.stdout) == expected


def test_audit_chain_verifies(demo) -> None:
    with demo.read() as s:
        report = verify_chain(s)
        assert report.intact, report.describe()
        assert report.events > 100


def test_ensure_demo_twice_does_not_rebuild(demo_home: Path, tmp_path: Path, monkeypatch) -> None:
    import shutil

    home = tmp_path / "demo"
    shutil.copytree(demo_home, home, ignore=shutil.ignore_patterns("sources"))
    marker = (home / MARKER).read_bytes()
    inode = os.stat(home / "registry.db").st_ino

    def must_not_build(*args, **kwargs):
        raise AssertionError("ensure_demo rebuilt a complete demo")

    monkeypatch.setattr("signoff.demo.build.build_into", must_not_build)
    ensure_demo(home)
    ensure_demo(home)
    assert (home / MARKER).read_bytes() == marker
    assert os.stat(home / "registry.db").st_ino == inode
    assert build_demo(home) == json.loads(marker)["summary"]


def test_interrupted_build_leaves_no_half_demo(
    demo_home: Path, tmp_path: Path, monkeypatch
) -> None:
    import shutil

    from signoff.demo import build as build_module

    home = tmp_path / "demo"
    shutil.copytree(demo_home, home, ignore=shutil.ignore_patterns("sources"))
    before = (home / "registry.db").read_bytes()
    real_publish = build_module.publish
    calls = []

    def dies_on_second_publish(*args, **kwargs):
        # the first version is really trained and published into the staging registry
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_publish(*args, **kwargs)

    monkeypatch.setattr(build_module, "publish", dies_on_second_publish)
    with pytest.raises(KeyboardInterrupt):
        build_demo(home, force=True)
    assert is_complete(home)
    assert (home / "registry.db").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]  # no staging left behind

    fresh = tmp_path / "fresh"
    calls.clear()
    with pytest.raises(KeyboardInterrupt):
        ensure_demo(fresh)
    assert not fresh.exists() and not is_complete(fresh)


def test_a_folder_with_other_files_is_never_replaced(tmp_path: Path) -> None:
    home = tmp_path / "mine"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    with pytest.raises(DemoError, match="thesis.tex.*refusing to replace it"):
        build_demo(home, force=True)
    assert (home / "thesis.tex").read_text() == "years of work"
    with pytest.raises(DemoError):
        ensure_demo(home)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


@pytest.mark.slow
def test_two_builds_are_identical(demo, tmp_path: Path) -> None:
    other_home = tmp_path / "again"
    build_demo(other_home)
    other = open_registry(home=other_home)

    def content(reg) -> tuple:
        with reg.read() as s:
            hashes = s.execute(
                select(Model.name, Version.number, Version.manifest_hash, Version.state)
                .join(Model, Model.id == Version.model_id)
                .order_by(Model.name, Version.number)
            ).all()
            predictions = s.execute(
                select(
                    Prediction.subject_key,
                    Prediction.predicted_at,
                    Prediction.input_sha256,
                    Prediction.output,
                ).order_by(Prediction.subject_key)
            ).all()
            outcomes = s.execute(
                select(Outcome.subject_key, Outcome.actual).order_by(Outcome.subject_key)
            ).all()
        return (
            [tuple(r) for r in hashes],
            [tuple(r) for r in predictions],
            [tuple(r) for r in outcomes],
        )

    try:
        first, second = content(demo), content(other)
    finally:
        other.close()
    assert first[0] == second[0]
    assert len(first[1]) > 2000 and first[1] == second[1]
    assert first[2] == second[2]
    assert np.isclose(len(first[2]) / len(first[1]), len(second[2]) / len(second[1]))


def test_signoff_demo_command(demo_home: Path, tmp_path: Path, capsys) -> None:
    import shutil

    home = tmp_path / "demo"
    shutil.copytree(demo_home, home, ignore=shutil.ignore_patterns("sources"))
    assert main(["--home", str(home), "demo"]) == 0
    out = capsys.readouterr().out
    assert f"demo registry in {home}: 5 models, 18 versions" in out
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.md").write_text("keep me")
    assert main(["--home", str(mine), "demo"]) == 2
    assert "refusing to replace it" in capsys.readouterr().err
    assert (mine / "notes.md").read_text() == "keep me"


def test_demo_registry_fixture_is_a_private_writable_copy(demo_registry, demo_home: Path) -> None:
    from signoff.core.publishing.publisher import publish

    example = Path(__file__).resolve().parents[2] / "examples" / "credit-risk"
    assert demo_registry.actor == "alice"
    assert str(publish(demo_registry, example)) == "credit-risk v5"
    original = open_registry(home=demo_home)
    try:
        with original.read() as s:
            assert lookup.get_model(s, "credit-risk").latest_version == 4
    finally:
        original.close()


def test_the_factory_loop_who_moved_and_the_alerts_raised(demo) -> None:
    from signoff.core.notifications import alerts as al
    from signoff.core.notifications.usage import migration_rows

    with demo.read() as s:
        rows = {r.consumer: r for r in migration_rows(s, "customer-churn")}
        assert rows["call-centre-desktop"].status == "moved"
        assert rows["call-centre-desktop"].acknowledged_via == "admin"
        assert rows["retention-campaigns"].status == "still pinned"
        assert not rows["retention-campaigns"].acknowledged
        using = rows["churn-dashboard"]
        assert (using.status, using.last_used_version) == ("still using", 2)
        assert all(r.replacement == 3 for r in rows.values())
        churn = lookup.get_model(s, "customer-churn")
        assert churn.flag_dnu_used and churn.flag_dnu_consumed
        fraud = lookup.get_model(s, "card-fraud")
        stale = [
            a
            for a in al.alerts_for(s, fraud.owner)
            if a.kind == "stale" and a.model == "card-fraud"
        ]
        assert [a.title for a in stale] == ["card-fraud is stale"]
        assert "AUC was below baseline" in stale[0].body
        used = [a for a in al.alerts_for(s, churn.owner) if a.kind == "do_not_use_used"]
        assert len(used) == 1 and "churn-dashboard" in used[0].title


def test_the_demo_shows_model_risk_management(demo) -> None:
    from signoff.core.audit.verify import verify_registry
    from signoff.core.catalog.findings_view import list_findings
    from signoff.core.catalog.revalidation import revalidations
    from signoff.core.governance.attestations import period_progress
    from signoff.demo.catalog import ANCHOR

    with demo.read() as s:
        credit = list_findings(s, model="credit-risk")
        assert [(f.version, f.severity, f.status) for f in credit] == [
            (4, "medium", "open"),
            (4, "low", "remediation_proposed"),
        ]
        (limitation,) = list_findings(s, model="card-fraud")
        assert (
            limitation.status == "accepted" and "manual review" in limitation.compensating_controls
        )
        overdue = [r.model for r in revalidations(s, ANCHOR) if r.status == "overdue"]
        assert overdue == ["demand-forecast"]
        progress = period_progress(s, "2026-Q4")
        done = sum(u.attested + u.corrected for u in progress.units)
        assert (done, progress.total) == (2, 5)
        assert verify_registry(s).records == []


def test_the_acknowledgement_is_dated_in_the_story_after_the_notice(demo) -> None:
    """call-centre-desktop acknowledged customer-churn v2's notice by phone the day after it,
    not on the day the demo happened to be built."""
    from signoff.core.db.schema import ConsumerAck

    with demo.read() as s:
        v2 = lookup.get_version(s, "customer-churn", 2)
        notice = s.scalar(
            select(func.max(Decision.at)).where(
                Decision.version_id == v2.id, Decision.action == "do_not_use"
            )
        )
        acks = s.execute(
            select(Consumer.name, ConsumerAck.at, ConsumerAck.via)
            .join(Consumer, Consumer.id == ConsumerAck.consumer_id)
            .where(ConsumerAck.version_id == v2.id)
        ).all()
    assert [(name, via) for name, _at, via in acks] == [("call-centre-desktop", "admin")]
    assert notice < acks[0].at < notice + timedelta(days=7)
