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


@pytest.fixture(scope="session", autouse=True)
def log_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Signoff run by the tests (in process or as a subprocess) logs to a temporary folder,
    never to the person's own log folder; a SIGNOFF_LOG_DIR set by the caller is kept."""
    from signoff.core.common.logs import LOG_DIR_ENV

    if os.environ.get(LOG_DIR_ENV):
        yield Path(os.environ[LOG_DIR_ENV])
        return
    folder = tmp_path_factory.mktemp("logs")
    os.environ[LOG_DIR_ENV] = str(folder)
    try:
        yield folder
    finally:
        os.environ.pop(LOG_DIR_ENV, None)


@pytest.fixture(autouse=True)
def own_anchor_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test has its own (empty) per-user anchor settings and no $SIGNOFF_AUDIT_ANCHOR,
    so the person's own audit anchor is never read or written by a test."""
    from signoff.core.audit.anchor_store import ANCHOR_ENV, CONFIG_DIR_ENV

    folder = tmp_path / "user-config"
    monkeypatch.setenv(CONFIG_DIR_ENV, str(folder))
    monkeypatch.delenv(ANCHOR_ENV, raising=False)
    return folder


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty registry home folder."""
    return tmp_path / "home"


@pytest.fixture
def registry(home: Path):
    """A fresh embedded (SQLite) registry, acting as 'alice'."""
    from signoff.core.db.registry import open_registry

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
        conn = psycopg.connect(
            base.render_as_string(hide_password=False), autocommit=True, connect_timeout=5
        )
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
    from signoff.core.db.registry import open_registry

    reg = open_registry(db=pg_url, artifacts=tmp_path / "artifacts")
    yield reg
    reg.close()


# --- the demo registry (signoff.demo) ------------------------------------------------------
DEMO_CACHE_ENV = "SIGNOFF_TEST_DEMO_HOME"


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete demo registry home, built once per test session (about 25 s).

    Set SIGNOFF_TEST_DEMO_HOME to a folder to build it there once and reuse it across
    sessions; it is rebuilt when the demo's code changes. Treat it as read-only: use
    ``demo_registry`` for a private copy to write to.
    """
    from signoff.demo import build_demo, is_complete, recorded_fingerprint, source_fingerprint

    cached = os.environ.get(DEMO_CACHE_ENV)
    home = Path(cached) if cached else tmp_path_factory.mktemp("demo-build") / "demo"
    fresh = is_complete(home) and recorded_fingerprint(home) == source_fingerprint()
    if not fresh:
        build_demo(home, force=True)
    return home


@pytest.fixture
def demo_registry(demo_home: Path, tmp_path: Path):
    """A private, writable copy of the demo registry, acting as 'alice'."""
    import shutil

    from signoff.core.db.registry import open_registry

    copy = tmp_path / "demo"
    shutil.copytree(demo_home, copy, ignore=shutil.ignore_patterns("sources"))
    reg = open_registry(home=copy)
    reg.set_actor_for_embedded("alice")
    yield reg
    reg.close()
