"""A registry that cannot be written — handed to an auditor on read-only media, in a folder this
user may not write, or opened with ``--read-only`` — still reads: ``ls``, ``show``, ``audit
verify`` and ``audit export``, ``render``, approvals, reviews, monitoring and notification
reports work; every change is refused with a message (exit 2) and the registry file is left
byte for byte as it was.

Three ways to make it read-only, each tried where the machine allows it:

* SQLite's read-only open (``--read-only``), everywhere;
* ``chmod``: as an ordinary user directly; as root (whom permissions do not stop) by running
  Signoff as another user — skipped when no other user can run this Python;
* a read-only bind mount (``mount --bind`` then ``remount,ro``), where this process may mount.
"""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from signoff.cli import main
from signoff.core.audit.anchor_store import CONFIG_DIR_ENV
from signoff.core.common.errors import ReadOnlyRegistryError
from signoff.core.db.registry import open_registry
from signoff.core.ingest.records import ingest_records
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder

READS = [
    ["ls"],
    ["ls", "--json"],
    ["show", "toy-model@1"],
    ["show", "toy-model", "--json"],
    ["audit", "verify"],
    ["approvals", "toy-model@1"],
    ["reviews"],
    ["monitor", "--dry-run", "--json"],
    ["notify", "--status"],
    ["policy", "show"],
    ["users", "ls"],
]
WRITES = [
    ["submit", "toy-model@1"],
    ["users", "add", "bob", "--role", "validator"],
    ["consumers", "add", "toy-model", "billing"],
    ["tier", "toy-model", "high", "--reason", "reassessed"],
]


@pytest.fixture
def filled_home(tmp_path: Path) -> Path:
    """A closed registry home with a model, a prediction, a person and their audit events."""
    home = tmp_path / "home"
    registry = open_registry(home=home)
    registry.set_actor_for_embedded("alice")
    publish(registry, write_model_folder(tmp_path / "model"))
    ingest_records(
        registry,
        "predictions",
        [
            {
                "subject_key": "S-1",
                "predicted_at": "2030-01-01",
                "version": "toy-model@1",
                "score": 1,
            }
        ],
    )
    registry.close()
    return home


def digest(home: Path) -> str:
    return hashlib.sha256((home / "registry.db").read_bytes()).hexdigest()


def check_reads_and_refusals(capsys, argv0: list[str], model_folder: Path) -> None:
    # an auditor's copies go elsewhere: the export and a release note rendered to HTML
    out = model_folder.parent / "auditor"
    out.mkdir(exist_ok=True)
    exports = [
        ["audit", "export", str(out / "events.json")],
        ["audit", "export", str(out / "events.csv")],
        ["render", str(model_folder / "RELEASE_NOTES.md"), "-o", str(out / "notes.html"), "-q"],
    ]
    for args in READS + exports:
        code = main([*argv0, *args])
        captured = capsys.readouterr()
        assert code == 0, (args, captured.err)
        assert "Traceback" not in captured.err
    assert (out / "events.json.head.json").is_file() and (out / "notes.html").stat().st_size
    rows = out / "predictions.jsonl"
    rows.write_text(
        '{"subject_key": "S-2", "predicted_at": "2030-01-02", "version": "toy-model@1", '
        '"score": 0}\n'
    )
    for args in WRITES + [["publish", str(model_folder)], ["ingest", "predictions", str(rows)]]:
        code = main([*argv0, *args])
        captured = capsys.readouterr()
        assert code == 2, (args, captured.out, captured.err)
        assert "read-only" in captured.err and "nothing was changed" in captured.err, captured.err
        assert "Traceback" not in captured.err


def test_read_only_open_reads_everything_and_refuses_every_change(
    filled_home, tmp_path, capsys
) -> None:
    before = digest(filled_home)
    folder = write_model_folder(tmp_path / "next", auc=0.9)
    check_reads_and_refusals(capsys, ["--home", str(filled_home), "--read-only"], folder)
    assert digest(filled_home) == before
    assert not (filled_home / "artifacts" / ".incoming").exists()


def test_the_core_refuses_writes_before_they_start(filled_home) -> None:
    registry = open_registry(home=filled_home, read_only=True)
    try:
        assert registry.read_only and "opened read-only" in registry.access.reason
        with (
            pytest.raises(ReadOnlyRegistryError, match="the change was refused"),
            registry.write(),
        ):
            pass
        with pytest.raises(ReadOnlyRegistryError, match="ingesting was refused"):
            ingest_records(
                registry,
                "outcomes",
                [{"subject_key": "S", "observed_at": "2030-01-02", "actual": 1}],
            )
    finally:
        registry.close()


def test_a_missing_registry_cannot_be_opened_read_only(tmp_path) -> None:
    with pytest.raises(ReadOnlyRegistryError, match="no registry at"):
        open_registry(home=tmp_path / "nowhere", read_only=True)


