"""The display check that runs before the demo build and before Qt can abort the process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from signoff.sysdeps import (
    _x_display_problem,
    display_problem,
    install_lines,
    missing_libraries,
    requested_platforms,
)
from tests.helpers.scripts import signoff_command

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux desktops")


def _qt_plugin() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    assert spec is not None and spec.submodule_search_locations
    return Path(spec.submodule_search_locations[0]) / "Qt" / "plugins" / "platforms" / "libqxcb.so"


@pytest.fixture
def broken_qt(tmp_path: Path) -> Path:
    """A Qt folder whose xcb plugin needs a library no machine has (libxcb-cursor.so.9)."""
    plugin = tmp_path / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    plugin.parent.mkdir(parents=True)
    data = _qt_plugin().read_bytes()
    assert data.count(b"libxcb-cursor.so.0\0") == 1
    plugin.write_bytes(data.replace(b"libxcb-cursor.so.0\0", b"libxcb-cursor.so.9\0"))
    (tmp_path / "Qt" / "lib").mkdir()
    return tmp_path / "Qt"


def test_a_library_the_plugin_needs_but_the_machine_lacks_is_named(broken_qt):
    missing = missing_libraries([broken_qt / "plugins" / "platforms" / "libqxcb.so"])
    assert "libxcb-cursor.so.9" in missing
    assert "libc.so.6" not in missing


def test_the_message_names_the_packages_to_install(broken_qt):
    problem = display_problem({"DISPLAY": ":0"}, qt_folder=broken_qt)
    assert problem is not None
    assert 'The Qt platform plugin "xcb" needs system libraries' in problem
    assert "libxcb-cursor.so.9" in problem
    assert "sudo apt install libxcb-cursor0" in problem
    assert "sudo dnf install xcb-util-cursor" in problem


def test_install_lines_cover_the_usual_suspects_and_say_when_they_do_not_know():
    lines = install_lines(["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libfoo.so.3"])
    assert lines[0].split("install ", 1)[1] == "libxcb-icccm4 libxcb-keysyms1"
    assert lines[1].split("install ", 1)[1] == "xcb-util-wm xcb-util-keysyms"
    assert "libfoo.so.3" in lines[2]


def test_headless_platforms_need_no_display():
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert display_problem({"QT_QPA_PLATFORM": "minimal"}) is None


def test_platform_order_follows_qt():
    assert requested_platforms({"DISPLAY": ":0"}) == ["xcb"]
    assert requested_platforms({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}) == [
        "wayland",
        "xcb",
    ]
    assert requested_platforms({"QT_QPA_PLATFORM": "wayland;xcb:foo"}) == ["wayland", "xcb"]
    assert requested_platforms({}) == ["xcb"]


def test_an_x_display_nobody_serves_is_reported():
    problem = _x_display_problem(":87")
    assert problem is not None and "cannot connect to the X display ':87'" in problem


def test_no_wayland_socket_is_reported(tmp_path):
    env = {
        "QT_QPA_PLATFORM": "wayland",
        "WAYLAND_DISPLAY": "wayland-5",
        "XDG_RUNTIME_DIR": str(tmp_path),
    }
    problem = display_problem(env, qt_folder=tmp_path / "no-qt")
    assert problem is not None and f"No Wayland compositor socket at {tmp_path}" in problem


@pytest.mark.parametrize("display", [None, ":87"])
def test_signoff_demo_without_a_usable_display_says_why_before_building(tmp_path, display):
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DISPLAY",
            "WAYLAND_DISPLAY",
            "QT_QPA_PLATFORM",
            "XDG_SESSION_TYPE",
            "SIGNOFF_HOME",
            "SIGNOFF_DB",
            "SIGNOFF_ARTIFACTS",
        )
    }
    env.update(HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"))
    if display:
        env["DISPLAY"] = display
    result = subprocess.run(
        [*signoff_command(), "--demo"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("signoff: Signoff cannot open its window here.")
    assert "Traceback" not in result.stderr
    assert "work without a display" in result.stderr
    assert not (tmp_path / "data" / "signoff").exists()  # no demo was built, nothing written
