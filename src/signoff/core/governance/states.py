"""The one place a version's lifecycle state is written.

On PostgreSQL the write goes through the SECURITY DEFINER function ``signoff_change_state``
(application roles have no UPDATE on ``versions``), which also checks the optimistic lock; on
SQLite it is an ordinary ORM update guarded by ``version_id_col``. Either way a concurrent
change surfaces as :class:`~signoff.core.common.errors.ConcurrentChangeError`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from signoff.core.common.errors import ConcurrentChangeError, TransitionError
from signoff.core.db.registry import db_now
from signoff.core.db.schema import Version


def change_state(
    session: Session, version: Version, state: str, at: datetime | None = None
) -> None:
    """Move *version* to *state* (preconditions are the caller's job; the database re-checks)."""
    at = at or db_now(session)
    if session.get_bind().dialect.name != "postgresql":
        version.state = state
        version.state_changed_at = at
        return
    session.flush()
    try:
        with session.begin_nested():
            new_row = session.execute(
                text("SELECT signoff_change_state(:v, :e, :s, :at)"),
                {"v": version.id, "e": version.row_version, "s": state, "at": at},
            ).scalar_one()
    except DBAPIError as exc:
        code = getattr(exc.orig, "sqlstate", None)
        diag = getattr(exc.orig, "diag", None)  # psycopg's server diagnostics
        message = str(diag and diag.message_primary or exc)
        if code == "40001":
            raise ConcurrentChangeError(message) from exc
        raise TransitionError(f"the database refused: {message}") from exc
    set_committed_value(version, "state", state)
    set_committed_value(version, "state_changed_at", at)
    set_committed_value(version, "row_version", new_row)
