"""The one place a version's lifecycle state is written outside the database's own functions.

On SQLite (a single workstation) this is an ordinary ORM update guarded by ``version_id_col``.
On PostgreSQL the workflow never comes here: ``signoff_decide`` moves versions itself, under the
rules held by the database. What is left is the table owner importing history from another
registry; for any other login the database refuses (no application role may UPDATE
``versions``), and the refusal is reported in words.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from signoff.core.common.errors import ConcurrentChangeError, TransitionError
from signoff.core.db.registry import db_now
from signoff.core.db.schema import Version


def change_state(
    session: Session, version: Version, state: str, at: datetime | None = None
) -> None:
    """Move *version* to *state* (preconditions are the caller's job)."""
    at = at or db_now(session)
    if session.get_bind().dialect.name != "postgresql":
        version.state = state
        version.state_changed_at = at
        return
    session.flush()
    try:
        with session.begin_nested():
            done = session.execute(
                update(Version)
                .where(Version.id == version.id, Version.row_version == version.row_version)
                .values(state=state, state_changed_at=at, row_version=Version.row_version + 1)
                .execution_options(synchronize_session=False)
            )
    except DBAPIError as exc:
        raise TransitionError(
            f"the database refused to move {version.model.name} v{version.number} to "
            f"{state.replace('_', ' ')}: on a shared registry a version moves only through "
            "its gates (signoff_decide)"
        ) from exc
    if getattr(done, "rowcount", 1) != 1:  # a CursorResult: how many rows the UPDATE hit
        raise ConcurrentChangeError(
            f"{version.model.name} v{version.number} was changed by someone else; reload"
        )
    set_committed_value(version, "state", state)
    set_committed_value(version, "state_changed_at", at)
    set_committed_value(version, "row_version", version.row_version + 1)
