"""Column widths chosen from content that fit the table, and elided cells readable on hover.

:class:`ColumnFitter` sizes a table's columns from what they hold; when they do not all fit the
view, the widest give way first, but never below their header's own width, so a header is never
clipped and no table scrolls sideways because one long comment took the room. A cell whose text
is cut short (elided "…") shows all of it in a tooltip: :class:`ElidedTextTips` does that for
every cell that has no tooltip of its own.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics, QHelpEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolTip,
)

Index = QModelIndex | QPersistentModelIndex
#: the widest a column grows from its content before it is cut (and shown on hover)
MAX_COLUMN = 360
_PADDING = 18  # the cell's margins and a little air


class ElidedTextTips(QStyledItemDelegate):
    """A delegate whose tooltip is the full text of a cell that does not fit its column."""

    def helpEvent(  # noqa: N802 - Qt's name
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: Index,
    ) -> bool:
        if event.type() == QEvent.Type.ToolTip and index.isValid():
            if index.data(Qt.ItemDataRole.ToolTipRole):
                return super().helpEvent(event, view, option, index)
            text = index.data(Qt.ItemDataRole.DisplayRole)
            if text:
                rect = view.visualRect(index)
                wanted = view.fontMetrics().horizontalAdvance(str(text)) + _PADDING
                if wanted > rect.width() or "\n" in str(text):
                    QToolTip.showText(event.globalPos(), str(text), view, rect)
                    return True
            QToolTip.hideText()
            event.ignore()
            return True
        return super().helpEvent(event, view, option, index)


#: the header's own padding (style.qss: ``QHeaderView::section { padding: 4px 6px }``), both sides
_HEADER_PADDING = 2 * 6 + 8
_SORT_ARROW = 18


def header_width(view: QTableView, column: int) -> int:
    """The width column *column*'s header needs to show its title whole, in the bold the style
    gives headers, and the sort arrow when this is the sorted column."""
    header = view.horizontalHeader()
    model = view.model()
    text = str(model.headerData(column, Qt.Orientation.Horizontal) or "") if model else ""
    font = QFont(header.font())
    font.setBold(True)
    width = QFontMetrics(font).horizontalAdvance(text) + _HEADER_PADDING
    if header.isSortIndicatorShown() and header.sortIndicatorSection() == column:
        width += _SORT_ARROW
    return width


def content_width(view: QTableView, column: int) -> int:
    """The width column *column*'s cells want (the rows Qt samples), header included."""
    return max(view.sizeHintForColumn(column), header_width(view, column))


#: a column wanting more than this holds free text (titles, reasons, comments, addresses):
#: such columns give way before the short ones (versions, states, dates) are cut
LONG_TEXT = 150


def _water_fill(wanted: list[int], floors: list[int], room: int, movable: list[bool]) -> list[int]:
    fixed = sum(w for w, m in zip(wanted, movable, strict=True) if not m)
    left = room - fixed
    moving = [(w, f) for w, f, m in zip(wanted, floors, movable, strict=True) if m]
    if not moving or sum(f for _, f in moving) >= left:
        return [f if m else w for w, f, m in zip(wanted, floors, movable, strict=True)]
    low, high = 0, max(w for w, _ in moving)
    while low < high:
        cap = (low + high + 1) // 2
        if sum(max(f, min(w, cap)) for w, f in moving) <= left:
            low = cap
        else:
            high = cap - 1
    return [
        max(f, min(w, low)) if m else w for w, f, m in zip(wanted, floors, movable, strict=True)
    ]


def fitted_widths(wanted: list[int], floors: list[int], room: int) -> list[int]:
    """Widths for columns that want *wanted*, never below *floors*, fitting *room* if they can.

    The long free-text columns give way first: they are cut to a common cap, the largest for
    which everything fits (water filling). Only when that is not enough are the other columns
    cut as well. When even the floors do not fit, the floors are returned.
    """
    wanted = [max(w, f) for w, f in zip(wanted, floors, strict=True)]
    if sum(wanted) <= room:
        return wanted
    if sum(floors) >= room:
        return list(floors)
    long_text = [w > LONG_TEXT for w in wanted]
    if any(long_text):
        widths = _water_fill(wanted, floors, room, long_text)
        if sum(widths) <= room:
            return widths
        # the long columns are down to their headers: now the short ones give way too
        at_floor = [f if long else w for w, f, long in zip(wanted, floors, long_text, strict=True)]
        return _water_fill(at_floor, floors, room, [not long for long in long_text])
    return _water_fill(wanted, floors, room, [True] * len(wanted))


class ColumnFitter(QObject):
    """Keeps a table's columns sized from content, fitted to the view, headers whole.

    *stretch* names the column that takes any room left over (default: the last). The fit
    runs when rows arrive and when the view is resized, until the person drags a column
    edge: from then on their widths are kept.
    """

    def __init__(
        self, view: QTableView, *, stretch: int | None = None, max_width: int = MAX_COLUMN
    ) -> None:
        super().__init__(view)
        self.view = view
        self.stretch = stretch
        self.max_width = max_width
        self.user_resized = False
        self._fitting = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.fit)
        header = view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setTextElideMode(Qt.TextElideMode.ElideNone)
        header.sectionResized.connect(self._resized_by_person)
        header.sortIndicatorChanged.connect(self.schedule)  # the arrow moves to another column
        view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        view.setItemDelegate(ElidedTextTips(view))
        view.viewport().installEventFilter(self)
        self._watch(view.model())

    def _watch(self, model: object) -> None:
        for signal in ("modelReset", "rowsInserted", "layoutChanged"):
            getattr(model, signal).connect(self.schedule)

    def schedule(self, *_args: object) -> None:
        """Fit the columns once the event loop is idle (many signals make one fit)."""
        self._timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Resize and not self.user_resized:
            self.schedule()
        return False

    def _resized_by_person(self, *_args: object) -> None:
        if not self._fitting and self.view.horizontalHeader().underMouse():
            self.user_resized = True

    def fit(self) -> None:
        """Size every visible column from its content, fitting the view's width if it can."""
        view = self.view
        model = view.model()
        if model is None:
            return
        columns = [c for c in range(model.columnCount()) if not view.isColumnHidden(c)]
        if not columns:
            return
        self._fitting = True
        try:
            floors = [header_width(view, c) for c in columns]
            wanted = [
                min(content_width(view, c), max(self.max_width, f))
                for c, f in zip(columns, floors, strict=True)
            ]
            room = view.viewport().width() - 2
            widths = fitted_widths(wanted, floors, room)
            stretch = columns[-1] if self.stretch is None else self.stretch
            spare = room - sum(widths)
            for column, width in zip(columns, widths, strict=True):
                if column == stretch and spare > 0:
                    width += spare
                view.setColumnWidth(column, width)
        finally:
            self._fitting = False


def fit_columns(view: QTableView, *, stretch: int | None = None) -> ColumnFitter:
    """Give *view* a :class:`ColumnFitter` (one per view; a second call returns the first)."""
    existing = view.findChild(ColumnFitter)
    if isinstance(existing, ColumnFitter):
        return existing
    return ColumnFitter(view, stretch=stretch)
