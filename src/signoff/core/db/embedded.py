"""The embedded database: a SQLite file opened read-write, or read-only where it must be.

Read-write, every connection runs in WAL mode with foreign keys on, and every write session
starts with ``BEGIN IMMEDIATE`` (SQLAlchemy drops ``FOR UPDATE`` on SQLite silently, and a
deferred transaction that later writes fails with "database is locked" instead of waiting).
Waiting for another process's write lock is bounded (:data:`DEFAULT_LOCK_WAIT_S`, or
``SIGNOFF_LOCK_WAIT`` seconds) and can be cancelled: the wait polls, and asks the thread's
:func:`~signoff.core.common.progress.waits_cancelled` check between polls, so the GUI's
Cancel stops it. When the wait runs out the person reads "another Signoff is writing to …;
waited 30 s", never "database is locked".

Read-only, a registry handed to an auditor on read-only media, or a folder this user may not
write, still opens: SQLite's ``mode=ro`` when it can keep its WAL index beside the file, and
``immutable=1`` (no locking, no WAL index) when the folder cannot be written and no other
process has the database open. Nothing that writes is run on such a connection; the registry
refuses writes before they start (:class:`~signoff.core.common.errors.ReadOnlyRegistryError`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import QueuePool

from signoff.core.common.errors import Cancelled, ReadOnlyRegistryError, RegistryBusyError
from signoff.core.common.progress import waits_cancelled

log = logging.getLogger(__name__)

DEFAULT_LOCK_WAIT_S = 30.0
LOCK_WAIT_ENV = "SIGNOFF_LOCK_WAIT"
_POLL_MS = 200  # how long one attempt at the write lock waits before the cancel check
READ_WRITE, READ_ONLY, IMMUTABLE = "read-write", "read-only", "immutable"


@dataclass(frozen=True)
class Access:
    """How a SQLite registry file is opened, and why (for the message a refused write gets)."""

    mode: str  # READ_WRITE, READ_ONLY or IMMUTABLE
    reason: str = ""

    @property
    def read_only(self) -> bool:
        return self.mode != READ_WRITE


def lock_wait_s() -> float:
    """How long a write waits for another process's write lock (``SIGNOFF_LOCK_WAIT``)."""
    raw = os.environ.get(LOCK_WAIT_ENV, "")
    try:
        value = float(raw) if raw else DEFAULT_LOCK_WAIT_S
    except ValueError:
        value = DEFAULT_LOCK_WAIT_S
    return value if value >= 0 and value == value else DEFAULT_LOCK_WAIT_S


def _writable(path: Path) -> bool:
    # access(2) answers EROFS for a read-only mount even to root; chmod stops other users
    return os.access(path, os.W_OK)


def choose_access(db_file: Path, *, read_only: bool = False) -> Access:
    """Decide how to open *db_file*: read-write when this process may write it, else read-only.

    Raises ReadOnlyRegistryError when there is no database to read and none can be created.
    """
    folder = db_file.parent
    if not db_file.exists():
        if read_only:
            raise ReadOnlyRegistryError(
                f"there is no registry at {db_file} to open read-only (no registry.db there)"
            )
        probe = folder
        while not probe.exists() and probe.parent != probe:
            probe = probe.parent
        if not _writable(probe):
            raise ReadOnlyRegistryError(
                f"there is no registry at {db_file}, and {probe} is read-only, so none can be "
                "created there"
            )
        return Access(READ_WRITE)
    if read_only:
        reason = "it was opened read-only"
    elif not _writable(folder):
        reason = f"its folder {folder} is on read-only media or not writable by this user"
    elif not _writable(db_file):
        reason = f"{db_file.name} is not writable by this user"
    else:
        return Access(READ_WRITE)
    # in WAL mode a reader needs the -shm index: SQLite keeps it in the folder when it may
    # write there, or uses the one a writer left; with neither, only an immutable open reads
    shm = db_file.with_name(db_file.name + "-shm")
    if _writable(folder) or (shm.exists() and _reads_read_only(db_file)):
        return Access(READ_ONLY, reason)
    return _immutable(db_file, reason)


def access_on_full_disk(db_file: Path) -> Access:
    """How to read *db_file* when its disk has no room left: SQLite cannot even make the WAL
    index a read-write (or plain read-only) open needs, so read through the index a live
    writer keeps, or else immutable — and refuse every change, saying why."""
    reason = f"the disk holding {db_file.parent} is full; free some space there to change it"
    shm = db_file.with_name(db_file.name + "-shm")
    if shm.exists() and shm.stat().st_size > 0 and _reads_read_only(db_file):
        return Access(READ_ONLY, reason)
    return _immutable(db_file, reason)


def _immutable(db_file: Path, reason: str) -> Access:
    wal = db_file.with_name(db_file.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        log.warning(
            "%s has a write-ahead log but no index beside it; reading it read-only may miss "
            "the last changes written to it",
            db_file,
        )
    return Access(IMMUTABLE, reason)


def _reads_read_only(db_file: Path) -> bool:
    """Whether SQLite reads *db_file* with ``mode=ro`` through the WAL index left beside it
    (an index a live writer keeps is readable; an empty or stale one is not)."""
    try:
        conn = sqlite3.connect(db_file.resolve().as_uri() + "?mode=ro", uri=True, timeout=1)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return True


def sqlite_engine(db_url: str, db_file: Path | None, access: Access) -> Engine:
    """An engine for the SQLite database *db_url* (*db_file*, or None in memory) opened as
    *access* says, with the pragmas and lock handling described in the module docstring."""
    if access.read_only and db_file is not None:
        uri = db_file.resolve().as_uri() + (
            "?mode=ro&immutable=1" if access.mode == IMMUTABLE else "?mode=ro"
        )

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True, timeout=15, check_same_thread=False)

        engine = create_engine("sqlite://", creator=connect, poolclass=QueuePool)
    else:
        engine = create_engine(db_url, connect_args={"timeout": 15, "check_same_thread": False})
    _configure(engine, db_file, access)
    return engine


def _configure(engine: Engine, db_file: Path | None, access: Access) -> None:
    wait_s = lock_wait_s()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # let SQLAlchemy's "begin" event below decide how each transaction starts
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        if not access.read_only:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(wait_s * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("signoff_write") and not access.read_only:
            begin_immediate(conn, db_file, wait_s)
        else:
            conn.exec_driver_sql("BEGIN")


def begin_immediate(conn: Connection, db_file: Path | None, wait_s: float) -> None:
    """Start a write transaction, waiting at most *wait_s* for another writer to finish.

    Raises RegistryBusyError when the lock stays taken, and Cancelled when the thread's
    wait-cancel check says to stop (both before anything was written).
    """
    deadline = time.monotonic() + wait_s
    conn.exec_driver_sql(f"PRAGMA busy_timeout={_POLL_MS}")
    try:
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if not _is_locked(exc):
                    raise
            if waits_cancelled():
                raise Cancelled(
                    "stopped waiting for another Signoff to finish writing; nothing was changed"
                )
            if time.monotonic() >= deadline:
                where = f" to {db_file}" if db_file is not None else ""
                raise RegistryBusyError(
                    f"another Signoff is writing{where}; waited {wait_s:g} s for it to "
                    "finish. Nothing was changed; try again when it is done (or set "
                    f"{LOCK_WAIT_ENV} to wait longer)."
                )
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(wait_s * 1000)}")


def _is_locked(exc: OperationalError) -> bool:
    text = str(exc.orig if exc.orig is not None else exc)
    return "database is locked" in text or "database is busy" in text
