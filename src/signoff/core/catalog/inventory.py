"""The inventory: every model's summary row, filtered, sorted and paged by the database.

Plain dataclasses come back, so the command line, the GUI's worker threads and tests share
them without holding sessions open.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Label, Select, String, and_, func, or_, select, type_coerce
from sqlalchemy.orm import QueryableAttribute, Session

from signoff.core.catalog.inventory_plan import not_by_index, page_in_sort_order
from signoff.core.db.schema import Model

INVENTORY_SORT_KEYS = {
    "name": Model.name,
    "title": Model.title,
    "owner": Model.owner,
    "business_unit": Model.business_unit,
    "risk_tier": Model.risk_tier,
    "live_version": Model.live_version,
    "latest_version": Model.latest_version,
    "latest_state": Model.latest_state,
    "last_activity_at": Model.last_activity_at,
}
FLAGS = ("stale", "open_review", "dnu_consumed")


@dataclass
class InventoryQuery:
    """What the inventory should show: search text, facets, sort and a page."""

    search: str = ""
    business_units: list[str] = field(default_factory=list)
    risk_tiers: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    sort: str = "name"
    descending: bool = False
    offset: int = 0
    limit: int | None = 200


@dataclass
class InventoryRow:
    id: int
    name: str
    title: str
    owner: str
    business_unit: str
    risk_tier: str
    live_version: int | None
    latest_version: int | None
    latest_state: str | None
    last_activity_at: datetime | None
    stale: bool
    stale_reason: str
    open_review: bool
    dnu_consumed: bool
    tags: list[str]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["last_activity_at"] = (
            self.last_activity_at.isoformat() if self.last_activity_at else None
        )
        return data

    @property
    def flag_words(self) -> list[str]:
        words = []
        if self.stale:
            words.append("stale")
        if self.open_review:
            words.append("open review")
        if self.dnu_consumed:
            words.append("do-not-use consumed")
        return words


def _filtered(query: InventoryQuery, *, facet_indexes: bool = True) -> Select[Model]:
    """The models matching *query*; without *facet_indexes* the facet terms are written so
    that SQLite does not use their indexes (see :mod:`signoff.core.catalog.inventory_plan`)."""
    stmt = select(Model)
    facet = (lambda column: column) if facet_indexes else not_by_index
    conditions: list[ColumnElement[bool]] = []
    if query.search.strip():
        for word in query.search.lower().split():
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(Model.search_text.like(f"%{escaped}%", escape="\\"))
    if query.business_units:
        conditions.append(facet(Model.business_unit).in_(query.business_units))
    if query.risk_tiers:
        conditions.append(facet(Model.risk_tier).in_(query.risk_tiers))
    if query.states:
        conditions.append(facet(Model.latest_state).in_(query.states))
    flag_columns = {
        "stale": Model.flag_stale,
        "open_review": Model.flag_open_review,
        "dnu_consumed": Model.flag_dnu_consumed,
    }
    flag_conditions = [facet(flag_columns[f]).is_(True) for f in query.flags if f in flag_columns]
    if flag_conditions:
        conditions.append(or_(*flag_conditions))
    if conditions:
        stmt = stmt.where(and_(*conditions))
    return stmt


def inventory(session: Session, query: InventoryQuery | None = None) -> list[InventoryRow]:
    """One page of the inventory, filtered and sorted by the database.

    Plain columns are selected rather than ORM objects: building thousands of identity-mapped
    objects cost several times the query itself.
    """
    query = query or InventoryQuery()
    column = INVENTORY_SORT_KEYS.get(query.sort, Model.name)
    order = column.desc() if query.descending else column.asc()
    in_order = page_in_sort_order(session, query, lambda: inventory_count(session, query))
    stmt = (
        _filtered(query, facet_indexes=not in_order)
        .with_only_columns(*_ROW_COLUMNS.values())
        .order_by(order, Model.id)
        .offset(query.offset)
    )
    if query.limit is not None:
        stmt = stmt.limit(query.limit)
    with _collector_paused():
        return [
            InventoryRow(**dict(zip(_ROW_FIELDS, row, strict=False)), tags=_tags(row[-1]))
            for row in session.execute(stmt)
        ]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold Python's cyclic garbage collector while a long list of rows is built.

    Ten thousand rows are some 150,000 new objects, none of them in a cycle, yet they trigger
    dozens of collections, and every full one walks every object the process holds (in the
    GUI: all of Qt's wrappers and the caches). The rows are reference-counted as usual; the
    collector runs again at the next allocation after this block.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def inventory_count(session: Session, query: InventoryQuery | None = None) -> int:
    """How many models match the query (ignoring its page and its order).

    Counted once per read transaction for a filter: the GUI's first page counts a facet to
    choose its plan and then shows the same count, and a read transaction sees one snapshot
    of the database. A session that writes counts afresh each time.
    """
    query = query or InventoryQuery()
    key = (
        query.search.strip().lower(),
        tuple(query.business_units),
        tuple(query.risk_tiers),
        tuple(query.states),
        tuple(query.flags),
    )
    memo = _count_memo(session)
    counted = memo.get(key) if memo is not None else None
    if counted is None:
        stmt = _filtered(query).with_only_columns(func.count(Model.id))
        counted = session.scalar(stmt) or 0
        memo = _count_memo(session)  # the count began the transaction if none was open
        if memo is not None:
            memo[key] = counted
    return counted


def _count_memo(session: Session) -> dict[tuple[Any, ...], int] | None:
    """The counts made in the session's current read transaction (None: do not keep any)."""
    transaction = session.get_transaction()
    if transaction is None or session.get_bind().get_execution_options().get("signoff_write"):
        return None
    owner, memo = session.info.get("inventory_counts", (None, None))
    if owner is not transaction or memo is None:
        memo = {}
        session.info["inventory_counts"] = (transaction, memo)
    return memo


