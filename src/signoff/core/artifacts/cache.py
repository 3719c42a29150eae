"""The download cache: objects fetched from a bucket, kept in the user cache folder by hash.

A reviewer who opens the same notebook twice, or an auditor who re-runs a version, reads it
from here the second time. Entries are named by their sha256 and only ever enter by an atomic
rename after their bytes were hashed, so a crash leaves no half entry; a reader still re-hashes
an entry before trusting it, and an entry that no longer matches is dropped and fetched again.

The cache is bounded: after each new entry the least recently used ones are removed until the
total is under the limit (``SIGNOFF_ARTIFACT_CACHE_MB``, default 4096). Entries used in the last
few minutes are spared, so a working folder being built from several large objects is never
pulled from under the runner; the bound is exceeded, briefly, only by what is in use.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

from signoff.core.artifacts.protocol import check_sha256

log = logging.getLogger(__name__)

CACHE_DIR_ENV = "SIGNOFF_ARTIFACT_CACHE"
CACHE_SIZE_ENV = "SIGNOFF_ARTIFACT_CACHE_MB"
DEFAULT_LIMIT_MB = 4096
IN_USE_SECONDS = 300.0


def user_cache_root() -> Path:
    """Signoff's user cache folder (``~/.cache/signoff`` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("signoff", appauthor=False))


def default_cache() -> DownloadCache:
    """The cache the environment names, else ``<user cache>/artifacts`` with the default bound."""
    root = os.environ.get(CACHE_DIR_ENV)
    raw = os.environ.get(CACHE_SIZE_ENV, "")
    limit_mb = int(raw) if raw.strip().isdigit() else DEFAULT_LIMIT_MB
    folder = Path(root).expanduser() if root else user_cache_root() / "artifacts"
    return DownloadCache(folder, limit_mb * 1024 * 1024)


class DownloadCache:
    """Objects as ``root/ab/abcdef…``; temporary downloads in ``root/.incoming``."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max(0, int(max_bytes))

    def path_for(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256

    def lookup(self, sha256: str) -> Path | None:
        """The entry for *sha256* if present (marked as just used), else None."""
        path = self.path_for(sha256)
        try:
            os.utime(path)
        except FileNotFoundError:
            return None
        except OSError:
            pass  # a read-only cache still serves its entries
        return path if path.is_file() else None

    def incoming(self) -> Path:
        """A new, empty temporary file in the cache's staging folder."""
        staging = self.root / ".incoming"
        staging.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=staging, prefix="dl-")
        os.close(fd)
        return Path(name)

    def admit(self, temporary: Path, sha256: str) -> Path:
        """Move a download whose bytes hash to *sha256* into the cache; returns its path."""
        target = self.path_for(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(temporary, 0o444)
        os.replace(temporary, target)
        self.evict(keep=target)
        return target

    def discard(self, sha256: str) -> None:
        """Drop an entry (one that failed its hash check)."""
        path = self.path_for(sha256)
        try:
            os.chmod(path, 0o644)
            path.unlink()
        except FileNotFoundError:
            pass

    def entries(self) -> list[tuple[float, int, Path]]:
        """(last used, size, path) of every entry."""
        found: list[tuple[float, int, Path]] = []
        if not self.root.is_dir():
            return found
        for shard in self.root.iterdir():
            if len(shard.name) != 2 or not shard.is_dir():
                continue
            for path in shard.iterdir():
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue  # another process evicted it just now
                found.append((stat.st_mtime, stat.st_size, path))
        return found

    def total_bytes(self) -> int:
        return sum(size for _used, size, _path in self.entries())

    def evict(self, keep: Path | None = None) -> int:
        """Remove least recently used entries until under the bound; returns bytes freed."""
        entries = sorted(self.entries())
        total = sum(size for _used, size, _path in entries)
        freed = 0
        spare_after = time.time() - IN_USE_SECONDS
        for used, size, path in entries:
            if total - freed <= self.max_bytes:
                break
            if path == keep or used > spare_after:
                continue
            try:
                os.chmod(path, 0o644)
                path.unlink()
                freed += size
            except FileNotFoundError:
                freed += size
            except OSError as exc:
                log.warning("could not evict %s from the artifact cache: %s", path.name, exc)
        if freed:
            log.info("artifact cache: evicted %.1f MB", freed / 1e6)
        return freed
