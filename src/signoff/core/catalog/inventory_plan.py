"""How SQLite should find one page of a faceted inventory: by the facet's index, or in order.

A facet click asks for the first 100 models of a tier (or business unit, state, flag) in name
order. SQLite, lacking statistics (a registry is seldom ANALYZEd), takes the facet's index,
reads every match and sorts them all by name: 85 ms at 100,000 models for a tier that a third
of them have, when walking the name index and stopping at the hundredth match takes 0.3 ms.
For a rare value the opposite holds: the facet's index finds its ten models at once, while the
walk in name order reads the whole table looking for them.

:func:`page_in_sort_order` decides with the two numbers that settle it, the facet's matches
*m* (counted through its index, and kept for the count the page is shown with) and the
number of models *n*. Walking in order reads about ``page_end × n / m`` rows; the facet's index
reads *m* and sorts them; so the walk wins when ``m² > page_end × n``. When it wins, the facet
terms are written with SQLite's unary ``+`` (:func:`not_by_index`), which keeps the planner off
their indexes without changing what they match (SQLite's documented way to disqualify a term).

PostgreSQL keeps statistics of its own (autovacuum analyses) and chooses well; nothing is
changed there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import UnaryExpression

from signoff.core.db.schema import Model

# the inventory's sort keys that have an index of their own, so a page can be read in order
ORDERED_BY_INDEX = frozenset(
    {"name", "owner", "business_unit", "risk_tier", "latest_state", "last_activity_at"}
)

_UNARY_PLUS: operators.custom_op[Any] = operators.custom_op("+")


def not_by_index(column: Any) -> ColumnElement[Any]:
    """*column* as an expression SQLite will not look up through an index (``+column``)."""
    return UnaryExpression(column, operator=_UNARY_PLUS, type_=column.type)


def has_facets(query: Any) -> bool:
    """Whether the query filters on a facet (business unit, tier, state or flag)."""
    return bool(query.business_units or query.risk_tiers or query.states or query.flags)


def page_in_sort_order(session: Session, query: Any, matches: Callable[[], int]) -> bool:
    """Whether one page of *query* is found faster by walking the sort key's index in order.

    Only for a limited page of a faceted query without search text, on SQLite, sorted by an
    indexed key; *matches* counts the query's matches (through the facet's index).
    """
    if query.limit is None or query.search.strip() or not has_facets(query):
        return False
    if query.sort not in ORDERED_BY_INDEX or session.get_bind().dialect.name != "sqlite":
        return False
    m = matches()
    # the largest id stands in for the number of models: one index lookup, not a count, and
    # only ever too high by the models deleted, which errs toward the facet's own index
    n = session.scalar(select(func.max(Model.id))) or 0
    return m * m > (query.offset + query.limit) * n
