"""Browsing queries: model page, version overview, comparison, dashboard, CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from signoff.core.catalog import compare, dashboard, model_page, version_page
from signoff.core.catalog.component_ref import ComponentRef
from signoff.core.catalog.inventory import InventoryQuery
from signoff.core.common.errors import HashMismatchError, NotFoundError
from signoff.core.db import schema
from tests.helpers.browse import add_bulk_models, build_browse_registry


@pytest.fixture
def reg(registry, tmp_path: Path):
    build_browse_registry(registry, tmp_path)
    return registry


def test_model_page(reg) -> None:
    with reg.read() as s:
        page = model_page.model_page(s, "credit-risk")
    assert page.title == "Credit risk scorecard"
    assert page.risk_tier == "high"
    assert [v.number for v in page.versions] == [3, 2, 1]
    assert [v.state for v in page.versions] == ["in_review", "live", "superseded"]
    assert page.versions[0].metrics == {"auc": 0.84}
    assert page.live == {"production": 2}
    assert [(d.version, d.live_from, d.live_to) for d in page.deployments] == [
        (1, datetime(2026, 1, 10, 9), datetime(2026, 3, 1, 9)),
        (2, datetime(2026, 3, 1, 9), None),
    ]
    assert [c.name for c in page.consumers] == ["loan-origination"]
    assert "open review" in page.flags


def test_live_on_a_date(reg) -> None:
    with reg.read() as s:
        assert model_page.live_on(s, "credit-risk", datetime(2026, 1, 9)) is None
        assert model_page.live_on(s, "credit-risk", datetime(2026, 1, 10)) == 1
        assert model_page.live_on(s, "credit-risk", datetime(2026, 2, 28)) == 1
        # v2 went live at 09:00 on 1 March: by the end of that day it is v2
        assert model_page.live_on(s, "credit-risk", datetime(2026, 3, 1)) == 2
        assert model_page.live_on(s, "credit-risk", datetime(2027, 1, 1)) == 2
        with pytest.raises(NotFoundError):
            model_page.live_on(s, "no-such-model", datetime(2026, 3, 1))


def test_version_overview_lists_every_dimension_in_order(reg) -> None:
    with reg.read() as s:
        ov = version_page.version_overview(s, "credit-risk", 2)
    kinds = [c.kind for c in ov.components]
    assert kinds == sorted(kinds, key=schema.COMPONENT_KINDS.index)
    assert set(kinds) == set(schema.COMPONENT_KINDS)
    assert ov.numbers == [1, 2, 3]
    assert len(ov.manifest_hash) == 64
    external = [c for c in ov.components if not c.stored]
    assert [c.location for c in external] == ["s3://bucket/bureau/2026-10.parquet"]


def test_component_content_text_binary_and_external(reg) -> None:
    with reg.read() as s:
        ov = version_page.version_overview(s, "credit-risk", 1)
    score = next(c for c in ov.components if c.path == "score.py")
    content = version_page.component_content(reg, score)
    assert content.language == "python" and "def predict" in content.text
    external = next(c for c in ov.components if not c.stored)
    assert "s3://bucket" in version_page.component_content(reg, external).description
    sha, size, _ = reg.store.put_bytes(b"\x80\x04\x95" + bytes(range(256)))
    blob = ComponentRef("model_object", "model", "model.pkl", None, sha, size, True, "")
    described = version_page.component_content(reg, blob)
    assert described.text is None and "pickle" in described.description


def test_component_content_names_a_tampered_blob(reg) -> None:
    with reg.read() as s:
        ov = version_page.version_overview(s, "credit-risk", 1)
    config = next(c for c in ov.components if c.path == "config.json")
    path = reg.store.path_for(config.sha256)
    path.chmod(0o644)
    path.write_text('{"threshold": 0.1}\n')
    with pytest.raises(HashMismatchError, match="config.json"):
        version_page.component_content(reg, config)


def test_compare_marks_same_changed_added(reg) -> None:
    with reg.read() as s:
        cmp = compare.compare_versions(s, "credit-risk", [1, 2])
    status = {(d.kind, d.name): d.status for d in cmp.dimensions}
    assert status[("model_object", "model.json")] == "changed"
    assert status[("configuration", "config.json")] == "changed"
    assert status[("script", "features")] == "added"
    assert status[("script", "score.py")] == "same"
    assert status[("data", "training set")] == "same"
    [auc] = cmp.metrics
    assert auc.values == [0.80, 0.83] and auc.delta(1) == pytest.approx(0.03)


def test_compare_removed_and_three_way(reg) -> None:
    with reg.read() as s:
        cmp = compare.compare_versions(s, "credit-risk", [2, 1, 3])
    row = next(d for d in cmp.dimensions if d.name == "features")
    assert row.status == "removed"
    assert row.cells[1] is None and row.cells[2].status == "same"
    assert cmp.numbers == [2, 1, 3]


def test_compare_refuses_bad_selections(reg) -> None:
    with reg.read() as s:
        with pytest.raises(ValueError, match="at least two"):
            compare.compare_versions(s, "credit-risk", [2, 2])
        with pytest.raises(NotFoundError, match="v9"):
            compare.compare_versions(s, "credit-risk", [1, 9])


def test_text_diff_inputs(reg) -> None:
    with reg.read() as s:
        cmp = compare.compare_versions(s, "credit-risk", [1, 2])
    row = next(d for d in cmp.dimensions if d.name == "config.json")
    left, right, diff = compare.text_diff_inputs(reg, row, 0, 1)
    assert left == '{"threshold": 0.5}\n' and right == '{"threshold": 0.55}\n'
    assert '-{"threshold": 0.5}' in diff and '+{"threshold": 0.55}' in diff
    added = next(d for d in cmp.dimensions if d.name == "features")
    left, right, _ = compare.text_diff_inputs(reg, added, 0, 1)
    assert left is None and "def features" in right


def test_dashboard_counts(reg) -> None:
    add_bulk_models(reg, 30)
    with reg.read() as s:
        board = dashboard.dashboard(s, waiting_days=14, now=datetime(2026, 11, 1))
    assert board.total == 33
    assert board.by_tier["high"] == 2 + 10
    assert board.by_state["in_review"] == 1 + 8
    assert [w.model for w in board.waiting_reviews] == ["credit-risk"]
    assert board.waiting_reviews[0].version == 3 and board.waiting_reviews[0].days == 30
    assert board.stale == 3
    assert board.live == 1


def test_export_csv_follows_the_query_across_pages(reg) -> None:
    add_bulk_models(reg, 250)
    out = io.StringIO()
    query = InventoryQuery(search="bulk", risk_tiers=["high"], sort="name", descending=True)
    with reg.read() as s:
        written = dashboard.export_inventory_csv(s, query, out, page=40)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert written == len(rows) == 84
    assert rows[0]["name"] == "bulk-0249" and rows[-1]["name"] == "bulk-0000"
    assert {r["risk_tier"] for r in rows} == {"high"}


def test_inventory_csv_file_is_written_whole_or_not_at_all(reg, tmp_path: Path) -> None:
    target = tmp_path / "exports" / "inventory.csv"
    target.parent.mkdir()
    target.write_text("an earlier export\n", encoding="utf-8")
    with reg.read() as s:
        written = dashboard.write_inventory_csv(s, InventoryQuery(sort="name"), target)
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert written == len(rows) > 0 and rows[0]["name"] == sorted(r["name"] for r in rows)[0]
    assert [p.name for p in target.parent.iterdir()] == ["inventory.csv"]

    target.write_text("an earlier export\n", encoding="utf-8")
    with reg.write() as s:  # the query fails after the header is written: nothing is saved
        s.execute(text("ALTER TABLE models RENAME TO models_elsewhere"))
    with pytest.raises(OperationalError, match="no such table"), reg.read() as s:
        dashboard.write_inventory_csv(s, InventoryQuery(), target)
    assert target.read_text(encoding="utf-8") == "an earlier export\n"
    assert [p.name for p in target.parent.iterdir()] == ["inventory.csv"]


def test_side_by_side_alignment() -> None:
    lines = compare.side_by_side("a\nb\nc\n", "a\nB\nc\nd\n")
    assert [(x.left, x.right, x.tag) for x in lines] == [
        ("a", "a", "equal"),
        ("b", "B", "replace"),
        ("c", "c", "equal"),
        (None, "d", "insert"),
    ]
    assert [(x.left, x.right) for x in compare.side_by_side(None, "x")] == [(None, "x")]


def test_version_header_and_what_to_compare_with(reg) -> None:
    with reg.read() as s:
        h3 = version_page.version_header(s, "credit-risk", 3)
        h2 = version_page.version_header(s, "credit-risk", 2)
        h1 = version_page.version_header(s, "credit-risk", 1)
        with pytest.raises(NotFoundError, match="v7"):
            version_page.version_header(s, "credit-risk", 7)
    assert (h3.state, h3.live, h3.previous, h3.compare_with) == ("in_review", 2, 2, 2)
    assert (h2.state, h2.compare_with) == ("live", 1)  # the live one: compare with previous
    assert h1.compare_with == 2 and h1.model_title == "Credit risk scorecard"


def test_listing_pauses_the_collector_and_restores_it(reg, monkeypatch) -> None:
    import gc

    from signoff.core.catalog.inventory import InventoryQuery, InventoryRow, inventory

    during = []
    original = InventoryRow.__init__

    def spy(self, *args, **kwargs) -> None:  # noqa: ANN001
        during.append(gc.isenabled())
        original(self, *args, **kwargs)

    monkeypatch.setattr(InventoryRow, "__init__", spy)
    with reg.read() as s:
        rows = inventory(s, InventoryQuery(limit=None))
    assert rows and during == [False] * len(rows)  # no collection while rows are built
    assert gc.isenabled()  # and the collector is back afterwards
    gc.disable()
    try:
        with reg.read() as s:
            inventory(s, InventoryQuery(limit=None))
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_inventory_rows_carry_each_column_in_its_own_field(reg) -> None:
    """Listed and single-model rows put every column in the field of that name.

    The flags are set to differing values, so a row built in the wrong column order (one flag
    in another's field, the reason in the owner's) shows up here.
    """
    from dataclasses import asdict

    from sqlalchemy import select

    from signoff.core.catalog.inventory import InventoryQuery, inventory, inventory_row

    with reg.write() as s:
        m = s.scalars(select(schema.Model).where(schema.Model.name == "fraud-alert")).one()
        m.flag_stale, m.stale_reason = True, "no predictions for 40 days"
        m.flag_open_review, m.flag_dnu_consumed = False, True
        m.condition_due, m.last_validated_at = date(2020, 1, 31), datetime(2019, 6, 1, 12, 0)
    with reg.read() as s:
        m = s.scalars(select(schema.Model).where(schema.Model.name == "fraud-alert")).one()
        expected = {
            "id": m.id,
            "name": m.name,
            "title": m.title,
            "owner": m.owner,
            "business_unit": m.business_unit,
            "risk_tier": m.risk_tier,
            "live_version": m.live_version,
            "latest_version": m.latest_version,
            "latest_state": m.latest_state,
            "last_activity_at": m.last_activity_at,
            "stale": True,
            "stale_reason": "no predictions for 40 days",
            "open_review": False,
            "dnu_consumed": True,
            "review_waiting_since": m.review_waiting_since,
            "tags": ["fraud"],
            "dnu_detail": "",  # flagged by hand here: no version is marked, nobody to name
            "dnu_used": False,
            "condition_due": date(2020, 1, 31),
            "last_validated_at": datetime(2019, 6, 1, 12, 0),
            "condition_overdue": True,
            "revalidation_overdue": False,  # nothing of it is live
        }
        single = inventory_row(m)
        (listed,) = inventory(s, InventoryQuery(search="fraud-alert"))
    assert asdict(listed) == expected
    assert single == listed
    assert listed.flag_words == ["stale", "do-not-use still consumed", "condition overdue"]
