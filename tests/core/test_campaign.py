"""Audit campaigns: a reproducible sample re-run in parallel, exceptions found and explained,
everything recorded in the trail, one report."""

from __future__ import annotations

import json
import os
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from signoff.core.artifacts.store import sha256_bytes
from signoff.core.audit.chain import verify_chain
from signoff.core.common.errors import NotFoundError, SignoffError
from signoff.core.db.registry import open_registry
from signoff.core.db.schema import AuditCampaign, AuditEvent, CampaignItem, Component, Version
from signoff.core.reproduction.batch import BatchItem
from signoff.core.reproduction.campaign import run_campaign
from signoff.core.reproduction.campaign_plan import plan_batches, worker_count
from signoff.core.reproduction.campaigns import (
    CANCELLED,
    FINISHED,
    campaign_items,
    get_campaign,
    list_campaigns,
)
from signoff.core.reproduction.sampling import SampleCriteria, draw_sample, natural_key, rank
from signoff.core.reproduction.verify_report import verify_report_file
from tests.helpers.campaigns import (
    AUGUST,
    build_campaign_registry,
    model_of,
    plant_altered_lake_record,
    plant_difference,
    prediction_row,
)

CRITERIA = SampleCriteria(AUGUST, AUGUST + timedelta(days=31), 120, "audit-2026-08")


@pytest.fixture
def month(registry, tmp_path):
    """Three models, 60 predictions each in August, half recorded by reference."""
    return build_campaign_registry(registry, tmp_path, per_model=60)


def _draw(registry, criteria=CRITERIA) -> list[int]:  # noqa: ANN001
    with registry.read() as session:
        return draw_sample(session, criteria.validated()).ids


def test_a_campaign_finds_the_planted_difference_and_hash_mismatch(registry, month, tmp_path):
    drawn = _draw(registry)
    assert len(drawn) == 120 and len({model_of(registry, p) for p in drawn}) == 3
    stored = next(p for p in drawn if prediction_row(registry, p).input_record is not None)
    by_ref = next(
        p
        for p in drawn
        if prediction_row(registry, p).input_record is None
        and model_of(registry, p) != model_of(registry, stored)
    )
    plant_difference(registry, stored)
    ref = prediction_row(registry, by_ref).input_ref
    plant_altered_lake_record(
        month.lake / model_of(registry, by_ref) / "august.jsonl", int(ref.rsplit("#", 1)[1])
    )
    seen: list[tuple[int, int]] = []
    outcome = run_campaign(registry, CRITERIA, progress=lambda d, t, _m: seen.append((d, t)))

    assert outcome.status == FINISHED and outcome.exit_code == 1 and outcome.drawn == 120
    assert outcome.counts == {"reproduced": 118, "differs": 1, "could not run": 1}
    assert seen[-1] == (120, 120) and all(t == 120 for _d, t in seen)
    with registry.read() as session:
        campaign = get_campaign(session, outcome.campaign_id)
        items = campaign_items(session, outcome.campaign_id)
    assert [i.prediction_id for i in items] == drawn  # recorded in sample order
    exceptions = {i.prediction_id: i for i in items if i.is_exception}
    assert set(exceptions) == {stored, by_ref}
    assert exceptions[stored].verdict == "differs"
    assert exceptions[stored].reason.startswith("output.label: recorded 'decline', reproduced")
    mismatch = exceptions[by_ref]
    assert mismatch.verdict == "could not run" and "input hash mismatch" in mismatch.reason
    assert prediction_row(registry, by_ref).input_sha256 in mismatch.reason
    assert mismatch.findings[0].startswith("the reproduction could not run: input hash mismatch")

    # the campaign row: criteria, hashes and heads; the tally by model and version
    assert (campaign.seed, campaign.requested, campaign.population) == ("audit-2026-08", 120, 180)
    assert campaign.head_start[0] < campaign.started_event < campaign.finished_event
    assert campaign.head_end[0] == campaign.finished_event - 1
    assert 1 <= campaign.workers <= (os.cpu_count() or 1)
    by_version = {(i.model, i.version) for i in items}
    assert len(by_version) == 6  # three models, two versions each, all in the sample

    # the trail: the sample named at the start, one event per prediction, the end, the report
    with registry.read() as session:
        assert verify_chain(session).intact
        events = {
            e.seq: (e.action, json.loads(e.payload))
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.seq > campaign.head_start[0])
            )
        }
    started = events[campaign.started_event][1]
    assert started["sample"] == drawn and started["seed"] == "audit-2026-08"
    assert started["sample_sha256"] == campaign.sample_sha256
    assert events[mismatch.event_seq] == ("prediction.reproduced", events[mismatch.event_seq][1])
    assert events[mismatch.event_seq][1]["campaign"] == campaign.id
    finished = events[campaign.finished_event][1]
    assert finished["counts"] == outcome.counts and len(finished["exceptions"]) == 2
    action, report = events[campaign.report_event]
    assert action == "report.stored" and report["kind"] == "campaign report"
    assert report["pdf_sha256"] == sha256_bytes(outcome.pdf) == campaign.report_pdf_sha256

    # the report says it all
    page = outcome.html
    assert "118 of the 120 drawn predictions (98.3%) reproduced exactly" in page
    assert "audit-2026-08" in page and campaign.sample_sha256 in page
    assert "hash ranking" in page and f"#{campaign.head_start[0]} {campaign.head_start[1]}" in page
    assert "input hash mismatch" in page and "output.label: recorded" in page
    assert f"#{mismatch.event_seq}" in page and "<script" not in page
    assert outcome.pdf.startswith(b"%PDF-")
    assert registry.store.read_bytes(campaign.report_pdf_sha256) == outcome.pdf


