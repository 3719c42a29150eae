"""Opening a registry: the database engine, its sessions, and the artifact store beside it.

SQLite (the embedded default) is opened with WAL, foreign keys on, a busy timeout and
``BEGIN IMMEDIATE`` for every write session, because SQLAlchemy silently drops ``FOR UPDATE``
on SQLite and a deferred transaction that later writes can fail with "database is locked"
instead of waiting. PostgreSQL is used as is; serialization failures are retried by
:func:`signoff.core.db.registry.Registry.write` callers through :func:`retrying`.
"""

from __future__ import annotations

import getpass
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from signoff.core.artifacts.store import ArtifactStore
from signoff.core.common.errors import DatabaseLocationError
from signoff.core.common.retry import Backoff, retry_call

log = logging.getLogger(__name__)

T = TypeVar("T")

# waits before each retry of a serialization failure: 40, 80, 160, 320 ms, less up to half
_SERIALIZATION_BACKOFF = Backoff(first_s=0.04, factor=2.0, jitter=0.5)

NETWORK_FILESYSTEMS = {
    "nfs",
    "nfs4",
    "cifs",
    "smbfs",
    "smb3",
    "9p",
    "afs",
    "ncpfs",
    "coda",
    "fuse.sshfs",
    "sshfs",
    "glusterfs",
    "fuse.glusterfs",
    "ceph",
    "fuse.ceph",
    "lustre",
    "davfs",
    "fuse.davfs",
    "fuse.rclone",
    "fuse.s3fs",
    "gpfs",
    "beegfs",
}


@dataclass(frozen=True)
class Location:
    """Where a registry lives: a database URL and an artifact folder."""

    db_url: str
    artifacts: Path

    @classmethod
    def from_home(cls, home: Path) -> Location:
        home = Path(home).expanduser()
        return cls(f"sqlite:///{(home / 'registry.db').resolve()}", home / "artifacts")


def filesystem_type(path: Path, mounts_text: str | None = None) -> str:
    """The filesystem type holding *path*, read from the mount table (Linux); '' if unknown."""
    if mounts_text is None:
        try:
            mounts_text = Path("/proc/mounts").read_text()
        except OSError:
            return ""
    path = Path(os.path.abspath(path))
    best, best_type = "", ""
    for line in mounts_text.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point = parts[1].replace("\\040", " ")
        if (
            str(path) == mount_point
            or str(path).startswith(mount_point.rstrip("/") + "/")
            or mount_point == "/"
        ) and len(mount_point) > len(best):
            best, best_type = mount_point, parts[2]
    return best_type


