"""The command line as a person meets its failures: one line, an exit code, the rest in the log.

Each test runs the real ``signoff`` console script in a subprocess with its own log folder.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from signoff.core.common.logs import LOG_DIR_ENV, LOG_FILE_NAME
from tests.helpers.scripts import signoff_command

EXIT_INTERNAL_ERROR = 70


def run_signoff(
    args: list[str], log_dir: Path, timeout: float = 120
) -> subprocess.CompletedProcess:
    env = {**os.environ, LOG_DIR_ENV: str(log_dir)}
    return subprocess.run(
        [*signoff_command(), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def broken_home(tmp_path: Path) -> Path:
    """A registry home whose registry.db is not a database (a truncated copy, a stray file)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "registry.db").write_bytes(b"this is not a database, just a stray file\n" * 200)
    return home


def test_internal_error_is_one_line_and_the_traceback_is_in_the_log(
    broken_home: Path, tmp_path: Path
) -> None:
    before = (broken_home / "registry.db").read_bytes()
    logs = tmp_path / "logs"
    done = run_signoff(["--home", str(broken_home), "ls"], logs)

    assert done.returncode == EXIT_INTERNAL_ERROR, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    log_file = logs / LOG_FILE_NAME
    assert lines == [
        "signoff: internal error: DatabaseError: (sqlite3.DatabaseError) file is not a "
        f"database (details in {log_file})"
    ]
    assert "Traceback" not in done.stderr
    logged = log_file.read_text(encoding="utf-8")
    assert "ERROR" in logged and "signoff.cli" in logged and "internal error in ls" in logged
    assert "Traceback (most recent call last)" in logged
    assert "file is not a database" in logged
    # the file that was there is left exactly as it was
    assert (broken_home / "registry.db").read_bytes() == before


def test_verbose_shows_the_traceback_too(broken_home: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    done = run_signoff(["-v", "--home", str(broken_home), "ls"], logs)

    assert done.returncode == EXIT_INTERNAL_ERROR
    assert "Traceback (most recent call last)" in done.stderr
    assert "sqlite3.DatabaseError: file is not a database" in done.stderr
    assert done.stderr.splitlines()[-1].startswith("signoff: internal error: DatabaseError:")
    assert "Traceback" in (logs / LOG_FILE_NAME).read_text(encoding="utf-8")


def test_bad_input_is_still_a_message_and_exit_2(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    done = run_signoff(["--home", str(tmp_path / "home"), "show", "no-such-model@1"], logs)

    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("signoff: error: ")
    assert "no-such-model" in done.stderr
    assert "Traceback" not in done.stderr
    assert (logs / LOG_FILE_NAME).is_file()


def test_unwritable_log_folder_degrades_to_stderr_only(broken_home: Path, tmp_path: Path) -> None:
    # a log folder under a regular file cannot be created, even by root
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder should be\n")
    logs = blocker / "logs"

    fine = run_signoff(["--home", str(tmp_path / "empty"), "ls"], logs)
    assert fine.returncode == 0, fine.stderr
    assert fine.stdout.startswith("MODEL")
    assert fine.stderr == ""

    broken = run_signoff(["--home", str(broken_home), "ls"], logs)
    assert broken.returncode == EXIT_INTERNAL_ERROR
    assert broken.stderr.splitlines() == [
        "signoff: internal error: DatabaseError: (sqlite3.DatabaseError) file is not a "
        "database (run with -v for details)"
    ]

    told = run_signoff(["-v", "--home", str(tmp_path / "empty"), "ls"], logs)
    assert told.returncode == 0
    assert "logging to stderr only: cannot write the log file" in told.stderr


@pytest.fixture
def crowded_home(registry, home: Path) -> Path:
    """A registry with thousands of models: ``ls`` writes far more than a pipe buffers."""
    from tests.helpers.browse import add_bulk_models

    add_bulk_models(registry, 5000)
    registry.close()
    return home


def test_a_reader_that_stops_early_gets_no_traceback(crowded_home: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    full = run_signoff(["--home", str(crowded_home), "ls"], logs)
    assert full.returncode == 0
    # several times what a pipe holds, so the pipe is still open when head exits
    assert len(full.stdout) > 4 * 65536

    command = " ".join(f"'{part}'" for part in signoff_command())
    script = (
        f"{{ {command} --home '{crowded_home}' ls; echo $? > '{tmp_path}/rc'; }} "
        f"2> '{tmp_path}/stderr' | head -1"
    )
    env = {**os.environ, LOG_DIR_ENV: str(logs)}
    done = subprocess.run(
        ["sh", "-c", script], env=env, capture_output=True, text=True, timeout=120
    )

    assert done.stdout.split() == ["MODEL", "OWNER", "TIER", "LIVE", "LATEST", "STATE", "FLAGS"]
    stderr = (tmp_path / "stderr").read_text()
    assert stderr == ""
    assert (tmp_path / "rc").read_text().strip() == "0"
    assert "BrokenPipeError" not in (logs / LOG_FILE_NAME).read_text(encoding="utf-8")
