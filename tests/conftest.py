"""Shared fixtures: temporary registries on SQLite and (when reachable) real PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
os.environ.setdefault("MPLBACKEND", "Agg")

PG_ENV = "SIGNOFF_TEST_PG_URL"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty registry home folder."""
    return tmp_path / "home"


@pytest.fixture
def registry(home: Path):
    """A fresh embedded (SQLite) registry, acting as 'alice'."""
    from signoff.core.db import open_registry

    reg = open_registry(home=home)
    reg.set_actor_for_embedded("alice")
    yield reg
    reg.close()


def _pg_admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need a server: set {PG_ENV} (.ci/run starts one)")
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a brand-new, empty PostgreSQL database, dropped after the test."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = _pg_admin_url()
    name = f"signoff_t_{uuid.uuid4().hex[:12]}"
    base = make_url(admin).set(drivername="postgresql")
    try:
        conn = psycopg.connect(base.render_as_string(hide_password=False), autocommit=True,
                               connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {base.render_as_string()} is not reachable: {exc}")
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(base.render_as_string(hide_password=False), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_registry(pg_url: str, tmp_path: Path):
    """A fresh registry on a new PostgreSQL database, artifacts in a temporary folder."""
    from signoff.core.db import open_registry

    reg = open_registry(db=pg_url, artifacts=tmp_path / "artifacts")
    yield reg
    reg.close()
