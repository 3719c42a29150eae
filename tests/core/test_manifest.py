"""Every way a manifest can be wrong gets a clear message naming the problem."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from signoff.core.common.errors import ManifestError, PathEscapeError
from signoff.core.publishing.manifest import read_manifest
from tests.helpers.folders import write_model_folder


def _edit(folder: Path, old: str, new: str) -> None:
    path = folder / "signoff.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_model_folder(tmp_path / "m")


def test_valid_manifest_reads(folder: Path) -> None:
    m = read_manifest(folder)
    assert m.model["name"] == "toy-model"
    assert m.version["entry_point"] == "score.py:predict"
    roles = {c.role for c in m.components}
    assert {"entry_point", "model_object", "environment", "release_notes"} <= roles


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('name = "toy-model"', 'name = "Toy Model!"', "name 'Toy Model!' must be lower-case"),
        ('risk_tier = "medium"', 'risk_tier = "extreme"', "risk_tier 'extreme' must be one of"),
        ('author = "alice"\n', "", r"\[version\] is missing the required key 'author'"),
        ('entry_point = "score.py:predict"', 'entry_point = "score"', "must look like"),
        ('model_object = "model.json"\n', "", "missing the required key 'model_object'"),
        (
            'release_notes = "RELEASE_NOTES.md"',
            'release_notes = "NOTES.md"',
            "'NOTES.md' does not exist",
        ),
        ("value = 0.8", 'value = "high"', r"value must be a number"),
        ("value = 0.8", "value = nan", "NaN"),
        ('tags = ["toy", "linear"]', 'tags = "toy"', "tags must be a list"),
        ("[[configuration]]", "[[configurations]]", "unknown key"),
        ('python = "3.11"', 'python = "3.11"\ncolour = "red"', r"\[version\] has unknown key"),
        ('uri = "s3://bucket/bureau/2026-10.parquet"', 'uri = "bucket"', "must be a URI"),
        (
            'name = "bureau feed"\n',
            'name = "bureau feed"\npath = "data/train.csv"\n',
            "exactly one of 'path'",
        ),
        ('path = "config.json"', 'path = "config.json"\nsha256 = "abc"', "64 hexadecimal"),
    ],
)
def test_bad_manifest(folder: Path, old: str, new: str, message: str) -> None:
    _edit(folder, old, new)
    with pytest.raises(ManifestError, match=message):
        read_manifest(folder)


def test_not_toml(folder: Path) -> None:
    (folder / "signoff.toml").write_text("[model\nname=")
    with pytest.raises(ManifestError, match="not valid TOML"):
        read_manifest(folder)


def test_no_manifest(tmp_path: Path) -> None:
    tmp_path.joinpath("empty").mkdir()
    with pytest.raises(ManifestError, match="has no signoff.toml"):
        read_manifest(tmp_path / "empty")


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="is not a folder"):
        read_manifest(tmp_path / "nope")


def test_missing_model_table(folder: Path) -> None:
    (folder / "signoff.toml").write_text('[version]\nauthor="a"\n')
    with pytest.raises(ManifestError, match=r"no \[model\] table"):
        read_manifest(folder)


def test_component_named_twice(folder: Path) -> None:
    _edit(
        folder,
        '[[configuration]]\npath = "config.json"',
        '[[configuration]]\npath = "config.json"\n[[configuration]]\npath = "config.json"',
    )
    with pytest.raises(ManifestError, match="named twice"):
        read_manifest(folder)


@pytest.mark.parametrize(
    "escape",
    [
        "../outside.txt",
        "data/../../outside.txt",
        "/etc/passwd",
        "C:\\Windows\\win.ini",
        "\\\\server\\share\\x",
    ],
)
def test_paths_may_not_leave_the_folder(folder: Path, escape: str) -> None:
    (folder.parent / "outside.txt").write_text("secret")
    _edit(folder, 'path = "config.json"', f"path = '{escape}'")
    with pytest.raises(PathEscapeError):
        read_manifest(folder)


def test_symlink_leaving_the_folder_is_refused(folder: Path) -> None:
    (folder.parent / "outside.txt").write_text("secret")
    os.symlink(folder.parent / "outside.txt", folder / "link.txt")
    _edit(folder, 'path = "config.json"', 'path = "link.txt"')
    with pytest.raises(PathEscapeError, match="resolves outside the model folder"):
        read_manifest(folder)


def test_symlink_inside_the_folder_is_fine(folder: Path) -> None:
    os.symlink(folder / "config.json", folder / "config-link.json")
    _edit(folder, 'path = "config.json"', 'path = "config-link.json"')
    assert read_manifest(folder)


def test_directory_is_not_a_file(folder: Path) -> None:
    _edit(folder, 'path = "config.json"', 'path = "data"')
    with pytest.raises(ManifestError, match="not a regular file"):
        read_manifest(folder)