def facet_values(session: Session) -> dict[str, list[str]]:
    """The distinct business units, tiers and states present, for the filter menus."""

    def distinct(column: QueryableAttribute[str | None]) -> list[str]:
        return [v for v in session.scalars(select(column).distinct().order_by(column)) if v]

    return {
        "business_unit": distinct(Model.business_unit),
        "risk_tier": distinct(Model.risk_tier),
        "state": distinct(Model.latest_state),
    }


def inventory_row(m: Model) -> InventoryRow:
    """The inventory row of one loaded model."""
    values = {name: getattr(m, _ROW_COLUMNS[name].key) for name in _ROW_FIELDS}
    return InventoryRow(**values, tags=_tags(m.tags))


# InventoryRow's fields by name, tags last. Tags are fetched as text and decoded through a
# cache: decoding the same small JSON list once per row was half the cost of listing 10,000
# models (PostgreSQL's driver hands back lists already; both are handled by _tags).
_ROW_COLUMNS: dict[str, QueryableAttribute[Any] | Label[str]] = {
    "id": Model.id,
    "name": Model.name,
    "title": Model.title,
    "owner": Model.owner,
    "business_unit": Model.business_unit,
    "risk_tier": Model.risk_tier,
    "live_version": Model.live_version,
    "latest_version": Model.latest_version,
    "latest_state": Model.latest_state,
    "last_activity_at": Model.last_activity_at,
    "stale": Model.flag_stale,
    "stale_reason": Model.stale_reason,
    "open_review": Model.flag_open_review,
    "dnu_consumed": Model.flag_dnu_consumed,
    "tags": type_coerce(Model.tags, String).label("tags"),
}
_ROW_FIELDS = tuple(_ROW_COLUMNS)[:-1]  # every field but the tags, which _tags decodes


@lru_cache(maxsize=4096)
def _decode_tags(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def _tags(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return list(_decode_tags(value))
    return list(value)