def test_the_same_seed_draws_the_same_sample(registry, month, tmp_path):
    first, again = _draw(registry), _draw(registry)
    assert first == again
    other = _draw(registry, SampleCriteria(CRITERIA.start, CRITERIA.end, 120, "another"))
    assert other != first
    # in a copy of the registry, ids aside, the same natural keys are drawn
    copy = tmp_path / "copy"
    shutil.copytree(registry.location.artifacts.parent, copy)
    elsewhere = open_registry(home=copy)
    try:
        with elsewhere.read() as s, registry.read() as t:
            a = draw_sample(s, CRITERIA.validated())
            b = draw_sample(t, CRITERIA.validated())
        assert (a.ids, a.sample_sha256, a.population_sha256) == (
            b.ids,
            b.sample_sha256,
            b.population_sha256,
        )
    finally:
        elsewhere.close()
    # the rank is the documented hash of the natural key: anyone can re-draw it
    with registry.read() as session:
        sample = draw_sample(session, CRITERIA.validated())
    p = prediction_row(registry, sample.ids[0])
    key = natural_key(
        model_of(registry, p.id), 1 if p.predicted_at.day < 16 else 2, p.subject_key, p.predicted_at
    )
    assert rank("audit-2026-08", key) == min(
        rank("audit-2026-08", natural_key(model_of(registry, i), v, s, t))
        for i, v, s, t in _keys(registry)
    )
    # two campaigns with the same seed re-run the same predictions
    one = run_campaign(registry, SampleCriteria(CRITERIA.start, CRITERIA.end, 10, "x"))
    two = run_campaign(registry, SampleCriteria(CRITERIA.start, CRITERIA.end, 10, "x"))
    with registry.read() as session:
        ids = [
            [i.prediction_id for i in campaign_items(session, c.campaign_id)] for c in (one, two)
        ]
        shas = {get_campaign(session, c.campaign_id).sample_sha256 for c in (one, two)}
    assert ids[0] == ids[1] and len(shas) == 1


def _keys(registry) -> list[tuple[int, int, str, object]]:  # noqa: ANN001
    from signoff.core.db.schema import Model, Prediction

    with registry.read() as session:
        return list(
            session.execute(
                select(
                    Prediction.id, Version.number, Prediction.subject_key, Prediction.predicted_at
                )
                .join(Version, Version.id == Prediction.version_id)
                .join(Model, Model.id == Version.model_id)
            ).all()
        )


def test_scope_by_model_or_tier_and_a_sample_larger_than_the_population(registry, month):
    with registry.read() as session:
        one = draw_sample(
            session,
            SampleCriteria(
                AUGUST, AUGUST + timedelta(days=31), 500, "s", model="limit-b"
            ).validated(),
        )
        high = draw_sample(
            session,
            SampleCriteria(AUGUST, AUGUST + timedelta(days=31), 500, "s", tier="high").validated(),
        )
        week = draw_sample(
            session, SampleCriteria(AUGUST, AUGUST + timedelta(days=7), 500, "s").validated()
        )
    assert len(one.ids) == one.population == 60
    assert {model_of(registry, i) for i in one.ids} == {"limit-b"}
    assert len(high.ids) == 120 and {model_of(registry, i) for i in high.ids} == {
        "limit-a",
        "limit-b",
    }
    assert all(
        prediction_row(registry, i).predicted_at < AUGUST + timedelta(days=7) for i in week.ids
    )


