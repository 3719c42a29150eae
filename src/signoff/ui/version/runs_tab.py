"""The version page's Runs & monitoring tab.

The live metric window by window against the development baseline and tolerance band (breaching
windows marked), prediction volume with failed executions, and predicted against actual
(calibration for classifiers, scatter and residuals for regressors). Everything is computed in
a worker by :func:`signoff.core.monitoring.views.version_monitoring`.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QWidget

from signoff.core.ingest import lifetime
from signoff.core.monitoring.views import VersionMonitoring, version_monitoring
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.charts.monitoring_charts import (
    MetricOverTimeChart,
    MetricTimeData,
    PredictedActualChart,
    PredictedActualData,
    VolumeChart,
    VolumeData,
)
from signoff.ui.widgets.common import scrolling_page


class RunsTab(QWidget):
    """Live monitoring of one version: metric over time, volume and failures, calibration."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.result: VersionMonitoring | None = None
        dark = ctx.prefers_dark
        # three charts of at least their readable height: in a short window the tab scrolls
        layout = scrolling_page(self, "runsScroll")
        self.status = QLabel("The version's live record appears here.")
        self.status.setObjectName("runsStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.status)
        outer = QSplitter(Qt.Orientation.Vertical)
        self.metric_chart = MetricOverTimeChart(dark=dark)
        outer.addWidget(self.metric_chart)
        lower = QSplitter(Qt.Orientation.Horizontal)
        self.volume_chart = VolumeChart(dark=dark)
        self.predicted_chart = PredictedActualChart(dark=dark)
        lower.addWidget(self.volume_chart)
        lower.addWidget(self.predicted_chart)
        outer.addWidget(lower)
        outer.setMinimumHeight(560)
        layout.addWidget(outer, 1)

    def show_version(self, model: str, number: int) -> None:
        """Compute the version's monitoring in a worker, then draw the three charts."""
        self.status.setText(f"Loading monitoring of {html.escape(model)} v{number}…")
        self.ctx.run(
            version_monitoring,
            model,
            number,
            key=f"runs-{id(self)}",
            on_result=self._loaded,
            on_error=self._failed,
        )

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(f"Could not load monitoring: {html.escape(str(exc))}")
        for chart in (self.metric_chart, self.volume_chart, self.predicted_chart):
            chart.show_empty("Monitoring could not be loaded.")

    def _loaded(self, result: VersionMonitoring) -> None:
        self.result = result
        series = result.series
        if series is None:
            self.status.setText(
                f"Monitoring rules cannot be applied: {html.escape(result.rules_error)}"
            )
            for chart in (self.metric_chart, self.volume_chart, self.predicted_chart):
                chart.show_empty("No monitoring without valid rules.")
            return
        self.status.setText(self._summary(result))
        self.metric_chart.set_data(MetricTimeData.from_series(series))
        self.volume_chart.set_data(VolumeData.from_series(series))
        self.predicted_chart.set_data(
            PredictedActualData(
                result.is_classifier, result.calibration, result.scores, result.actuals
            )
        )

    @staticmethod
    def _summary(result: VersionMonitoring) -> str:
        series = result.series
        assert series is not None
        windows = len(series.windows)
        predictions = sum(w.predictions for w in series.windows)
        failed = sum(w.failed_executions for w in series.windows)
        baseline = (
            f"baseline {series.baseline:.3f} ({series.baseline_source}), "
            f"tolerance {series.tolerance:g}"
            if series.baseline is not None
            else "no baseline recorded"
        )
        parts = [
            f"<b>{html.escape(series.label)}</b>"
            + (" — live" if result.is_live else " — not live"),
            f"{predictions:,} predictions in {windows} windows, {failed} failed runs; "
            f"{series.metric.upper()} {baseline}; PSI against the "
            f"{html.escape(series.psi_reference)}",
        ]
        outside = lifetime.describe(series.outside_lifetime)
        if outside:
            parts.append(f"<span style='color:#a15c00'>{html.escape(outside)}</span>")
        health = result.health
        if health is not None:
            if health.stale:
                reasons = "<br>".join(html.escape(r) for r in health.reasons)
                parts.append(f"<span style='color:#c0392b'><b>Stale</b></span>: {reasons}")
            else:
                parts.append(
                    "<span style='color:#1b7837'><b>Not stale</b></span>: "
                    "every monitoring rule holds."
                )
        return "<br>".join(parts)
