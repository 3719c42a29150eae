"""The Inventory area: dashboard, search box, facets and the lazily loaded model table.

The search text and the ticked filters survive a restart (they are the manager's standing
questions). The facet panel folds away with *Filters* and folds itself in a narrow window, so
the table's columns, sized from their content, fit without scrolling sideways; a cell cut
short shows all of it on hover.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QModelIndex, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from signoff.core.catalog import dashboard, inventory
from signoff.core.catalog.inventory import InventoryQuery
from signoff.core.catalog.words import count
from signoff.ui.inventory.dashboard_panel import DashboardStrip
from signoff.ui.inventory.facets_panel import FacetPanel
from signoff.ui.inventory.inventory_model import COLUMNS, NAME_ROLE, InventoryModel
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.columns import fit_columns

#: below this page width the facet panel folds away by itself (the table needs the room)
FACETS_MIN_PAGE_WIDTH = 1040


def documents_folder() -> str:
    """The person's documents folder (their home when the desktop names none)."""
    return QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation
    ) or str(Path.home())


log = logging.getLogger(__name__)


class InventoryPage(QWidget):
    """Every model in the registry, searchable, filterable, sortable by the database."""

    exported = Signal(str, int)  # path, rows

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = InventoryModel(ctx, parent=self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.dashboard = DashboardStrip(ctx)
        layout.addWidget(self.dashboard)

        bar = QHBoxLayout()
        self.facets_button = QToolButton()
        self.facets_button.setObjectName("facetsToggle")
        self.facets_button.setText("Filters")
        self.facets_button.setCheckable(True)
        self.facets_button.setToolTip(
            "Show or hide the filters by business unit, tier, state, flag"
        )
        self.search = QLineEdit()
        self.search.setObjectName("inventorySearch")
        self.search.setPlaceholderText("Search name, title, owner, tags, business unit…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.count_label = QLabel("Loading…")
        self.count_label.setObjectName("inventoryCount")
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Save the models in the current view as a CSV file")
        bar.addWidget(self.facets_button)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.count_label)
        bar.addWidget(self.export_button)

        self.facets = FacetPanel()
        self.facets.restore(ctx.settings.get("inventory/filters"))
        facet_scroll = QScrollArea()
        facet_scroll.setObjectName("facetScroll")
        facet_scroll.setWidgetResizable(True)
        facet_scroll.setWidget(self.facets)
        facet_scroll.setMinimumWidth(180)
        self.facet_scroll = facet_scroll

        self.table = QTableView()
        self.table.setObjectName("inventoryTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        self.columns = fit_columns(self.table, stretch=1)  # the title takes the room left
        header.setSortIndicator(
            self.model.sort_column(),
            Qt.SortOrder.DescendingOrder
            if self.model.query.descending
            else Qt.SortOrder.AscendingOrder,
        )
        self.table.setSortingEnabled(True)  # after the indicator: enabling sorts by it
        header.sortIndicatorChanged.connect(self._keep_indicator_on_sortable)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(bar)
        right_layout.addWidget(self.table, 1)
        splitter = QSplitter()
        splitter.addWidget(facet_scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(1, False)
        splitter.setSizes([200, 1000])
        layout.addWidget(splitter, 1)
        self.facets_forced = False  # opened by hand in a narrow window
        self.facets_button.setChecked(ctx.settings.get("inventory/facets_shown"))
        self.facets_button.toggled.connect(self._facets_toggled)
        self._show_facets()

        self.search.setText(ctx.settings.get("inventory/search"))
        # typing is remembered once it pauses, not at every keystroke
        self._remember = QTimer(self)
        self._remember.setSingleShot(True)
        self._remember.setInterval(500)
        self._remember.timeout.connect(self.save_state)
        self.search.textChanged.connect(self.apply_filters)
        self.facets.changed.connect(self.apply_filters)
        self.export_button.clicked.connect(self.choose_export_file)
        self.table.activated.connect(self._open_row)
        self.model.loaded.connect(self._show_count)
        self.model.rows_shown.connect(self._run_side_queries)
        self.model.failed.connect(self._run_side_queries)
        self.model.failed.connect(lambda msg: self.count_label.setText(f"Query failed: {msg}"))
        self.dashboard.filterRequested.connect(self._filter_from_dashboard)
        ctx.registryChanged.connect(self.reload)
        self._side_queries_due = False
        self.reload()

    # -- loading ------------------------------------------------------------------------------
    def reload(self) -> None:
        """Reload facet values, dashboard and rows (a registry was opened or changed)."""
        # the rows first: they are what the person is waiting for; facets and dashboard
        # figures are asked for once the rows are in (or the query failed)
        self._side_queries_due = True
        self.apply_filters()

    def _run_side_queries(self, *_args: object) -> None:
        if not self._side_queries_due:
            return
        self._side_queries_due = False
        self.ctx.read(inventory.facet_values, key="inventory-facets", on_result=self._set_facets)
        self.dashboard.refresh()

    def _set_facets(self, values: dict[str, list[str]]) -> None:
        self.facets.set_values(
            {
                "business_unit": values["business_unit"],
                "risk_tier": values["risk_tier"],
                "state": values["state"],
            }
        )

    def current_query(self) -> InventoryQuery:
        """What the table shows: search text, ticked facets, the database sort."""
        return InventoryQuery(
            search=self.search.text(),
            business_units=self.facets.selected("business_unit"),
            risk_tiers=self.facets.selected("risk_tier"),
            states=self.facets.selected("state"),
            flags=self.facets.selected("flag"),
            sort=self.model.query.sort,
            descending=self.model.query.descending,
        )

    def apply_filters(self) -> None:
        """Run the query for the current search text and facets (cancelling the last one)."""
        self.count_label.setText("Searching…")
        self.model.set_query(self.current_query())
        self._update_facets_button()
        self._remember.start()

    def save_state(self) -> None:
        """Remember the search text and the ticked filters for the next start."""
        self.ctx.settings.set("inventory/search", self.search.text())
        self.ctx.settings.set("inventory/filters", self.facets.state())

    def look_for(self, text: str) -> None:
        """Search the inventory for *text* (a person's login finds the models they own)."""
        self.facets.clear()
        self.search.setText(text)

    def _show_count(self, shown: int, total: int) -> None:
        if total == 0:
            self.count_label.setText("No models match")
        elif shown < total:
            self.count_label.setText(f"{count(total, 'model')} (showing {shown:,})")
        else:
            self.count_label.setText(count(total, "model"))

    # -- the facet panel ----------------------------------------------------------------------
    def _facets_toggled(self, on: bool) -> None:
        self.ctx.settings.set("inventory/facets_shown", on)
        self.facets_forced = on and self.width() < FACETS_MIN_PAGE_WIDTH
        self._show_facets()

    def _show_facets(self) -> None:
        wanted = self.facets_button.isChecked()
        room = self.width() >= FACETS_MIN_PAGE_WIDTH or not self.isVisible()
        self.facet_scroll.setVisible(wanted and (room or self.facets_forced))
        self._update_facets_button()

    def _update_facets_button(self) -> None:
        ticked = self.facets.ticked_count()
        hidden = not self.facet_scroll.isVisibleTo(self)
        self.facets_button.setText(f"Filters ({ticked})" if ticked and hidden else "Filters")
        self.facets_button.setToolTip(
            (f"{count(ticked, 'filter')} in force. " if ticked else "")
            + "Show or hide the filters by business unit, tier, state and flag"
        )

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.width() >= FACETS_MIN_PAGE_WIDTH:
            self.facets_forced = False
        self._show_facets()

    def _filter_from_dashboard(self, facet: str, value: str) -> None:
        self.facets.clear()
        self.facets.tick(facet, value)

    def _keep_indicator_on_sortable(self, column: int, _order: Qt.SortOrder) -> None:
        if COLUMNS[column][1] is None:  # the database cannot sort by flags: put it back
            header = self.table.horizontalHeader()
            blocked = header.blockSignals(True)
            header.setSortIndicator(
                self.model.sort_column(),
                Qt.SortOrder.DescendingOrder
                if self.model.query.descending
                else Qt.SortOrder.AscendingOrder,
            )
            header.blockSignals(blocked)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # -- actions ------------------------------------------------------------------------------
    def _open_row(self, index: QModelIndex) -> None:
        name = index.data(NAME_ROLE)
        if name:
            self.ctx.openModelRequested.emit(name)

    def export_path_suggestion(self) -> str:
        """Where the save dialog starts: the folder of the last export, else Documents."""
        folder = self.ctx.settings.get("export/folder") or documents_folder()
        return str(Path(folder) / "inventory.csv")

    def choose_export_file(self) -> None:
        """Ask where to save, then export the current view in a worker."""
        path, _ = QFileDialog.getSaveFileName(
            self, "Export inventory", self.export_path_suggestion(), "CSV files (*.csv)"
        )
        if path:
            self.export_csv(path)

    def export_csv(self, path: str) -> None:
        """Export every model matching the current view (all pages) to *path*."""
        self.export_button.setEnabled(False)
        self.ctx.read(
            dashboard.write_inventory_csv,
            self.current_query(),
            path,
            key="inventory-export",
            on_result=lambda n: self._exported(path, n),
            on_error=self._export_failed,
        )

    def _exported(self, path: str, rows: int) -> None:
        self.export_button.setEnabled(True)
        self.ctx.settings.set("export/folder", str(Path(path).parent))
        self.ctx.statusMessage.emit(f"Exported {count(rows, 'model')} to {path}")
        self.exported.emit(path, rows)

    def _export_failed(self, exc: BaseException) -> None:
        self.export_button.setEnabled(True)
        QMessageBox.warning(self, "Export failed", f"The inventory could not be exported:\n{exc}")
