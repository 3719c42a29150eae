"""A team on a real PostgreSQL registry: each person with their own login, groups and roles."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from signoff.core.db.pgroles import create_login, init_roles, url_for_login
from signoff.core.db.registry import Registry, open_registry
from signoff.core.governance.people import save_person

#: who is in the team (short name -> registry roles)
CAST = {
    "ann": ["author"],
    "dual": ["author", "validator"],
    "vic": ["validator"],
    "val": ["validator"],
    "bo": ["business_owner"],
    "rel": ["release_manager"],
    "aud": ["auditor"],
    "viv": ["viewer"],
    "adm": ["admin"],
    "run": ["runner"],
    "ntf": ["notifier"],
}


@dataclass
class Team:
    """The owner's registry, and each person's login, registry and raw connection (psql)."""

    admin: Registry
    url: str
    artifacts: Path
    logins: dict[str, str]
    regs: dict[str, Registry] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    _raw: dict[str, psycopg.Connection] = field(default_factory=dict)

    def raw(self, who: str) -> psycopg.Connection:
        """A plain psycopg connection as *who*: what a person with psql sends."""
        if who not in self._raw:
            plain = self.urls[who].replace("postgresql+psycopg://", "postgresql://")
            self._raw[who] = psycopg.connect(plain, autocommit=True)
        return self._raw[who]

    def close(self) -> None:
        for conn in self._raw.values():
            conn.close()
        for reg in self.regs.values():
            reg.close()


@pytest.fixture
def team(pg_url: str, tmp_path: Path) -> Iterator[Team]:
    """An initialised database with the cast above, each a person with their own login."""
    admin = open_registry(db=pg_url, artifacts=tmp_path / "artifacts")
    init_roles(admin.engine)
    tag = uuid.uuid4().hex[:6]
    logins = {who: f"{who}_{tag}" for who in CAST}
    with admin.write() as s:
        save_person(s, admin.actor, actor=admin.actor, roles=["admin"])
    for who, roles in CAST.items():
        create_login(admin.engine, logins[who], f"pw-{who}", roles)
        with admin.write() as s:
            save_person(s, logins[who], actor=admin.actor, display_name=who.title(), roles=roles)
    built = Team(admin, pg_url, tmp_path / "artifacts", logins)
    for who in CAST:
        built.urls[who] = url_for_login(pg_url, logins[who], f"pw-{who}")
        built.regs[who] = open_registry(
            db=built.urls[who], artifacts=built.artifacts, upgrade=False
        )
    yield built
    built.close()
    with admin.engine.begin() as conn:
        for login in logins.values():
            conn.execute(text(f'DROP OWNED BY "{login}"'))
            conn.execute(text(f'DROP ROLE "{login}"'))
    admin.close()