# -- chmod ---------------------------------------------------------------------------------------
def _read_only_tree(home: Path) -> None:
    for path in [home, *home.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _other_user_runs_python() -> str | None:
    """Why Signoff cannot be run as another user here, or None when it can."""
    if shutil.which("setpriv") is None:
        return "setpriv (util-linux) is not installed"
    probe = subprocess.run(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            "-c",
            "import signoff",
        ],
        capture_output=True,
        text=True,
        cwd="/",
    )
    if probe.returncode != 0:
        return (
            "the tests run as root, whom file permissions do not stop, and user 65534 cannot "
            f"run this Python with Signoff ({sys.executable}: {probe.stderr.strip()[-80:]})"
        )
    return None


def test_a_registry_without_write_permission_reads_and_refuses(filled_home, tmp_path, capsys):
    folder = write_model_folder(tmp_path / "next", auc=0.9)
    if os.geteuid() != 0:
        before = digest(filled_home)
        _read_only_tree(filled_home)
        try:
            check_reads_and_refusals(capsys, ["--home", str(filled_home)], folder)
        finally:
            for path in [filled_home, *filled_home.rglob("*")]:
                path.chmod(path.stat().st_mode | stat.S_IWUSR)
        assert digest(filled_home) == before
        return
    why = _other_user_runs_python()
    if why:
        pytest.skip(why)
    shared = Path(tempfile.mkdtemp(prefix="signoff-ro-"))
    try:
        shared.chmod(0o755)
        home = shared / "home"
        shutil.copytree(filled_home, home)
        _read_only_tree(home)
        # the other user's own log and config folders (the test's are root's, unreadable)
        env = {
            **os.environ,
            "SIGNOFF_LOG_DIR": str(shared / "logs"),
            "HOME": str(shared),
            "XDG_CONFIG_HOME": str(shared / "config"),
            CONFIG_DIR_ENV: str(shared / "config"),
        }
        for own in ("logs", "config"):
            (shared / own).mkdir()
            (shared / own).chmod(0o777)

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [
                    "setpriv",
                    "--reuid=65534",
                    "--regid=65534",
                    "--clear-groups",
                    sys.executable,
                    "-m",
                    "signoff",
                    "--home",
                    str(home),
                    *args,
                ],
                capture_output=True,
                text=True,
                env=env,
                cwd="/",
                timeout=120,
            )

        assert run("ls").returncode == 0 and run("audit", "verify").returncode == 0
        refused = run("submit", "toy-model@1")
        assert refused.returncode == 2 and "read-only" in refused.stderr
    finally:
        shutil.rmtree(shared, ignore_errors=True)


# -- a read-only mount ---------------------------------------------------------------------------
@contextmanager
def read_only_mount(source: Path, target: Path) -> Iterator[Path]:
    """*source* seen read-only at *target* (a bind mount), or a skip saying why not."""
    target.mkdir()
    bound = subprocess.run(["mount", "--bind", str(source), str(target)], capture_output=True)
    if bound.returncode != 0:
        pytest.skip(f"this machine does not allow a bind mount here: {bound.stderr[:120]!r}")
    try:
        remount = subprocess.run(
            ["mount", "-o", "remount,ro,bind", str(target)], capture_output=True
        )
        if remount.returncode != 0:
            pytest.skip(f"this machine does not allow a read-only remount: {remount.stderr!r}")
        yield target
    finally:
        gc.collect()  # connections of registries already closed may still hold the files
        if subprocess.run(["umount", str(target)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(target)], capture_output=True)


@pytest.mark.parametrize("leftover_index", [False, True])
def test_a_registry_on_read_only_media_reads_and_refuses(
    filled_home, tmp_path, capsys, leftover_index
) -> None:
    if shutil.which("mount") is None:
        pytest.skip("no mount command on this machine")
    for name in ("registry.db-wal", "registry.db-shm"):
        (filled_home / name).unlink(missing_ok=True)
    before = digest(filled_home)
    folder = write_model_folder(tmp_path / "next", auc=0.9)
    # a registry mounted read-only while a Signoff still has it open has a live WAL index
    # beside it, read through with mode=ro; one closed cleanly has none: immutable
    writer = sqlite3.connect(filled_home / "registry.db") if leftover_index else None
    if writer is not None:
        writer.execute("SELECT count(*) FROM models").fetchone()
    with read_only_mount(filled_home, tmp_path / "media") as media:
        registry = open_registry(home=media)
        try:
            assert registry.read_only and "read-only media" in registry.access.reason
            assert registry.access.mode == ("read-only" if leftover_index else "immutable")
        finally:
            registry.close()
        check_reads_and_refusals(capsys, ["--home", str(media)], folder)
    if writer is not None:
        writer.close()
    assert digest(filled_home) == before
