"""The version page's Runs & monitoring tab.

The live metric window by window against the development baseline and tolerance band (breaching
windows marked), prediction volume with failed executions, and predicted against actual
(calibration for classifiers, scatter and residuals for regressors). Everything is computed in
a worker by :func:`signoff.core.monitoring.views.version_monitoring`.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QSplitter, QVBoxLayout, QWidget

from signoff.core.ingest import lifetime
from signoff.core.monitoring.features import FeatureDrift, top_features
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
from signoff.ui.widgets.columns import fit_columns
from signoff.ui.widgets.common import record_table, scrolling_page
from signoff.ui.widgets.table_models import Column, RecordTableModel

MIN_FEATURE_RECORDS = 30  # as the staleness rules' min_predictions default


def _psi(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


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
        # drift of each input feature beside the score's, in the latest window with enough records
        self.threshold, self.score_threshold = 0.25, 0.25
        self.drift = RecordTableModel(
            [
                Column("Input", lambda f: f.feature),
                Column("Kind", lambda f: f.kind),
                Column(
                    "PSI",
                    lambda f: _psi(f.psi),
                    align_right=True,
                    colour=lambda f: "#c0392b" if (f.psi or 0.0) > self._limit(f) else None,
                ),
            ],
            self,
        )
        drift_box = QGroupBox("Drift: score and inputs (PSI)")
        drift_layout = QVBoxLayout(drift_box)
        self.drift_label = QLabel("")
        self.drift_label.setObjectName("featureDriftLabel")
        self.drift_label.setWordWrap(True)
        drift_layout.addWidget(self.drift_label)
        drift_table = record_table(self.drift, "featureDriftTable", wrap=False)
        fit_columns(drift_table, stretch=0)
        drift_layout.addWidget(drift_table)
        outer.addWidget(lower)
        # the drift table has the tab's whole width below the charts, with its title, its line
        # and a few rows; in a short window the tab scrolls instead of squeezing it
        drift_box.setMinimumHeight(220)
        outer.addWidget(drift_box)
        outer.setMinimumHeight(820)
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
        self._show_drift(result)
        self.metric_chart.set_data(MetricTimeData.from_series(series))
        self.volume_chart.set_data(VolumeData.from_series(series))
        self.predicted_chart.set_data(
            PredictedActualData(
                result.is_classifier, result.calibration, result.scores, result.actuals
            )
        )

    def _limit(self, drift: FeatureDrift) -> float:
        return self.score_threshold if drift.kind == "score" else self.threshold

    def _show_drift(self, result: VersionMonitoring) -> None:
        series, features = result.series, result.features
        assert series is not None
        self.score_threshold = result.drift_threshold
        self.threshold = result.feature_threshold or result.drift_threshold
        scored = [w for w in series.windows if w.psi is not None]
        rows: list[FeatureDrift] = []
        if scored:
            rows.append(FeatureDrift("score", "score", scored[-1].psi, scored[-1].predictions))
        window = features.latest(MIN_FEATURE_RECORDS) if features is not None else None
        if window is not None:
            rows += top_features(window)
            self.drift_label.setText(
                f"Window from {window.start:%Y-%m-%d}, {window.records:,} input records, against "
                f"the {html.escape(features.reference if features else '')}; threshold "
                f"{self.threshold:g}."
            )
        else:
            self.drift_label.setText("No window has enough input records to measure input drift.")
        self.drift.set_records(rows)

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
