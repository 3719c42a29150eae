"""Generate the application icons from the SVG: PNGs at the usual sizes, .ico and .icns.

Usage: ``python packaging/make_icons.py [--svg FILE] [--out FOLDER]``

The SVG is the application's own ``resources/icons/signoff.svg`` (so the desktop entry, the
bundle and the window show one icon). Qt's SVG renderer (QtSvg, already a dependency through
PySide6) rasterizes it at every size separately -- scaling one big bitmap down makes the 16 px
icon a blur -- and Pillow writes the multi-resolution ``.ico`` and ``.icns`` containers.

Output (``packaging/icons/`` by default)::

    hicolor/<N>x<N>/apps/signoff.png   N in 16 24 32 48 64 128 256 512 (freedesktop layout)
    signoff.ico                        16…256
    signoff.icns                       16…1024
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)
APP_ID = "signoff"


def default_svg() -> Path:
    """The icon source: the SVG the application ships."""
    return ROOT / "resources" / "icons" / "signoff.svg"


def rasterize(svg: Path, sizes: tuple[int, ...]) -> dict[int, bytes]:
    """PNG bytes of *svg* rendered at each of *sizes* (square, transparent background).

    Raises ValueError when the file is not an SVG Qt can read.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 (keeps Qt alive)
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not an SVG file Qt can render")
    out: dict[int, bytes] = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        buffer.close()
        out[size] = bytes(data.data())
    return out


def make_icons(svg: Path, out: Path) -> list[Path]:
    """Write every icon file into *out*; returns the paths written."""
    from PIL import Image

    pngs = rasterize(svg, tuple(sorted(set(PNG_SIZES) | set(ICO_SIZES) | set(ICNS_SIZES))))
    written: list[Path] = []
    for size in PNG_SIZES:
        path = out / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pngs[size])
        written.append(path)
    images = {size: Image.open(io.BytesIO(data)).convert("RGBA") for size, data in pngs.items()}
    ico = out / f"{APP_ID}.ico"
    # Pillow's ICO writer takes the sizes from the largest image; hand it the exact bitmaps too
    images[256].save(
        ico,
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != 256],
    )
    written.append(ico)
    icns = out / f"{APP_ID}.icns"
    images[1024].save(
        icns, format="ICNS", append_images=[images[s] for s in ICNS_SIZES if s != 1024]
    )
    written.append(icns)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: generate the icons, print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, default=None, help="icon source (SVG)")
    parser.add_argument("--out", type=Path, default=HERE / "icons", help="output folder")
    args = parser.parse_args(argv)
    svg = args.svg or default_svg()
    try:
        written = make_icons(svg, args.out)
    except (OSError, ValueError) as exc:
        print(f"make_icons: error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path.relative_to(args.out) if path.is_relative_to(args.out) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
