"""Charts of development metrics: versions side by side, and one metric across versions."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from matplotlib.figure import Figure

from signoff.ui.widgets.charts.chart_widget import ChartPalette, ChartWidget


@dataclass
class BarData:
    """Grouped bars: one group per metric, one bar per version (``None`` leaves a gap)."""

    metrics: list[str]
    series: list[tuple[str, list[float | None]]]
    ylabel: str = "value (development data)"


class GroupedBarChart(ChartWidget):
    """Candidate against live and other versions, metric by metric."""

    def __init__(self, parent=None, **kwargs) -> None:  # noqa: ANN001, ANN003
        kwargs.setdefault("empty_text", "This version has no development metrics recorded.")
        super().__init__("Development metrics by version", parent, **kwargs)

    def is_empty(self, data: BarData) -> bool:
        return not data.metrics or not data.series

    def draw_chart(self, figure: Figure, data: BarData, palette: ChartPalette) -> None:
        ax = figure.add_subplot()
        x = np.arange(len(data.metrics))
        width = 0.8 / len(data.series)
        for i, (label, values) in enumerate(data.series):
            heights = [np.nan if v is None else v for v in values]
            bars = ax.bar(
                x + (i - (len(data.series) - 1) / 2) * width,
                heights,
                width,
                label=label,
                color=palette.series[i % len(palette.series)],
            )
            ax.bar_label(bars, fmt="%.3f", fontsize=7, color=palette.foreground, padding=2)
        ax.set_xticks(x, data.metrics)
        ax.set_xlabel("metric")
        ax.set_ylabel(data.ylabel)
        ax.margins(y=0.15)
        # outside the axes, so it never hides a bar (constrained layout makes room)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))


@dataclass
class TrendData:
    """One metric in version order; the candidate and live versions are highlighted."""

    metric: str
    points: list[tuple[int, float]]
    candidate: int | None = None
    live: int | None = None
    states: dict[int, str] = field(default_factory=dict)


class TrendChart(ChartWidget):
    """A metric across all versions of the model, in version order."""

    def __init__(self, parent=None, **kwargs) -> None:  # noqa: ANN001, ANN003
        kwargs.setdefault("empty_text", "No version of this model recorded this metric.")
        super().__init__("Metric across versions", parent, **kwargs)

    def is_empty(self, data: TrendData) -> bool:
        return not data.points

    def draw_chart(self, figure: Figure, data: TrendData, palette: ChartPalette) -> None:
        ax = figure.add_subplot()
        xs = [n for n, _ in data.points]
        ys = [v for _, v in data.points]
        ax.plot(xs, ys, marker="o", color=palette.series[0], label=data.metric)
        for n, v in data.points:
            if n == data.candidate:
                ax.plot(
                    [n],
                    [v],
                    marker="o",
                    markersize=11,
                    markerfacecolor="none",
                    markeredgecolor=palette.series[1],
                    markeredgewidth=2,
                    linestyle="none",
                    label=f"candidate v{n}",
                )
            if n == data.live:
                ax.plot(
                    [n],
                    [v],
                    marker="s",
                    markersize=9,
                    markerfacecolor="none",
                    markeredgecolor=palette.good,
                    markeredgewidth=2,
                    linestyle="none",
                    label=f"live v{n}",
                )
        ax.set_xticks(xs, [f"v{n}" for n in xs])
        ax.set_xlabel("version")
        ax.set_ylabel(f"{data.metric} (development data)")
        ax.margins(y=0.2)
        ax.legend(fontsize=8)
