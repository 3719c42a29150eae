"""The inventory: every model's summary row, filtered, sorted and paged by the database.

Plain dataclasses come back, so the command line, the GUI's worker threads and tests share
them without holding sessions open.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Label, Select, String, and_, func, or_, select, type_coerce
from sqlalchemy.orm import QueryableAttribute, Session, object_session

from signoff.core.catalog.inventory_plan import not_by_index, page_in_sort_order
from signoff.core.catalog.revalidation import overdue_cutoffs, revalidation_condition
from signoff.core.catalog.words import flag_word
from signoff.core.common.collector import collector_paused
from signoff.core.db.schema import DO_NOT_USE, Consumer, Decision, Model, Version

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
FLAGS = (
    "stale",
    "open_review",
    "dnu_consumed",
    "dnu_used",
    "condition_overdue",
    "revalidation_overdue",
)


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
    #: the moment "overdue" is judged at (None: now); a report or a test may move the clock
    now: datetime | None = None

    def moment(self) -> datetime:
        return self.now or datetime.now(UTC).replace(tzinfo=None)


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
    review_waiting_since: datetime | None
    tags: list[str]
    #: for a raised do-not-use flag: which version, why it was marked, and who still uses it
    dnu_detail: str = ""
    dnu_used: bool = False
    condition_due: date | None = None
    last_validated_at: datetime | None = None
    #: a condition on a signature is past its date / the live version is past revalidation
    condition_overdue: bool = False
    revalidation_overdue: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in (
            "last_activity_at",
            "review_waiting_since",
            "condition_due",
            "last_validated_at",
        ):
            value = getattr(self, key)
            data[key] = value.isoformat() if value else None
        return data

    @property
    def flags(self) -> list[str]:
        """The flags raised on this model (``stale``, ``open_review``, ``dnu_consumed``)."""
        return [flag for flag in FLAGS if getattr(self, flag)]

    @property
    def flag_words(self) -> list[str]:
        """The flags raised, in words."""
        return [flag_word(flag) for flag in self.flags]

    def flag_reasons(self) -> dict[str, str]:
        """Why each raised flag is raised, in words (the tooltip of the Flags column)."""
        reasons = {}
        if self.stale:
            reasons["stale"] = (
                f"Stale: {self.stale_reason}"
                if self.stale_reason
                else "Stale: monitoring judged the live version no longer fit"
            )
        if self.open_review:
            since = (
                f" since {self.review_waiting_since:%Y-%m-%d}" if self.review_waiting_since else ""
            )
            reasons["open_review"] = f"Open review: a version has waited for signatures{since}"
        if self.dnu_consumed:
            reasons["dnu_consumed"] = (
                f"Do not use, still consumed: {self.dnu_detail}"
                if self.dnu_detail
                else "Do not use, still consumed: a version marked do not use is still live, "
                "or a consumer is still pinned to it"
            )
        if self.dnu_used:
            reasons["dnu_used"] = (
                "Do not use, still used: executions or predictions of a version marked do not "
                "use were reported after its consumers were told"
            )
        if self.condition_overdue:
            reasons["condition_overdue"] = (
                f"Condition overdue: a condition on a signature was due {self.condition_due}"
                if self.condition_due
                else "Condition overdue: a condition on a signature is past its date"
            )
        if self.revalidation_overdue:
            since = (
                f" (last validated {self.last_validated_at:%Y-%m-%d})"
                if self.last_validated_at
                else ""
            )
            reasons["revalidation_overdue"] = (
                f"Revalidation overdue: the live version is past its tier's interval{since}"
            )
        return reasons

    def judge_overdue(self, now: datetime, cutoffs: dict[str, datetime]) -> None:
        """Set the overdue flags as of *now* (*cutoffs*: :func:`overdue_cutoffs` at *now*)."""
        self.condition_overdue = self.condition_due is not None and self.condition_due < now.date()
        cutoff = cutoffs.get(self.risk_tier, cutoffs["high"])
        self.revalidation_overdue = self.live_version is not None and (
            self.last_validated_at is None or self.last_validated_at < cutoff
        )


def _filtered(
    session: Session, query: InventoryQuery, *, facet_indexes: bool = True
) -> Select[Model]:
    """The models matching *query*; without *facet_indexes* the facet terms are written so
    that SQLite does not use their indexes (see :mod:`signoff.core.catalog.inventory_plan`)."""
    stmt = select(Model)
    facet = (lambda column: column) if facet_indexes else not_by_index
    conditions: list[ColumnElement[bool]] = []
    if query.search.strip():
        for word in query.search.lower().split():
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
            # the business unit is matched beside the stored search text (name, title, owner,
            # tags), so registries written before it was searchable find it too
            conditions.append(
                or_(
                    Model.search_text.like(pattern, escape="\\"),
                    func.lower(Model.business_unit).like(pattern, escape="\\"),
                )
            )
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
        "dnu_used": Model.flag_dnu_used,
    }
    flag_conditions: list[ColumnElement[bool]] = [
        facet(flag_columns[f]).is_(True) for f in query.flags if f in flag_columns
    ]
    if "condition_overdue" in query.flags:
        flag_conditions.append(Model.condition_due < query.moment().date())
    if "revalidation_overdue" in query.flags:
        flag_conditions.append(revalidation_condition(overdue_cutoffs(session, query.moment())))
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
        _filtered(session, query, facet_indexes=not in_order)
        .with_only_columns(*_ROW_COLUMNS.values())
        .order_by(order, Model.id)
        .offset(query.offset)
    )
    if query.limit is not None:
        stmt = stmt.limit(query.limit)
    now = query.moment()
    cutoffs = overdue_cutoffs(session, now)
    with collector_paused():  # 10,000 rows: ~150,000 objects, none in a cycle
        rows = [
            InventoryRow(**dict(zip(_ROW_FIELDS, row, strict=False)), tags=_tags(row[-1]))
            for row in session.execute(stmt)
        ]
    details = dnu_details(session, [r.id for r in rows if r.dnu_consumed])
    for row in rows:
        row.dnu_detail = details.get(row.id, "")
        row.judge_overdue(now, cutoffs)
    return rows


def dnu_details(session: Session, model_ids: list[int]) -> dict[int, str]:
    """For models whose do-not-use flag is raised: in words, which version was marked, why
    (the reason given when it was marked), and which consumers still use it."""
    if not model_ids:
        return {}
    # on SQLite the state term is kept off its index: without statistics SQLite would read
    # every version in that state (40 ms at 1M versions) instead of these models' few
    # versions (PostgreSQL plans from its statistics, and has no unary + for text)
    off_index = (
        not_by_index if session.get_bind().dialect.name == "sqlite" else (lambda column: column)
    )
    marked = session.execute(
        select(Version.id, Version.model_id, Version.number).where(
            Version.model_id.in_(model_ids), off_index(Version.state) == DO_NOT_USE
        )
    ).all()
    reasons = dict(
        session.execute(
            select(Decision.version_id, Decision.comment)
            .where(
                Decision.version_id.in_([m.id for m in marked]),
                off_index(Decision.action) == "do_not_use",
            )
            .order_by(Decision.at, Decision.id)
        ).all()
    )
    live = dict(
        session.execute(
            select(Model.id, Version.id)
            .join(Version, and_(Version.model_id == Model.id, Version.number == Model.live_version))
            .where(Model.id.in_(model_ids))
        ).all()
    )
    consumers = session.execute(
        select(Consumer.model_id, Consumer.name, Consumer.pinned_version_id)
        .where(Consumer.model_id.in_(model_ids), Consumer.active.is_(True))
        .order_by(Consumer.name)
    ).all()
    out: dict[int, list[str]] = {}
    for version_id, model_id, number in marked:
        users = [
            c.name
            for c in consumers
            if c.model_id == model_id
            and (
                c.pinned_version_id == version_id
                or (c.pinned_version_id is None and live.get(model_id) == version_id)
            )
        ]
        if not users:
            continue
        reason = (reasons.get(version_id) or "").strip()
        text = f"v{number} was marked do not use" + (f" ({reason})" if reason else "")
        text += f"; still used by {', '.join(users)}."
        out.setdefault(model_id, []).append(text)
    return {model_id: " ".join(texts) for model_id, texts in out.items()}


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
        stmt = _filtered(session, query).with_only_columns(func.count(Model.id))
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


def inventory_row(m: Model, now: datetime | None = None) -> InventoryRow:
    """The inventory row of one loaded model (overdue judged at *now*, default now)."""
    values = {name: getattr(m, _ROW_COLUMNS[name].key) for name in _ROW_FIELDS}
    row = InventoryRow(**values, tags=_tags(m.tags))
    session = object_session(m)
    if row.dnu_consumed and session is not None:
        row.dnu_detail = dnu_details(session, [m.id]).get(m.id, "")
    if session is not None:
        moment = now or datetime.now(UTC).replace(tzinfo=None)
        row.judge_overdue(moment, overdue_cutoffs(session, moment))
    return row


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
    "review_waiting_since": Model.review_waiting_since,
    "dnu_used": Model.flag_dnu_used,
    "condition_due": Model.condition_due,
    "last_validated_at": Model.last_validated_at,
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
