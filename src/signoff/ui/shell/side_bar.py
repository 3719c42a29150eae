"""The side bar of areas, with a count badge (the reviews waiting for you on *My reviews*).

Clicking the highlighted entry goes back to that area's list (a model or version page opened
from it is left), which a plain ``currentItemChanged`` cannot tell: the entry is already
current. The badge is drawn by a delegate as a pill at the entry's right edge and also said in
the entry's tooltip and accessible text, so it is not only a colour.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QIcon, QPainter
from PySide6.QtWidgets import (
    QListWidget,
    QListWidgetItem,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from signoff.core.catalog.words import count

KEY_ROLE = Qt.ItemDataRole.UserRole
BADGE_ROLE = Qt.ItemDataRole.UserRole + 1
BADGE_COLOUR = "#c0392b"


class _BadgeDelegate(QStyledItemDelegate):
    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        super().paint(painter, option, index)
        badge = index.data(BADGE_ROLE)
        if not badge:
            return
        text = str(badge)
        font = QFont(option.font)
        font.setBold(True)
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        metrics = QFontMetrics(font)
        rect: QRect = option.rect
        height = metrics.height() + 2
        width = max(height, metrics.horizontalAdvance(text) + 10)
        pill = QRect(rect.right() - width - 12, rect.center().y() - height // 2, width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(BADGE_COLOUR))
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setPen(QColor("white"))
        painter.setFont(font)
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


class SideBar(QListWidget):
    """The areas of the window; emits ``areaChosen`` for every click, also on the current one."""

    areaChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sideBar")
        self.setIconSize(QSize(20, 20))
        self.setItemDelegate(_BadgeDelegate(self))
        self.itemClicked.connect(self._clicked)
        self.currentItemChanged.connect(self._moved)
        self._titles: dict[str, str] = {}

    def add_area(self, key: str, title: str, icon: str) -> None:
        item = QListWidgetItem(QIcon.fromTheme(icon), title)
        item.setData(KEY_ROLE, key)
        self._titles[key] = title
        self.addItem(item)

    def item_of(self, key: str) -> QListWidgetItem | None:
        for row in range(self.count()):
            item = self.item(row)
            if item.data(KEY_ROLE) == key:
                return item
        return None

    def highlight(self, key: str) -> None:
        """Mark *key* as the area the window is in (without emitting ``areaChosen``)."""
        item = self.item_of(key)
        if item is not None and item is not self.currentItem():
            blocked = self.blockSignals(True)
            self.setCurrentItem(item)
            self.blockSignals(blocked)

    def set_badge(self, key: str, number: int, noun: str = "review") -> None:
        """Show *number* beside the area *key* (nothing for 0), also in its tooltip."""
        item = self.item_of(key)
        if item is None:
            return
        title = self._titles[key]
        item.setData(BADGE_ROLE, str(number) if number else None)
        waiting = f"{count(number, noun)} waiting for you" if number else f"no {noun}s waiting"
        item.setToolTip(f"{title}: {waiting}")
        item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{title}, {waiting}")

    def badge(self, key: str) -> int:
        item = self.item_of(key)
        value = item.data(BADGE_ROLE) if item is not None else None
        return int(value) if value else 0

    def _clicked(self, item: QListWidgetItem) -> None:
        self.areaChosen.emit(str(item.data(KEY_ROLE)))

    def _moved(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        # the keyboard moves the current entry without a click; a click arrives through
        # itemClicked as well, and the window ignores a second request for the same place
        if item is not None:
            self.areaChosen.emit(str(item.data(KEY_ROLE)))
