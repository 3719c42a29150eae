"""Charts: one base widget (:class:`ChartWidget`) and the charts built on it."""

from signoff.ui.widgets.charts.chart_widget import DARK, LIGHT, ChartPalette, ChartWidget

__all__ = ["DARK", "LIGHT", "ChartPalette", "ChartWidget"]
