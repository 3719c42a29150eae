"""What the bundle leaves out beyond the Qt modules: plugins, their libraries, duplicates."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import bundle_filter
import pytest


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/QtOpenGL.abi3.so",  # binding never imported
        "PySide6/QtDBus.abi3.so",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/Qt/plugins/imageformats/libqpdf.so",  # PDF as an image: the viewer uses QtPdf
        "PySide6/Qt/plugins/imageformats/libqtiff.so",
        "PySide6/Qt/plugins/tls/libqopensslbackend.so",
        "PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6",
        "PIL/_avif.cpython-311-x86_64-linux-gnu.so",
    ],
)
def test_unused_plugins_bindings_and_codecs_are_dropped(dest):
    assert not bundle_filter.keep_binary(dest)


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/QtPrintSupport.abi3.so",  # QtWebEngineWidgets imports it
        "PySide6/QtWebEngineCore.abi3.so",
        "PySide6/Qt/lib/libQt6OpenGL.so.6",  # QtWebEngineCore links these
        "PySide6/Qt/lib/libQt6DBus.so.6",
        "PySide6/Qt/lib/libQt6PrintSupport.so.6",
        "PySide6/Qt/plugins/printsupport/libcupsprintersupport.so",  # the desktop's printers
        "PySide6/QtPdf.abi3.so",  # the in-app report viewer
        "PySide6/QtPdfWidgets.abi3.so",
        "PySide6/Qt/lib/libQt6Pdf.so.6",
        "PySide6/Qt/lib/libQt6PdfWidgets.so.6",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
        "PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so",
        "PySide6/Qt/plugins/imageformats/libqjpeg.so",
        "PySide6/Qt/plugins/imageformats/libqico.so",
        "PIL/_imaging.cpython-311-x86_64-linux-gnu.so",
    ],
)
def test_what_the_window_and_notebook_view_need_is_kept(dest):
    assert bundle_filter.keep_binary(dest)


def test_font_metrics_and_test_folders_are_dropped_but_fonts_and_examples_kept():
    assert not bundle_filter.keep_data("matplotlib/mpl-data/fonts/afm/phvr8a.afm")
    assert not bundle_filter.keep_data("matplotlib/mpl-data/fonts/pdfcorefonts/Helvetica.afm")
    assert bundle_filter.keep_data("matplotlib/mpl-data/fonts/ttf/DejaVuSans.ttf")
    assert not bundle_filter.keep_data("sklearn/datasets/tests/data/svmlight_classification.txt")
    assert bundle_filter.keep_data("sklearn/datasets/data/iris.csv")
    assert bundle_filter.keep_data("signoff/examples/credit-risk/tests/reference_inputs.jsonl")


def _readelf_needed(path: str) -> list[str]:
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout
    return [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]


@pytest.mark.skipif(shutil.which("readelf") is None, reason="binutils' readelf not installed")
def test_elf_needed_reads_what_readelf_reads():
    import _ctypes

    from PySide6 import QtCore

    for path in (_ctypes.__file__, QtCore.__file__, sys.executable):
        assert bundle_filter.elf_needed(path) == _readelf_needed(path), path
    assert "libQt6Core.so.6" in bundle_filter.elf_needed(QtCore.__file__)


def test_elf_needed_of_a_file_that_is_not_elf_is_empty(tmp_path):
    (tmp_path / "notes.so").write_text("not a library")
    assert bundle_filter.elf_needed(tmp_path / "notes.so") == []
    assert bundle_filter.elf_needed(tmp_path / "missing.so") == []


LINKS = {  # src -> DT_NEEDED, as a tiny stand-in for a collected bundle
    "QtGui.abi3.so": ["libQt6Gui.so.6"],
    "print.so": ["libcups.so.2", "libQt6Gui.so.6", "libz.so.1"],
    "libcups.so.2": ["libgnutls.so.30", "libz.so.1"],
    "libgnutls.so.30": ["libz.so.1"],
    "libQt6Gui.so.6": ["libz.so.1"],
    "libz.so.1": [],
    "libsoftokn3.so": [],  # loaded with dlopen: nothing links it
}


def _entries(*dests: str) -> list[tuple[str, str, str]]:
    return [(dest, Path(dest).name, "BINARY") for dest in dests]


def _keep(dest: str) -> bool:
    return not dest.endswith("printsupport/print.so")


def test_libraries_only_a_dropped_plugin_needs_go_with_it():
    entries = _entries(
        "PySide6/QtGui.abi3.so",
        "plugins/printsupport/print.so",
        "libcups.so.2",
        "libgnutls.so.30",
        "lib/libQt6Gui.so.6",
        "libz.so.1",
        "libsoftokn3.so",
    )
    kept, left_out = bundle_filter.prune_binaries(entries, keep=_keep, needed=LINKS.__getitem__)
    assert left_out == ["libcups.so.2", "libgnutls.so.30", "plugins/printsupport/print.so"]
    # libz stays: Qt needs it too; libsoftokn3 stays: nothing dropped needs it
    assert [e[0] for e in kept] == [
        "PySide6/QtGui.abi3.so",
        "lib/libQt6Gui.so.6",
        "libz.so.1",
        "libsoftokn3.so",
    ]


def test_a_kept_binary_that_needs_a_dropped_one_fails_the_build():
    links = dict(LINKS, **{"libQt6Gui.so.6": ["print.so"]})
    entries = _entries(
        "PySide6/QtGui.abi3.so", "plugins/printsupport/print.so", "lib/libQt6Gui.so.6", "libz.so.1"
    )
    with pytest.raises(bundle_filter.BundleFilterError, match="printsupport/print.so"):
        bundle_filter.prune_binaries(entries, keep=_keep, needed=links.__getitem__)


def test_identical_libraries_of_two_wheels_ship_once(tmp_path):
    for folder in ("numpy.libs", "scipy.libs"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "libgfortran-0400.so.5").write_bytes(b"\x7fELF same bytes")
    (tmp_path / "scipy.libs" / "libscipy_openblas.so").write_bytes(b"\x7fELF other")
    entries = [
        (f"{f}/{n}", str(tmp_path / f / n), "BINARY")
        for f, n in (
            ("scipy.libs", "libgfortran-0400.so.5"),
            ("scipy.libs", "libscipy_openblas.so"),
            ("numpy.libs", "libgfortran-0400.so.5"),
        )
    ]
    linked = bundle_filter.link_duplicate_libraries(entries)
    assert linked == [
        ("scipy.libs/libgfortran-0400.so.5", "../numpy.libs/libgfortran-0400.so.5", "SYMLINK"),
        entries[1],
        entries[2],
    ]
