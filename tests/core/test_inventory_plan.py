"""A faceted inventory page is the same whichever way SQLite is steered to find it.

A registry of a few thousand models with a common tier, a rare business unit and flags is
built with bulk inserts; every facet page, at several offsets, must equal the models filtered
and sorted by Python. The plan is then checked: a common facet walks the name index, a rare
one keeps its own index, PostgreSQL is left alone, and a page's count is counted once.
"""

from __future__ import annotations

import random
from datetime import datetime

import pytest
from sqlalchemy import event, insert, text

from signoff.core.catalog import inventory as inv
from signoff.core.catalog.inventory import InventoryQuery
from signoff.core.catalog.inventory_plan import page_in_sort_order
from signoff.core.db.schema import Model

MODELS = 3000
RARE = "Model risk office"


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_of_models(request):  # noqa: ANN001, ANN201
    registry = request.getfixturevalue("registry" if request.param == "sqlite" else "pg_registry")
    rng = random.Random(22)
    rows = []
    for i in range(1, MODELS + 1):
        rows.append(
            dict(
                id=i,
                name=f"m-{rng.randrange(10**6):06d}-{i}",
                title=f"model {i}",
                description="",
                owner=f"owner{i % 40}",
                business_unit=RARE if i % 500 == 0 else ("Fraud", "Retail", "Treasury")[i % 3],
                risk_tier=("high", "medium", "low")[i % 3],
                tags=["x"],
                search_text=f"m-{i} model {i}",
                task="classification",
                monitoring_rules={},
                created_at=datetime(2026, 1, 1),
                flag_stale=i % 20 == 0,
                stale_reason="",
                flag_open_review=i % 7 == 0,
                flag_dnu_consumed=False,
                version_count=0,
                latest_state=("draft", "live", "retired")[i % 3],
            )
        )
    with registry.engine.begin() as conn:
        conn.execute(insert(Model), rows)
    return registry, rows


def expected(rows, query: InventoryQuery) -> list[str]:  # noqa: ANN001
    def keep(r) -> bool:  # noqa: ANN001
        flags = {"stale": r["flag_stale"], "open_review": r["flag_open_review"]}
        return (
            (not query.risk_tiers or r["risk_tier"] in query.risk_tiers)
            and (not query.business_units or r["business_unit"] in query.business_units)
            and (not query.states or r["latest_state"] in query.states)
            and (not query.flags or any(flags.get(f) for f in query.flags))
        )

    names = sorted(r["name"] for r in rows if keep(r))
    return names[query.offset : query.offset + query.limit]


FACETS = [
    InventoryQuery(risk_tiers=["high"]),
    InventoryQuery(risk_tiers=["high", "low"]),
    InventoryQuery(business_units=["Fraud"]),
    InventoryQuery(business_units=[RARE]),
    InventoryQuery(states=["live"], risk_tiers=["high"]),
    InventoryQuery(flags=["stale"]),
    InventoryQuery(flags=["stale", "open_review"]),
]


@pytest.mark.parametrize("facet", FACETS, ids=lambda q: repr(q)[:60])
@pytest.mark.parametrize("offset", [0, 100, 950])
def test_every_facet_page_is_the_models_in_name_order(registry_of_models, facet, offset) -> None:  # noqa: ANN001
    registry, rows = registry_of_models
    query = InventoryQuery(**{**facet.__dict__, "offset": offset, "limit": 100})
    with registry.read() as s:
        got = [r.name for r in inv.inventory(s, query)]
        assert got == expected(rows, query)
        assert inv.inventory_count(s, query) == len(
            expected(rows, query.__class__(**{**query.__dict__, "offset": 0, "limit": MODELS}))
        )


def _plan(registry, query: InventoryQuery) -> str:  # noqa: ANN001
    with registry.read() as s:
        in_order = page_in_sort_order(s, query, lambda: inv.inventory_count(s, query))
        stmt = (
            inv._filtered(s, query, facet_indexes=not in_order)
            .with_only_columns(Model.name)
            .order_by(Model.name, Model.id)
            .limit(query.limit)
        )
        compiled = stmt.compile(registry.engine, compile_kwargs={"literal_binds": True})
        plan = s.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    return " ".join(str(row[-1]) for row in plan)


def test_a_common_facet_walks_the_name_index_and_a_rare_one_its_own(registry_of_models) -> None:  # noqa: ANN001
    registry, _ = registry_of_models
    if registry.dialect != "sqlite":
        pytest.skip("SQLite's query plan")
    common = _plan(registry, InventoryQuery(risk_tiers=["high"], limit=100))
    assert "sqlite_autoindex_models_1" in common and "TEMP B-TREE" not in common
    rare = _plan(registry, InventoryQuery(business_units=[RARE], limit=100))
    assert "ix_models_business_unit" in rare
    # a search, the whole listing or an unindexed sort key are the planner's own choice
    with registry.read() as s:
        for q in (
            InventoryQuery(risk_tiers=["high"], search="m-1", limit=100),
            InventoryQuery(risk_tiers=["high"], limit=None),
            InventoryQuery(risk_tiers=["high"], sort="title", limit=100),
        ):
            assert not page_in_sort_order(s, q, lambda: MODELS)


def test_a_page_and_its_count_count_once_per_session(registry_of_models) -> None:  # noqa: ANN001
    registry, _ = registry_of_models
    counts: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if "count(" in statement.lower():
            counts.append(statement)

    event.listen(registry.engine, "before_cursor_execute", seen)
    try:
        query = InventoryQuery(risk_tiers=["high"], limit=100)
        with registry.read() as s:
            inv.inventory(s, query)
            first = inv.inventory_count(s, query)
            inv.inventory(s, InventoryQuery(risk_tiers=["high"], limit=100, offset=100))
            assert inv.inventory_count(s, query) == first == MODELS // 3
        assert len(counts) == 1
        with registry.read() as s:  # a new session reads a new snapshot: counted again
            inv.inventory_count(s, query)
        assert len(counts) == 2
    finally:
        event.remove(registry.engine, "before_cursor_execute", seen)


def test_postgresql_is_left_to_its_planner(registry_of_models) -> None:  # noqa: ANN001
    registry, _ = registry_of_models
    with registry.read() as s:
        chosen = page_in_sort_order(s, InventoryQuery(risk_tiers=["high"]), lambda: MODELS)
        assert chosen is (registry.dialect == "sqlite")


def test_a_count_is_not_kept_past_its_transaction_or_in_a_writing_session(
    registry_of_models,  # noqa: ANN001
) -> None:
    registry, rows = registry_of_models
    query = InventoryQuery(risk_tiers=["high"], limit=100)
    extra = {**rows[2], "id": MODELS + 1, "name": "zz-new-model", "risk_tier": "high"}
    with registry.write() as s:
        before = inv.inventory_count(s, query)
        s.execute(insert(Model), [extra])
        assert inv.inventory_count(s, query) == before + 1  # a writer sees its own rows
    with registry.read() as s:
        assert inv.inventory_count(s, query) == before + 1
        s.commit()  # a new transaction reads a new snapshot
        with registry.write() as w:
            w.execute(text("DELETE FROM models WHERE name = 'zz-new-model'"))
        assert inv.inventory_count(s, query) == before
