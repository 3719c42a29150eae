"""Build the desktop bundle, unpack its archive elsewhere and run its ``--self-test`` offscreen.

Slow (a PyInstaller build with QtWebEngine takes minutes): runs only when SIGNOFF_TEST_BUNDLE=1.
The bundle is run with a bare environment (no PYTHONPATH, PATH without this interpreter, a fresh
HOME) from the unpacked archive, so it proves the application needs no Python installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile

import build
import pytest

from signoff import __version__

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("SIGNOFF_TEST_BUNDLE") != "1",
        reason="builds the PyInstaller bundle (10-25 min on 2 cores); "
        "set SIGNOFF_TEST_BUNDLE=1 to run it",
    ),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """dist folder of a fresh build (from the working tree) and its build-info.json."""
    base = tmp_path_factory.mktemp("bundle")
    dist = base / "dist"
    result = subprocess.run(
        [
            sys.executable,
            str(build.HERE / "build.py"),
            "--dist",
            str(dist),
            "--work",
            str(base / "work"),
        ],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    info = json.loads((dist / "build-info.json").read_text("utf-8"))
    print(json.dumps(info, indent=2))
    return dist, info


@pytest.fixture(scope="module")
def unpacked(built, tmp_path_factory):
    """The archive unpacked in another folder: the bundle as a workstation receives it."""
    _dist, info = built
    target = tmp_path_factory.mktemp("workstation")
    with tarfile.open(info["archive"]) as tar:
        tar.extractall(target, filter="tar")
    return target / "signoff"


def bare_env(home):
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox",
    }


def test_the_build_is_whole_and_recorded(built):
    _dist, info = built
    assert info["problems"] == []
    assert info["version"] == __version__
    assert info["archive_bytes"] < info["unpacked_bytes"]


def test_version_from_the_unpacked_bundle(unpacked, tmp_path):
    result = subprocess.run(
        [str(unpacked / "signoff"), "--version"],
        capture_output=True,
        text=True,
        env=bare_env(tmp_path),
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"signoff {__version__}"


def test_self_test_from_the_unpacked_bundle(unpacked, tmp_path):
    result = subprocess.run(
        [str(unpacked / "signoff"), "--self-test"],
        capture_output=True,
        text=True,
        env=bare_env(tmp_path),
        cwd=tmp_path,
        timeout=1200,
    )
    out = result.stdout
    print(out)
    assert result.returncode == 0, out + result.stderr[-5000:]
    assert f"desktop bundle at {unpacked}" in out
    for name in (
        "resources",
        "demo registry",
        "Qt",
        "main window",
        "audit chain",
        "notebook render",
        "notebook view (QtWebEngine)",
        "chart",
        "deployment check (model subprocess)",
    ):
        assert f"ok   {name}:" in out, f"{name} did not pass in the bundle:\n{out}"
    # the model's scoring process was the bundle's own executable in its child mode
    assert "scored by `signoff --run-child bootstrap.py JOB.json`" in out


def test_install_script_installs_and_uninstalls(unpacked, tmp_path):
    prefix = tmp_path / "prefix"
    env = dict(bare_env(tmp_path), PREFIX=str(prefix))
    result = subprocess.run(
        [str(unpacked / "install.sh")], capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(f"signoff {__version__}")
    entry = (prefix / "share/applications/org.signoff.Signoff.desktop").read_text("utf-8")
    assert f"Exec={prefix}/lib/signoff/signoff" in entry
    assert (prefix / "share/icons/hicolor/48x48/apps/signoff.png").is_file()
    assert os.path.realpath(prefix / "bin/signoff") == str(prefix / "lib/signoff/signoff")
    result = subprocess.run(
        [str(prefix / "lib/signoff/install.sh"), "--uninstall"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert not (prefix / "lib/signoff").exists() and not (prefix / "bin/signoff").exists()
