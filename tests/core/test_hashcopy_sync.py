"""The copy is forced to disk by the copying thread while it is hashed: a failure there is
the store's failure, never swallowed (a write-back error is reported only once)."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest

from signoff.core.artifacts.store import ArtifactStore
from signoff.core.common import hashcopy


def test_a_failed_sync_of_the_copy_stores_nothing(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    def failing_fsync(_fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(hashcopy.os, "fsync", failing_fsync)
    (tmp_path / "f.bin").write_bytes(os.urandom(hashcopy.CHUNK * 5 + 3))
    store = ArtifactStore(tmp_path / "s")
    with pytest.raises(OSError, match="Input/output error"):
        store.put_file(tmp_path / "f.bin")
    assert not [p for p in store.root.rglob("*") if p.is_file()]


def test_the_copy_is_synced_before_it_is_renamed_into_place(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """The early sync comes from the copying thread, and the store's own sync still follows."""
    real = os.fsync
    synced: list[int] = []

    def counting_fsync(fd: int) -> None:
        synced.append(fd)
        real(fd)

    monkeypatch.setattr(hashcopy.os, "fsync", counting_fsync)
    data = os.urandom(hashcopy.CHUNK * 5 + 3)
    (tmp_path / "f.bin").write_bytes(data)
    store = ArtifactStore(tmp_path / "s")
    sha, size, new = store.put_file(tmp_path / "f.bin")
    assert (sha, size, new) == (hashlib.sha256(data).hexdigest(), len(data), True)
    assert len(synced) >= 2  # the copy's early sync, then the store's before the rename
    assert store.read_bytes(sha) == data
