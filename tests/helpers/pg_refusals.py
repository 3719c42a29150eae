"""A statement sent as one login must be refused by the database with nothing written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select

from signoff.core.audit.verify import verify_registry


def row_counts(team: Any, counted: Sequence[Any]) -> tuple[int, ...]:
    """How many rows each table of *counted* holds, read as the registry's owner."""
    with team.admin.read() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) or 0 for t in counted)


def refused(
    team: Any, who: str, sql: str, params: tuple = (), match: str = "", *, counted: Sequence[Any]
) -> str:
    """Send *sql* as *who* (what psql sends); it must fail, saying *match*, with no row of
    *counted* changed and the audit chain intact. Returns the database's refusal."""
    before = row_counts(team, counted)
    with pytest.raises(psycopg.Error) as caught:
        team.raw(who).execute(sql, params)
    message = str(caught.value)
    assert match in message, message
    assert row_counts(team, counted) == before, f"{who}'s refused statement changed the registry"
    with team.admin.read() as s:
        report = verify_registry(s)
    assert report.intact, report.describe()
    return message
