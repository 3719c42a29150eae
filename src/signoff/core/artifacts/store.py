"""Content-addressed artifact store: files kept under their sha256, re-checked on every read."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from signoff.core.common.errors import HashMismatchError, NotFoundError

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024


def sha256_file(path: Path) -> tuple[str, int]:
    """The sha256 hex digest and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
        """Copy *source* into the store; returns (sha256, size, newly_added)."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            sha = digest.hexdigest()
            target = self.path_for(sha)
            if target.exists():
                os.unlink(tmp_name)
                return sha, size, False
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp_name, 0o444)
            os.replace(tmp_name, target)
            return sha, size, True
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise

    def put_bytes(self, data: bytes) -> tuple[str, int, bool]:
        """Store *data*; returns (sha256, size, newly_added)."""
        with tempfile.NamedTemporaryFile(dir=self._tmpdir(), delete=False) as handle:
            handle.write(data)
        try:
            return self.put_file(Path(handle.name))
        finally:
            os.unlink(handle.name)

    def _tmpdir(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root

    def remove(self, sha256: str) -> None:
        """Remove a blob (used only to undo a publish that did not commit)."""
        path = self.path_for(sha256)
        if path.exists():
            os.chmod(path, 0o644)
            path.unlink()

    def verify(self, sha256: str, what: str = "") -> int:
        """Re-hash a stored blob; raises HashMismatchError naming *what* if it changed."""
        path = self.path_for(sha256)
        if not path.is_file():
            raise NotFoundError(f"{what or sha256}: not in the artifact store ({path})")
        actual, size = sha256_file(path)
        if actual != sha256:
            raise HashMismatchError(what or str(path), sha256, actual)
        return size

    def read_bytes(self, sha256: str, what: str = "") -> bytes:
        """The blob's bytes, after checking they still hash to *sha256*."""
        path = self.path_for(sha256)
        if not path.is_file():
            raise NotFoundError(f"{what or sha256}: not in the artifact store ({path})")
        data = path.read_bytes()
        actual = sha256_bytes(data)
        if actual != sha256:
            raise HashMismatchError(what or str(path), sha256, actual)
        return data

    def materialize(self, sha256: str, dest: Path, what: str = "") -> None:
        """Copy a blob to *dest*, checking the hash of the bytes actually written."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        src = self.path_for(sha256)
        if not src.is_file():
            raise NotFoundError(f"{what or sha256}: not in the artifact store ({src})")
        digest = hashlib.sha256()
        with open(src, "rb") as inp, open(dest, "wb") as out:
            while chunk := inp.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            dest.unlink()
            raise HashMismatchError(what or str(src), sha256, digest.hexdigest())
