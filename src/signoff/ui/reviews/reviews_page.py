"""My reviews: versions waiting for a signature by one of my roles, oldest first, with age."""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from signoff.core.db.registry import Registry
from signoff.core.governance.approvals import ReviewItem, my_reviews
from signoff.core.governance.people import roles_of
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.common import format_time, record_table
from signoff.ui.widgets.table_models import Column, RecordTableModel


def format_age(item: ReviewItem) -> str:
    """Waiting time as people say it: ``3 d 4 h``, ``5 h 12 min``, ``7 min``."""
    seconds = max(0, int(item.age.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


COLUMNS = [
    Column("Model", lambda r: r.model),
    Column("Version", lambda r: f"v{r.number}", sort_key=lambda r: r.number),
    Column("Title", lambda r: r.title),
    Column("Risk tier", lambda r: r.risk_tier),
    Column("Gate", lambda r: r.gate_title),
    Column("You sign as", lambda r: ", ".join(x.replace("_", " ") for x in r.my_roles)),
    Column("Still missing", lambda r: ", ".join(x.replace("_", " ") for x in r.missing)),
    Column("Author", lambda r: r.author),
    Column("Waiting since (UTC)", lambda r: format_time(r.waiting_since)),
    Column(
        "Age",
        format_age,
        sort_key=lambda r: r.age,
        align_right=True,
        colour=lambda r: "#b3261e" if r.age.days >= 7 else None,
    ),
]


def load_reviews(registry: Registry) -> tuple[str, list[str], list[ReviewItem]]:
    """Worker: the acting user, their roles and the versions waiting for them."""
    viewer = registry.actor
    with registry.read() as session:
        return viewer, sorted(roles_of(session, viewer)), my_reviews(session, viewer)


class ReviewsPage(QWidget):
    """The review queue of the acting user; double-click opens the version's page."""

    loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("reviewsSummary")
        self.summary.setWordWrap(True)
        top.addWidget(self.summary, 1)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.reload)
        top.addWidget(refresh)
        layout.addLayout(top)
        self.model = RecordTableModel(COLUMNS, self)
        self.table = record_table(self.model, "reviewsTable")
        self.table.activated.connect(self.open_index)
        layout.addWidget(self.table, 1)
        ctx.registryChanged.connect(self.reload)
        ctx.versionChanged.connect(lambda _m, _n: self.reload())
        self.reload()

    def activate(self) -> None:
        """Shown again: refresh the queue."""
        self.reload()

    def reload(self) -> None:
        self.ctx.run(
            load_reviews,
            key=f"reviews-{id(self)}",
            on_result=self._show,
            on_error=lambda exc: self.summary.setText(
                f"Could not load your reviews: {html.escape(str(exc))}"
            ),
        )

    def _show(self, result: tuple[str, list[str], list[ReviewItem]]) -> None:
        viewer, roles, items = result
        if not roles:
            self.summary.setText(
                f"You are <b>{html.escape(viewer)}</b> and hold no reviewer "
                "role, so nothing waits for your signature. An admin gives "
                "roles with <code>signoff users roles</code>."
            )
        elif not items:
            self.summary.setText(
                f"Nothing waits for you, {html.escape(viewer)} ({', '.join(roles)})."
            )
        else:
            oldest = format_age(items[0])
            self.summary.setText(
                f"<b>{len(items)}</b> version(s) wait for your signature, "
                f"{html.escape(viewer)}; the oldest for {oldest}. "
                "Double-click one to open its Approvals tab."
            )
        self.model.set_records(items)
        self.table.resizeColumnsToContents()
        self.loaded.emit()

    def open_index(self, index: QModelIndex) -> None:
        item: ReviewItem = self.model.record(index.row())
        self.ctx.openVersionRequested.emit(item.model, item.number)
