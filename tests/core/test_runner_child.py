"""The command that starts a Python child: this interpreter from pip, the hidden child mode of
the ``signoff`` executable in the desktop bundle (``sys.frozen``), another interpreter if named."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from signoff.core.common.child import CHILD_FLAG, child_command, is_frozen
from signoff.core.runner.venv import EnvironmentBuildError, PackageSource, ensure_venv

BUNDLE_EXE = "/opt/signoff/signoff"


@pytest.fixture
def frozen(monkeypatch):
    """What PyInstaller's bootloader sets up: sys.frozen, and sys.executable the app itself."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", BUNDLE_EXE)


def test_from_pip_the_child_is_this_interpreter_without_user_site_or_bytecode():
    assert not is_frozen()
    assert child_command(Path("/jobs/1/bootstrap.py"), Path("/jobs/1/job.json")) == [
        sys.executable,
        "-s",
        "-B",
        "/jobs/1/bootstrap.py",
        "/jobs/1/job.json",
    ]
    assert child_command("-c", "print(1)") == [sys.executable, "-s", "-B", "-c", "print(1)"]


def test_a_named_interpreter_runs_the_child_from_pip_and_from_the_bundle(frozen):
    venv_python = "/cache/venvs/abc/bin/python"
    assert child_command("bootstrap.py", "job.json", python=venv_python) == [
        venv_python,
        "-s",
        "-B",
        "bootstrap.py",
        "job.json",
    ]


def test_in_the_bundle_the_child_is_the_executable_in_its_hidden_child_mode(frozen):
    assert is_frozen()
    assert child_command(Path("/jobs/1/bootstrap.py"), "job.json") == [
        BUNDLE_EXE,
        CHILD_FLAG,
        "/jobs/1/bootstrap.py",
        "job.json",
    ]
    # naming the running executable explicitly is the same as naming none
    assert child_command("-c", "print(1)", python=BUNDLE_EXE) == [
        BUNDLE_EXE,
        CHILD_FLAG,
        "-c",
        "print(1)",
    ]


def test_the_runner_builds_its_scoring_command_with_child_command(frozen, monkeypatch, tmp_path):
    """run_entry_point starts exactly what child_command returns (here: the bundle's form)."""
    import subprocess

    from signoff.core.runner import process

    started: list[list[str]] = []

    class NoProcess(Exception):
        pass

    def popen(cmd, **_kwargs):  # noqa: ANN001, ANN202
        started.append(cmd)
        raise NoProcess

    monkeypatch.setattr(subprocess, "Popen", popen)
    work = tmp_path / "job" / "work"
    work.mkdir(parents=True)
    with pytest.raises(NoProcess):
        process.run_entry_point(work, "score.py:predict", [{}])
    [cmd] = started
    assert cmd[:2] == [BUNDLE_EXE, CHILD_FLAG]
    assert Path(cmd[2]).name == "bootstrap.py" and Path(cmd[3]).name == "job.json"


def test_the_bundle_refuses_to_build_a_venv_and_says_why(frozen, tmp_path):
    with pytest.raises(EnvironmentBuildError, match="desktop bundle cannot build an environment"):
        ensure_venv(
            "numpy==1.0\n", PackageSource(wheelhouse=str(tmp_path)), cache_dir=tmp_path / "venvs"
        )
    assert not (tmp_path / "venvs").exists()
