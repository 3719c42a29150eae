"""What the bundle leaves out: Python packages it never imports and Qt parts it never loads.

Used by ``signoff.spec`` (passed to PyInstaller's Analysis and applied to its results) and by
the packaging tests, which check a built bundle against the same rules. Destination names are
PyInstaller's, relative to the bundle's ``_internal`` folder, e.g.
``PySide6/Qt/lib/libQt6Quick3D.so.6`` or ``PySide6/Qt/translations/qtwebengine_locales/de.pak``.
"""

from __future__ import annotations

import re

# Qt modules the application never imports (the GUI uses Core, Gui, Widgets, Svg, Network,
# PrintSupport, WebEngineCore/Widgets and WebChannel; WebEngine links Qml/Quick libraries, which
# stay, but none of the QML *modules* are needed for the widgets-based view).
UNUSED_QT_MODULES = (
    "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender",
    "QtBluetooth", "QtCanvasPainter", "QtCharts", "QtConcurrent", "QtDataVisualization",
    "QtDesigner", "QtGraphs", "QtGraphsWidgets", "QtHelp", "QtHttpServer", "QtLabsStyleKit",
    "QtLocation", "QtMultimedia", "QtMultimediaWidgets", "QtNetworkAuth", "QtNfc", "QtPdf",
    "QtPdfWidgets", "QtPositioning", "QtQml", "QtQmlFeatures", "QtQuick", "QtQuick3D",
    "QtQuickControls2", "QtQuickTest", "QtQuickWidgets", "QtRemoteObjects", "QtScxml",
    "QtSensors", "QtSerialBus", "QtSerialPort", "QtSpatialAudio", "QtSql", "QtStateMachine",
    "QtTest", "QtTextToSpeech", "QtUiTools", "QtWebEngineQuick", "QtWebSockets", "QtWebView",
    "QtXml", "QtAsyncio",
)

EXCLUDED_MODULES = [f"PySide6.{name}" for name in UNUSED_QT_MODULES] + [
    # other GUI toolkits matplotlib or Pillow could pull in
    "tkinter", "_tkinter", "PyQt5", "PyQt6", "PySide2", "wx", "gi",
    # notebooks are executed in-process by the demo and rendered by nbconvert: no kernel
    "IPython", "ipykernel", "jupyter_server", "jupyterlab", "notebook", "jedi", "parso",
    # installed for tests or development only
    "pytest", "_pytest", "pytestqt", "hypothesis", "importlinter", "grimp", "mlflow",
    "PyInstaller", "moto", "botocore", "boto3", "awscli", "cfnlint", "databricks",
    # heavy optional imports the application never needs
    "pandas", "pyarrow", "sympy", "networkx", "torch", "tensorflow", "numba", "llvmlite",
    "docutils", "sphinx", "libcst",
]

# shared libraries of unused Qt modules (pulled in by plugins or other libraries' RUNPATHs)
_UNUSED_QT_LIB = re.compile(
    r"(^|/)libQt6(3D\w*|Quick3D\w*|Multimedia\w*|Charts\w*|DataVisualization\w*|Graphs\w*"
    r"|Designer\w*|Location|Bluetooth|Nfc|Sensors\w*|Serial\w*|TextToSpeech|SpatialAudio"
    r"|Scxml\w*|StateMachine\w*|RemoteObjects\w*|Help|Test|QuickTest|QuickControls2\w*"
    r"|QuickTemplates2|QuickDialogs2\w*|QuickEffects|QuickLayouts|QuickShapes\w*"
    r"|QuickParticles|QuickTimeline\w*|QuickVectorImage\w*|LabsStyleKit\w*|VirtualKeyboard\w*"
    r"|ShaderTools|HttpServer|WebView\w*|WebSockets|WebEngineQuick\w*|CanvasPainter\w*"
    r"|Pdf\w*|Sql|UiTools|Lottie\w*)\.so"
)
# plugin folders of things the app does not do (sound, 3D scenes, sensors, SQL drivers …)
_UNUSED_PLUGIN = re.compile(
    r"PySide6/Qt/plugins/(multimedia|sceneparsers|renderers|geometryloaders|renderplugins"
    r"|sensors|position|geoservices|sqldrivers|designer|qmltooling|assetimporters"
    r"|texttospeech|canbus|webview|qmllint|scxmldatamodel|help|virtualkeyboard"
    r"|qmlls)/"
)


def keep_binary(dest: str) -> bool:
    """True when the shared library or plugin at *dest* belongs in the bundle."""
    dest = dest.replace("\\", "/")
    return not (_UNUSED_QT_LIB.search(dest) or _UNUSED_PLUGIN.search(dest)
                or dest.startswith("PySide6/Qt/qml/"))


def keep_data(dest: str) -> bool:
    """True when the data file at *dest* belongs in the bundle.

    Leaves out QML modules, QtWebEngine locales other than en-US (Chromium falls back to
    en-US; the application's own text is English), Chromium's developer tools, Qt's own
    translations, and matplotlib's sample data.
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
    return "mpl-data/sample_data/" not in dest
