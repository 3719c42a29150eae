"""Looking before opening: does a registry live here, may one be created here, and why not.

Opening a database file that does not exist creates one, so a typo in *File › Open registry*
used to leave a new, empty registry at the mistyped path. :func:`check_location` looks without
creating or changing anything: an existing registry can be opened; an empty place can hold a new
one after the person agrees (its artifact folder beside it, never one another registry uses);
anything else is refused with a reason in words. :func:`open_problem` turns the errors opening
can raise (a folder that cannot be created, a file that is not a database, a server that does
not answer) into a sentence.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from signoff.core.artifacts.location import is_object_store_url
from signoff.core.common.errors import DatabaseLocationError, SignoffError
from signoff.core.db.registry import Location, check_local_database_path

#: a table every Signoff registry has (the migrations' own bookkeeping is the other)
_REGISTRY_TABLES = {"alembic_version", "models"}


class RegistryLocationError(SignoffError):
    """No registry can be opened or created at the place named."""


@dataclass(frozen=True)
class LocationCheck:
    """What lives at a location: a registry to open, or room for a new one."""

    location: Location
    exists: bool  # a Signoff registry is already there

    @property
    def where(self) -> str:
        """The database as a person reads it (a file path, or the URL without a password)."""
        url = make_url(self.location.db_url)
        if url.get_backend_name() == "sqlite":
            return url.database or ""
        return url.render_as_string(hide_password=True)


def _sqlite_file(location: Location) -> Path | None:
    url = make_url(location.db_url)
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if not database or database == ":memory:":
        raise RegistryLocationError("an in-memory database cannot hold a registry")
    return Path(database)


def _sqlite_tables(path: Path) -> set[str]:
    """The tables of the SQLite file at *path*, opened read-only (nothing is created)."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        raise RegistryLocationError(f"{path} cannot be read: {exc}") from exc
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    except sqlite3.DatabaseError as exc:
        raise RegistryLocationError(
            f"{path} is not a Signoff registry (it is not an SQLite database)"
        ) from exc
    finally:
        conn.close()
    return {name for (name,) in rows}


def _artifacts_problem(artifacts: Path | str) -> str:
    """Why a new registry may not use *artifacts* ('' when it may). A bucket is not judged
    here: it is reached (and refused in words) when the registry opens."""
    if isinstance(artifacts, str):
        if is_object_store_url(artifacts):
            return ""
        artifacts = Path(artifacts)
    if artifacts.exists() and not artifacts.is_dir():
        return f"{artifacts} is a file, so it cannot be the registry's artifact folder"
    if artifacts.is_dir() and any(artifacts.iterdir()):
        return (
            f"the artifact folder {artifacts} already holds another registry's files; a new "
            "registry needs its own (choose an empty folder for it)"
        )
    return ""


def _creatable_folder(folder: Path) -> str:
    """Why a folder for a new registry could not be made at *folder* ('' when it could)."""
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is a file, so no folder can be made inside it"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"you may not create files in {probe}"
    return ""


def _check_sqlite(location: Location, path: Path) -> LocationCheck:
    try:
        check_local_database_path(path)
    except DatabaseLocationError as exc:
        raise RegistryLocationError(str(exc)) from exc
    if path.is_dir():
        raise RegistryLocationError(f"{path} is a folder, not a database file")
    if path.is_file() and path.stat().st_size > 0:
        tables = _sqlite_tables(path)
        if tables & _REGISTRY_TABLES:
            return LocationCheck(location, True)
        if tables:
            raise RegistryLocationError(
                f"{path} is an SQLite database of another program, not a Signoff registry"
            )
    problem = _creatable_folder(path.parent) or _artifacts_problem(location.artifacts)
    if problem:
        raise RegistryLocationError(f"no registry can be created here: {problem}")
    return LocationCheck(location, False)


def _check_server(location: Location) -> LocationCheck:
    url = make_url(location.db_url)
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url, connect_args={"connect_timeout": 10})
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
    except SQLAlchemyError as exc:
        raise RegistryLocationError(open_problem(exc)) from exc
    finally:
        engine.dispose()
    if tables & _REGISTRY_TABLES:
        return LocationCheck(location, True)
    if tables:
        raise RegistryLocationError(
            f"the database {url.database} holds other tables and is not a Signoff registry; "
            "use an empty database for a new registry"
        )
    problem = _artifacts_problem(location.artifacts)
    if problem:
        raise RegistryLocationError(f"no registry can be created here: {problem}")
    return LocationCheck(location, False)


def check_location(location: Location) -> LocationCheck:
    """Whether a registry exists at *location*, or may be created there; creates nothing.

    Raises :class:`RegistryLocationError` with the reason in words when neither: a file that is
    another program's database, a folder nobody may write to, an artifact folder that already
    holds another registry's files, a server that refuses the connection.
    """
    path = _sqlite_file(location)
    if path is not None:
        return _check_sqlite(location, path)
    return _check_server(location)


_ERRNO_WORDS = {
    errno.ENOENT: "a folder on the way does not exist",
    errno.EACCES: "you may not write there",
    errno.EPERM: "you may not write there",
    errno.EROFS: "the disk is read-only",
    errno.ENOSPC: "the disk is full",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder, not a file",
}


def open_problem(exc: BaseException) -> str:
    """What went wrong opening or creating a registry, as a sentence a person can act on."""
    if isinstance(exc, SignoffError):
        return str(exc)
    if isinstance(exc, OSError):
        words = _ERRNO_WORDS.get(exc.errno or 0, exc.strerror or str(exc))
        where = f" ({exc.filename})" if exc.filename else ""
        return f"the registry cannot be opened or created: {words}{where}"
    if isinstance(exc, DBAPIError):
        message = str(exc.orig or exc).strip().splitlines()
        first = message[0] if message else type(exc).__name__
        lowered = first.lower()
        if "password authentication failed" in lowered:
            return "the database refused the login: the password is wrong"
        if "does not exist" in lowered and "database" in lowered:
            return f"the server has no such database ({first})"
        if "connection refused" in lowered or "could not connect" in lowered:
            return "the database server does not answer (is it running, and is the address right?)"
        if "not a database" in lowered:
            return "the file is not an SQLite database, so it is not a Signoff registry"
        if "unable to open database file" in lowered:
            return "the database file cannot be opened (check the folder exists and is writable)"
        return f"the database says: {first}"
    if isinstance(exc, SQLAlchemyError):
        return f"the database could not be opened: {exc}"
    return f"the registry could not be opened: {type(exc).__name__}: {exc}"


__all__ = ["LocationCheck", "RegistryLocationError", "check_location", "open_problem"]
