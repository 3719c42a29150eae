"""Files written whole or not at all, and the sha256 of a file.

A file the registry writes (a stored blob, a cached render, a report, an export) is written to
a new file in the destination's own folder, flushed to disk, and then renamed over the
destination with ``os.replace``. A crash or an error part way leaves the old file, or none, and
never half a file under the real name. The temporary file lives in the same folder because a
rename is atomic only within one filesystem.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

StrPath = str | os.PathLike[str]

#: permissions for a file only its owner may read (caches, anything that may hold secrets)
PRIVATE = 0o600


def sha256_file(path: StrPath) -> str:
    """The sha256 hex digest of the file at *path*, read in chunks (never whole into memory)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def sha256_bytes(data: bytes) -> str:
    """The sha256 hex digest of *data*."""
    return hashlib.sha256(data).hexdigest()


@contextmanager
def staged_file(folder: StrPath, prefix: str = ".tmp-", suffix: str = "") -> Iterator[Path]:
    """A new, empty file in *folder* (created if missing) to write before it is moved into place.

    Hand it to :func:`commit_file` when it is complete; whatever is still there when the block
    ends (an error, or a file that was not needed) is removed. The file is created with the
    permissions a new file gets from the process's umask.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    while True:
        path = folder / f"{prefix}{secrets.token_hex(8)}{suffix}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        break
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def commit_file(staged: StrPath, path: StrPath, *, mode: int | None = None) -> None:
    """Move the finished file *staged* to *path* atomically, replacing any file there.

    The content is forced to disk first, and the folder after the rename, so that after a
    power cut *path* holds the old content or the new, never a mix. *mode* (for example
    :data:`PRIVATE`, or ``0o444`` for a file nobody should change) sets the permissions; by
    default they are those the staged file was created with.
    """
    fd = os.open(staged, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    if mode is not None:
        os.chmod(staged, mode)
    os.replace(staged, path)
    _sync_folder(Path(path).parent)


@contextmanager
def atomic_writer(
    path: StrPath,
    *,
    binary: bool = False,
    mode: int | None = None,
    encoding: str = "utf-8",
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """A handle to write the new content of *path*; it replaces *path* when the block ends.

    If the block raises, *path* is left as it was and the partial file is removed. The folder
    of *path* must exist (a missing folder is an ``OSError`` naming it, as ``open`` would say).
    *binary* gives a bytes handle; *encoding* and *newline* are as for ``open`` in text mode.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(path))
    with staged_file(path.parent, prefix=f".{path.name}.", suffix=".tmp") as staged:
        handle: IO[Any]
        if binary:
            handle = open(staged, "wb")  # noqa: SIM115 - closed below, before the rename
        else:
            handle = open(staged, "w", encoding=encoding, newline=newline)  # noqa: SIM115
        with handle:
            yield handle
        commit_file(staged, path, mode=mode)


def atomic_write(
    path: StrPath, data: bytes | str, *, mode: int | None = None, encoding: str = "utf-8"
) -> None:
    """Replace the content of *path* with *data* (bytes, or text in *encoding*) atomically."""
    with atomic_writer(
        path, binary=isinstance(data, bytes), mode=mode, encoding=encoding, newline=""
    ) as handle:
        handle.write(data)


def _sync_folder(folder: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):  # Windows: a folder cannot be opened to sync it
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems (and FUSE mounts) refuse fsync on a folder
        pass
    finally:
        os.close(fd)
