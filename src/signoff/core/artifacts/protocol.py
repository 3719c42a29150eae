"""What every artifact store promises, whichever kind it is (a folder or a bucket).

The rest of the core holds a :class:`Store` and never asks which kind: publishing puts files,
the runner asks for a local file to copy into a working folder, the document tabs read bytes,
``signoff artifacts`` lists and verifies objects. Each read re-checks the sha256 the object is
stored under; a write returns only once the object is known to be stored under its hash.

Long transfers take two optional callbacks, the same shape the rest of the core uses:
``progress(fraction, message)`` and ``cancelled() -> bool``. A transfer that notices it was
cancelled stops, leaves nothing half-written behind and raises :class:`TransferCancelled`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from signoff.core.common.errors import Cancelled, SignoffError

ProgressFn = Callable[[float, str], None]
CancelledFn = Callable[[], bool]

_SHA256 = re.compile(r"[0-9a-f]{64}")


class ArtifactStoreError(SignoffError):
    """The store could not be reached, refused a request, or holds something unexpected."""


class TransferCancelled(Cancelled):
    """A transfer stopped because it was cancelled; nothing half-written was left behind."""

    def __init__(self, what: str) -> None:
        super().__init__(f"cancelled: {what} was not transferred; nothing was stored")
        self.what = what


def check_sha256(sha256: str) -> str:
    """*sha256* itself when it is a lower-case hex digest; ValueError otherwise."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return sha256


def megabytes(size: int) -> str:
    """A size as a person reads it in a progress line ("12.5 MB")."""
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.0f} kB"


@runtime_checkable
class Store(Protocol):
    """A content-addressed store: objects kept under their sha256, re-checked on every read."""

    kind: str  # "folder" or "s3"

    @property
    def url(self) -> str:
        """Where the store is, as a person types it (a folder path or ``s3://bucket/prefix``)."""
        ...

    @property
    def cache_home(self) -> Path:
        """A local folder for files derived from this store's objects (rendered pages)."""
        ...

    def check(self) -> None:
        """Raise ArtifactStoreError unless the store can be reached (cheap; no object read)."""
        ...

    def has(self, sha256: str) -> bool:
        """Whether an object is stored under *sha256* (its content is not re-checked)."""
        ...

    def size_of(self, sha256: str) -> int | None:
        """The stored object's size in bytes, or None when there is none."""
        ...

    def put_file(
        self,
        source: Path,
        *,
        expected_sha256: str | None = None,
        progress: ProgressFn | None = None,
        cancelled: CancelledFn | None = None,
    ) -> tuple[str, int, bool]:
        """Store *source*; returns (sha256, size, newly_added) once the write is verified.

        With *expected_sha256* the bytes stored must hash to it (HashMismatchError otherwise,
        and nothing is stored).
        """
        ...

    def put_bytes(self, data: bytes) -> tuple[str, int, bool]:
        """Store *data*; returns (sha256, size, newly_added)."""
        ...

    def remove(self, sha256: str) -> None:
        """Undo a put whose version did not commit (a bucket that forbids deletes keeps it)."""
        ...

    def verify(
        self,
        sha256: str,
        what: str = "",
        *,
        progress: ProgressFn | None = None,
        cancelled: CancelledFn | None = None,
    ) -> int:
        """Re-hash the stored object itself; its size, or HashMismatchError / NotFoundError."""
        ...

    def read_bytes(
        self,
        sha256: str,
        what: str = "",
        *,
        progress: ProgressFn | None = None,
        cancelled: CancelledFn | None = None,
    ) -> bytes:
        """The object's bytes, after checking they still hash to *sha256*."""
        ...

    def local_file(
        self,
        sha256: str,
        what: str = "",
        *,
        progress: ProgressFn | None = None,
        cancelled: CancelledFn | None = None,
    ) -> Path:
        """A local file holding the object (the folder's own file, or the download cache's).

        The caller copies it and hashes the copy: the bytes checked are the bytes used.
        """
        ...

    def materialize(
        self,
        sha256: str,
        dest: Path,
        what: str = "",
        *,
        progress: ProgressFn | None = None,
        cancelled: CancelledFn | None = None,
    ) -> None:
        """Copy the object to *dest*, checking the hash of the bytes actually written."""
        ...

    def objects(self) -> Iterator[tuple[str, int]]:
        """Every (sha256, size) the store holds, in no particular order."""
        ...

    def staging_dir(self) -> Path:
        """A local folder for temporary files on their way into the store."""
        ...
