"""The one chart widget every Signoff chart derives from.

A :class:`ChartWidget` owns a matplotlib ``Figure`` (constrained layout) on a
``FigureCanvasQTAgg`` with a ``NavigationToolbar2QT``, an export button (PNG, SVG, PDF), a light
and a dark palette, and an empty state shown instead of the canvas when there is nothing to
plot. Subclasses implement :meth:`draw_chart`, which receives *prepared* plain data (lists of
numbers and labels computed in a worker thread) and only calls matplotlib. Modelled on
napari-matplotlib's ``base.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg, NavigationToolbar2QT
from matplotlib.figure import Figure
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger(__name__)

EXPORT_FORMATS = {
    "png": "PNG image (*.png)",
    "svg": "SVG drawing (*.svg)",
    "pdf": "PDF document (*.pdf)",
}


@dataclass(frozen=True)
class ChartPalette:
    """Colours of one theme; ``series`` are told apart by colour-blind-safe hues."""

    name: str
    background: str
    foreground: str
    grid: str
    series: tuple[str, ...]
    good: str
    bad: str
    band: str


LIGHT = ChartPalette(
    "light",
    "#ffffff",
    "#1f2933",
    "#d9dee3",
    ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#7f7f7f"),
    "#1b7837",
    "#c0392b",
    "#cfe8d5",
)
DARK = ChartPalette(
    "dark",
    "#1e2226",
    "#e6e9ec",
    "#3a4148",
    ("#56b4e9", "#f0c05a", "#3cc7a0", "#e39ac4", "#8fd3ff", "#ff8a4c", "#b0b0b0"),
    "#6fd18b",
    "#ff6b5e",
    "#29463a",
)


class ChartToolbar(NavigationToolbar2QT):
    """matplotlib's navigation toolbar with plain icons.

    matplotlib's DPI-aware icon engine asks Qt for ``AA_UseHighDpiPixmaps`` on every paint,
    which PySide6 6.12 deprecates (a warning per repaint). Plain icons from the same image
    files (normal and ``_large`` sizes, inverted for a dark palette) look the same.
    """

    def _icon(self, name: str) -> QIcon:  # overrides matplotlib's (private) icon factory
        images = Path(matplotlib.get_data_path()) / "images"
        dark = self.palette().color(self.backgroundRole()).value() < 128
        icon = QIcon()
        for file in (images / name, images / name.replace(".png", "_large.png")):
            if file.exists():
                image = QImage(str(file))
                if dark:
                    image.invertPixels(QImage.InvertMode.InvertRgb)
                icon.addPixmap(QPixmap.fromImage(image))
        return icon


class ChartWidget(QWidget):
    """A matplotlib chart with toolbar, export, palettes and an empty state."""

    drawn = Signal()  # after every draw (or empty state), for tests and screenshots

    def __init__(
        self,
        title: str = "",
        parent: QWidget | None = None,
        *,
        dark: bool | Callable[[], bool] = False,
        empty_text: str = "No data to show yet.",
    ) -> None:
        super().__init__(parent)
        self.title = title
        # a callable is asked again whenever the application's style changes (theme switch)
        self._dark_source = dark if callable(dark) else None
        self.palette_ = DARK if (dark() if callable(dark) else dark) else LIGHT
        self.data: Any = None
        self.empty_text = empty_text
        self.figure = Figure(figsize=(6, 3.4), dpi=100, layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setMinimumHeight(220)
        self.toolbar = ChartToolbar(self.canvas, self, coordinates=False)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save this chart as PNG, SVG or PDF")
        self.export_button.clicked.connect(self._ask_export)
        self.empty_label = QLabel(empty_text)
        self.empty_label.setObjectName("chartEmpty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.canvas)
        self.stack.addWidget(self.empty_label)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.toolbar, 1)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        self.show_empty(empty_text)

    # -- what subclasses implement ----------------------------------------------------------
    def is_empty(self, data: Any) -> bool:
        """Whether *data* has nothing to plot (default: None or empty)."""
        return not data

    def draw_chart(self, figure: Figure, data: Any, palette: ChartPalette) -> None:
        """Draw *data* on the cleared *figure* (GUI thread; matplotlib calls only)."""
        raise NotImplementedError

    # -- public API -----------------------------------------------------------------------
    @property
    def is_showing_empty(self) -> bool:
        """Whether the empty state is shown instead of the chart."""
        return self.stack.currentWidget() is self.empty_label

    def set_data(self, data: Any, empty_text: str | None = None) -> None:
        """Plot prepared *data*, or show the empty state (with *empty_text*) when there is none."""
        self.data = data
        if data is None or self.is_empty(data):
            self.show_empty(empty_text or self.empty_text)
            return
        self.redraw()

    def show_empty(self, text: str) -> None:
        """Show *text* instead of the chart; the toolbar and export are disabled."""
        self.figure.clear()
        self.empty_label.setText(text)
        self.stack.setCurrentWidget(self.empty_label)
        self.toolbar.setEnabled(False)
        self.export_button.setEnabled(False)
        self.drawn.emit()

    def set_dark(self, dark: bool) -> None:
        """Switch palette and redraw the current data."""
        self.palette_ = DARK if dark else LIGHT
        if self.data is not None and not self.is_empty(self.data):
            self.redraw()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        """Follow a theme switch: the main window restyles the application."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.StyleChange and self._dark_source is not None:
            dark = self._dark_source()
            if dark != (self.palette_ is DARK):
                self.set_dark(dark)

    def redraw(self) -> None:
        """Clear and draw the current data with the current palette."""
        pal = self.palette_
        self.figure.clear()
        self.figure.set_facecolor(pal.background)
        self.draw_chart(self.figure, self.data, pal)
        for ax in self.figure.axes:
            style_axes(ax, pal)
        if self.title:
            self.figure.suptitle(self.title, color=pal.foreground, fontsize=10)
        self.stack.setCurrentWidget(self.canvas)
        self.toolbar.setEnabled(True)
        self.export_button.setEnabled(True)
        self.canvas.draw()
        self.drawn.emit()

    def export(self, path: Path | str) -> Path:
        """Save the chart; the format follows the suffix (.png, .svg or .pdf)."""
        path = Path(path)
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"cannot export as '{path.suffix}': use .png, .svg or .pdf")
        self.figure.savefig(path, format=fmt, facecolor=self.figure.get_facecolor())
        return path

    def axes(self) -> list[Axes]:
        """The figure's axes (what tests inspect)."""
        return list(self.figure.axes)

    def _ask_export(self) -> None:
        filters = ";;".join(EXPORT_FORMATS.values())
        name = (self.title or "chart").lower().replace(" ", "-")
        path, chosen = QFileDialog.getSaveFileName(self, "Export chart", f"{name}.png", filters)
        if not path:
            return
        if not Path(path).suffix:
            fmt = next(k for k, v in EXPORT_FORMATS.items() if v == chosen)
            path = f"{path}.{fmt}"
        try:
            self.export(path)
        except (OSError, ValueError) as exc:
            log.warning("export failed: %s", exc)
            self.empty_label.setToolTip(str(exc))


def style_axes(ax: Axes, pal: ChartPalette) -> None:
    """Apply the palette to one axes: background, spines, ticks, labels, grid, legend."""
    ax.set_facecolor(pal.background)
    for spine in ax.spines.values():
        spine.set_color(pal.grid)
    ax.tick_params(colors=pal.foreground, labelsize=8)
    ax.xaxis.label.set_color(pal.foreground)
    ax.yaxis.label.set_color(pal.foreground)
    ax.title.set_color(pal.foreground)
    ax.grid(True, color=pal.grid, linewidth=0.6, alpha=0.8)
    ax.set_axisbelow(True)
    legend = ax.get_legend()
    if legend is not None:
        legend.get_frame().set_facecolor(pal.background)
        legend.get_frame().set_edgecolor(pal.grid)
        for text in legend.get_texts():
            text.set_color(pal.foreground)
