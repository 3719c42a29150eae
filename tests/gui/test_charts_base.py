"""The base chart widget: empty state, export formats, palettes, and image baselines."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from matplotlib.testing.compare import compare_images
from PySide6.QtCore import Qt

from signoff.ui.widgets.charts import DARK, LIGHT
from signoff.ui.widgets.charts.metrics_charts import BarData, GroupedBarChart
from signoff.ui.widgets.charts.monitoring_charts import MetricOverTimeChart, MetricTimeData

pytestmark = pytest.mark.gui

BASELINES = Path(__file__).parent / "baseline"
REGENERATE = os.environ.get("SIGNOFF_REGENERATE_BASELINES") == "1"

BARS = BarData(
    ["auc", "accuracy", "recall"],
    [("v4 (candidate)", [0.86, 0.91, 0.72]), ("v2 (live)", [0.82, 0.90, None])],
)
START = datetime(2026, 5, 4)
TIMELINE = MetricTimeData(
    "auc",
    "card-fraud v2",
    [START + timedelta(days=28 * i) for i in range(6)],
    [0.84, 0.83, 0.82, 0.76, 0.71, 0.69],
    [True] * 5 + [False],
    [False, False, False, False, True, False],
    0.81,
    0.76,
)


def test_empty_state_disables_toolbar_and_export(qtbot) -> None:
    chart = GroupedBarChart()
    qtbot.addWidget(chart)
    assert chart.is_showing_empty
    assert chart.empty_label.text() == "This version has no development metrics recorded."
    assert not chart.export_button.isEnabled() and not chart.toolbar.isEnabled()
    chart.set_data(BarData([], []), "Nothing recorded for v9.")
    assert chart.is_showing_empty and chart.empty_label.text() == "Nothing recorded for v9."
    with qtbot.waitSignal(chart.drawn):
        chart.set_data(BARS)
    assert not chart.is_showing_empty and chart.export_button.isEnabled()
    assert chart.stack.currentWidget() is chart.canvas


def test_export_png_svg_pdf_and_refuse_other_formats(qtbot, tmp_path: Path) -> None:
    chart = GroupedBarChart()
    qtbot.addWidget(chart)
    chart.set_data(BARS)
    magic = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}
    for fmt, head in magic.items():
        path = chart.export(tmp_path / f"bars.{fmt}")
        assert path.read_bytes()[: len(head)] == head
    assert b"v4 (candidate)" in (tmp_path / "bars.svg").read_bytes()
    with pytest.raises(ValueError, match="cannot export as '.jpg'"):
        chart.export(tmp_path / "bars.jpg")
    assert not (tmp_path / "bars.jpg").exists()


def test_export_button_asks_for_a_file(qtbot, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    chart = GroupedBarChart()
    qtbot.addWidget(chart)
    chart.set_data(BARS)
    target = tmp_path / "chosen"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "SVG drawing (*.svg)")
    )
    qtbot.mouseClick(chart.export_button, Qt.MouseButton.LeftButton)
    assert (tmp_path / "chosen.svg").read_bytes().startswith(b"<?xml")


def test_dark_palette_redraws_current_data(qtbot) -> None:
    chart = MetricOverTimeChart()
    qtbot.addWidget(chart)
    chart.set_data(TIMELINE)
    [ax] = chart.axes()
    assert ax.get_facecolor()[:3] == pytest.approx((1, 1, 1))
    chart.set_dark(True)
    [ax] = chart.axes()
    bg = tuple(int(DARK.background[i : i + 2], 16) / 255 for i in (1, 3, 5))
    assert ax.get_facecolor()[:3] == pytest.approx(bg)
    assert ax.yaxis.label.get_color() == DARK.foreground
    # the same points are plotted in either palette
    assert list(ax.get_lines()[2].get_ydata()) == TIMELINE.values
    assert LIGHT.series != DARK.series


@pytest.mark.parametrize(
    ("name", "make", "data", "dark"),
    [
        ("bars-light", GroupedBarChart, BARS, False),
        ("timeline-light", MetricOverTimeChart, TIMELINE, False),
        ("timeline-dark", MetricOverTimeChart, TIMELINE, True),
    ],
)
def test_image_matches_baseline(qtbot, tmp_path: Path, name: str, make, data, dark: bool) -> None:  # noqa: ANN001
    chart = make(dark=dark)
    qtbot.addWidget(chart)
    chart.figure.set_size_inches(6.4, 3.6)
    chart.set_data(data)
    actual = chart.export(tmp_path / f"{name}.png")
    expected = BASELINES / f"{name}.png"
    if REGENERATE:
        shutil.copy(actual, expected)
    assert expected.exists(), f"no baseline {expected}; run with SIGNOFF_REGENERATE_BASELINES=1"
    # tolerance: RMS of the pixel difference (0-255); absorbs font hinting differences
    assert compare_images(str(expected), str(actual), tol=6) is None


def test_chart_follows_a_theme_switch(qtbot) -> None:
    theme = {"dark": False}
    chart = MetricOverTimeChart(dark=lambda: theme["dark"])
    qtbot.addWidget(chart)
    chart.set_data(TIMELINE)
    assert chart.palette_ is LIGHT
    theme["dark"] = True
    chart.setStyleSheet("QWidget { }")  # what the main window's restyling delivers: StyleChange
    assert chart.palette_ is DARK
    assert chart.axes()[0].yaxis.label.get_color() == DARK.foreground
