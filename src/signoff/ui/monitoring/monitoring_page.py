"""The Monitoring area: every live model, its latest metric against baseline, its stale flag.

The table is sortable by any column; clicking a row draws that model's live metric over time
below it, double-clicking opens the live version's page. "Store stale flags" writes the
verdicts (audited) so the inventory's stale filter shows them too. All judging runs in a worker
through :func:`signoff.core.monitoring.staleness.assess_all` / :func:`evaluate_staleness`.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from signoff.core.catalog.words import count, listing
from signoff.core.monitoring.staleness import ModelHealth, assess_all, evaluate_staleness
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.charts.monitoring_charts import MetricOverTimeChart, MetricTimeData
from signoff.ui.widgets.columns import fit_columns
from signoff.ui.widgets.common import format_time
from signoff.ui.widgets.table_models import RECORD_ROLE, SORT_ROLE, Column, RecordTableModel

# colours that read on the light and the dark theme alike
STALE_COLOUR, OK_COLOUR = "#e0533d", "#27ae60"


def _num(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def _delta_colour(h: ModelHealth) -> str | None:
    if h.delta is None or h.series is None or h.series.limit is None:
        return None
    worse = h.delta < 0 if h.series.limit < (h.baseline or 0) else h.delta > 0
    return "#e0533d" if worse else "#27ae60"


COLUMNS = [
    Column("Model", lambda h: h.model),
    Column("Live", lambda h: f"v{h.live_version}", sort_key=lambda h: h.live_version or 0),
    Column("Metric", lambda h: h.metric.upper() or "—"),
    Column(
        "Latest",
        lambda h: _num(h.latest_value),
        sort_key=lambda h: h.latest_value or 0.0,
        align_right=True,
    ),
    Column(
        "Baseline",
        lambda h: _num(h.baseline),
        sort_key=lambda h: h.baseline or 0.0,
        align_right=True,
    ),
    Column(
        "Δ",
        lambda h: _num(h.delta, True),
        sort_key=lambda h: h.delta or 0.0,
        colour=_delta_colour,
        align_right=True,
    ),
    Column(
        "PSI",
        lambda h: _num(h.latest_psi),
        sort_key=lambda h: h.latest_psi or 0.0,
        align_right=True,
    ),
    Column(
        "Latest window",
        lambda h: format_time(h.latest_window)[:10],
        sort_key=lambda h: h.latest_window.isoformat() if h.latest_window else "",
    ),
    Column(
        "Stale",
        lambda h: "STALE" if h.stale else "ok",
        sort_key=lambda h: int(h.stale),
        colour=lambda h: STALE_COLOUR if h.stale else OK_COLOUR,
    ),
    Column("Reason", lambda h: h.reason.replace("\n", "; ") or "—", tooltip=lambda h: h.reason),
]


class MonitoringPage(QWidget):
    """Live models against their monitoring rules; a click draws the chosen model's chart."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list[ModelHealth] = []
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.status = QLabel("Loading…")
        self.status.setObjectName("monitoringStatus")
        top.addWidget(self.status, 1)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.reload)
        self.store_button = QPushButton("Store stale flags")
        self.store_button.setToolTip(
            "Write each changed stale flag and reason to the registry "
            "(audited), so the inventory shows them"
        )
        self.store_button.clicked.connect(self.store_flags)
        top.addWidget(self.refresh_button)
        top.addWidget(self.store_button)
        layout.addLayout(top)
        split = QSplitter(Qt.Orientation.Vertical)
        self.model = RecordTableModel(COLUMNS, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setObjectName("monitoringTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        fit_columns(self.table)
        self.table.setMinimumHeight(120)
        self.table.clicked.connect(self.show_chart_for)
        self.table.doubleClicked.connect(self.open_version_for)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self.show_chart_for(current)
        )
        split.addWidget(self.table)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        # the full verdict of the chosen model: the table's Reason column is cut short
        self.reason = QLabel("")
        self.reason.setObjectName("monitoringReason")
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lower_layout.addWidget(self.reason)
        self.chart = MetricOverTimeChart(
            dark=ctx.prefers_dark, empty_text="Click a model to see its live metric over time."
        )
        lower_layout.addWidget(self.chart, 1)
        split.addWidget(lower)
        split.setCollapsible(0, False)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        layout.addWidget(split, 1)
        ctx.registryChanged.connect(self.reload)
        self.reload()

    def activate(self) -> None:
        """Called each time the area is shown: judge again (outcomes may have arrived)."""
        self.reload()

    def reload(self) -> None:
        """Judge every live model in a worker (nothing is written)."""
        self.status.setText("Judging live models…")
        self.ctx.run(
            assess_all, key=f"monitoring-{id(self)}", on_result=self._loaded, on_error=self._failed
        )

    def store_flags(self) -> None:
        """Judge and store the changed stale flags (audited), then show the result."""
        self.status.setText("Storing stale flags…")
        self.store_button.setEnabled(False)
        self.ctx.run(
            evaluate_staleness,
            key=f"monitoring-{id(self)}",
            on_result=self._stored,
            on_error=self._failed,
        )

    def _failed(self, exc: BaseException) -> None:
        self.store_button.setEnabled(True)
        self.status.setText(f"Could not judge the live models: {exc}")

    def _stored(self, results: list[ModelHealth]) -> None:
        self.store_button.setEnabled(True)
        changed = [h.model for h in results if h.changed]
        self._loaded(results)
        self.status.setText(
            self.status.text()
            + (
                f" Stored the changed flags of {listing(changed)}."
                if changed
                else " Every stored flag was already up to date."
            )
        )

    def _loaded(self, results: list[ModelHealth]) -> None:
        self.rows = [h for h in results if h.live_version is not None]
        self.model.set_records(self.rows)
        self.table.sortByColumn(
            COLUMNS.index(next(c for c in COLUMNS if c.title == "Stale")),
            Qt.SortOrder.DescendingOrder,
        )
        stale = sum(h.stale for h in self.rows)
        self.status.setText(f"{count(len(self.rows), 'live model')}, {stale} stale.")
        if self.rows and self.chart.data is None:
            self.show_chart_for(self.proxy.index(0, 0))

    def health_at(self, index: QModelIndex) -> ModelHealth:
        """The verdict shown on the row of *index* (a proxy index)."""
        return self.proxy.data(index, RECORD_ROLE)

    def show_chart_for(self, index: QModelIndex) -> None:
        """Draw the clicked model's live metric over time below the table."""
        if not index.isValid():
            return
        health = self.health_at(index)
        verdict = (
            f"<b style='color:{STALE_COLOUR}'>Stale</b>"
            if health.stale
            else f"<b style='color:{OK_COLOUR}'>Not stale</b>"
        )
        reasons = "<br>".join(html.escape(r) for r in health.reason.splitlines() if r.strip())
        self.reason.setText(
            f"<b>{html.escape(health.model)} v{health.live_version}</b> — {verdict}"
            + (f": {reasons}" if reasons else "")
        )
        self.chart.title = f"{health.model} v{health.live_version}: live metric over time"
        if health.series is None:
            self.chart.show_empty(html.unescape(health.reason) or "No monitoring data.")
            return
        self.chart.set_data(MetricTimeData.from_series(health.series))

    def open_version_for(self, index: QModelIndex) -> None:
        """Open the live version's page (the main window listens)."""
        if index.isValid():
            health = self.health_at(index)
            self.ctx.openVersionRequested.emit(health.model, health.live_version)
