"""What the bundle leaves out: Python packages it never imports and Qt parts it never loads.

Used by ``signoff.spec`` (passed to PyInstaller's Analysis and applied to its results) and by
the packaging tests, which check a built bundle against the same rules. Destination names are
PyInstaller's, relative to the bundle's ``_internal`` folder, e.g.
``PySide6/Qt/lib/libQt6Quick3D.so.6`` or ``PySide6/Qt/translations/qtwebengine_locales/de.pak``.

Besides the rules (:func:`keep_binary`, :func:`keep_data`), :func:`prune_binaries` also leaves
out the libraries that only the left-out parts need (the print plugin's CUPS and GnuTLS, the GTK
theme plugin's Cairo and Pango …) and refuses a bundle in which a kept binary needs a left-out
one; :func:`link_duplicate_libraries` ships byte-identical copies that wheels vendor in their
``*.libs`` folders (NumPy's and SciPy's libgfortran) once, with a symbolic link for the other.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable

from signoff.sysdeps import elf_needed  # the one ELF reader (also checks a desktop's libraries)

# Qt modules the application never imports (the GUI uses Core, Gui, Widgets, Svg, Network,
# PrintSupport (reports, approval sheets, notebooks and model cards are printed), Pdf and
# PdfWidgets (the in-app report viewer), WebEngineCore/Widgets and WebChannel; WebEngine links
# Qml/Quick libraries, which stay, but none of the QML *modules* are needed for the widgets-based
# view).
UNUSED_QT_MODULES = (
    "Qt3DAnimation",
    "Qt3DCore",
    "Qt3DExtras",
    "Qt3DInput",
    "Qt3DLogic",
    "Qt3DRender",
    "QtBluetooth",
    "QtCanvasPainter",
    "QtCharts",
    "QtConcurrent",
    "QtDataVisualization",
    "QtDesigner",
    "QtGraphs",
    "QtGraphsWidgets",
    "QtHelp",
    "QtHttpServer",
    "QtLabsStyleKit",
    "QtLocation",
    "QtMultimedia",
    "QtMultimediaWidgets",
    "QtNetworkAuth",
    "QtNfc",
    "QtPositioning",
    "QtQml",
    "QtQmlFeatures",
    "QtQuick",
    "QtQuick3D",
    "QtQuickControls2",
    "QtQuickTest",
    "QtQuickWidgets",
    "QtRemoteObjects",
    "QtScxml",
    "QtSensors",
    "QtSerialBus",
    "QtSerialPort",
    "QtSpatialAudio",
    "QtSql",
    "QtStateMachine",
    "QtTest",
    "QtTextToSpeech",
    "QtUiTools",
    "QtWebEngineQuick",
    "QtWebSockets",
    "QtWebView",
    "QtXml",
    "QtAsyncio",
    # Python bindings the app never imports; their C++ libraries stay where QtWebEngine or the
    # platform plugins link them (libQt6OpenGL, libQt6DBus)
    "QtOpenGL",
    "QtOpenGLWidgets",
    "QtDBus",
)

EXCLUDED_MODULES = [f"PySide6.{name}" for name in UNUSED_QT_MODULES] + [
    # other GUI toolkits matplotlib or Pillow could pull in
    "tkinter",
    "_tkinter",
    "PyQt5",
    "PyQt6",
    "PySide2",
    "wx",
    "gi",
    # notebooks are executed in-process by the demo and rendered by nbconvert: no kernel
    "IPython",
    "ipykernel",
    "jupyter_server",
    "jupyterlab",
    "notebook",
    "jedi",
    "parso",
    # installed for tests or development only
    "pytest",
    "_pytest",
    "pytestqt",
    "hypothesis",
    "importlinter",
    "grimp",
    "mlflow",
    "PyInstaller",
    "moto",
    "botocore",
    "boto3",
    "awscli",
    "cfnlint",
    "databricks",
    # heavy optional imports the application never needs
    "pandas",
    "pyarrow",
    "sympy",
    "networkx",
    "torch",
    "tensorflow",
    "numba",
    "llvmlite",
    "docutils",
    "sphinx",
    "libcst",
    # packaging tools pulled in through optional imports; nothing calls them at run time
    "setuptools",
    "pkg_resources",
    "distutils",
    "_distutils_hack",
    "pip",
    # Pillow codecs for formats nothing here reads or writes (AVIF, WebP) and its Tk bridge;
    # Pillow reports them unsupported when the extension is absent
    "PIL._avif",
    "PIL._webp",
    "PIL._imagingtk",
    "PIL.ImageTk",
]

# shared libraries of unused Qt modules (pulled in by plugins or other libraries' RUNPATHs)
_UNUSED_QT_LIB = re.compile(
    r"(^|/)libQt6(3D\w*|Quick3D\w*|Multimedia\w*|Charts\w*|DataVisualization\w*|Graphs\w*"
    r"|Designer\w*|Location|Bluetooth|Nfc|Sensors\w*|Serial\w*|TextToSpeech|SpatialAudio"
    r"|Scxml\w*|StateMachine\w*|RemoteObjects\w*|Help|Test|QuickTest|QuickControls2\w*"
    r"|QuickTemplates2|QuickDialogs2\w*|QuickEffects|QuickLayouts|QuickShapes\w*"
    r"|QuickParticles|QuickTimeline\w*|QuickVectorImage\w*|LabsStyleKit\w*|VirtualKeyboard\w*"
    r"|ShaderTools|HttpServer|WebView\w*|WebSockets|WebEngineQuick\w*|CanvasPainter\w*"
    r"|Sql|UiTools|Lottie\w*)\.so"
)
# plugin folders of things the app does not do (sound, 3D scenes, sensors, SQL drivers …);
# network-status and Qt TLS backends (QtWebEngine has its own), and the input/device plugins of
# embedded (eglfs/linuxfb) systems. Printing stays: the CUPS plugin (with libcups) is how a
# desktop's printers are offered in the print dialog
_UNUSED_PLUGIN = re.compile(
    r"PySide6/Qt/plugins/(multimedia|sceneparsers|renderers|geometryloaders|renderplugins"
    r"|sensors|position|geoservices|sqldrivers|designer|qmltooling|assetimporters"
    r"|texttospeech|canbus|webview|qmllint|scxmldatamodel|help|virtualkeyboard"
    r"|qmlls|networkinformation|tls|egldeviceintegrations|generic)/"
)
# single plugins: platforms for embedded devices and VNC (the desktop needs xcb or wayland,
# the self-test offscreen); the GTK 3 theme (it links GTK, which the bundle does not carry, and
# would load the bundle's Cairo/Pango next to the system's GTK; Qt's own Fusion look is used);
# the virtual keyboard; image formats the app never reads (its icons are PNG and SVG, notebook
# images are decoded by Chromium)
_UNUSED_PLUGIN_FILE = re.compile(
    r"PySide6/Qt/plugins/(platforms/libq(eglfs|linuxfb|minimal|minimalegl|vnc|vkkhrdisplay)"
    r"|platformthemes/libqgtk3|platforminputcontexts/libqtvirtualkeyboardplugin"
    r"|imageformats/libq(pdf|tiff|webp|icns|tga|wbmp))\.so$"
)
# Qt libraries only the embedded-device platforms above use
_EMBEDDED_QT_LIB = re.compile(r"PySide6/Qt/lib/libQt6(EglFSDeviceIntegration|EglFsKmsSupport)\.so")
# Python bindings of unused Qt modules (PySide6/QtOpenGL.abi3.so …)
_UNUSED_BINDING = re.compile(r"^PySide6/(" + "|".join(UNUSED_QT_MODULES) + r")\.(abi3|cpython)")
# Pillow extensions excluded above (their libraries, e.g. libavif, go with them)
_UNUSED_EXTENSION = re.compile(r"^PIL/(_avif|_webp|_imagingtk)\.")


def keep_binary(dest: str) -> bool:
    """True when the shared library or plugin at *dest* belongs in the bundle."""
    dest = dest.replace("\\", "/")
    return not (
        _UNUSED_QT_LIB.search(dest)
        or _UNUSED_PLUGIN.search(dest)
        or _UNUSED_PLUGIN_FILE.search(dest)
        or _EMBEDDED_QT_LIB.search(dest)
        or _UNUSED_BINDING.search(dest)
        or _UNUSED_EXTENSION.search(dest)
        or dest.startswith("PySide6/Qt/qml/")
    )


def keep_data(dest: str) -> bool:
    """True when the data file at *dest* belongs in the bundle.

    Leaves out QML modules, QtWebEngine locales other than en-US (Chromium falls back to
    en-US; the application's own text is English), Chromium's developer tools, Qt's own
    translations, matplotlib's sample data and its Type 1 font metrics (read only with the
    non-default ``pdf.use14corefonts``/``ps.useafm``), and test folders shipped as data.
    """
    dest = dest.replace("\\", "/")
    if dest.startswith("PySide6/Qt/qml/") or _UNUSED_PLUGIN.search(dest):
        return False
    if "/qtwebengine_locales/" in dest:
        return dest.endswith("/en-US.pak")
    if dest.startswith("PySide6/Qt/translations/"):
        return False
    if dest.endswith("/qtwebengine_devtools_resources.pak"):  # Chromium's developer tools
        return False
    if "/tests/" in dest and not dest.startswith("signoff/"):  # e.g. sklearn/datasets/tests
        return False
    return not re.search(r"mpl-data/(sample_data|fonts/afm|fonts/pdfcorefonts)/", dest)


# -- dependencies between the collected binaries ------------------------------------------------

Entry = tuple[str, str, str]  # PyInstaller's (destination, source, typecode)


class BundleFilterError(Exception):
    """A kept binary needs one the rules leave out: the bundle would not load it."""


def _closure(
    roots: Iterable[Entry], by_name: dict[str, list[Entry]], needed: Callable[[str], list[str]]
) -> set[str]:
    """Destinations of *roots* and of every collected binary they need, directly or not."""
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        dest, src, typecode = stack.pop()
        if dest in seen:
            continue
        seen.add(dest)
        if typecode != "SYMLINK":
            for name in needed(src):
                stack.extend(by_name.get(name, ()))
    return seen


def prune_binaries(
    entries: Iterable[Entry],
    keep: Callable[[str], bool] = keep_binary,
    needed: Callable[[str], list[str]] = elf_needed,
) -> tuple[list[Entry], list[str]]:
    """(the binaries to ship, the destinations left out) for PyInstaller's binary entries.

    Left out: what *keep* rejects, and the libraries those need (directly or not) unless a
    binary that stays needs them too. Libraries nothing rejected needs stay, whether something
    links them or they are loaded with dlopen (like NSS's modules). Raises BundleFilterError
    when a binary that stays needs one that *keep* rejects.
    """
    entries = list(entries)
    by_name: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_name[posixpath.basename(entry[0].replace("\\", "/"))].append(entry)
    rejected = [e for e in entries if not keep(e[0])]
    rejected_dests = {e[0] for e in rejected}
    only_as_dependency = _closure(rejected, by_name, needed) - rejected_dests
    roots = [e for e in entries if e[0] not in rejected_dests | only_as_dependency]
    shipped = _closure(roots, by_name, needed)
    broken = sorted(shipped & rejected_dests)
    if broken:
        raise BundleFilterError(
            "kept binaries need what the filter leaves out: " + ", ".join(broken)
        )
    left_out = rejected_dests | (only_as_dependency - shipped)
    return [e for e in entries if e[0] not in left_out], sorted(left_out)


def _digest(path: str) -> tuple[int, str]:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return os.path.getsize(path), sha.hexdigest()


def link_duplicate_libraries(entries: Iterable[Entry]) -> list[Entry]:
    """*entries* with each library in a ``*.libs`` folder that is byte-identical to one shipped
    earlier (in destination order) turned into a relative symbolic link to that one."""
    entries = list(entries)
    first: dict[tuple[int, str], str] = {}
    links: dict[str, str] = {}
    for dest, src, typecode in sorted(entries):
        folder = posixpath.dirname(dest.replace("\\", "/"))
        if typecode != "BINARY" or not folder.endswith(".libs"):
            continue
        key = _digest(src)
        if key in first:
            links[dest] = posixpath.relpath(first[key], folder)
        else:
            first[key] = dest.replace("\\", "/")
    return [
        (dest, links[dest], "SYMLINK") if dest in links else (dest, src, typecode)
        for dest, src, typecode in entries
    ]
