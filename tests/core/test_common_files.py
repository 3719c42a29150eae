"""Files written whole or not at all, with the permissions asked for; sha256 of files."""

from __future__ import annotations

import csv
import hashlib
import os
import stat
from pathlib import Path

import pytest

from signoff.core.common.files import (
    PRIVATE,
    atomic_write,
    atomic_writer,
    commit_file,
    sha256_bytes,
    sha256_file,
    staged_file,
)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sha256_file_matches_hashing_the_bytes(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # several of file_digest's chunks, and a tail
    (tmp_path / "big.bin").write_bytes(data)
    (tmp_path / "empty").write_bytes(b"")
    assert sha256_file(tmp_path / "big.bin") == hashlib.sha256(data).hexdigest()
    assert sha256_file(str(tmp_path / "empty")) == hashlib.sha256(b"").hexdigest()
    assert sha256_bytes(data) == hashlib.sha256(data).hexdigest()


def test_sha256_file_of_a_missing_file_says_which(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nothing.bin"):
        sha256_file(tmp_path / "nothing.bin")


def test_atomic_write_replaces_the_content_exactly(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old", encoding="utf-8")
    atomic_write(target, "line one\r\nline two\nü\n")
    assert target.read_bytes() == "line one\r\nline two\nü\n".encode()  # no newline translation
    atomic_write(target, b"%PDF-1.7\n\x00\xff")
    assert target.read_bytes() == b"%PDF-1.7\n\x00\xff"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_private_and_read_only_modes(tmp_path: Path) -> None:
    atomic_write(tmp_path / "cache.json", "{}", mode=PRIVATE)
    assert mode_of(tmp_path / "cache.json") == 0o600
    atomic_write(tmp_path / "blob", b"x", mode=0o444)
    assert mode_of(tmp_path / "blob") == 0o444


def test_by_default_a_new_file_gets_the_umask_permissions(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "export.csv", "a,b\n")
    finally:
        os.umask(old)
    assert mode_of(tmp_path / "export.csv") == 0o640


def test_an_error_while_writing_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "inventory.csv"
    target.write_text("name\ncredit-risk\n", encoding="utf-8")
    with (
        pytest.raises(RuntimeError, match="lost connection"),
        atomic_writer(target, newline="") as out,
    ):
        writer = csv.writer(out)
        writer.writerow(["name"])
        writer.writerow(["half"])
        raise RuntimeError("lost connection")
    assert target.read_text(encoding="utf-8") == "name\ncredit-risk\n"
    assert [p.name for p in tmp_path.iterdir()] == ["inventory.csv"]


def test_a_missing_folder_is_an_error_naming_the_file_and_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "x.csv"
    with pytest.raises(FileNotFoundError, match="no-such-dir"):
        atomic_write(target, "a\n")
    assert not target.parent.exists()


def test_a_staged_file_is_removed_unless_committed(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with staged_file(store, prefix=".incoming-") as staged:
        assert staged.parent == store and staged.name.startswith(".incoming-")
        staged.write_bytes(b"not needed")
    assert list(store.iterdir()) == []
    with staged_file(store) as staged:
        staged.write_bytes(b"kept")
        commit_file(staged, store / "kept.bin", mode=0o444)
    assert [p.name for p in store.iterdir()] == ["kept.bin"]
    assert (store / "kept.bin").read_bytes() == b"kept" and mode_of(store / "kept.bin") == 0o444


def test_two_staged_files_in_one_folder_never_collide(tmp_path: Path) -> None:
    with staged_file(tmp_path) as first, staged_file(tmp_path) as second:
        assert first != second and first.exists() and second.exists()
