"""The artifact store re-checks hashes on every read and names what changed."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from signoff.core.artifacts.store import ArtifactStore
from signoff.core.common.errors import HashMismatchError, NotFoundError


def _tamper(store: ArtifactStore, sha: str, data: bytes) -> None:
    path = store.path_for(sha)
    os.chmod(path, 0o644)
    path.write_bytes(data)


def test_put_and_read(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "s")
    src = tmp_path / "f.bin"
    src.write_bytes(b"hello" * 1000)
    sha, size, new = store.put_file(src)
    assert sha == hashlib.sha256(b"hello" * 1000).hexdigest()
    assert (size, new) == (5000, True)
    assert store.put_file(src)[2] is False  # content-addressed: stored once
    assert store.read_bytes(sha) == b"hello" * 1000
    assert store.verify(sha) == 5000


def test_mismatch_on_read_names_the_component(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "s")
    sha, _, _ = store.put_bytes(b"original")
    _tamper(store, sha, b"altered!")
    with pytest.raises(HashMismatchError, match="credit-risk v1 model.joblib"):
        store.read_bytes(sha, "credit-risk v1 model.joblib")
    with pytest.raises(HashMismatchError):
        store.verify(sha, "x")


def test_materialize_checks_and_leaves_nothing_on_mismatch(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "s")
    sha, _, _ = store.put_bytes(b"payload")
    store.materialize(sha, tmp_path / "out" / "a.bin")
    assert (tmp_path / "out" / "a.bin").read_bytes() == b"payload"
    _tamper(store, sha, b"evil")
    with pytest.raises(HashMismatchError):
        store.materialize(sha, tmp_path / "out" / "b.bin")
    assert not (tmp_path / "out" / "b.bin").exists()


def test_missing_blob(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "s")
    with pytest.raises(NotFoundError, match="not in the artifact store"):
        store.read_bytes("a" * 64, "notes")


def test_bad_digest_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a sha256"):
        ArtifactStore(tmp_path).path_for("../../etc/passwd")


def test_put_file_reads_its_source_once(tmp_path: Path) -> None:
    """A pipe can be read only once: storing from one proves the copy is the hashed read."""
    import threading

    data = os.urandom(3 * 1024 * 1024 + 17)  # several chunks and a short last one
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as pipe:
            pipe.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    store = ArtifactStore(tmp_path / "s")
    sha, size, new = store.put_file(fifo)
    writer.join()
    assert (sha, size, new) == (hashlib.sha256(data).hexdigest(), len(data), True)
    assert store.read_bytes(sha) == data
    assert not [p for p in store.root.iterdir() if p.name.startswith(".incoming-")]


def test_put_file_of_an_empty_file(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "s")
    (tmp_path / "empty").write_bytes(b"")
    assert store.put_file(tmp_path / "empty") == (hashlib.sha256(b"").hexdigest(), 0, True)


def test_put_file_where_the_kernel_cannot_copy(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """Across filesystems on an older kernel copy_file_range says EXDEV: one buffer instead."""
    import errno

    from signoff.core.common import hashcopy

    def refuse(*_args: object) -> int:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(hashcopy.os, "copy_file_range", refuse)
    data = os.urandom(2 * hashcopy.CHUNK + 5)
    (tmp_path / "f.bin").write_bytes(data)
    store = ArtifactStore(tmp_path / "s")
    sha, size, _ = store.put_file(tmp_path / "f.bin")
    assert (sha, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert store.read_bytes(sha) == data


def test_a_copy_that_fails_part_way_stores_nothing(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    import errno

    from signoff.core.common import hashcopy

    real = hashcopy.os.copy_file_range
    calls = []

    def fail_second(src: int, dst: int, count: int) -> int:
        calls.append(count)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst, count)

    monkeypatch.setattr(hashcopy.os, "copy_file_range", fail_second)
    (tmp_path / "f.bin").write_bytes(os.urandom(3 * hashcopy.KERNEL_STEP))
    store = ArtifactStore(tmp_path / "s")
    with pytest.raises(OSError, match="No space left"):
        store.put_file(tmp_path / "f.bin")
    assert not [p for p in store.root.rglob("*") if p.is_file()]
