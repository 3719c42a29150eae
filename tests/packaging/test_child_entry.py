"""The bundle's hidden child mode, without building a bundle.

``packaging/signoff_entry.py`` is what PyInstaller runs as the bundle's ``__main__``; here the
normal interpreter runs it. A "fake bundle" is an executable that does exactly that, set as
``sys.executable`` with ``sys.frozen`` on, so the runner really starts its scoring child through
the entry's ``--run-child`` dispatch.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import build
import pytest

from signoff.core.common.child import CHILD_FLAG

ENTRY = build.HERE / "signoff_entry.py"

REPORT = """\
import json, os, sys
print(json.dumps({
    "name": __name__, "argv": sys.argv, "path0": sys.path[0],
    "loaded": sorted(m for m in ("PySide6", "sqlalchemy", "signoff.cli", "signoff.core.runner")
                     if m in sys.modules),
    "no_bytecode": sys.dont_write_bytecode,
}))
"""


def entry(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ENTRY), *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_the_entry_runs_a_script_as_main_with_its_arguments_and_nothing_else_loaded(tmp_path):
    script = tmp_path / "scripts" / "report.py"
    script.parent.mkdir()
    script.write_text(REPORT)
    result = entry(CHILD_FLAG, str(script), "job.json", "--x", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["name"] == "__main__"
    assert seen["argv"] == [str(script), "job.json", "--x"]
    assert seen["path0"] == str(script.parent)
    assert seen["loaded"] == []  # no Qt, no database layer, not the application
    assert seen["no_bytecode"] is True


def test_the_entry_runs_code_given_with_c(tmp_path):
    result = entry(CHILD_FLAG, "-c", REPORT, "a", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["name"] == "__main__" and seen["argv"] == ["-c", "a"]
    assert seen["loaded"] == []


def test_exit_status_and_traceback_of_the_script_come_through(tmp_path):
    (tmp_path / "leave.py").write_text("import sys\nsys.exit(3)\n")
    (tmp_path / "crash.py").write_text("def f():\n    raise KeyError('income')\nf()\n")
    assert entry(CHILD_FLAG, str(tmp_path / "leave.py"), cwd=tmp_path).returncode == 3
    crashed = entry(CHILD_FLAG, str(tmp_path / "crash.py"), cwd=tmp_path)
    assert crashed.returncode == 1
    assert "KeyError: 'income'" in crashed.stderr and "in f" in crashed.stderr


def test_a_child_flag_without_a_script_is_a_usage_error(tmp_path):
    result = entry(CHILD_FLAG, cwd=tmp_path)
    assert result.returncode == 2
    assert f"usage: signoff {CHILD_FLAG} SCRIPT" in result.stderr


def test_without_the_flag_the_entry_is_the_application(tmp_path):
    from signoff import __version__

    result = entry("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"signoff {__version__}"


@pytest.fixture
def fake_bundle(tmp_path, monkeypatch):
    """sys.frozen on and sys.executable an executable that runs the bundle's entry script."""
    exe = tmp_path / "bundle" / "signoff"
    exe.parent.mkdir()
    exe.write_text(
        f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(str(ENTRY))} "$@"\n'
    )
    exe.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(exe))
    return exe


def test_the_runner_scores_through_the_bundle_entry(fake_bundle, tmp_path):
    from signoff.core.runner import OK, run_entry_point

    work = tmp_path / "job" / "work"
    work.mkdir(parents=True)
    (work / "score.py").write_text(
        "import sys\n"
        "def predict(records):\n"
        "    cmdline = open('/proc/self/cmdline').read().split(chr(0))\n"
        "    return [{'double': r['x'] * 2, 'cmdline': cmdline,\n"
        "             'qt': 'PySide6' in sys.modules} for r in records]\n"
    )
    result = run_entry_point(work, "score.py:predict", [{"x": 2}, {"x": 5}])
    assert result.status == OK, result.describe() + result.stderr_tail
    assert [o["double"] for o in result.outputs] == [4, 10]
    cmdline = result.outputs[0]["cmdline"]
    assert cmdline[1] == str(ENTRY) and cmdline[2] == CHILD_FLAG  # went through the entry
    assert cmdline[3].endswith("bootstrap.py")
    assert result.outputs[0]["qt"] is False
    assert result.interpreter == str(fake_bundle)


def test_the_self_test_check_reproduces_a_demo_version_in_the_bundle_child(
    fake_bundle, demo_registry
):
    from signoff.selftest import core_checks, harness

    test = harness.SelfTest(out=lambda line: None)
    test.state["registry"] = demo_registry
    detail = core_checks.check_model_subprocess(test)
    assert "reproduce their validated outputs" in detail
    assert f"scored by `signoff {CHILD_FLAG} bootstrap.py JOB.json`" in detail


def test_the_self_test_check_fails_when_the_child_cannot_score(demo_registry, monkeypatch):
    from signoff.core.runner import process
    from signoff.selftest import core_checks, harness

    def no_python(*argv, python=None):  # noqa: ANN001, ANN002, ANN202
        return [sys.executable, "-c", "import sys; sys.exit(4)"]

    monkeypatch.setattr(process, "child_command", no_python)
    test = harness.SelfTest(out=lambda line: None)
    test.state["registry"] = demo_registry
    with pytest.raises(harness.CheckFailed, match="do not reproduce.*exit code 4"):
        core_checks.check_model_subprocess(test)
