"""Consumers: who uses each model, and the delivery state of every notification to them.

The page also runs the notification deliverer in the background (a timer starts
:func:`signoff.core.notifications.outbox.deliver_due` in a worker), so a window left open
delivers queued messages and retries failed ones with backoff, as ``signoff notify`` does headless.
"""

from __future__ import annotations

import html

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

from signoff.core.catalog.words import count
from signoff.core.notifications.outbox import (
    DeliveryReport,
    DeliveryRow,
    consumer_overview,
    deliver_due,
)
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.columns import fit_columns
from signoff.ui.widgets.common import format_time, record_table
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
    Column(
        "Last notification",
        lambda c: c["last"] or "—",
        colour=lambda c: STATE_COLOURS.get(c["last_state"] or ""),
    ),
    Column("Contact", lambda c: c["contact"], tooltip=lambda c: c["contact"]),
]
DELIVERY_COLUMNS = [
    Column(
        "Queued",
        lambda r: format_time(r.created_at, seconds=True),
        tooltip=lambda r: f"{format_time(r.created_at, seconds=True)} UTC",
    ),
    Column("Model", lambda r: r.model),
    Column("Consumer", lambda r: r.consumer),
    Column("Event", lambda r: r.event.replace("_", " ")),
    Column("Version", lambda r: f"v{r.version}" if r.version else ""),
    Column(
        "State",
        lambda r: STATE_WORDS.get(r.state, r.state.replace("_", " ")),
        colour=lambda r: STATE_COLOURS.get(r.state),
    ),
    Column("Attempts", lambda r: str(r.attempts), align_right=True),
    Column(
        "Next try / delivered",
        lambda r: (
            format_time(r.delivered_at if r.delivered_at else r.next_attempt_at, seconds=True)
            if r.state in ("pending", "delivered")
            else ""
        ),
    ),
    Column("Last error", lambda r: r.last_error, tooltip=lambda r: r.last_error),
]


def _view(model: RecordTableModel, name: str) -> QTableView:
    view = record_table(model, name, wrap=False)
    # the consumer's name column takes the room left over; long contacts and errors are cut
    # (and read in full on hover) before any short column is
    fit_columns(view, stretch=1 if name == "consumersTable" else 3)
    view.setMinimumHeight(110)
    return view


class ConsumersPage(QWidget):
    """Consumers and per-consumer delivery state; delivers in the background."""

    loaded = Signal()
    delivered = Signal(object)  # DeliveryReport

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        interval_ms: int = DELIVERY_INTERVAL_MS,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        layout = QVBoxLayout(self)
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
        top.addWidget(self.deliver_button)
        layout.addLayout(top)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.consumers = RecordTableModel(CONSUMER_COLUMNS, self)
        self.deliveries = RecordTableModel(DELIVERY_COLUMNS, self)
        for title, model, name in (
            ("Consumers", self.consumers, "consumersTable"),
            ("Notifications, newest first", self.deliveries, "deliveriesTable"),
        ):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(_view(model, name))
            splitter.addWidget(box)
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
            consumer_overview,
            key=f"consumers-{id(self)}",
            on_result=self._show,
            on_error=lambda exc: self.summary.setText(
                f"Could not load consumers: {html.escape(str(exc))}"
            ),
        )

    def _show(self, result: tuple[list[dict], list[DeliveryRow]]) -> None:
        consumers, deliveries = result
        self.consumers.set_records(consumers)
        self.deliveries.set_records(deliveries)
        waiting = sum(1 for d in deliveries if d.state == "pending")
        failed = sum(1 for d in deliveries if d.state == "failed")
        self.summary.setText(
            f"{count(len(consumers), 'consumer')}; {count(waiting, 'notification')} waiting, "
            f"{failed} given up."
        )
        self._select_looked_for()
        self.loaded.emit()

    def deliver_now(self) -> None:
        """Run one delivery pass in a worker, then reload."""
        self.ctx.run(deliver_due, key="notify-deliver", on_result=self._after_delivery)

    def _after_delivery(self, report: DeliveryReport) -> None:
        self.delivered.emit(report)
        if report.attempted:
            self.ctx.statusMessage.emit(f"Notifications: {report.describe()}")
        self.reload()
