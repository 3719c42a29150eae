"""Find text Qt would cut: a label, button, tab, group title or column header narrower than
its own size hint says it needs.

A layout gives a widget at least its minimum size hint when it can; when a window is too small
for its content, widgets are squeezed below it and their text is clipped ("ubmit for revie").
Qt knows how wide each text is, so a test can ask every visible widget of a window whether it
got the room its text needs. Table cells are left out on purpose: they elide (…) and show the
whole text on hover (``ElidedTextTips``); their headers are checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QTabBar,
    QWidget,
)

from signoff.ui.widgets.columns import header_width

TOLERANCE = 2  # pixels of rounding between a hint and a laid-out width


@dataclass(frozen=True)
class Clipped:
    """One widget whose text does not fit."""

    kind: str
    name: str
    text: str
    has: int
    needs: int

    def __str__(self) -> str:
        return f"{self.kind} {self.name!r} {self.text!r}: {self.has}px for {self.needs}px"


def _shown(widget: QWidget, window: QWidget) -> bool:
    """Visible, and at least partly inside the window (not scrolled out of a scroll area)."""
    if not widget.isVisible() or widget.visibleRegion().isEmpty():
        return False
    top_left = widget.mapTo(window, widget.rect().topLeft())
    return QRect(top_left, widget.size()).intersects(window.rect())


def _label_problem(label: QLabel) -> Clipped | None:
    text = label.text()
    if not text.strip() or label.wordWrap() or label.pixmap() and not label.pixmap().isNull():
        return None
    needs = label.minimumSizeHint().width()
    if label.width() + TOLERANCE < needs:
        plain = label.text() if label.textFormat() == Qt.TextFormat.PlainText else text
        return Clipped("label", label.objectName(), plain[:60], label.width(), needs)
    return None


def _button_problem(button: QAbstractButton) -> Clipped | None:
    if not button.text().strip():
        return None
    needs = button.minimumSizeHint().width()
    if button.width() + TOLERANCE < needs:
        return Clipped("button", button.objectName(), button.text(), button.width(), needs)
    return None


def _header_problems(header: QHeaderView) -> list[Clipped]:
    view = header.parentWidget()
    model = header.model()
    if model is None or header.orientation() != Qt.Orientation.Horizontal:
        return []
    out = []
    table = view if view is not None and hasattr(view, "horizontalHeader") else None
    for column in range(model.columnCount()):
        if header.isSectionHidden(column) or header.sectionSize(column) == 0:
            continue
        if table is None:
            continue
        needs = header_width(table, column)  # type: ignore[arg-type]
        has = header.sectionSize(column)
        last = column == model.columnCount() - 1
        if has + TOLERANCE < needs and not (last and header.stretchLastSection()):
            text = str(model.headerData(column, Qt.Orientation.Horizontal))
            out.append(Clipped("header", table.objectName(), text, has, needs))
    return out


def _tab_problems(bar: QTabBar) -> list[Clipped]:
    out = []
    for i in range(bar.count()):
        has, needs = bar.tabRect(i).width(), bar.tabSizeHint(i).width()
        if has + TOLERANCE < needs:
            out.append(Clipped("tab", bar.objectName(), bar.tabText(i), has, needs))
    return out


def _group_problem(box: QGroupBox) -> Clipped | None:
    title = box.title()
    if not title:
        return None
    needs = box.fontMetrics().horizontalAdvance(title) + 24
    if box.width() + TOLERANCE < needs:
        return Clipped("group", box.objectName(), title, box.width(), needs)
    return None


def clipped_text(window: QWidget) -> list[Clipped]:
    """Every visible widget of *window* whose text is narrower than Qt says it needs."""
    problems: list[Clipped] = []
    for widget in window.findChildren(QWidget):
        if not _shown(widget, window):
            continue
        if isinstance(widget, QLabel):
            found = _label_problem(widget)
        elif isinstance(widget, QAbstractButton):
            found = _button_problem(widget)
        elif isinstance(widget, QComboBox):
            needs = widget.minimumSizeHint().width()
            found = (
                Clipped("combo", widget.objectName(), widget.currentText(), widget.width(), needs)
                if widget.width() + TOLERANCE < needs
                else None
            )
        elif isinstance(widget, QGroupBox):
            found = _group_problem(widget)
        elif isinstance(widget, QHeaderView):
            problems.extend(_header_problems(widget))
            continue
        elif isinstance(widget, QTabBar):
            problems.extend(_tab_problems(widget))
            continue
        else:
            continue
        if found is not None:
            problems.append(found)
    return problems


def scrolls_sideways(window: QWidget) -> list[str]:
    """The visible scroll areas and tables of *window* that scroll sideways (their content is
    wider than they are)."""
    from PySide6.QtWidgets import QAbstractScrollArea

    out = []
    for area in window.findChildren(QAbstractScrollArea):
        if not _shown(area, window):
            continue
        bar = area.horizontalScrollBar()
        if bar is not None and bar.isVisible() and bar.maximum() > 0:
            out.append(area.objectName() or type(area).__name__)
    return out


#: a table shorter than this many rows (when it has them) is too squeezed to read
MIN_TABLE_ROWS = 3


def squeezed_tables(window: QWidget, rows: int = MIN_TABLE_ROWS) -> list[str]:
    """The visible tables of *window* with room for fewer than *rows* rows while they hold
    more: a splitter or layout squeezed them to a row or two behind their own scroll bar."""
    from PySide6.QtWidgets import QTableView

    out = []
    for table in window.findChildren(QTableView):
        model = table.model()
        if model is None or not _shown(table, window):
            continue
        held = model.rowCount()
        wanted = min(rows, held)
        if wanted == 0:
            continue
        row_height = max(table.verticalHeader().defaultSectionSize(), 1)
        fits = table.viewport().height() // row_height
        if fits < wanted:
            out.append(f"{table.objectName() or type(table).__name__}: {fits} of {wanted} rows")
    return out