def check_local_database_path(db_file: Path, mounts_text: str | None = None) -> None:
    """Refuse a SQLite file on a network filesystem: its locking is not reliable there."""
    text_path = str(db_file)
    if text_path.startswith("\\\\") or text_path.startswith("//"):
        raise DatabaseLocationError(
            f"{db_file} is on a network share; SQLite's locking is unreliable there. "
            "Keep the embedded registry on a local disk, or share a PostgreSQL database."
        )
    fstype = filesystem_type(db_file.parent, mounts_text)
    if fstype in NETWORK_FILESYSTEMS:
        raise DatabaseLocationError(
            f"{db_file} is on a network filesystem ({fstype}); SQLite's locking is unreliable "
            "there. Keep the embedded registry on a local disk, or share a PostgreSQL database."
        )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # let SQLAlchemy's "begin" event below decide how each transaction starts
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("signoff_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def make_engine(db_url: str) -> Engine:
    """Create an engine for *db_url* with the pragmas and pool settings Signoff relies on."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:":
            db_file = Path(database)
            check_local_database_path(db_file)
            db_file.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 15, "check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    if url.get_backend_name() == "postgresql":
        from signoff.core.db.schema import attach_postgresql_options

        attach_postgresql_options()
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


class Registry:
    """An open registry: database engine, session factories and the artifact store."""

    def __init__(self, location: Location, *, upgrade: bool = True) -> None:
        self.location = location
        self.engine = make_engine(location.db_url)
        self.store = ArtifactStore(location.artifacts)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(
            self.engine.execution_options(signoff_write=True), expire_on_commit=False
        )
        if upgrade:
            from signoff.core.db.migrate import upgrade_to_head

            upgrade_to_head(self.engine)
        self._actor: str | None = None

    # -- facts about the connection -----------------------------------------------------
    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_embedded(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def display_url(self) -> str:
        """The database URL with any password hidden."""
        return make_url(self.location.db_url).render_as_string(hide_password=True)

    @property
    def actor(self) -> str:
        """The acting user: the database login on PostgreSQL, the OS login on SQLite."""
        if self._actor is None:
            if self.is_embedded:
                self._actor = os.environ.get("SIGNOFF_USER") or _os_login()
            else:
                with self.read() as session:
                    self._actor = session.execute(text("SELECT session_user")).scalar_one()
        return self._actor

    def set_actor_for_embedded(self, login: str) -> None:
        """On the embedded database only, act as *login* (demo building, tests)."""
        if not self.is_embedded:
            raise PermissionError("on a shared database the acting user is the database login")
        self._actor = login

    # -- sessions -------------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (rolled back at the end)."""
        session = self._read()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write unit of work, committed at the end; ``BEGIN IMMEDIATE`` on SQLite."""
        session = self._write()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()


def _os_login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - getpass raises several types when no login is known
        return "unknown"


PG_NOW = "(now() AT TIME ZONE 'UTC')"  # the transaction's start time, naive UTC
_NOW_KEY = "signoff.db_now"


def db_now(session: Session) -> datetime:
    """The database's current time as naive UTC (decisions are stamped with it).

    On PostgreSQL this is the time the transaction started, constant within it, so it is asked
    for once per transaction (or handed over by :func:`remember_db_now`).
    """
    if session.get_bind().dialect.name == "postgresql":
        transaction = session.get_transaction()
        cached = session.info.get(_NOW_KEY)
        if cached is not None and cached[0] is transaction:
            return cached[1]
        value = session.execute(text(f"SELECT {PG_NOW}")).scalar_one()
        remember_db_now(session, value)
        return value
    raw = session.execute(text("SELECT strftime('%Y-%m-%d %H:%M:%f','now')")).scalar_one()
    return datetime.fromisoformat(raw)


def remember_db_now(session: Session, value: datetime) -> None:
    """Keep PostgreSQL's transaction time, read along with another query, for :func:`db_now`."""
    session.info[_NOW_KEY] = (session.get_transaction(), value)


def is_serialization_failure(exc: BaseException) -> bool:
    """True for PostgreSQL's 40001/40P01 and SQLite's 'database is locked'."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code in ("40001", "40P01"):
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


def retrying(
    work: Callable[[], T], attempts: int = 5, sleep: Callable[[float], None] = time.sleep
) -> T:
    """Run *work*, retrying a bounded number of times on serialization failures.

    Any other error, and the last serialization failure, is raised. The waits (40, 80, 160 ms
    ...) carry jitter, so two writers that collided do not collide again on the next try.
    """

    def note(exc: BaseException, failures: int, _wait: float) -> None:
        log.info("serialization failure, retrying (%d/%d)", failures, attempts)

    return retry_call(
        work,
        retryable=lambda exc: isinstance(exc, OperationalError) and is_serialization_failure(exc),
        backoff=_SERIALIZATION_BACKOFF,
        attempts=attempts,
        on_retry=note,
        sleep=sleep,
    )


def default_home() -> Path:
    """The user's registry home: $SIGNOFF_HOME or the platform's user data folder."""
    env = os.environ.get("SIGNOFF_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("signoff", appauthor=False))


def demo_home() -> Path:
    """Where ``signoff --demo`` keeps its registry."""
    import platformdirs

    return Path(platformdirs.user_data_dir("signoff", appauthor=False)) / "demo"


def resolve_location(
    home: str | Path | None = None, db: str | None = None, artifacts: str | Path | None = None
) -> Location:
    """Work out the registry from command-line options, then environment, then defaults.

    An explicit *home* names a whole registry (its own ``registry.db`` and ``artifacts/``), so
    it is never redirected by ``SIGNOFF_DB`` / ``SIGNOFF_ARTIFACTS``: a demo or test registry
    can never end up in a team's shared database.
    """
    if home is None or db is not None:
        db = db or os.environ.get("SIGNOFF_DB")
        artifacts = artifacts or os.environ.get("SIGNOFF_ARTIFACTS")
    if db:
        if "://" not in db:  # a bare file path means an embedded SQLite file
            db = f"sqlite:///{Path(db).expanduser().resolve()}"
        if artifacts is None:
            base = Path(home).expanduser() if home else default_home()
            artifacts = base / "artifacts"
        return Location(db, Path(artifacts).expanduser())
    location = Location.from_home(Path(home) if home else default_home())
    if artifacts:
        return Location(location.db_url, Path(artifacts).expanduser())
    return location


def open_registry(
    home: str | Path | None = None,
    db: str | None = None,
    artifacts: str | Path | None = None,
    *,
    upgrade: bool = True,
) -> Registry:
    """Open (creating and migrating if needed) the registry named by the arguments."""
    return Registry(resolve_location(home, db, artifacts), upgrade=upgrade)
