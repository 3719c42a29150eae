"""Charts on real registries: what is plotted (bar heights, line points), driven as a person."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pytest
from matplotlib.container import BarContainer
from PySide6.QtCore import Qt
from sqlalchemy import select

from signoff.core.db.schema import Model
from signoff.core.monitoring.windows import MonitoringRules, version_series
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder
from tests.helpers.monitoring import feed, make_live
from tests.helpers.qtwait import status_problem, wait_for_result

pytestmark = pytest.mark.gui

EXTRA = """
[[metrics]]
name = "accuracy"
value = {acc}
"""


@pytest.fixture
def metrics_registry(registry, tmp_path: Path):
    """toy-model v1 (live: auc 0.80, accuracy 0.88), v2 (0.85, 0.90), v3 (0.82, no accuracy)."""
    make_live(registry, tmp_path / "v1")
    text = (tmp_path / "v1" / "toy-model" / "signoff.toml").read_text()
    (tmp_path / "v1" / "toy-model" / "signoff.toml").write_text(text + EXTRA.format(acc=0.88))
    # republish v1's content with accuracy as a new folder is not needed: add v2, v3
    publish(
        registry,
        write_model_folder(
            tmp_path / "v2",
            weights='{"a": 0.2, "b": 0.1}',
            auc=0.85,
            extra_toml=EXTRA.format(acc=0.90),
        ),
    )
    publish(registry, write_model_folder(tmp_path / "v3", weights='{"a": 0.3, "b": 0.1}', auc=0.82))
    return registry


def bar_heights(chart) -> list[list[float]]:
    [ax] = chart.axes()
    return [
        [round(p.get_height(), 6) for p in c] for c in ax.containers if isinstance(c, BarContainer)
    ]


def test_metrics_tab_compares_candidate_with_live_and_picked(
    qtbot, make_ctx, metrics_registry
) -> None:
    from signoff.ui.version.metrics_tab import MetricsTab

    tab = MetricsTab(make_ctx(metrics_registry))
    qtbot.addWidget(tab)
    tab.resize(1000, 700)
    tab.show_version("toy-model", 2)
    wait_for_result(
        qtbot,
        lambda: tab.metrics is not None and not tab.bars.is_showing_empty,
        status_problem(tab.status),
        timeout=15000,
        what="the metrics",
    )
    assert "toy-model v2 (candidate) — the live version v1" in tab.status.text()
    assert tab.picked() == [1]  # the live version is ticked by default
    # v1 has no accuracy recorded (it was published without): a gap, not a zero bar
    heights = bar_heights(tab.bars)
    assert heights[0] == [0.85, 0.9]
    assert heights[1][0] == 0.8 and np.isnan(heights[1][1])
    [ax] = tab.bars.axes()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["auc", "accuracy"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["v2 (candidate)", "v1 (live)"]
    model = tab.table_model
    headers = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(model.columnCount())]
    assert headers == ["Metric", "v2 (candidate)", "v1 (live)", "Δ vs v1"]
    cells = [
        [model.data(model.index(r, c)) for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]
    assert cells == [["auc", "0.8500", "0.8000", "+0.0500"], ["accuracy", "0.9000", "—", "—"]]
    # the reviewer ticks v3 as well
    tab.pick(3)
    assert tab.picked() == [1, 3]
    assert bar_heights(tab.bars)[2][0] == 0.82
    assert model.columnCount() == 6
    assert model.data(model.index(0, 5)) == "+0.0300"
    # the trend: auc in version order
    tab.trend_metric.setCurrentText("auc")
    [tax] = tab.trend.axes()
    line = tax.get_lines()[0]
    assert list(line.get_xdata()) == [1, 2, 3]
    assert list(line.get_ydata()) == [0.8, 0.85, 0.82]
    assert [t.get_text() for t in tax.get_xticklabels()] == ["v1", "v2", "v3"]
    tab.trend_metric.setCurrentText("accuracy")
    assert list(tab.trend.axes()[0].get_lines()[0].get_xdata()) == [2]


def test_runs_tab_plots_windows_baseline_breaches_volume_and_calibration(
    qtbot, make_ctx, registry, tmp_path: Path
) -> None:
    from signoff.ui.version.runs_tab import RunsTab

    make_live(registry, tmp_path)
    feed(registry, ["good", "good", "bad", "bad"], seed=3)
    tab = RunsTab(make_ctx(registry))
    qtbot.addWidget(tab)
    tab.resize(1100, 800)
    tab.show_version("toy-model", 1)
    wait_for_result(
        qtbot, lambda: tab.result is not None, status_problem(tab.status), timeout=20000
    )
    with registry.read() as s:
        model = s.scalar(select(Model).where(Model.name == "toy-model"))
        series = version_series(s, model.versions[0], MonitoringRules.for_model(model))
    [ax] = tab.metric_chart.axes()
    lines = {line.get_label(): line for line in ax.get_lines()}
    main = lines["AUC per window"]
    assert list(main.get_ydata()) == pytest.approx([w.value for w in series.windows])
    assert list(lines["baseline 0.800"].get_ydata()) == [0.8, 0.8]
    assert list(lines["limit 0.750"].get_ydata()) == [0.75, 0.75]
    breach = lines["breaching window"]
    assert list(breach.get_ydata()) == pytest.approx([w.value for w in series.windows[2:]])
    [band] = [p for p in ax.patches if p.get_label() == "tolerance band"]
    assert (band.get_y(), band.get_y() + band.get_height()) == pytest.approx((0.75, 0.8))
    assert ax.get_ylabel() == "AUC (live, per window)"
    vol_ax = tab.volume_chart.axes()[0]
    assert [p.get_height() for p in vol_ax.patches] == [200, 200, 200, 200]
    cal = tab.predicted_chart.axes()[0].get_lines()[1]
    assert len(cal.get_xdata()) == 10 and max(cal.get_ydata()) <= 1
    text = tab.status.text()
    assert "800 predictions in 4 windows" in text
    assert "<b>Stale</b>" in text and "performance: AUC was below baseline 0.800" in text


def test_runs_tab_regressor_shows_scatter_and_residuals(
    qtbot, make_ctx, registry, tmp_path: Path
) -> None:
    from signoff.core.ingest.records import ingest_records
    from signoff.ui.version.runs_tab import RunsTab

    make_live(registry, tmp_path, metric="rmse", tolerance=2.0, baseline_value=10.0)
    with registry.write() as s:
        s.scalar(select(Model).where(Model.name == "toy-model")).task = "regression"
    ingest_records(
        registry,
        "predictions",
        [
            {
                "subject_key": f"s{i}",
                "predicted_at": f"2026-01-0{i + 5}",
                "version": "toy-model@1",
                "score": 100 + i,
            }
            for i in range(3)
        ],
    )
    ingest_records(
        registry,
        "outcomes",
        [
            {"subject_key": f"s{i}", "observed_at": "2026-02-01", "actual": 101 + 2 * i}
            for i in range(3)
        ],
    )
    tab = RunsTab(make_ctx(registry))
    qtbot.addWidget(tab)
    tab.show_version("toy-model", 1)
    wait_for_result(
        qtbot, lambda: tab.result is not None, status_problem(tab.status), timeout=20000
    )
    left, right = tab.predicted_chart.axes()
    assert left.collections[0].get_offsets().tolist() == [[100, 101], [101, 103], [102, 105]]
    assert right.collections[0].get_offsets()[:, 1].tolist() == [1, 2, 3]
    assert right.get_ylabel() == "residual: actual − predicted"


def test_runs_tab_empty_state_without_data(qtbot, make_ctx, registry, tmp_path: Path) -> None:
    from signoff.ui.version.runs_tab import RunsTab

    make_live(registry, tmp_path)
    tab = RunsTab(make_ctx(registry))
    qtbot.addWidget(tab)
    tab.show_version("toy-model", 1)
    wait_for_result(
        qtbot, lambda: tab.result is not None, status_problem(tab.status), timeout=20000
    )
    for chart in (tab.metric_chart, tab.volume_chart, tab.predicted_chart):
        assert chart.is_showing_empty and not chart.export_button.isEnabled()
    assert "No predictions with outcomes yet" in tab.metric_chart.empty_label.text()


def test_monitoring_page_lists_live_models_sorted_and_click_opens_chart(
    qtbot, make_ctx, registry, tmp_path: Path
) -> None:
    from signoff.ui.monitoring.monitoring_page import MonitoringPage

    make_live(registry, tmp_path)
    feed(registry, ["good", "bad", "bad"], seed=3)
    make_live(registry, tmp_path, name="healthy-model")
    feed(registry, ["good", "good", "good"], seed=4, name="healthy-model")
    publish(registry, write_model_folder(tmp_path / "d", name="draft-model"))
    ctx = make_ctx(registry)
    page = MonitoringPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    wait_for_result(qtbot, lambda: len(page.rows) == 2, status_problem(page.status), timeout=20000)
    proxy = page.proxy
    shown = [[proxy.data(proxy.index(r, c)) for c in (0, 1, 2, 8)] for r in range(2)]
    assert shown == [["toy-model", "v1", "AUC", "STALE"], ["healthy-model", "v1", "AUC", "ok"]]
    assert page.status.text() == "2 live models, 1 stale."
    # sort by model name, as a person clicking the header would: A to Z, then Z to A
    header = page.table.horizontalHeader()

    def click_model_header() -> list[str]:
        qtbot.mouseClick(
            header.viewport(),
            Qt.MouseButton.LeftButton,
            pos=header.viewport().rect().topLeft() + _section_centre(header, 0),
        )
        return [proxy.data(proxy.index(r, 0)) for r in range(2)]

    assert click_model_header() == ["healthy-model", "toy-model"]
    assert click_model_header() == ["toy-model", "healthy-model"]
    names = click_model_header()
    assert names == ["healthy-model", "toy-model"]
    # clicking the healthy model draws its chart
    row = names.index("healthy-model")
    rect = page.table.visualRect(proxy.index(row, 0))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.chart.title.startswith("healthy-model v1")
    [ax] = page.chart.axes()
    assert len(ax.get_lines()[2].get_ydata()) == 3
    # store the flags: audited, visible to the inventory
    qtbot.mouseClick(page.store_button, Qt.MouseButton.LeftButton)
    wait_for_result(
        qtbot,
        lambda: "Stored the changed flags of toy-model" in page.status.text(),
        status_problem(page.status),
        timeout=20000,
        what="storing the flags",
    )
    with registry.read() as s:
        flags = dict(s.execute(select(Model.name, Model.flag_stale)).all())
    assert flags == {"toy-model": True, "healthy-model": False, "draft-model": False}


def _section_centre(header, section: int):  # noqa: ANN001, ANN202
    from PySide6.QtCore import QPoint

    x = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
    return QPoint(x, header.height() // 2)


def test_runs_tab_says_how_many_predictions_fall_outside_the_versions_lifetime(
    qtbot, make_ctx, registry, tmp_path: Path
) -> None:
    from datetime import timedelta

    from signoff.core.ingest.records import ingest_records
    from signoff.ui.version.runs_tab import RunsTab
    from tests.helpers.monitoring import LIVE_FROM

    make_live(registry, tmp_path)
    early = LIVE_FROM - timedelta(days=400)  # before the version existed or was ever live
    ingest_records(
        registry,
        "predictions",
        [
            {"subject_key": f"S-{i}", "predicted_at": early, "version": "toy-model@1", "score": 1}
            for i in range(3)
        ],
    )
    tab = RunsTab(make_ctx(registry))
    qtbot.addWidget(tab)
    tab.show_version("toy-model", 1)
    wait_for_result(
        qtbot, lambda: tab.result is not None, status_problem(tab.status), timeout=20000
    )
    shown = html.unescape(tab.status.text())  # rich text: what the person reads
    assert "0 predictions in" in shown  # none of them in a monitoring window
    assert "3 predictions outside their version's lifetime" in shown
    assert "dated before their version existed in the registry" in shown


def test_runs_tab_shows_input_feature_drift_beside_score_drift(
    qtbot, make_ctx, registry, tmp_path: Path
) -> None:
    from datetime import datetime, timedelta

    from signoff.core.ingest.records import ingest_records
    from signoff.ui.version.runs_tab import RunsTab

    make_live(registry, tmp_path)
    rows = []
    for week, (start, shift, region) in enumerate(
        ((datetime(2026, 1, 5), 0.0, "north"), (datetime(2026, 3, 2), 2.0, "mars"))
    ):
        for i in range(60):
            rows.append(
                {
                    "subject_key": f"S-{week}-{i}",
                    "predicted_at": start + timedelta(minutes=i),
                    "version": "toy-model@1",
                    "output": {"score": (i % 10) / 10},
                    "input_record": {
                        "x": shift + (i % 20) / 20,
                        "region": region if i % 2 else "south",
                    },
                }
            )
    ingest_records(registry, "predictions", rows)
    tab = RunsTab(make_ctx(registry))
    qtbot.addWidget(tab)
    tab.show_version("toy-model", 1)
    wait_for_result(
        qtbot, lambda: tab.result is not None, status_problem(tab.status), timeout=20000
    )
    shown = {tab.drift.record(i).feature: tab.drift.record(i) for i in range(tab.drift.rowCount())}
    assert set(shown) == {"score", "x", "region"}
    assert shown["x"].kind == "numeric" and shown["region"].kind == "categorical"
    assert shown["x"].psi > 1.0 and shown["region"].psi > 1.0  # both inputs moved
    assert shown["score"].psi < 0.1  # the scores did not: only input drift shows it
    x_row = [tab.drift.record(i).feature for i in range(tab.drift.rowCount())].index("x")
    colour = tab.drift.data(tab.drift.index(x_row, 2), Qt.ItemDataRole.ForegroundRole)
    assert colour is not None
    assert "first window in production" in tab.drift_label.text()
