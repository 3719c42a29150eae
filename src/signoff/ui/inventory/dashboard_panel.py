"""The manager dashboard above the inventory: counts by state and tier, waiting reviews, stale."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from signoff.core.catalog import dashboard
from signoff.core.catalog.dashboard import Dashboard
from signoff.core.catalog.words import count, flag_word, plural
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.common import state_label
from signoff.ui.widgets.flow_layout import FlowLayout


class _Card(QToolButton):
    """A clickable figure: a big number over a caption."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dashboardCard")
        self.caption = caption
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setMinimumWidth(110)
        self.set_value("…")

    def set_value(self, value: str) -> None:
        self.value = value
        self.setText(f"{value}\n{self.caption}")


class DashboardStrip(QFrame):
    """Counts for managers; clicking a card asks the inventory to filter by it."""

    filterRequested = Signal(str, str)  # facet ("flag" / "state"), value

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("dashboard")
        self.data: Dashboard | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 6)
        # the figures wrap onto a second line in a narrow window rather than being cut
        strip = QWidget()
        strip.setObjectName("dashboardCards")
        cards = FlowLayout(strip, spacing=8)
        self.cards = {
            "total": _Card("models"),
            "live": _Card("live in production"),
            "in_review": _Card("in review"),
            "waiting": _Card("reviews waiting"),
            "stale": _Card("stale"),
            "dnu_consumed": _Card("do not use,\nstill consumed"),
            "dnu_used": _Card("do not use,\nstill used"),
        }
        targets = {
            "in_review": ("state", "in_review"),
            "waiting": ("flag", "open_review"),
            "stale": ("flag", "stale"),
            "dnu_consumed": ("flag", "dnu_consumed"),
            "dnu_used": ("flag", "dnu_used"),
        }
        for key, card in self.cards.items():
            cards.addWidget(card)
            if key in targets:
                facet, value = targets[key]
                card.setToolTip(
                    "Show only these models" + (f" ({flag_word(value)})" if facet == "flag" else "")
                )
                card.clicked.connect(
                    lambda _=False, f=facet, v=value: self.filterRequested.emit(f, v)
                )
        self.wait_days = QSpinBox()
        self.wait_days.setObjectName("reviewWaitDays")
        self.wait_days.setRange(1, 365)
        self.wait_days.setSuffix(" days")
        self.wait_days.setValue(ctx.settings.get("dashboard/review_wait_days"))
        self.wait_days.setToolTip("A review waiting longer than this is counted as waiting")
        self.wait_days.valueChanged.connect(self._wait_days_changed)
        outer.addWidget(strip)
        below = QHBoxLayout()
        self.breakdown = QLabel("")
        self.breakdown.setObjectName("dashboardBreakdown")
        self.breakdown.setWordWrap(True)
        self.breakdown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        below.addWidget(self.breakdown, 1)
        wait_label = QLabel("Reviews wait longer than")
        wait_label.setBuddy(self.wait_days)
        below.addWidget(wait_label, 0, Qt.AlignmentFlag.AlignTop)
        below.addWidget(self.wait_days, 0, Qt.AlignmentFlag.AlignTop)
        outer.addLayout(below)

    def _wait_days_changed(self, days: int) -> None:
        self.ctx.settings.set("dashboard/review_wait_days", days)
        self.refresh()

    def refresh(self) -> None:
        """Recompute the figures in a worker."""
        days = self.ctx.settings.get("dashboard/review_wait_days")
        self.ctx.read(dashboard.dashboard, days, key="dashboard", on_result=self._show)

    def _show(self, data: Dashboard) -> None:
        self.data = data
        self.cards["total"].set_value(f"{data.total:,}")
        self.cards["live"].set_value(f"{data.live:,}")
        self.cards["in_review"].set_value(f"{data.by_state.get('in_review', 0):,}")
        waiting = len(data.waiting_reviews)
        self.cards[
            "waiting"
        ].caption = f"{plural('review', waiting)} waiting\nover {count(data.waiting_days, 'day')}"
        self.cards["waiting"].set_value(f"{waiting:,}")
        self.cards["stale"].set_value(f"{data.stale:,}")
        self.cards["dnu_consumed"].set_value(f"{data.dnu_consumed:,}")
        self.cards["dnu_used"].set_value(f"{data.dnu_used:,}")
        states = " · ".join(f"{state_label(k)} {v:,}" for k, v in sorted(data.by_state.items()))
        tiers = " · ".join(f"{k} {v:,}" for k, v in sorted(data.by_tier.items()))
        longest = ", ".join(
            f"{w.model} v{w.version} ({w.days} d)" for w in data.waiting_reviews[:5]
        )
        text = f"By state: {states or '—'}    By tier: {tiers or '—'}"
        if longest:
            text += f"\nWaiting longest: {longest}"
        self.breakdown.setText(text)
