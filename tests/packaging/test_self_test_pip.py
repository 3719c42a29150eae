"""``signoff --version`` and ``signoff --self-test`` from the pip installation."""

from __future__ import annotations

import os
import subprocess

import pytest

from signoff import __version__, selftest
from signoff.selftest import harness
from tests.helpers.scripts import signoff_command

CHECKS = (
    "resources",
    "demo registry",
    "Qt",
    "main window",
    "audit chain",
    "notebook render",
    "notebook view (QtWebEngine)",
    "chart",
    "deployment check (model subprocess)",
)


def test_version_from_the_console_script():
    result = subprocess.run(
        [*signoff_command(), "--version"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"signoff {__version__}"


def test_a_check_prints_ok_or_fail_with_the_reason():
    lines: list[str] = []
    test = harness.SelfTest(out=lines.append)
    assert test.check("first", lambda: "fine")
    assert not test.check(
        "second", lambda: (_ for _ in ()).throw(harness.CheckFailed("the page is blank"))
    )
    assert not test.check("third", lambda: 1 / 0)
    assert lines[0].startswith("  ok   first: fine (")
    assert lines[1].startswith("  FAIL second: the page is blank (")
    assert "FAIL third: ZeroDivisionError" in lines[2]
    assert not test.passed


def test_an_error_escaping_into_qt_fails_the_check_that_caused_it():
    lines: list[str] = []
    test = harness.SelfTest(out=lines.append)

    def slot_that_raises() -> str:
        try:
            raise TypeError("bad chart argument")
        except TypeError as exc:  # what Qt does with an exception from a slot
            test.record_escaped(type(exc), exc, None)
        return "looked fine"

    assert not test.check("window", slot_that_raises)
    assert "an error escaped into Qt: TypeError: bad chart argument" in lines[0]
    assert test.check("next", lambda: "fine")  # only the check that caused it fails


def test_a_demo_that_cannot_be_built_fails_clearly_and_skips_the_window(monkeypatch, tmp_path):
    from signoff.demo import DemoError

    def broken_build(home):
        raise DemoError("no space left on the device")

    monkeypatch.setattr("signoff.demo.build_demo", broken_build)
    lines: list[str] = []
    assert selftest.run_self_test(out=lines.append, keep=tmp_path) == 1
    text = "\n".join(lines)
    assert "ok   resources" in text
    assert "FAIL demo registry: DemoError: no space left on the device" in text
    assert "skip the window" in text
    assert lines[-1].startswith("self-test FAILED: 1 of 2 checks failed (demo registry)")


def test_a_temporary_self_test_folder_is_removed(monkeypatch, tmp_path):
    made = []
    real_mkdtemp = selftest.tempfile.mkdtemp

    def mkdtemp(**kwargs):
        made.append(real_mkdtemp(dir=tmp_path, **kwargs))
        return made[-1]

    monkeypatch.setattr(selftest.tempfile, "mkdtemp", mkdtemp)
    monkeypatch.setattr("signoff.demo.build_demo", lambda home: 1 / 0)
    assert selftest.run_self_test(out=lambda line: None) == 1
    assert made and not os.path.exists(made[0])


def test_self_test_on_a_missing_registry_fails_clearly(tmp_path):
    result = subprocess.run(
        [*signoff_command(), "--home", str(tmp_path / "nowhere"), "--self-test"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert f"FAIL registry: there is no registry at {tmp_path / 'nowhere'}" in result.stdout
    assert not (tmp_path / "nowhere").exists()  # a self-test never creates a registry


def test_the_temporary_demo_ignores_a_team_database_in_the_environment(monkeypatch, tmp_path):
    seen = []

    def build_demo(home):
        seen.append((os.environ.get("SIGNOFF_DB"), os.environ.get("SIGNOFF_ARTIFACTS")))
        raise RuntimeError("stop here")

    monkeypatch.setenv("SIGNOFF_DB", "postgresql://team@db.example/signoff")
    monkeypatch.setenv("SIGNOFF_ARTIFACTS", "/shared/artifacts")
    monkeypatch.setattr("signoff.demo.build_demo", build_demo)
    assert selftest.run_self_test(out=lambda line: None, keep=tmp_path) == 1
    assert seen == [(None, None)]
    assert os.environ["SIGNOFF_DB"] == "postgresql://team@db.example/signoff"  # restored


@pytest.mark.slow
def test_self_test_passes_from_pip(tmp_path):
    env = dict(
        os.environ,
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
    )
    result = subprocess.run(
        [*signoff_command(), "--self-test"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr[-3000:]
    assert out.startswith(f"signoff self-test {__version__}: Python package")
    for name in CHECKS:
        assert f"ok   {name}:" in out, f"{name} did not pass:\n{out}"
    assert "lists the 5 models, shown" in out
    assert out.rstrip().splitlines()[-1].startswith(f"self-test passed: {len(CHECKS)} checks")
    # no Signoff settings, registry or web profile was left in the person's own folders
    # (matplotlib's font cache and empty config folder are matplotlib's, as for any app)
    left = [
        p
        for p in tmp_path.rglob("*")
        if "signoff" in p.name.lower() or "qtwebengine" in p.name.lower()
    ]
    assert left == []
