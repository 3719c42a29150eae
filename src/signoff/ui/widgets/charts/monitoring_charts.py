"""Charts of live monitoring: metric over time, volume and failures, predicted vs actual."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import matplotlib.dates as mdates
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from signoff.core.monitoring.metrics import CalibrationBin
from signoff.core.monitoring.windows import VersionSeries
from signoff.ui.widgets.charts.chart_widget import ChartPalette, ChartWidget


@dataclass
class MetricTimeData:
    """The live metric per window with the baseline and the tolerance band."""

    metric: str
    label: str
    starts: list[datetime]
    values: list[float | None]
    judged: list[bool]
    breach: list[bool]
    baseline: float | None
    limit: float | None

    @classmethod
    def from_series(cls, series: VersionSeries) -> MetricTimeData:
        """Chart data from a version's monitoring windows."""
        windows = [w for w in series.windows if w.value is not None]
        return cls(
            series.metric,
            series.label,
            [w.start for w in windows],
            [w.value for w in windows],
            [w.judged for w in windows],
            [w.breach for w in windows],
            series.baseline,
            series.limit,
        )


def _dates(ax, first: datetime, last: datetime) -> None:  # noqa: ANN001
    # pad the range so a single window still gets a sensible date axis
    ax.set_xlim(first - timedelta(days=3), last + timedelta(days=3))
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


class MetricOverTimeChart(ChartWidget):
    """Window by window: the metric, baseline, tolerance band and breaching windows."""

    def __init__(self, parent=None, **kwargs) -> None:  # noqa: ANN001, ANN003
        kwargs.setdefault(
            "empty_text",
            "No predictions with outcomes yet: the metric appears "
            "once the factory reports outcomes.",
        )
        super().__init__("Live metric over time", parent, **kwargs)

    def is_empty(self, data: MetricTimeData) -> bool:
        return not data.starts

    def draw_chart(self, figure: Figure, data: MetricTimeData, palette: ChartPalette) -> None:
        ax = figure.add_subplot()
        if data.baseline is not None and data.limit is not None:
            ax.axhspan(
                min(data.baseline, data.limit),
                max(data.baseline, data.limit),
                color=palette.band,
                alpha=0.7,
                label="tolerance band",
                linewidth=0,
            )
            ax.axhline(
                data.baseline,
                color=palette.good,
                linestyle="--",
                linewidth=1.2,
                label=f"baseline {data.baseline:.3f}",
            )
            ax.axhline(
                data.limit,
                color=palette.bad,
                linestyle=":",
                linewidth=1.2,
                label=f"limit {data.limit:.3f}",
            )
        # matplotlib plots datetimes through its unit converters and None as a gap; its stubs
        # accept numbers only
        ax.plot(
            data.starts,  # type: ignore[arg-type]
            data.values,  # type: ignore[arg-type]
            marker="o",
            markersize=4,
            color=palette.series[0],
            label=f"{data.metric.upper()} per window",
        )
        unjudged = [
            (t, v) for t, v, j in zip(data.starts, data.values, data.judged, strict=True) if not j
        ]
        if unjudged:
            ax.plot(
                *zip(*unjudged, strict=True),
                marker="o",
                markersize=6,
                linestyle="none",
                markerfacecolor=palette.background,
                markeredgecolor=palette.series[0],
                label="too few outcomes to judge",
            )
        breaches = [
            (t, v) for t, v, b in zip(data.starts, data.values, data.breach, strict=True) if b
        ]
        if breaches:
            ax.plot(
                *zip(*breaches, strict=True),
                marker="X",
                markersize=9,
                linestyle="none",
                color=palette.bad,
                label="breaching window",
            )
        _dates(ax, data.starts[0], data.starts[-1])
        ax.set_xlabel("window start (UTC)")
        ax.set_ylabel(f"{data.metric.upper()} (live, per window)")
        ax.legend(fontsize=7, loc="best")


@dataclass
class VolumeData:
    """Predictions and failed executions per window."""

    starts: list[datetime]
    predictions: list[int]
    failed: list[int]
    executions: list[int]
    window_days: float = 7.0

    @classmethod
    def from_series(cls, series: VersionSeries) -> VolumeData:
        """Chart data from a version's monitoring windows."""
        ws = series.windows
        days = (ws[0].end - ws[0].start).days if ws else 7
        return cls(
            [w.start for w in ws],
            [w.predictions for w in ws],
            [w.failed_executions for w in ws],
            [w.executions for w in ws],
            days,
        )


