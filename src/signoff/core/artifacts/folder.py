"""The folder store as a :class:`~signoff.core.artifacts.protocol.Store`.

:class:`~signoff.core.artifacts.store.ArtifactStore` keeps the folder layout and its checks;
this subclass adds what the protocol asks of every store (a local file for the runner, a
listing for ``signoff artifacts verify``, the transfer callbacks) without changing it. A local
copy is fast, so the callbacks are only honoured between objects, not within one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from signoff.core.artifacts.protocol import (
    ArtifactStoreError,
    CancelledFn,
    ProgressFn,
    TransferCancelled,
    check_sha256,
)
from signoff.core.artifacts.store import ArtifactStore
from signoff.core.common.errors import HashMismatchError, NotFoundError

log = logging.getLogger(__name__)


class FolderStore(ArtifactStore):
    """Files stored as ``root/ab/abcdef…`` in a local or shared folder."""

    kind = "folder"

    @property
    def url(self) -> str:
        return str(self.root)

    @property
    def cache_home(self) -> Path:
        return self.root.parent / "cache"

    def check(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise ArtifactStoreError(f"the artifact store {self.root} is a file, not a folder")

    def size_of(self, sha256: str) -> int | None:
        path = self.path_for(sha256)
        return path.stat().st_size if path.is_file() else None

    def put_file(
        self,
        source: Path,
        *,
        expected_sha256: str | None = None,
        progress: ProgressFn | None = None,
        cancelled: CancelledFn | None = None,
    ) -> tuple[str, int, bool]:
        if cancelled is not None and cancelled():
            raise TransferCancelled(Path(source).name)
        sha, size, new = super().put_file(Path(source))
        if expected_sha256 is not None and sha != expected_sha256:
            if new:
                self.remove(sha)
            raise HashMismatchError(str(source), expected_sha256, sha)
        if progress is not None:
            progress(1.0, f"stored {Path(source).name}")
        return sha, size, new

    def verify(
        self,
        sha256: str,
        what: str = "",
        *,
        progress: ProgressFn | None = None,
        cancelled: CancelledFn | None = None,
    ) -> int:
        return super().verify(sha256, what)

    def read_bytes(
        self,
        sha256: str,
        what: str = "",
        *,
        progress: ProgressFn | None = None,
        cancelled: CancelledFn | None = None,
    ) -> bytes:
        return super().read_bytes(sha256, what)

    def materialize(
        self,
        sha256: str,
        dest: Path,
        what: str = "",
        *,
        progress: ProgressFn | None = None,
        cancelled: CancelledFn | None = None,
    ) -> None:
        if cancelled is not None and cancelled():
            raise TransferCancelled(what or sha256)
        super().materialize(sha256, dest, what)

    def local_file(
        self,
        sha256: str,
        what: str = "",
        *,
        progress: ProgressFn | None = None,
        cancelled: CancelledFn | None = None,
    ) -> Path:
        path = self.path_for(sha256)
        if not path.is_file():
            raise NotFoundError(f"{what or sha256}: not in the artifact store ({path})")
        return path

    def objects(self) -> Iterator[tuple[str, int]]:
        if not self.root.is_dir():
            return
        for shard in sorted(self.root.iterdir()):
            if not shard.is_dir() or len(shard.name) != 2:
                continue
            for path in shard.iterdir():
                try:
                    check_sha256(path.name)
                except ValueError:
                    continue  # a stray file is not an object; verify never counts it
                if path.name.startswith(shard.name) and path.is_file():
                    yield path.name, path.stat().st_size

    def staging_dir(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root
