"""Opening a registry: the database engine, its sessions, and the artifact store beside it.

SQLite (the embedded default) is opened by :mod:`signoff.core.db.embedded`: WAL, foreign keys
on, ``BEGIN IMMEDIATE`` for every write session with a bounded wait for the write lock, and
read-only where this process may not write the file. PostgreSQL is used as is; serialization
failures are retried by :func:`signoff.core.db.registry.Registry.write` callers through
:func:`retrying`. Full disks and read-only media are reported in words
(:mod:`signoff.core.db.storage_errors`).
"""

from __future__ import annotations

import getpass
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from signoff.core.artifacts.location import is_object_store_url, open_store
from signoff.core.artifacts.protocol import Store
from signoff.core.common.errors import (
    DatabaseLocationError,
    DiskFullError,
    ReadOnlyRegistryError,
)
from signoff.core.common.retry import Backoff, retry_call
from signoff.core.db.embedded import (
    READ_WRITE,
    Access,
    access_on_full_disk,
    choose_access,
    sqlite_engine,
)
from signoff.core.db.storage_errors import storage_errors

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
    """Where a registry lives: a database URL and an artifact store.

    *artifacts* is a folder, or an object-store URL (``s3://bucket/prefix``) kept as text.
    """

    db_url: str
    artifacts: Path | str

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


def make_engine(db_url: str, access: Access | None = None) -> Engine:
    """Create an engine for *db_url* with the pragmas and pool settings Signoff relies on.

    A SQLite file is opened as *access* says (see :mod:`signoff.core.db.embedded`); by default
    read-write when this process may write it and read-only otherwise.
    """
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        db_file = Path(database) if database and database != ":memory:" else None
        if db_file is not None:
            check_local_database_path(db_file)
            access = access or choose_access(db_file)
            if not access.read_only:
                db_file.parent.mkdir(parents=True, exist_ok=True)
        return sqlite_engine(db_url, db_file, access or Access(READ_WRITE))
    if url.get_backend_name() == "postgresql":
        from signoff.core.db.schema import attach_postgresql_options

        attach_postgresql_options()
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


class Registry:
    """An open registry: database engine, session factories and the artifact store."""

    def __init__(
        self, location: Location, *, upgrade: bool = True, read_only: bool = False
    ) -> None:
        self.location = location
        # the store first: a malformed artifacts URL is refused before any connection opens
        self.store: Store = open_store(location.artifacts)
        self._actor: str | None = None
        self._connect(_access_for(location.db_url, read_only))
        if not upgrade:
            return
        try:
            self._check_schema()
        except DiskFullError:
            # a full disk still holds a registry an auditor may read: SQLite could not make
            # room for its write-ahead index, so open it read-only, saying why changes fail
            db_file = self._db_file
            if self.read_only or db_file is None or not db_file.exists():
                raise
            self.engine.dispose()
            self._connect(access_on_full_disk(db_file))
            log.warning("%s: %s", db_file, self.access.reason)
            self._check_schema()

    def _connect(self, access: Access) -> None:
        self.access = access
        self.engine = make_engine(self.location.db_url, access)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(
            self.engine.execution_options(signoff_write=True), expire_on_commit=False
        )

    def _check_schema(self) -> None:
        from signoff.core.db.migrate import require_current_schema, upgrade_to_head

        with storage_errors(self.folder):
            if self.read_only:
                require_current_schema(self.engine, self.display_url)
            else:
                upgrade_to_head(self.engine)

    # -- facts about the connection -----------------------------------------------------
    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_embedded(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def read_only(self) -> bool:
        """True when this registry is open read-only: every write is refused before it starts."""
        return self.access.read_only

    @property
    def folder(self) -> Path | None:
        """The folder of the embedded database file (None for a database server)."""
        db_file = self._db_file
        return db_file.parent if db_file is not None else None

    @property
    def _db_file(self) -> Path | None:
        database = make_url(self.location.db_url).database if self.is_embedded else None
        return Path(database) if database and database != ":memory:" else None

    def refuse_if_read_only(self, what: str = "the change") -> None:
        """Raise ReadOnlyRegistryError naming *what* when the registry is open read-only."""
        if self.read_only:
            raise ReadOnlyRegistryError(
                f"the registry at {self.display_url.removeprefix('sqlite:///')} is read-only "
                f"({self.access.reason}): {what} was refused and nothing was changed"
            )

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
            with storage_errors(self.folder):
                yield session
        finally:
            session.rollback()
            session.close()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write unit of work, committed at the end; ``BEGIN IMMEDIATE`` on SQLite.

        Refused with ReadOnlyRegistryError on a read-only registry; a full disk is reported as
        DiskFullError, a write lock held too long by another process as RegistryBusyError.
        """
        self.refuse_if_read_only()
        session = self._write()
        try:
            with storage_errors(self.folder), session.begin():
                yield session
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()


def _access_for(db_url: str, read_only: bool) -> Access:
    url = make_url(db_url)
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        if read_only:
            raise ReadOnlyRegistryError(
                "only an embedded (SQLite) registry can be opened read-only"
            )
        return Access(READ_WRITE)
    return choose_access(Path(database), read_only=read_only)


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


def pg_function_exists(session: Session, name: str) -> bool:
    """Whether the PostgreSQL registry has the function *name* (a newer part may not yet be
    installed there, and the caller then takes its portable path)."""
    return bool(
        session.execute(
            text("SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = :n)"), {"n": name}
        ).scalar_one()
    )


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
        return Location(db, _artifacts_location(artifacts))
    location = Location.from_home(Path(home) if home else default_home())
    if artifacts:
        return Location(location.db_url, _artifacts_location(artifacts))
    return location


def _artifacts_location(artifacts: str | Path) -> Path | str:
    """A folder as a Path; an object-store URL (``s3://…``) as the text given."""
    if is_object_store_url(artifacts):
        return str(artifacts).strip()
    return Path(artifacts).expanduser()


def open_registry(
    home: str | Path | None = None,
    db: str | None = None,
    artifacts: str | Path | None = None,
    *,
    upgrade: bool = True,
    read_only: bool = False,
) -> Registry:
    """Open (creating and migrating if needed) the registry named by the arguments.

    A SQLite registry this process may not write (read-only media, no permission) opens
    read-only, as it does with *read_only*: reading works and every write is refused.
    """
    return Registry(resolve_location(home, db, artifacts), upgrade=upgrade, read_only=read_only)
