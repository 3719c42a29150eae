"""Consumers: who uses each model, and the delivery state of every notification to them.

The page also runs the notification deliverer in the background (a timer starts
:func:`signoff.core.notifications.outbox.deliver_due` in a worker), so a window left open
delivers queued messages and retries failed ones with backoff, as ``signoff notify`` does headless.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from signoff.core.catalog.words import count
from signoff.core.governance.consumer_admin import edit_consumer, record_acknowledgement
from signoff.core.notifications.outbox import (
    DeliveryReport,
    DeliveryRow,
    consumer_overview,
    deliver_due,
)
from signoff.core.notifications.usage import MigrationRow, migration_rows
from signoff.ui.consumers.consumer_dialogs import AcknowledgeDialog, ConsumerDialog
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.columns import fit_columns
from signoff.ui.widgets.common import format_time, record_table, scrolling_page
from signoff.ui.widgets.table_models import Column, RecordTableModel

DELIVERY_INTERVAL_MS = 60_000
# colours that read on the light and the dark theme alike
STATE_COLOURS = {
    "delivered": "#27ae60",
    "pending": "#d68910",
    "failed": "#e0533d",
    "no_endpoint": "#95a5a6",
}

STATE_WORDS = {"no_endpoint": "no webhook", "pending": "waiting"}

CONSUMER_COLUMNS = [
    Column("Model", lambda c: c["model"]),
    Column("Consumer", lambda c: c["name"]),
    Column("Kind", lambda c: c["kind"]),
    Column("Uses", lambda c: f"pinned to v{c['pinned']}" if c["pinned"] else "what is live"),
    Column("Webhook", lambda c: c["webhook"] or "— none —", tooltip=lambda c: c["webhook"] or ""),
    Column("E-mail", lambda c: c.get("email") or "—"),
    Column(
        "Last notification",
        lambda c: c["last"] or "—",
        colour=lambda c: STATE_COLOURS.get(c["last_state"] or ""),
    ),
    Column("Contact", lambda c: c["contact"], tooltip=lambda c: c["contact"]),
]
MIGRATION_COLOURS = {"moved": "#1b6e20", "still pinned": "#8a5a00", "still using": "#b3261e"}
MIGRATION_COLUMNS = [
    Column("Model", lambda r: r.model),
    Column("Marked", lambda r: f"v{r.version}", tooltip=lambda r: "the version marked do not use"),
    Column("Fix", lambda r: f"v{r.replacement}" if r.replacement else "none yet"),
    Column("Consumer", lambda r: r.consumer),
    Column("Pinned", lambda r: f"v{r.pinned}" if r.pinned else "what is live"),
    Column("Used", lambda r: f"v{r.last_used_version}" if r.last_used_version else "—"),
    Column(
        "Acknowledged",
        lambda r: (
            f"{format_time(r.acknowledged_at)} ({r.acknowledged_via})"
            if r.acknowledged_at
            else "no"
        ),
        tooltip=lambda r: r.acknowledgement_note,
    ),
    Column(
        "Days",
        lambda r: "" if r.days_since_notice is None else str(r.days_since_notice),
        align_right=True,
    ),
    Column("Status", lambda r: r.status, colour=lambda r: MIGRATION_COLOURS.get(r.status)),
]
DELIVERY_COLUMNS = [
    Column(
        "Queued",
        lambda r: format_time(r.created_at, seconds=True),
        tooltip=lambda r: f"{format_time(r.created_at, seconds=True)} UTC",
    ),
    Column("Model", lambda r: r.model),
    Column("Consumer", lambda r: r.to),
    Column("Via", lambda r: r.channel),
    Column("Event", lambda r: r.event.replace("_", " ")),
    Column("Ver.", lambda r: f"v{r.version}" if r.version else ""),
    Column(
        "State",
        lambda r: STATE_WORDS.get(r.state, r.state.replace("_", " ")),
        colour=lambda r: STATE_COLOURS.get(r.state),
    ),
    Column("Tries", lambda r: str(r.attempts), align_right=True),
    Column(
        "When",
        lambda r: (
            format_time(r.delivered_at if r.delivered_at else r.next_attempt_at, seconds=True)
            if r.state in ("pending", "delivered")
            else ""
        ),
    ),
    Column("Last error", lambda r: r.last_error, tooltip=lambda r: r.last_error),
]


def _overview(session: Session) -> tuple[list[dict], list[DeliveryRow], list[MigrationRow]]:
    consumers, deliveries = consumer_overview(session)
    return consumers, deliveries, migration_rows(session)


def _view(model: RecordTableModel, name: str) -> QTableView:
    view = record_table(model, name, wrap=False)
    # the consumer's name column takes the room left over; long contacts and errors are cut
    # (and read in full on hover) before any short column is
    fit_columns(view, stretch=1 if name == "consumersTable" else 3)
    # room for three rows: in a short window the page scrolls instead of squeezing them
    rows = 3 * view.verticalHeader().defaultSectionSize()
    view.setMinimumHeight(view.horizontalHeader().sizeHint().height() + rows + 30)
    return view


class ConsumersPage(QWidget):
    """Consumers and per-consumer delivery state; delivers in the background."""

    loaded = Signal()
    delivered = Signal(object)  # DeliveryReport
    changed = Signal()  # an admin's change was saved
    refused = Signal(str)  # an admin's change was refused, with the reason

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        interval_ms: int = DELIVERY_INTERVAL_MS,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        layout = scrolling_page(self, "consumersScroll")
        top = QHBoxLayout()
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("consumersSummary")
        self.summary.setWordWrap(True)
        top.addWidget(self.summary, 1)
        self.deliver_button = QPushButton("Deliver now")
        self.deliver_button.setObjectName("deliverNow")
        self.deliver_button.setToolTip(
            "Send every due notification now (the window also does this in the background)"
        )
        self.deliver_button.clicked.connect(self.deliver_now)
        # the admin's actions; the core refuses anyone else, and the dialog says so
        self.edit_button = QPushButton("Edit consumer…")
        self.edit_button.setObjectName("editConsumer")
        self.edit_button.clicked.connect(self.edit_selected)
        self.remove_button = QPushButton("Remove consumer")
        self.remove_button.setObjectName("removeConsumer")
        self.remove_button.clicked.connect(self.remove_selected)
        self.ack_button = QPushButton("Record acknowledgement…")
        self.ack_button.setObjectName("recordAck")
        self.ack_button.setToolTip("A consumer acknowledged by phone or mail: record it, with how")
        self.ack_button.clicked.connect(self.acknowledge_selected)
        for button in (self.edit_button, self.remove_button, self.ack_button):
            button.setEnabled(False)
            top.addWidget(button)
        top.addWidget(self.deliver_button)
        self.dialog: ConsumerDialog | AcknowledgeDialog | None = None
        layout.addLayout(top)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.consumers = RecordTableModel(CONSUMER_COLUMNS, self)
        self.deliveries = RecordTableModel(DELIVERY_COLUMNS, self)
        self.migration = RecordTableModel(MIGRATION_COLUMNS, self)
        self.views: dict[str, QTableView] = {}
        for title, model, name in (
            ("Consumers", self.consumers, "consumersTable"),
            ("Migration off do-not-use versions", self.migration, "migrationTable"),
            ("Notifications, newest first", self.deliveries, "deliveriesTable"),
        ):
            box = QGroupBox(title)
            self.views[name] = _view(model, name)
            QVBoxLayout(box).addWidget(self.views[name])
            splitter.addWidget(box)
        for name in ("consumersTable", "migrationTable"):
            self.views[name].selectionModel().selectionChanged.connect(self._enable)
        layout.addWidget(splitter, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.deliver_now)
        if interval_ms > 0:
            self.timer.start()
        ctx.registryChanged.connect(self.reload)
        ctx.versionChanged.connect(lambda _m, _n: self.reload())
        self.reload()

    def activate(self) -> None:
        self.reload()

    def look_for(self, consumer: str) -> None:
        """Select the consumer called *consumer* (the global search leads here)."""
        self._looking_for = consumer
        self._select_looked_for()

    def _select_looked_for(self) -> None:
        name = getattr(self, "_looking_for", "")
        if not name:
            return
        for row, record in enumerate(self.consumers.records):
            if record["name"] == name:
                view = self.findChild(QTableView, "consumersTable")
                if view is not None:
                    view.selectRow(row)
                    view.scrollTo(self.consumers.index(row, 0))
                self._looking_for = ""
                return

    def reload(self) -> None:
        self.ctx.read(
            _overview,
            key=f"consumers-{id(self)}",
            on_result=self._show,
            on_error=lambda exc: self.summary.setText(
                f"Could not load consumers: {html.escape(str(exc))}"
            ),
        )

    def _show(self, result: tuple[list[dict], list[DeliveryRow], list[MigrationRow]]) -> None:
        consumers, deliveries, migration = result
        self.consumers.set_records(consumers)
        self.deliveries.set_records(deliveries)
        self.migration.set_records(migration)
        waiting = sum(1 for d in deliveries if d.state == "pending")
        failed = sum(1 for d in deliveries if d.state == "failed")
        behind = sum(1 for m in migration if m.status != "moved")
        self.summary.setText(
            f"{count(len(consumers), 'consumer')}; {count(waiting, 'notification')} waiting, "
            f"{failed} given up; {count(behind, 'consumer')} not yet moved off a do-not-use "
            "version."
        )
        self._select_looked_for()
        self.loaded.emit()

    def _selected(self, name: str) -> Any:
        rows = self.views[name].selectionModel().selectedRows()
        model = self.consumers if name == "consumersTable" else self.migration
        return model.record(rows[0].row()) if rows else None

    def _enable(self) -> None:
        consumer = self._selected("consumersTable") is not None
        self.edit_button.setEnabled(consumer)
        self.remove_button.setEnabled(consumer)
        row = self._selected("migrationTable")
        self.ack_button.setEnabled(row is not None and not row.acknowledged)

    def edit_selected(self) -> None:
        """Open the edit dialog for the selected consumer."""
        record = self._selected("consumersTable")
        if record is None:
            return
        dialog = ConsumerDialog(record, self)
        dialog.submitted.connect(
            lambda values: self._change(
                dialog, edit_consumer, record["model"], record["name"], **values
            )
        )
        self.dialog = dialog
        dialog.show()

    def remove_selected(self) -> None:
        """Deactivate the selected consumer (its history stays)."""
        record = self._selected("consumersTable")
        if record is not None:
            self._change(None, edit_consumer, record["model"], record["name"], active=False)

    def acknowledge_selected(self) -> None:
        """Open the dialog recording an acknowledgement for the selected migration row."""
        row = self._selected("migrationTable")
        if row is None:
            return
        dialog = AcknowledgeDialog(row.model, row.consumer, row.version, self)
        dialog.submitted.connect(
            lambda values: self._change(
                dialog, record_acknowledgement, row.model, row.consumer, row.version, **values
            )
        )
        self.dialog = dialog
        dialog.show()

    def _change(self, dialog: Any, fn: Any, *args: Any, **kwargs: Any) -> None:
        def done(_result: object) -> None:
            if dialog is not None:
                dialog.accept()
            self.changed.emit()
            self.reload()

        def refused(exc: BaseException) -> None:
            if dialog is not None:
                dialog.refused(str(exc))
            else:
                self.summary.setText(f"Not changed: {html.escape(str(exc))}")
            self.refused.emit(str(exc))

        self.ctx.run(
            fn, *args, key=f"consumer-change-{id(self)}", on_result=done, on_error=refused, **kwargs
        )

    def deliver_now(self) -> None:
        """Run one delivery pass in a worker, then reload."""
        self.ctx.run(deliver_due, key="notify-deliver", on_result=self._after_delivery)

    def _after_delivery(self, report: DeliveryReport) -> None:
        self.delivered.emit(report)
        if report.attempted:
            self.ctx.statusMessage.emit(f"Notifications: {report.describe()}")
        self.reload()
