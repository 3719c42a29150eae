"""Icons generated from the SVG at every size, and the rules that keep the bundle lean."""

from __future__ import annotations

import io
from pathlib import Path

import bundle_filter
import make_icons
import pytest
from PIL import Image

ICONS = make_icons.HERE / "icons"


@pytest.mark.parametrize("size", make_icons.PNG_SIZES)
def test_committed_png_icons_have_their_size(size):
    with Image.open(ICONS / "hicolor" / f"{size}x{size}" / "apps" / "signoff.png") as image:
        assert image.size == (size, size)
        assert image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0  # transparent corners: the icon is a rounded tile
        assert image.getpixel((size // 2, size // 2))[3] == 255


def test_ico_holds_every_windows_size():
    with Image.open(ICONS / "signoff.ico") as image:
        assert image.format == "ICO"
        assert set(image.info["sizes"]) == {(s, s) for s in make_icons.ICO_SIZES}


def test_icns_opens_at_its_largest_size():
    with Image.open(ICONS / "signoff.icns") as image:
        assert image.format == "ICNS"
        assert image.size[0] >= 512


def test_icons_regenerate_from_the_shipped_svg(tmp_path):
    written = make_icons.make_icons(make_icons.default_svg(), tmp_path)
    assert len(written) == len(make_icons.PNG_SIZES) + 2
    data = (tmp_path / "hicolor" / "16x16" / "apps" / "signoff.png").read_bytes()
    with Image.open(io.BytesIO(data)) as small:
        # rendered at 16 px, not a blurred downscale: it still has distinct colours
        assert len({small.getpixel((x, y)) for x in range(16) for y in range(16)}) > 10


# Qt's SVG reader reports the bad file at WARNING; here that is the input the test gives it
@pytest.mark.qt_log_ignore(r"Cannot read file '.*bad\.svg'")
def test_a_broken_svg_is_refused_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.svg"
    bad.write_text("<svg xmlns='http://www.w3.org/2000/svg'", "utf-8")
    out = tmp_path / "out"
    assert make_icons.main(["--svg", str(bad), "--out", str(out)]) == 2
    assert "is not an SVG file Qt can render" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.qt_log_ignore(r"Cannot open file '.*nope\.svg'")
def test_a_missing_svg_is_refused(tmp_path, capsys):
    assert make_icons.main(["--svg", str(tmp_path / "nope.svg"), "--out", str(tmp_path)]) == 2
    assert "nope.svg" in capsys.readouterr().err


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/lib/libQt6Core.so.6",
        "PySide6/Qt/lib/libQt6WebEngineCore.so.6",
        "PySide6/Qt/lib/libQt6Quick.so.6",  # QtWebEngine links it
        "PySide6/Qt/lib/libQt6Qml.so.6",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
    ],
)
def test_parts_the_app_needs_are_kept(dest):
    assert bundle_filter.keep_binary(dest)


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/lib/libQt63DRender.so.6",
        "PySide6/Qt/lib/libQt6Quick3D.so.6",
        "PySide6/Qt/lib/libQt6Multimedia.so.6",
        "PySide6/Qt/lib/libQt6Charts.so.6",
        "PySide6/Qt/lib/libQt6DataVisualization.so.6",
        "PySide6/Qt/lib/libQt6Designer.so.6",
        "PySide6/Qt/plugins/multimedia/libffmpegmediaplugin.so",
        "PySide6/Qt/plugins/sqldrivers/libqsqlite.so",
        "PySide6/Qt/qml/QtQuick/Controls/libqtquickcontrols2plugin.so",
    ],
)
def test_unused_qt_parts_are_dropped(dest):
    assert not bundle_filter.keep_binary(dest)


def test_only_the_en_us_webengine_locale_ships():
    base = "PySide6/Qt/translations/qtwebengine_locales/"
    assert bundle_filter.keep_data(base + "en-US.pak")
    assert not bundle_filter.keep_data(base + "de.pak")
    assert not bundle_filter.keep_data("PySide6/Qt/qml/QtQuick/qmldir")
    assert bundle_filter.keep_data("PySide6/Qt/resources/qtwebengine_resources.pak")
    assert bundle_filter.keep_data("signoff/resources/render/notebook.css")


def test_excluded_modules_name_no_module_the_app_imports():
    used = {
        "PySide6.QtCore",
        "PySide6.QtGui",
        "PySide6.QtWidgets",
        "PySide6.QtSvg",
        "PySide6.QtWebEngineCore",
        "PySide6.QtWebEngineWidgets",
        "PySide6.QtNetwork",
        "PySide6.QtPrintSupport",
        "PySide6.QtWebChannel",
        "sklearn",
        "scipy",
        "matplotlib",
        "nbconvert",
        "numpy",
    }
    assert not used & set(bundle_filter.EXCLUDED_MODULES)


def test_the_spec_and_build_script_agree_on_the_app_id():
    spec = (make_icons.HERE / "signoff.spec").read_text("utf-8")
    build = (make_icons.HERE / "build.py").read_text("utf-8")
    assert 'name="signoff"' in spec
    assert 'APP_ID = "org.signoff.Signoff"' in build
    assert (make_icons.HERE / "org.signoff.Signoff.desktop").is_file()
    assert Path(make_icons.HERE / "install.sh").stat().st_mode & 0o111