def test_a_tampered_artifact_refuses_its_version_and_only_its_version(registry, month):
    with registry.read() as session:
        version = session.scalars(select(Version).order_by(Version.id)).first()
        score_sha = session.scalars(
            select(Component.sha256).where(
                Component.version_id == version.id, Component.path == "model.pkl"
            )
        ).one()
        target = (version.id, version.model.name, version.number)
    blob = registry.store.path_for(score_sha)
    os.chmod(blob, 0o644)
    blob.write_bytes(b"not the pickle that was published")
    outcome = run_campaign(registry, SampleCriteria(AUGUST, AUGUST + timedelta(days=31), 60, "t"))
    with registry.read() as session:
        items = campaign_items(session, outcome.campaign_id)
        refused = session.scalar(
            select(func.count()).where(
                AuditEvent.action == "run.refused", AuditEvent.version_id == target[0]
            )
        )
    bad = [i for i in items if (i.model, i.version) == target[1:]]
    assert bad and all(i.verdict == "could not run" for i in bad)
    assert all(i.reason == "hash mismatch (model.pkl)" for i in bad)
    assert any("does not have the sha256 recorded at publish" in f for f in bad[0].findings)
    assert all(i.verdict == "reproduced" for i in items if (i.model, i.version) != target[1:])
    assert refused >= 1


def test_cancelling_stops_the_campaign_and_records_what_was_done(registry, month):
    calls = {"n": 0}

    def cancel_after_the_first_batch() -> bool:
        return calls["n"] >= 1

    def progress(done: int, total: int, _message: str) -> None:
        calls["n"] += 1

    outcome = run_campaign(
        registry,
        CRITERIA,
        workers=1,
        progress=progress,
        cancelled=cancel_after_the_first_batch,
    )
    assert outcome.status == CANCELLED and outcome.exit_code == 2
    with registry.read() as session:
        campaign = get_campaign(session, outcome.campaign_id)
    assert 0 < campaign.reproduced < 120 and campaign.not_run == 120 - campaign.reproduced
    assert "The campaign was cancelled after" in outcome.html
    assert campaign.report_pdf_sha256 == sha256_bytes(outcome.pdf)


def test_criteria_no_sample_can_be_drawn_by_store_nothing(registry, month):
    window = (AUGUST, AUGUST + timedelta(days=31))
    for criteria, message in (
        (SampleCriteria(window[1], window[0], 10), "before it starts"),
        (SampleCriteria(*window, 0), "between 1 and"),
        (SampleCriteria(*window, 10, model="limit-a", tier="high"), "not both"),
        (SampleCriteria(*window, 10, tier="extreme"), "unknown risk tier"),
        (
            SampleCriteria(AUGUST - timedelta(days=60), AUGUST - timedelta(days=30), 10),
            "there is nothing to sample",
        ),
    ):
        with pytest.raises(SignoffError, match=message):
            run_campaign(registry, criteria)
    with pytest.raises(NotFoundError, match="no model called 'nope'"):
        run_campaign(registry, SampleCriteria(*window, 10, model="nope"))
    with registry.read() as session:
        assert session.scalar(select(func.count(AuditCampaign.id))) == 0
        assert list_campaigns(session) == []


def test_work_is_bounded_by_the_cores_and_a_model_loads_once_per_batch():
    cores = os.cpu_count() or 1
    assert worker_count(64, 100) == cores and worker_count(None, 1) == 1
    items = {
        v: [BatchItem(v * 1000 + i, i, "s", AUGUST, "m", v, {}, "", "", {}, v) for i in range(n)]
        for v, n in ((1, 100), (2, 5), (3, 900))
    }
    batches = plan_batches(items, 2)
    assert [len(chunk) for _v, chunk in batches] == [400, 400, 100, 100, 5]
    assert all(len({i.version for i in chunk}) == 1 for _v, chunk in batches)
    assert [len(c) for _v, c in plan_batches({1: items[1]}, 4)] == [25, 25, 25, 25]
    assert [len(c) for _v, c in plan_batches({2: items[2]}, 4)] == [5]


def test_a_stored_report_is_verified_later_and_tampering_is_named(registry, month, tmp_path):
    outcome = run_campaign(registry, SampleCriteria(AUGUST, AUGUST + timedelta(days=31), 20, "v"))
    pdf, html = tmp_path / "campaign.pdf", tmp_path / "campaign.html"
    pdf.write_bytes(outcome.pdf)
    html.write_text(outcome.html)
    for path, rendering in ((pdf, "pdf"), (html, "html")):
        check = verify_report_file(registry, path)
        assert check.genuine and check.rendering == rendering, check.describe()
        assert check.event_seq == outcome.report.audit_seq
        assert f"recorded by audit event #{outcome.report.audit_seq}" in check.describe()
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(outcome.pdf.replace(b"Signoff", b"Signof!", 1))
    assert not verify_report_file(registry, altered).genuine
    with registry.write() as session:
        session.execute(
            update(AuditCampaign)
            .where(AuditCampaign.id == outcome.campaign_id)
            .values(report_pdf_sha256="0" * 64)
        )
    check = verify_report_file(registry, pdf)
    assert not check.genuine and "names another report" in check.problems[0]
    with pytest.raises(SignoffError, match="does not exist"):
        verify_report_file(registry, tmp_path / "none.pdf")
    with registry.read() as session:
        assert session.scalar(select(func.count(CampaignItem.id))) == 20
