"""``signoff --self-test``, the checks that need Qt (offscreen): Qt itself, the main window (its
time after process start is the cold start), the notebook shown in QtWebEngine, and a chart.

The orchestration is in :mod:`signoff.selftest`, the checks without Qt in
:mod:`signoff.selftest.core_checks`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from signoff.selftest.core_checks import check_audit, check_render
from signoff.selftest.harness import (
    WEB_TIMEOUT_S,
    WINDOW_TIMEOUT_S,
    CheckFailed,
    SelfTest,
    process_age,
    wait_until,
)

if TYPE_CHECKING:  # each check imports what it checks, so a missing part fails only that check
    from matplotlib.figure import Figure
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QWidget

    from signoff.core.db.registry import Registry
    from signoff.ui.widgets.charts import ChartPalette


def run_gui_checks(test: SelfTest, workdir: Path) -> None:
    """Qt and the main window first (so its time after process start is the cold start), then
    the audit chain, the notebook rendered and shown in QtWebEngine, and a chart."""
    qt_ok = test.check("Qt", lambda: _check_qt(test))
    # an exception in a slot or a widget's constructor called from Qt ends up in
    # sys.excepthook instead of failing the check; catch it there
    previous_hook, sys.excepthook = sys.excepthook, test.record_escaped
    try:
        if qt_ok:
            test.check("main window", lambda: _check_window(test, workdir))
        test.check("audit chain", lambda: check_audit(test))
        rendered = test.check("notebook render", lambda: check_render(test))
        if qt_ok and rendered:
            test.check("notebook view (QtWebEngine)", lambda: _check_web_view(test, workdir))
        if qt_ok:
            test.check("chart", lambda: _check_chart(test, workdir))
    finally:
        window = test.state.pop("window", None)
        if window is not None:
            window.ctx.shutdown()
            window.close()
            window.deleteLater()
        if qt_ok:
            _delete_later_now()
        sys.excepthook = previous_hook


def _check_qt(test: SelfTest) -> str:
    # QtWebEngine must be imported before the QApplication exists
    from PySide6 import QtWebEngineWidgets  # noqa: F401
    from PySide6.QtCore import qVersion

    from signoff.ui.shell.app import make_application

    app = make_application([sys.argv[0], "-platform", "offscreen"])
    test.state["app"] = app
    return f"Qt {qVersion()}, platform {app.platformName()}"


def _pixels_vary(image: QImage) -> bool:
    """True when a QImage is not one flat colour (something was drawn)."""
    small = image.scaled(64, 64)
    colours = {small.pixel(x, y) for x in range(0, 64, 4) for y in range(0, 64, 4)}
    return len(colours) > 3


def _texts_shown(window: QWidget) -> list[str]:
    """The texts a person sees in *window*'s visible lists and tables (first rows only)."""
    from PySide6.QtCore import QModelIndex, Qt
    from PySide6.QtWidgets import QAbstractItemView

    root = QModelIndex()
    texts: list[str] = []
    for view in window.findChildren(QAbstractItemView):
        model = view.model()
        if model is None or not view.isVisible():
            continue
        for row in range(min(model.rowCount(root), 200)):
            for column in range(20):  # columnCount is private on list models
                index = model.index(row, column)
                if not index.isValid():
                    break
                value = model.data(index, Qt.ItemDataRole.DisplayRole)
                if value is not None:
                    texts.append(str(value))
    return texts


def _check_window(test: SelfTest, workdir: Path) -> str:

    from signoff.ui.services.settings import Settings
    from signoff.ui.shell.app import build_window

    models = test.state.get("models", [])
    window = build_window(test.state["registry"], Settings(workdir / "settings.ini"))
    test.state["window"] = window
    window.resize(1280, 800)
    window.show()

    def missing() -> list[str]:
        shown = _texts_shown(window)
        # the inventory's first page, sorted by name, shows at least the first few
        return [name for name in models[:5] if not any(name in text for text in shown)]

    if not models or not wait_until(lambda: window.isVisible() and not missing(), WINDOW_TIMEOUT_S):
        raise CheckFailed(
            f"after {WINDOW_TIMEOUT_S:.0f} s the window does not show the demo "
            f"models {', '.join(missing()) or '(none in the registry)'}"
        )
    age = process_age()
    image = window.grab().toImage()
    image.save(str(workdir / "window.png"))
    if not _pixels_vary(image):
        raise CheckFailed("the window was drawn as one flat colour")
    shown = f", shown {age:.1f} s after the process started" if age is not None else ""
    return f"'{window.windowTitle()}' lists the {len(models)} models{shown}"


