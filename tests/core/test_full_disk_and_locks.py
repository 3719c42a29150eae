"""A full disk and a write lock held too long, said in words: "the disk holding … is full",
"another Signoff is writing …; waited 1 s" — exit 2, no traceback, nothing changed. A disk with
no room left at all still reads (the registry opens read-only and says why changes fail).

The full disk is a small tmpfs (``mount -t tmpfs -o size=…``) holding the registry; the test is
skipped with the reason where this process may not mount one.
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from signoff.cli import main
from signoff.core.common.errors import Cancelled, RegistryBusyError
from signoff.core.common.progress import cancellable_waits
from signoff.core.db.registry import open_registry
from signoff.core.governance.people import save_person
from signoff.core.publishing.publisher import publish
from tests.helpers.bad_input import registry_state
from tests.helpers.folders import write_model_folder


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs, or a skip saying why this machine cannot give one."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        pytest.skip(f"this machine does not allow a small tmpfs here: {made.stderr.strip()}")
    try:
        yield mount_point
    finally:
        gc.collect()  # connections of registries already closed may still hold the files
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def _fill(disk: Path, leave_bytes: int) -> None:
    """Take all but *leave_bytes* of *disk*'s free space."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(disk / "ballast", "wb") as ballast:
        ballast.write(b"\0" * max(0, free - leave_bytes))


def _no_stray_files(store: Path) -> None:
    stray = [p.name for p in store.rglob(".*")] if store.exists() else []
    assert stray == []


def test_publishing_onto_a_full_disk_says_which_disk(small_disk, tmp_path, capsys) -> None:
    home = small_disk / "home"
    registry = open_registry(home=home)
    registry.set_actor_for_embedded("alice")
    publish(registry, write_model_folder(tmp_path / "v1"))
    before = registry_state(registry)
    folder = write_model_folder(tmp_path / "v2", auc=0.9)
    (folder / "data" / "train.csv").write_bytes(b"x,y\n" + b"1,0\n" * 1_000_000)  # 4 MB
    _fill(small_disk, 512 * 1024)
    code = main(["--home", str(home), "publish", str(folder)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"signoff: error: the disk holding {home / 'artifacts'}" in err and "is full" in err
    assert "Traceback" not in err and "Nothing was changed" in err
    assert registry_state(registry) == before
    _no_stray_files(home / "artifacts")
    registry.close()


def test_ingesting_into_a_full_disk_says_so_and_stores_nothing(
    small_disk, tmp_path, capsys
) -> None:
    home = small_disk / "home"
    registry = open_registry(home=home)
    registry.set_actor_for_embedded("alice")
    publish(registry, write_model_folder(tmp_path / "v1"))
    before = registry_state(registry)
    rows = tmp_path / "predictions.jsonl"  # on the ordinary disk; the registry is the full one
    with rows.open("w") as out:
        for i in range(60_000):
            out.write(
                json.dumps(
                    {
                        "subject_key": f"S-{i:07d}",
                        "predicted_at": "2030-01-01T00:00:00Z",
                        "version": "toy-model@1",
                        "score": 0.5,
                        "input_ref": "x" * 60,
                    }
                )
                + "\n"
            )
    _fill(small_disk, 256 * 1024)
    code = main(["--home", str(home), "ingest", "predictions", str(rows)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"the disk holding {home} is full" in err and "Traceback" not in err
    (small_disk / "ballast").unlink()
    assert registry_state(registry) == before  # rolled back whole, and still readable
    assert main(["--home", str(home), "ls"]) == 0
    registry.close()


@pytest.fixture
def locked(registry) -> Iterator[sqlite3.Connection]:
    """Another process's view of the registry, holding its write lock."""
    other = sqlite3.connect(registry.engine.url.database, isolation_level=None, timeout=0.1)
    other.execute("BEGIN IMMEDIATE")
    yield other
    other.execute("ROLLBACK")
    other.close()


def test_a_write_behind_a_long_lock_gives_up_in_words(
    registry, home, locked, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("SIGNOFF_LOCK_WAIT", "1")
    before = registry_state(registry)
    code = main(["--home", str(home), "users", "add", "bob", "--role", "validator"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "another Signoff is writing to" in err and "waited 1 s" in err
    assert "database is locked" not in err and "Traceback" not in err
    locked.execute("ROLLBACK")
    locked.execute("BEGIN")  # the fixture's ROLLBACK ends this one
    assert registry_state(registry) == before


def test_a_wait_for_the_lock_can_be_cancelled(registry, locked) -> None:
    stop = threading.Event()
    outcome: list[BaseException] = []

    def write() -> None:
        try:
            with cancellable_waits(stop.is_set), registry.write() as session:
                save_person(session, "bob", actor="alice", roles=["validator"])
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=write)
    worker.start()
    stop.set()  # the person presses Cancel while the write waits (30 s by default)
    worker.join(timeout=20)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)
    assert "nothing was changed" in str(outcome[0])


def test_the_lock_wait_is_bounded_in_the_core(registry, locked, monkeypatch) -> None:
    monkeypatch.setenv("SIGNOFF_LOCK_WAIT", "0.5")
    fresh = open_registry(home=Path(registry.engine.url.database).parent)
    try:
        with pytest.raises(RegistryBusyError, match="waited 0.5 s"), fresh.write() as session:
            session.execute(text("SELECT 1"))  # the transaction (and its lock) starts here
    finally:
        fresh.close()


def test_a_registry_on_a_disk_with_no_space_left_still_reads(small_disk, tmp_path, capsys):
    home = small_disk / "home"
    registry = open_registry(home=home)
    registry.set_actor_for_embedded("alice")
    publish(registry, write_model_folder(tmp_path / "v1"))
    before = registry_state(registry)
    registry.close()
    _fill(small_disk, 0)  # not a byte left
    try:
        full = open_registry(home=home)
        try:  # SQLite cannot make its write-ahead index: the registry opens read-only
            assert full.read_only and f"the disk holding {home} is full" in full.access.reason
        finally:
            full.close()
        for args in (["ls"], ["show", "toy-model@1"], ["audit", "verify"], ["reviews"]):
            code = main(["--home", str(home), *args])
            captured = capsys.readouterr()
            assert code == 0, (args, captured.err)
            assert "Traceback" not in captured.err
        code = main(["--home", str(home), "users", "add", "bob", "--role", "validator"])
        err = capsys.readouterr().err
        assert code == 2, err
        assert "read-only (the disk holding" in err and "nothing was changed" in err
        assert "Traceback" not in err and "disk I/O error" not in err
    finally:
        (small_disk / "ballast").unlink()
    registry = open_registry(home=home)
    try:
        assert registry_state(registry) == before
    finally:
        registry.close()
