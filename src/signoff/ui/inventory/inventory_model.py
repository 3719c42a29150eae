"""The inventory table model: pages of models fetched from the database as the view scrolls.

The database filters and sorts (``signoff.core.catalog.inventory.inventory``); this model only holds
the rows fetched so far. A new query (a keystroke, a facet, a sort) replaces the rows when its
first page arrives, and cancels the previous query through the worker's task key, so a late
answer to an old query can never overwrite a newer one.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from sqlalchemy.orm import Session

from signoff.core.catalog import inventory
from signoff.core.catalog.inventory import InventoryQuery, InventoryRow
from signoff.ui.services.context import AppContext
from signoff.ui.services.worker import current_task
from signoff.ui.widgets.common import format_time, state_label
from signoff.ui.widgets.table_models import RECORD_ROLE

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex

# (header, sort key in INVENTORY_SORT_KEYS or None when the database cannot sort by it)
COLUMNS: list[tuple[str, str | None]] = [
    ("Name", "name"),
    ("Title", "title"),
    ("Owner", "owner"),
    ("Business unit", "business_unit"),
    ("Tier", "risk_tier"),
    ("Live", "live_version"),
    ("Latest", "latest_version"),
    ("State", "latest_state"),
    ("Last activity", "last_activity_at"),
    ("Flags", None),
]
HEADER_TIPS = {
    8: "The latest version published, decision signed or evidence recorded (UTC)",
    9: "Hover over a flag to read why it is raised",
}
NAME_ROLE = Qt.ItemDataRole.UserRole + 10
FLAG_COLOURS = {
    "dnu_used": "#e0533d",
    "dnu_consumed": "#e0533d",
    "open_review": "#d68910",
    "stale": "#95a5a6",
}


def _first_page(session: Session, query: InventoryQuery) -> tuple[list[InventoryRow], int]:
    # hand the rows over before counting, so the table fills without waiting for the count
    rows = inventory.inventory(session, query)
    current_task().partial(rows)
    current_task().check()
    if len(rows) < (query.limit or 0):
        return rows, len(rows)
    return rows, inventory.inventory_count(session, query)


def _next_page(session: Session, query: InventoryQuery) -> list[InventoryRow]:
    return inventory.inventory(session, query)


class InventoryModel(QAbstractTableModel):
    """Models matching the current query, loaded lazily in pages of ``page_size``."""

    loaded = Signal(int, int)  # rows shown, rows matching (after the count)
    rows_shown = Signal(int)  # the first page of a new query is in the table
    failed = Signal(str)

    def __init__(self, ctx: AppContext, page_size: int | None = None, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.ctx = ctx
        self.page_size = page_size or ctx.settings.get("inventory/page_size")
        self.query = InventoryQuery(
            limit=self.page_size,
            sort=ctx.settings.get("inventory/sort"),
            descending=ctx.settings.get("inventory/descending"),
        )
        self.rows: list[InventoryRow] = []
        self.total = 0
        self.loading = False
        self._fetching = False
        self._generation = 0

    # -- queries ----------------------------------------------------------------------------
    def set_query(self, query: InventoryQuery) -> None:
        """Show the models matching *query* (its offset/limit are managed here)."""
        self.query = replace(query, offset=0, limit=self.page_size)
        self.reload()

    def reload(self) -> None:
        """Run the current query again from its first page (cancels any query in flight)."""
        self._generation += 1
        generation = self._generation
        self.loading = True
        self._fetching = False
        self.ctx.runner.cancel("inventory-more")
        handle = self.ctx.read(
            _first_page,
            replace(self.query, offset=0),
            key="inventory",
            priority=10,
            on_result=lambda result: self._counted(generation, result),
            on_error=lambda exc: self._failed(generation, exc),
        )
        handle.partialResult.connect(lambda rows: self._rows_arrived(generation, rows))

    def _rows_arrived(self, generation: int, rows: list[InventoryRow]) -> None:
        if generation != self._generation:
            return
        self.beginResetModel()
        self.rows = rows
        self.total = len(rows)  # until the count arrives: no fetching beyond what we have
        self.endResetModel()
        self.rows_shown.emit(len(self.rows))

    def _counted(self, generation: int, result: tuple[list[InventoryRow], int]) -> None:
        if generation != self._generation:
            return
        rows, total = result
        if rows is not self.rows:  # partial result was dropped (never for a live task)
            self._rows_arrived(generation, rows)
        self.total = total
        self.loading = False
        self.loaded.emit(len(self.rows), self.total)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self.loading = False
        self._fetching = False
        self.failed.emit(str(exc))

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802
        if parent.isValid() or self.loading or self._fetching:
            return False
        return len(self.rows) < self.total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008, N802
        if not self.canFetchMore(parent):
            return
        self._fetching = True
        generation = self._generation
        page = replace(self.query, offset=len(self.rows), limit=self.page_size)
        self.ctx.read(
            _next_page,
            page,
            key="inventory-more",
            priority=5,
            on_result=lambda rows: self._more_arrived(generation, page.offset, rows),
            on_error=lambda exc: self._failed(generation, exc),
        )

    def _more_arrived(self, generation: int, offset: int, rows: list[InventoryRow]) -> None:
        if generation != self._generation or offset != len(self.rows):
            return
        self._fetching = False
        if rows:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(rows) - 1)
            self.rows.extend(rows)
            self.endInsertRows()
        else:  # the table shrank under us; stop asking
            self.total = len(self.rows)
        self.loaded.emit(len(self.rows), self.total)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting is the database's job: re-run the query with the new order."""
        key = COLUMNS[column][1] if 0 <= column < len(COLUMNS) else None
        if key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if (key, descending) == (self.query.sort, self.query.descending) and not self.loading:
            return
        self.ctx.settings.set("inventory/sort", key)
        self.ctx.settings.set("inventory/descending", descending)
        self.query = replace(self.query, sort=key, descending=descending)
        self.reload()

    def sort_column(self) -> int:
        return next((i for i, (_, k) in enumerate(COLUMNS) if k == self.query.sort), 0)

    # -- QAbstractTableModel ----------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell_text(row, col)
        if role in (NAME_ROLE,):
            return row.name
        if role == RECORD_ROLE:
            return row
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 9:
                return "\n".join(row.flag_reasons().values()) or None
            if col == 0:
                return f"{row.title}\nTags: {', '.join(row.tags) or '—'}"
            if col == 8 and row.last_activity_at:
                return f"{format_time(row.last_activity_at, seconds=True)} UTC"
            return None
        if role == Qt.ItemDataRole.ForegroundRole and col == 9:
            for flag in ("dnu_used", "dnu_consumed", "open_review", "stale"):
                if getattr(row, flag):
                    return QBrush(QColor(FLAG_COLOURS[flag]))
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (5, 6):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,  # noqa: N802
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (
            role == Qt.ItemDataRole.ToolTipRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(COLUMNS)
        ):
            return HEADER_TIPS.get(section)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            return COLUMNS[section][0]
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self.rows):
            return str(section + 1)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def _cell_text(row: InventoryRow, col: int) -> str:
    if col == 0:
        return row.name
    if col == 1:
        return row.title
    if col == 2:
        return row.owner
    if col == 3:
        return row.business_unit
    if col == 4:
        return row.risk_tier
    if col == 5:
        return f"v{row.live_version}" if row.live_version else "—"
    if col == 6:
        return f"v{row.latest_version}" if row.latest_version else "—"
    if col == 7:
        return state_label(row.latest_state)
    if col == 8:
        return format_time(row.last_activity_at)
    return ", ".join(row.flag_words)
