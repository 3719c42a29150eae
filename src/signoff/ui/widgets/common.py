"""Small widgets and formatters shared by pages: the empty-state panel, sizes, times."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from signoff.core.catalog.words import state_word


class EmptyState(QWidget):
    """A calm panel saying what will appear here (used for tabs and areas not filled yet)."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title_label = QLabel(title)
        self.title_label.setObjectName("emptyStateTitle")
        self.title_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text_label = QLabel(text)
        self.text_label.setObjectName("emptyStateText")
        self.text_label.setWordWrap(True)
        self.text_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text_label.setMaximumWidth(560)
        layout.addWidget(self.title_label)
        layout.addWidget(self.text_label, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def set_text(self, text: str) -> None:
        self.text_label.setText(text)


def scrolling_page(page: QWidget, name: str = "") -> QVBoxLayout:
    """Fill *page* with a vertically scrolling area and return the layout of its content.

    A page whose parts have sensible minimum heights (tables that keep a few rows) scrolls up
    and down in a short window instead of squeezing them; it never scrolls sideways, so its
    content is laid out to the window's width.
    """
    outer = QVBoxLayout(page)
    outer.setContentsMargins(0, 0, 0, 0)
    scroll = QScrollArea(page)
    scroll.setObjectName(name or "pageScroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    content = QWidget()
    content.setObjectName("pageContent")
    scroll.setWidget(content)
    outer.addWidget(scroll)
    return QVBoxLayout(content)


def format_size(size: int | None) -> str:
    """A byte count as people read it (``12.3 KB``); an em dash when unknown."""
    if size is None:
        return "—"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def format_time(when: datetime | None, *, seconds: bool = False) -> str:
    """A naive-UTC time as ``2026-11-27 14:03`` (UTC, as stored); an em dash when unknown."""
    if when is None:
        return "—"
    return when.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def state_label(state: str | None) -> str:
    """A lifecycle state in words (``in_review`` → ``in review``), from the one word table."""
    return state_word(state)


def record_table(
    model: QAbstractItemModel, name: str, *, multi: bool = False, wrap: bool = True
) -> QTableView:
    """The read-only, row-selecting table every page uses for records."""
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(
        QAbstractItemView.SelectionMode.ExtendedSelection
        if multi
        else QAbstractItemView.SelectionMode.SingleSelection
    )
    view.verticalHeader().setVisible(False)
    view.setAlternatingRowColors(True)
    view.setWordWrap(wrap)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view
