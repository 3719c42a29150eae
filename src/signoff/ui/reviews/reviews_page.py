"""My reviews: versions waiting for a signature by one of my roles, oldest first, with age.

A double-click opens the version on its Approvals tab, where the signature is given; the
side bar keeps *My reviews* highlighted, so a click on it comes back here.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from signoff.core.catalog.words import count, plural, roles_in_words
from signoff.core.db.lifecycle import SIGNING_ROLES
from signoff.core.db.registry import Registry
from signoff.core.governance.approvals import ReviewItem, my_reviews
from signoff.core.governance.people import roles_of
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.columns import fit_columns
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
    Column("You sign as", lambda r: roles_in_words(r.my_roles, "or")),
    Column("Still missing", lambda r: roles_in_words(r.missing)),
    Column("Author", lambda r: r.author),
    Column(
        "Waiting since",
        lambda r: format_time(r.waiting_since),
        tooltip=lambda r: f"{format_time(r.waiting_since, seconds=True)} UTC",
    ),
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
        top.addWidget(refresh, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        self.model = RecordTableModel(COLUMNS, self)
        self.table = record_table(self.model, "reviewsTable")
        self.table.activated.connect(self.open_index)
        fit_columns(self.table)
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
        who = html.escape(viewer)
        signing = [r for r in roles if r in SIGNING_ROLES]
        if not signing:
            held = f"hold the {plural('role', len(roles))} {html.escape(roles_in_words(roles))}"
            how = (
                "In the demo, pick a reviewer in the tool bar's <b>Act as</b> box (bob, carol "
                "or dave)."
                if self.ctx.is_demo
                else f"An admin gives roles with <code>signoff users roles {who} validator</code>"
                " (or <i>File › People and roles</i>)."
            )
            self.summary.setText(
                f"You are <b>{who}</b> and "
                + (held if roles else "hold no role")
                + ", so nothing waits for your signature. "
                + how
            )
        elif not items:
            self.summary.setText(
                f"Nothing waits for you, {who} ({html.escape(roles_in_words(roles))})."
            )
        else:
            oldest = format_age(items[0])
            waits = plural("waits", len(items))
            self.summary.setText(
                f"<b>{count(len(items), 'version')}</b> {waits} for your signature, "
                f"{who}; the oldest for {oldest}. "
                "Double-click one to open its Approvals tab."
            )
        self.model.set_records(items)
        self.loaded.emit()

    def open_index(self, index: QModelIndex) -> None:
        """Open the version on *index*'s row at its Approvals tab."""
        item: ReviewItem = self.model.record(index.row())
        self.ctx.openVersionTabRequested.emit(item.model, item.number, "Approvals")
