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
