"""PostgreSQL logins made by a test, and their removal afterwards.

Roles belong to the whole server, not to the database a test gets, so dropping the database
leaves them behind; each test that creates logins drops them (and what they own) itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import Engine, text


def unique_login(name: str) -> str:
    """*name* with a random suffix, so concurrent runs on one server never share a login."""
    return f"{name}_{uuid.uuid4().hex[:6]}"


def drop_logins(engine: Engine, logins: Iterable[str]) -> None:
    """Drop each login and everything it owns, through *engine* (the database owner's)."""
    with engine.begin() as conn:
        for login in logins:
            conn.execute(text(f'DROP OWNED BY "{login}"'))
            conn.execute(text(f'DROP ROLE "{login}"'))