def _delete_later_now() -> None:
    """Destroy widgets scheduled with deleteLater (a web page must go before its profile)."""
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()


def _check_web_view(test: SelfTest, workdir: Path) -> str:
    from PySide6.QtCore import QUrl
    from PySide6.QtWebEngineWidgets import QWebEngineView

    label, html, heading = test.state["notebook"]
    page_file = workdir / "notebook.html"
    page_file.write_text(html, encoding="utf-8")
    view = QWebEngineView()
    view.resize(1000, 800)
    view.show()
    loaded: list[bool] = []
    text: list[str] = []
    view.loadFinished.connect(loaded.append)
    try:
        view.load(QUrl.fromLocalFile(str(page_file)))
        if not wait_until(lambda: bool(loaded), WEB_TIMEOUT_S):
            raise CheckFailed(
                f"QtWebEngine did not finish loading the page in {WEB_TIMEOUT_S:.0f} s"
            )
        if not loaded[0]:
            raise CheckFailed("QtWebEngine reported the page failed to load")
        view.page().toPlainText(text.append)
        if not wait_until(lambda: bool(text), 30):
            raise CheckFailed("QtWebEngine never returned the page text")
        if heading not in text[0]:
            raise CheckFailed(f"the page text lacks the heading {heading!r}")
        return f"{label} shown: {len(text[0]):,} characters of text, heading {heading!r} found"
    finally:
        view.close()
        view.deleteLater()
        _delete_later_now()


def _predictions_per_model(registry: Registry) -> list[tuple[str, int]]:
    from sqlalchemy import func, select

    from signoff.core.db.schema import Model, Prediction, Version

    with registry.read() as session:
        rows = session.execute(
            select(Model.name, func.count(Prediction.id))
            .join(Version, Version.model_id == Model.id)
            .join(Prediction, Prediction.version_id == Version.id)
            .group_by(Model.name)
            .order_by(Model.name)
        ).all()
    return [(name, int(count)) for name, count in rows]


def _check_chart(test: SelfTest, workdir: Path) -> str:
    try:
        from signoff.ui.widgets.charts import ChartWidget
    except ImportError as exc:
        raise CheckFailed(
            f"the chart widget (signoff.ui.widgets.charts) is not in this installation: {exc}"
        ) from exc

    class PredictionsChart(ChartWidget):
        def draw_chart(
            self, figure: Figure, data: list[tuple[str, int]], palette: ChartPalette
        ) -> None:
            ax = figure.add_subplot()
            names = [name for name, _count in data]
            ax.barh(names, [count for _name, count in data], color=palette.series[0])
            ax.set_xlabel("predictions scored")

    data = _predictions_per_model(test.state["registry"])
    if not data:
        raise CheckFailed("the demo registry has no predictions to chart")
    chart = PredictionsChart("Predictions per model")
    chart.resize(800, 400)
    chart.show()
    drawn: list[bool] = []
    chart.drawn.connect(lambda: drawn.append(True))
    try:
        chart.set_data(data)
        if not wait_until(lambda: bool(drawn), 30):
            raise CheckFailed("the chart never reported it was drawn")
        from matplotlib.patches import Rectangle

        bars = [
            p.get_width() for ax in chart.axes() for p in ax.patches if isinstance(p, Rectangle)
        ]
        if sorted(bars) != sorted(count for _name, count in data):
            raise CheckFailed(f"the chart shows {bars}, expected {[c for _n, c in data]}")
        image = chart.grab().toImage()
        if not _pixels_vary(image):
            raise CheckFailed("the chart was drawn as one flat colour")
        exported = chart.export(workdir / "chart.png")
        if exported.stat().st_size < 1000:
            raise CheckFailed(f"the exported chart {exported.name} is nearly empty")
        return (
            f"{len(bars)} bars ({sum(bars):,} predictions) drawn and exported as PNG "
            f"({exported.stat().st_size // 1024} KiB)"
        )
    finally:
        chart.close()
        chart.deleteLater()
