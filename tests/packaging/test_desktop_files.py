"""The desktop entry and AppStream metadata a software center and a menu read."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from signoff import __version__

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"
APP_ID = "org.signoff.Signoff"
DESKTOP = PACKAGING / f"{APP_ID}.desktop"
METAINFO = PACKAGING / f"{APP_ID}.metainfo.xml"


def desktop_entry(path: Path = DESKTOP) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive in desktop files
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_passes_desktop_file_validate():
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip(
            "desktop-file-validate is not installed (apt install desktop-file-utils); "
            "the parsing test below still checks the keys"
        )
    result = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout.lower()


def test_desktop_entry_has_the_keys_a_menu_needs():
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Signoff"
    assert entry["Exec"].split()[0] == "signoff"
    assert entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";")
    assert "Office" in entry["Categories"].split(";")
    # the icon name resolves to the icons we install at every size
    for size in (16, 32, 48, 128, 256, 512):
        assert (
            PACKAGING / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{entry['Icon']}.png"
        ).is_file()


def test_desktop_actions_run_real_options():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(DESKTOP, encoding="utf-8")
    actions = [a for a in parser["Desktop Entry"]["Actions"].split(";") if a]
    assert actions
    from signoff.cli import build_parser

    cli = build_parser()
    for action in actions:
        command = parser[f"Desktop Action {action}"]["Exec"].split()
        assert command[0] == "signoff"
        cli.parse_args(command[1:])  # an unknown option would exit with status 2


def test_metainfo_is_well_formed_and_names_the_desktop_entry():
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    for key in ("name", "summary", "metadata_license", "project_license"):
        assert (root.findtext(key) or "").strip(), f"metainfo lacks <{key}>"
    assert root.find("description/p") is not None
    launchable = root.find("launchable")
    assert launchable is not None and launchable.get("type") == "desktop-id"
    assert launchable.text == DESKTOP.name
    assert root.findtext("provides/binary") == "signoff"
    assert root.findtext("icon") == desktop_entry()["Icon"]


def test_metainfo_release_is_the_package_version():
    root = ET.parse(METAINFO).getroot()
    versions = [r.get("version") for r in root.iter("release")]
    assert versions and versions[0] == __version__, (
        f'add a <release version="{__version__}"> to {METAINFO.name}'
    )


def test_metainfo_passes_appstreamcli_validate():
    tool = shutil.which("appstreamcli")
    if tool is None:
        pytest.skip("appstreamcli is not installed (apt install appstream)")
    result = subprocess.run(
        [tool, "validate", "--no-net", str(METAINFO)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_metainfo_file_is_caught(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text(METAINFO.read_text("utf-8").replace("</component>", ""), "utf-8")
    with pytest.raises(ET.ParseError):
        ET.parse(broken)