class VolumeChart(ChartWidget):
    """Prediction volume (bars) and failed executions (second axis) per window."""

    def __init__(self, parent=None, **kwargs) -> None:  # noqa: ANN001, ANN003
        kwargs.setdefault("empty_text", "No predictions or executions reported for this version.")
        super().__init__("Prediction volume and failed runs", parent, **kwargs)

    def is_empty(self, data: VolumeData) -> bool:
        return not data.starts

    def draw_chart(self, figure: Figure, data: VolumeData, palette: ChartPalette) -> None:
        ax = figure.add_subplot()
        width = data.window_days * 0.8
        # matplotlib plots datetimes through its unit converters; its stubs accept numbers only
        ax.bar(
            data.starts,  # type: ignore[arg-type]
            data.predictions,
            width=width,
            align="edge",
            color=palette.series[0],
            alpha=0.8,
            label="predictions",
        )
        ax.set_ylabel("predictions per window")
        ax.set_xlabel("window start (UTC)")
        twin = ax.twinx()
        twin.plot(
            data.starts,  # type: ignore[arg-type]
            data.failed,
            marker="v",
            color=palette.bad,
            label="failed executions",
        )
        twin.set_ylabel("failed executions per window")
        twin.set_ylim(bottom=0, top=max([*data.failed, 1]) * 1.3)
        twin.yaxis.set_major_locator(MaxNLocator(integer=True))  # runs are counted whole
        twin.grid(False)
        _dates(ax, data.starts[0], data.starts[-1] + timedelta(days=data.window_days))
        lines = ax.get_legend_handles_labels()
        more = twin.get_legend_handles_labels()
        ax.legend(
            lines[0] + more[0], lines[1] + more[1], fontsize=7, loc="lower left", framealpha=0.9
        )


@dataclass
class PredictedActualData:
    """Calibration bins for a classifier, or paired values for a regressor."""

    classifier: bool
    calibration: list[CalibrationBin] = field(default_factory=list)
    predicted: list[float] = field(default_factory=list)
    actual: list[float] = field(default_factory=list)


class PredictedActualChart(ChartWidget):
    """Reliability diagram (classifier) or predicted-vs-actual and residuals (regressor)."""

    def __init__(self, parent=None, **kwargs) -> None:  # noqa: ANN001, ANN003
        kwargs.setdefault("empty_text", "No predictions with outcomes yet.")
        super().__init__("Predicted against actual", parent, **kwargs)

    def is_empty(self, data: PredictedActualData) -> bool:
        return not (data.calibration if data.classifier else data.predicted)

    def draw_chart(self, figure: Figure, data: PredictedActualData, palette: ChartPalette) -> None:
        if data.classifier:
            ax = figure.add_subplot()
            ax.plot(
                [0, 1], [0, 1], linestyle="--", color=palette.grid, label="perfectly calibrated"
            )
            ax.plot(
                [b.mean_predicted for b in data.calibration],
                [b.observed_rate for b in data.calibration],
                marker="o",
                color=palette.series[0],
                label="observed",
            )
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_xlabel("mean predicted probability (per bin)")
            ax.set_ylabel("observed positive rate")
            ax.legend(fontsize=7, loc="upper left")
            return
        left, right = figure.subplots(1, 2)
        left.scatter(data.predicted, data.actual, s=6, alpha=0.5, color=palette.series[0])
        lo = min(min(data.predicted), min(data.actual))
        hi = max(max(data.predicted), max(data.actual))
        left.plot([lo, hi], [lo, hi], linestyle="--", color=palette.grid)
        left.set_xlabel("predicted (units of the target)")
        left.set_ylabel("actual (units of the target)")
        residuals = [a - p for p, a in zip(data.predicted, data.actual, strict=True)]
        right.scatter(data.predicted, residuals, s=6, alpha=0.5, color=palette.series[1])
        right.axhline(0, color=palette.grid, linestyle="--")
        right.set_xlabel("predicted (units of the target)")
        right.set_ylabel("residual: actual − predicted")
