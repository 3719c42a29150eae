"""Each chart opened on the demo registry, asserting on what is plotted.

With SIGNOFF_SCREENSHOTS=1 the test also saves the README screenshots
(docs/screenshots/metrics.png and monitoring.png).
"""

from __future__ import annotations

import pytest
from matplotlib.container import BarContainer

from signoff.core.catalog import lookup
from tests.helpers.qtwait import status_problem, wait_for_result
from tests.helpers.shots import save_screenshot

pytestmark = pytest.mark.gui


def test_demo_metrics_tab_candidate_against_live(qtbot, make_ctx, demo_registry) -> None:
    from signoff.ui.version.metrics_tab import MetricsTab

    with demo_registry.read() as s:
        dev = {
            v.number: {m.name: m.value for m in v.metrics if m.dataset == "validation"}
            for v in lookup.get_model(s, "card-fraud").versions
        }
    tab = MetricsTab(make_ctx(demo_registry))
    qtbot.addWidget(tab)
    tab.resize(1200, 820)
    tab.show()
    tab.show_version("card-fraud", 4)
    wait_for_result(
        qtbot,
        lambda: tab.metrics is not None and not tab.bars.is_showing_empty,
        status_problem(tab.status),
        timeout=20000,
        what="the metrics",
    )
    assert tab.picked() == [2]  # v2 is live
    [ax] = tab.bars.axes()
    containers = [c for c in ax.containers if isinstance(c, BarContainer)]
    names = [t.get_text() for t in ax.get_xticklabels()]
    assert [p.get_height() for p in containers[0]] == pytest.approx([dev[4][n] for n in names])
    assert [p.get_height() for p in containers[1]] == pytest.approx([dev[2][n] for n in names])
    tab.trend_metric.setCurrentText("auc")
    line = tab.trend.axes()[0].get_lines()[0]
    assert list(line.get_xdata()) == [1, 2, 3, 4]
    assert list(line.get_ydata()) == pytest.approx([dev[n]["auc"] for n in (1, 2, 3, 4)])
    save_screenshot(tab, "metrics.png")


def test_demo_runs_tab_and_monitoring_page_show_the_stale_model(
    qtbot, make_ctx, demo_registry
) -> None:
    from signoff.ui.monitoring.monitoring_page import MonitoringPage
    from signoff.ui.version.runs_tab import RunsTab

    ctx = make_ctx(demo_registry)
    tab = RunsTab(ctx)
    qtbot.addWidget(tab)
    tab.resize(1200, 820)
    tab.show_version("card-fraud", 2)
    wait_for_result(
        qtbot, lambda: tab.result is not None, status_problem(tab.status), timeout=30000
    )
    windows = [w for w in tab.result.series.windows if w.value is not None]
    [ax] = tab.metric_chart.axes()
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines["AUC per window"].get_ydata()) == pytest.approx([w.value for w in windows])
    assert list(lines["breaching window"].get_ydata()) == pytest.approx(
        [w.value for w in windows if w.breach]
    )
    assert "<b>Stale</b>" in tab.status.text()
    page = MonitoringPage(ctx)
    qtbot.addWidget(page)
    page.resize(1300, 860)
    page.show()
    wait_for_result(qtbot, lambda: len(page.rows) == 5, status_problem(page.status), timeout=30000)
    proxy = page.proxy
    shown = {proxy.data(proxy.index(r, 0)): r for r in range(proxy.rowCount())}
    fraud = shown["card-fraud"]
    assert [proxy.data(proxy.index(fraud, c)) for c in (1, 8)] == ["v2", "STALE"]
    assert proxy.data(proxy.index(fraud, 9)).startswith("performance: AUC was below baseline")
    # demand-forecast is stale too, for its overdue revalidation; the others are fine
    verdicts = {name: proxy.data(proxy.index(r, 8)) for name, r in shown.items()}
    assert verdicts["demand-forecast"] == "STALE"
    assert [v for n, v in verdicts.items() if n not in ("card-fraud", "demand-forecast")] == [
        "ok"
    ] * 3
    first = proxy.data(proxy.index(0, 0))  # the first row's chart is drawn
    assert page.chart.title.startswith(f"{first} v{proxy.data(proxy.index(0, 1))[1:]}")
    save_screenshot(page, "monitoring.png", settle_ms=50)
