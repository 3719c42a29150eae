"""Content-addressed artifact store: files kept under their sha256, re-checked on every read."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from signoff.core.common.errors import HashMismatchError, NotFoundError
from signoff.core.common.files import commit_file, sha256_bytes, sha256_file, staged_file
from signoff.core.common.hashcopy import copy_hashed

log = logging.getLogger(__name__)


class ArtifactStore:
    """Files stored as ``root/ab/abcdef…`` by content hash."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put_file(self, source: Path) -> tuple[str, int, bool]:
        """Copy *source* into the store; returns (sha256, size, newly_added).

        One read of *source* (see :func:`~signoff.core.common.hashcopy.copy_hashed`): the blob is
        stored under the hash of exactly the bytes it holds.
        """
        with staged_file(self.root, prefix=".incoming-") as staged:
            sha, size = copy_hashed(source, staged)
            return self._keep(staged, sha, size)

    def put_bytes(self, data: bytes) -> tuple[str, int, bool]:
        """Store *data*; returns (sha256, size, newly_added)."""
        with staged_file(self.root, prefix=".incoming-") as staged:
            staged.write_bytes(data)
            return self.adopt(staged)

    def adopt(self, staged: Path) -> tuple[str, int, bool]:
        """Move *staged*, a complete file in the store's folder (from
        :func:`~signoff.core.common.files.staged_file`), into the store under its sha256.

        The hash is taken of *staged* itself, so the blob holds exactly the bytes hashed.
        When the store already has that content, *staged* is left for its owner to remove.
        Returns (sha256, size, newly_added).
        """
        return self._keep(staged, sha256_file(staged), os.path.getsize(staged))

    def _keep(self, staged: Path, sha: str, size: int) -> tuple[str, int, bool]:
        target = self.path_for(sha)
        if target.exists():
            return sha, size, False
        target.parent.mkdir(parents=True, exist_ok=True)
        commit_file(staged, target, mode=0o444)
        return sha, size, True

    def remove(self, sha256: str) -> None:
        """Remove a blob (used only to undo a publish that did not commit)."""
        path = self.path_for(sha256)
        if path.exists():
            os.chmod(path, 0o644)
            path.unlink()

    def verify(self, sha256: str, what: str = "") -> int:
        """Re-hash a stored blob; raises HashMismatchError naming *what* if it changed."""
        path = self._existing(sha256, what)
        actual = sha256_file(path)
        if actual != sha256:
            raise HashMismatchError(what or str(path), sha256, actual)
        return path.stat().st_size

    def read_bytes(self, sha256: str, what: str = "") -> bytes:
        """The blob's bytes, after checking they still hash to *sha256*."""
        path = self._existing(sha256, what)
        data = path.read_bytes()
        actual = sha256_bytes(data)
        if actual != sha256:
            raise HashMismatchError(what or str(path), sha256, actual)
        return data

    def materialize(self, sha256: str, dest: Path, what: str = "") -> None:
        """Copy a blob to *dest* and hash the copy itself: the bytes checked are exactly the
        bytes a reader of *dest* gets. On a mismatch the copy is deleted and
        HashMismatchError raised."""
        src = self._existing(sha256, what)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)  # kernel-side copy (copy_file_range / sendfile)
        actual = sha256_file(dest)
        if actual != sha256:
            dest.unlink()
            raise HashMismatchError(what or str(src), sha256, actual)

    def _existing(self, sha256: str, what: str) -> Path:
        path = self.path_for(sha256)
        if not path.is_file():
            raise NotFoundError(f"{what or sha256}: not in the artifact store ({path})")
        return path
