"""Charts: one base widget (:class:`ChartWidget`) and the charts built on it."""

from signoff.ui.charts.base import DARK, LIGHT, ChartPalette, ChartWidget

__all__ = ["DARK", "LIGHT", "ChartPalette", "ChartWidget"]
