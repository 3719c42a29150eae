"""A full disk, read-only media or a locked database, said in words instead of a traceback.

SQLite says "database or disk is full", "disk I/O error" or "attempt to write a readonly
database"; the operating system says ENOSPC or EROFS; PostgreSQL says SQLSTATE 53100. A
person needs to know which disk, and that nothing was changed. :func:`storage_errors` wraps
the places that write a registry (a database transaction, files going into the artifact
store) and turns those failures into :class:`~signoff.core.common.errors.DiskFullError` and
:class:`~signoff.core.common.errors.ReadOnlyRegistryError`; every other error passes through.
"""

from __future__ import annotations

import errno
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from signoff.core.artifacts.protocol import Store
from signoff.core.artifacts.store import ArtifactStore
from signoff.core.common.errors import DiskFullError, ReadOnlyRegistryError, SignoffError

_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}
_LOW_SPACE_BYTES = 1024 * 1024  # "disk I/O error" with less than this free means a full disk


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _free_bytes(path: Path) -> int | None:
    try:
        return shutil.disk_usage(_nearest_existing(path)).free
    except OSError:
        return None


def _full(where: Path | str) -> DiskFullError:
    return DiskFullError(
        f"the disk holding {where} is full; free some space there and try again. "
        "Nothing was changed."
    )


def translate(exc: BaseException, folder: Path | None) -> SignoffError | None:
    """The person's error for a storage failure *exc* while writing in *folder* (the folder of
    the SQLite file or the artifact store; None for a database server), or None."""
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError):
        # the folder the caller writes into names the disk; an error's own file names may be
        # the source of a copy (shutil reports both), which lives on another disk
        named = exc.filename2 or exc.filename
        where = folder or (Path(named).parent if named else None)
        if exc.errno in _FULL_ERRNOS:
            return _full(where or "the registry")
        if exc.errno == errno.EROFS:
            return ReadOnlyRegistryError(
                f"{where or 'the registry'} is on read-only media; this changes the registry, "
                "so it was refused. Nothing was changed."
            )
        return None
    if not isinstance(exc, DBAPIError) or exc.orig is None:
        return None
    orig = exc.orig
    message = str(orig).lower()
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state == "53100" or "database or disk is full" in message:
        return _full(folder or "the database server's data")
    if state == "25006" or "readonly database" in message or "read-only database" in message:
        return ReadOnlyRegistryError(
            f"the registry{' in ' + str(folder) if folder else ''} is read-only; this changes "
            "it, so it was refused. Nothing was changed."
        )
    if "disk i/o error" in message and folder is not None:
        free = _free_bytes(folder)
        if free is not None and free < _LOW_SPACE_BYTES:
            return _full(folder)
        return SignoffError(
            f"the disk holding {folder} reported an I/O error while Signoff wrote to it; "
            "check the disk. Nothing was changed."
        )
    return None


@contextmanager
def storage_errors(folder: Path | None) -> Iterator[None]:
    """Re-raise a full disk or read-only media met inside the block as a person's error."""
    try:
        yield
    except (OSError, DBAPIError) as exc:
        mapped = translate(exc, folder)
        if mapped is None:
            raise
        raise mapped from exc


def local_folder(store: Store) -> Path:
    """The local folder a write to *store* fills first: the folder store itself, or a bucket's
    download cache (where uploads are staged); created by nobody here, so naming it never
    fails on read-only media."""
    return store.root if isinstance(store, ArtifactStore) else store.cache_home
