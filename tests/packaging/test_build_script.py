"""The build script's own steps on small inputs: export, bundle checks, archive, desktop files."""

from __future__ import annotations

import subprocess
import tarfile

import build
import pytest


def fake_bundle(root):
    bundle = root / "signoff"
    for rel in build.REQUIRED:
        path = bundle / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    return bundle


def test_a_whole_bundle_has_no_problems(tmp_path):
    assert build.check_bundle(fake_bundle(tmp_path)) == []


def test_a_missing_webengine_process_is_reported(tmp_path):
    bundle = fake_bundle(tmp_path)
    (bundle / "_internal/PySide6/Qt/libexec/QtWebEngineProcess").unlink()
    assert build.check_bundle(bundle) == ["missing _internal/PySide6/Qt/libexec/QtWebEngineProcess"]


def test_an_excluded_qt_part_that_slipped_in_is_reported(tmp_path):
    bundle = fake_bundle(tmp_path)
    stray = bundle / "_internal/PySide6/Qt/lib/libQt63DRender.so.6"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"x")
    locale = bundle / "_internal/PySide6/Qt/translations/qtwebengine_locales/fr.pak"
    locale.parent.mkdir(parents=True)
    locale.write_bytes(b"x")
    problems = build.check_bundle(bundle)
    assert "excluded part present: PySide6/Qt/lib/libQt63DRender.so.6" in problems
    assert "excluded part present: PySide6/Qt/translations/qtwebengine_locales/fr.pak" in problems


@pytest.mark.parametrize("fmt", ["xz", "gz"])
def test_the_archive_unpacks_to_a_signoff_folder(tmp_path, fmt):
    bundle = fake_bundle(tmp_path / "dist")
    (bundle / "signoff").chmod(0o755)
    archive = tmp_path / f"signoff.tar.{fmt}"
    build.make_archive(bundle, archive, fmt)
    assert not archive.with_name(archive.name + ".part").exists()
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        assert all(name == "signoff" or name.startswith("signoff/") for name in names)
        assert tar.getmember("signoff/signoff").mode & 0o111
    assert set(build.REQUIRED) <= {name.removeprefix("signoff/") for name in names}


def test_desktop_files_and_installer_land_in_the_bundle(tmp_path):
    bundle = tmp_path / "signoff"
    bundle.mkdir()
    build.add_desktop_files(bundle)
    assert (bundle / "share/applications/org.signoff.Signoff.desktop").is_file()
    assert (bundle / "share/metainfo/org.signoff.Signoff.metainfo.xml").is_file()
    assert (bundle / "share/icons/hicolor/512x512/apps/signoff.png").is_file()
    assert (bundle / "install.sh").stat().st_mode & 0o111


def test_export_of_a_commit_holds_committed_files_only(tmp_path):
    head = subprocess.run(
        ["git", "-C", str(build.ROOT), "ls-tree", "-r", "--name-only", "HEAD", "packaging"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    build.export_commit("HEAD", tmp_path / "src")
    exported = sorted(
        p.relative_to(tmp_path / "src").as_posix()
        for p in (tmp_path / "src" / "packaging").rglob("*")
        if p.is_file()
    )
    assert exported == sorted(head.split())
    assert build.version(tmp_path / "src") == build.version()


def test_export_of_an_unknown_commit_fails(tmp_path):
    with pytest.raises(subprocess.CalledProcessError):
        build.export_commit("no-such-ref-anywhere", tmp_path / "src")


def test_install_script_refuses_to_run_outside_a_bundle(tmp_path):
    script = tmp_path / "install.sh"
    script.write_bytes((build.HERE / "install.sh").read_bytes())
    script.chmod(0o755)
    result = subprocess.run(
        [str(script)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PREFIX": str(tmp_path / "prefix")},
    )
    assert result.returncode == 2
    assert "run me from the unpacked bundle" in result.stderr
    assert not (tmp_path / "prefix").exists()


def test_stripping_keeps_extension_modules_loadable_and_leaves_repaired_libraries(tmp_path):
    import importlib.util
    import shutil
    import sysconfig
    from pathlib import Path

    if not (shutil.which("strip") and shutil.which("readelf")):
        pytest.skip("binutils (strip, readelf) not installed")
    source = Path(sysconfig.get_path("platstdlib")) / "lib-dynload"
    module = next(iter(sorted(source.glob("_json.*.so"))), None)
    if module is None:
        pytest.skip("this interpreter has no _json extension file")
    internal = tmp_path / "signoff" / "_internal"
    (internal / "lib-dynload").mkdir(parents=True)
    (internal / "numpy.libs").mkdir()
    copy = internal / "lib-dynload" / module.name
    shutil.copy2(module, copy)
    repaired = internal / "numpy.libs" / module.name  # stands in for a patchelf'd library
    shutil.copy2(module, repaired)
    before = repaired.read_bytes()
    saved = build.strip_safe_binaries(tmp_path / "signoff")
    assert repaired.read_bytes() == before
    assert saved == module.stat().st_size - copy.stat().st_size
    assert not list(internal.rglob("*.stripped"))
    spec = importlib.util.spec_from_file_location("_json", copy)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    assert loaded.scanstring('"ok"', 1)[0] == "ok"
