"""The deployment history drawn as a timeline: one lane per environment, one bar per period."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from signoff.core.catalog.model_page import DeploymentPeriod
from signoff.core.common.clock import utcnow

PALETTE = ("#2e86c1", "#28b463", "#af7ac5", "#f39c12", "#16a085", "#e74c3c", "#5d6d7e")


class DeploymentTimeline(QWidget):
    """Paints which version was live from when to when; a marker shows a chosen date."""

    LANE = 30
    LEFT = 96

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.periods: list[DeploymentPeriod] = []
        self.marker: datetime | None = None
        self.now = utcnow()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(self.LANE + 30)

    def set_periods(self, periods: list[DeploymentPeriod]) -> None:
        self.periods = list(periods)
        self.now = utcnow()
        self.setFixedHeight(max(1, len(self.environments())) * self.LANE + 30)
        self.setToolTip(
            "\n".join(
                f"{p.environment}: v{p.version} {p.live_from:%Y-%m-%d} → "
                f"{p.live_to.strftime('%Y-%m-%d') if p.live_to else 'now'}"
                for p in self.periods
            )
        )
        self.update()

    def set_marker(self, when: datetime | None) -> None:
        self.marker = when
        self.update()

    def environments(self) -> list[str]:
        return list(dict.fromkeys(p.environment for p in self.periods))

    def span(self) -> tuple[datetime, datetime]:
        if not self.periods:
            return self.now - timedelta(days=30), self.now
        start = min(p.live_from for p in self.periods)
        end = max([self.now, *(p.live_to for p in self.periods if p.live_to)])
        if self.marker is not None:
            start, end = min(start, self.marker), max(end, self.marker)
        pad = max((end - start) * 0.03, timedelta(days=1))
        return start - pad, end + pad

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(600, max(1, len(self.environments())) * self.LANE + 30)

    def x_for(self, when: datetime) -> float:
        start, end = self.span()
        width = max(1, self.width() - self.LEFT - 12)
        return self.LEFT + width * ((when - start) / (end - start))

    def paintEvent(self, _event) -> None:  # noqa: ANN001, N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_colour = self.palette().windowText().color()
        if not self.periods:
            painter.setPen(text_colour)
            painter.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter,
                "No version of this model has been live yet.",
            )
            return
        metrics = QFontMetrics(self.font())
        versions = sorted({p.version for p in self.periods})
        for lane, env in enumerate(self.environments()):
            y = 4 + lane * self.LANE
            painter.setPen(text_colour)
            painter.drawText(
                QRectF(0, y, self.LEFT - 8, self.LANE - 6),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                env,
            )
            for p in (p for p in self.periods if p.environment == env):
                x0, x1 = self.x_for(p.live_from), self.x_for(p.live_to or self.now)
                rect = QRectF(x0, y + 2, max(3.0, x1 - x0), self.LANE - 10)
                colour = QColor(PALETTE[versions.index(p.version) % len(PALETTE)])
                painter.setPen(QPen(colour.darker(130)))
                painter.setBrush(colour)
                painter.drawRoundedRect(rect, 3, 3)
                label = f"v{p.version}"
                if metrics.horizontalAdvance(label) + 6 < rect.width():
                    painter.setPen(QColor("white"))
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
        # axis: first and last date, and today
        start, end = self.span()
        axis_y = self.height() - 22
        painter.setPen(QPen(text_colour, 1))
        painter.drawLine(int(self.LEFT), axis_y, self.width() - 12, axis_y)
        for when in (start + (end - start) * 0.03, self.now):
            x = self.x_for(when)
            painter.drawLine(int(x), axis_y, int(x), axis_y + 4)
            painter.drawText(
                QRectF(x - 60, axis_y + 4, 120, 16),
                Qt.AlignmentFlag.AlignCenter,
                "today" if when is self.now else f"{when:%Y-%m-%d}",
            )
        if self.marker is not None:
            x = self.x_for(self.marker)
            painter.setPen(QPen(QColor("#c0392b"), 2, Qt.PenStyle.DashLine))
            painter.drawLine(int(x), 0, int(x), axis_y)
        painter.end()
