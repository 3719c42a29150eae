"""The version page's Metrics tab: the candidate against the live version and any others picked.

Grouped bars and a table of values and deltas (candidate − other) side by side; below, one
metric across every version of the model in version order. The metrics are loaded in a worker
(:func:`signoff.core.monitoring.views.model_metrics`); picking versions only re-plots.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTableView,
    QWidget,
)

from signoff.core.monitoring.views import ModelMetrics, model_metrics
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.charts.metrics_charts import BarData, GroupedBarChart, TrendChart, TrendData
from signoff.ui.widgets.common import scrolling_page
from signoff.ui.widgets.table_models import Column, RecordTableModel


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


# metrics where a smaller value is the better one (errors and losses)
LOWER_IS_BETTER = {"rmse", "mae", "mse", "brier", "log_loss", "logloss", "mape", "error"}


def _delta_colour(metric: str, value: float | None) -> str | None:
    """Green when the candidate is better than the other version, red when worse."""
    if value is None or abs(value) < 1e-12:
        return None
    better = value < 0 if metric.split(" ")[0].lower() in LOWER_IS_BETTER else value > 0
    return "#1b7837" if better else "#c0392b"


class MetricsTab(QWidget):
    """Development metrics of a version compared with live and picked versions."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.metrics: ModelMetrics | None = None
        self.candidate: int | None = None
        dark = ctx.prefers_dark
        # two charts of at least their readable height: in a short window the tab scrolls
        layout = scrolling_page(self, "metricsScroll")
        self.status = QLabel("The metrics of the version appear here.")
        self.status.setObjectName("metricsStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        pick_row = QHBoxLayout()
        pick_row.addWidget(QLabel("Compare with:"))
        self.picker = QListWidget()
        self.picker.setObjectName("comparePicker")
        self.picker.setFlow(QListWidget.Flow.LeftToRight)
        self.picker.setWrapping(True)
        self.picker.setMaximumHeight(64)
        self.picker.setMinimumHeight(34)
        self.picker.itemChanged.connect(lambda _item: self.replot())
        pick_row.addWidget(self.picker, 1)
        layout.addLayout(pick_row)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.bars = GroupedBarChart(dark=dark)
        split.addWidget(self.bars)
        self.table_model = RecordTableModel([], self)
        self.table = QTableView()
        self.table.setObjectName("metricsTable")
        self.table.setModel(self.table_model)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        split.addWidget(self.table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setMinimumHeight(260)
        layout.addWidget(split, 3)
        trend_row = QHBoxLayout()
        trend_row.addWidget(QLabel("Across versions:"))
        self.trend_metric = QComboBox()
        self.trend_metric.setObjectName("trendMetric")
        self.trend_metric.currentTextChanged.connect(lambda _t: self.replot_trend())
        trend_row.addWidget(self.trend_metric)
        trend_row.addStretch(1)
        layout.addLayout(trend_row)
        self.trend = TrendChart(dark=dark)
        self.trend.setMinimumHeight(260)
        layout.addWidget(self.trend, 2)

    # -- loading ----------------------------------------------------------------------------
    def show_version(self, model: str, number: int) -> None:
        """Load the model's version metrics in a worker and compare *number* with live."""
        self.candidate = number
        self.status.setText(f"Loading metrics of {model} v{number}…")
        self.ctx.read(
            model_metrics,
            model,
            key=f"metrics-{id(self)}",
            on_result=self._loaded,
            on_error=self._failed,
        )

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(f"Could not load the metrics: {exc}")
        self.bars.show_empty("The metrics could not be loaded.")
        self.trend.show_empty("The metrics could not be loaded.")

    def _loaded(self, metrics: ModelMetrics) -> None:
        self.metrics = metrics
        self.picker.blockSignals(True)
        self.picker.clear()
        for v in metrics.versions:
            if v.number == self.candidate:
                continue
            live = " (live)" if v.number == metrics.live else ""
            item = QListWidgetItem(f"v{v.number}{live}")
            item.setData(Qt.ItemDataRole.UserRole, v.number)
            item.setToolTip(f"v{v.number}: {v.state.replace('_', ' ')}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if v.number == metrics.live else Qt.CheckState.Unchecked
            )
            # each entry as wide as its text and box: a list in a row would cut it to "…"
            width = self.picker.fontMetrics().horizontalAdvance(item.text()) + 44
            item.setSizeHint(QSize(width, 26))
            self.picker.addItem(item)
        self.picker.blockSignals(False)
        self.trend_metric.blockSignals(True)
        self.trend_metric.clear()
        self.trend_metric.addItems(metrics.metric_names)
        self.trend_metric.blockSignals(False)
        live = f"the live version v{metrics.live}" if metrics.live else "no version is live"
        self.status.setText(
            f"{metrics.model} v{self.candidate} (candidate) — {live}. "
            "Tick versions to compare; deltas are candidate − other."
        )
        self.replot()
        self.replot_trend()

    # -- plotting ---------------------------------------------------------------------------
    def picked(self) -> list[int]:
        """The version numbers ticked for comparison, in version order."""
        out = []
        for i in range(self.picker.count()):
            item = self.picker.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return out

    def pick(self, number: int, checked: bool = True) -> None:
        """Tick (or untick) version *number* in the picker."""
        for i in range(self.picker.count()):
            item = self.picker.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == number:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def _label(self, number: int) -> str:
        if number == self.candidate:
            return f"v{number} (candidate)"
        return f"v{number} (live)" if self.metrics and number == self.metrics.live else f"v{number}"

    def replot(self) -> None:
        """Redraw bars and the table for the candidate and the ticked versions."""
        metrics, candidate = self.metrics, self.candidate
        if metrics is None or candidate is None:
            return
        others = self.picked()
        rows = metrics.comparison(candidate, others)
        columns = [
            Column("Metric", lambda r: r["metric"]),
            Column(
                self._label(candidate),
                lambda r: _fmt(r["candidate"]),
                sort_key=lambda r: r["candidate"] or 0,
                align_right=True,
            ),
        ]
        for n in others:
            columns.append(
                Column(self._label(n), lambda r, n=n: _fmt(r["others"][n]), align_right=True)
            )
            columns.append(
                Column(
                    f"Δ vs v{n}",
                    lambda r, n=n: _fmt(r["deltas"][n], True),
                    colour=lambda r, n=n: _delta_colour(r["metric"], r["deltas"][n]),
                    align_right=True,
                )
            )
        self.table_model.beginResetModel()
        self.table_model.columns = columns
        self.table_model.records = rows
        self.table_model.endResetModel()
        self.table.resizeColumnsToContents()
        wanted = sum(self.table.columnWidth(c) for c in range(len(columns))) + 4
        self.table.setMinimumWidth(min(wanted, 640))
        names = [r["metric"] for r in rows]
        series = [(self._label(candidate), [r["candidate"] for r in rows])]
        series += [(self._label(n), [r["others"][n] for r in rows]) for n in others]
        self.bars.set_data(BarData(names, series))

    def replot_trend(self) -> None:
        """Redraw the chosen metric across all versions."""
        if self.metrics is None:
            return
        metric = self.trend_metric.currentText()
        states = {v.number: v.state for v in self.metrics.versions}
        self.trend.set_data(
            TrendData(
                metric,
                self.metrics.trend(metric) if metric else [],
                self.candidate,
                self.metrics.live,
                states,
            )
        )
