"""The bell: how many alerts the signed-in person has not read, and the list behind it.

The count is read in a worker (never on the GUI thread) when the registry changes and every
minute; clicking the bell opens the list, newest first, unread ones in bold, with "Mark all
read" (which marks only this person's own alerts).
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPalette, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from signoff.core.notifications.alerts import AlertRow, bell, mark_read_for
from signoff.ui.services.context import AppContext

REFRESH_MS = 60_000
SEVERITY_MARK = {"critical": "●", "warning": "▲", "info": "·"}


def bell_icon(color: QColor, size: int = 16) -> QIcon:
    """A bell drawn in *color* (the palette's text colour), so it shows on every machine and
    theme; the bell emoji needs a colour-emoji font that many Linux desktops do not have."""
    pixmap = QPixmap(size * 2, size * 2)  # drawn at twice the size: sharp on high-DPI screens
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    s = size / 16.0
    body = QPainterPath()
    body.moveTo(3 * s, 12 * s)
    body.cubicTo(4.5 * s, 10.5 * s, 4 * s, 8 * s, 4.5 * s, 6 * s)
    body.cubicTo(5 * s, 3.5 * s, 6.5 * s, 2.5 * s, 8 * s, 2.5 * s)
    body.cubicTo(9.5 * s, 2.5 * s, 11 * s, 3.5 * s, 11.5 * s, 6 * s)
    body.cubicTo(12 * s, 8 * s, 11.5 * s, 10.5 * s, 13 * s, 12 * s)
    body.closeSubpath()
    painter.drawPath(body)
    painter.drawEllipse(QPointF(8 * s, 13.4 * s), 1.5 * s, 1.5 * s)  # the clapper
    painter.drawRoundedRect(QRectF(7.2 * s, 1 * s, 1.6 * s, 2 * s), 0.6 * s, 0.6 * s)
    painter.end()
    return QIcon(pixmap)


def _line(alert: AlertRow) -> str:
    mark = SEVERITY_MARK.get(alert.severity, "·")
    return f"{mark} {alert.created_at:%Y-%m-%d %H:%M}  {alert.title}"


class AlertsDialog(QDialog):
    """The person's alerts; "Mark all read" marks them read in a worker."""

    marked = Signal(int)

    def __init__(self, ctx: AppContext, alerts: list[AlertRow], parent: QWidget | None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Alerts")
        self.setObjectName("alertsDialog")
        self.resize(720, 420)
        layout = QVBoxLayout(self)
        unread = sum(1 for a in alerts if a.unread)
        self.header = QLabel(f"{len(alerts)} alert(s), {unread} unread")
        layout.addWidget(self.header)
        self.list = QListWidget()
        self.list.setObjectName("alertsList")
        self.list.setWordWrap(True)
        bold = QFont()
        bold.setBold(True)
        for alert in alerts:
            item = QListWidgetItem(_line(alert))
            item.setToolTip(
                f"<b>{html.escape(alert.title)}</b><br>"
                + html.escape(alert.body).replace("\n", "<br>")
            )
            if alert.unread:
                item.setFont(bold)
            self.list.addItem(item)
        if not alerts:
            self.list.addItem("No alerts.")
        layout.addWidget(self.list, 1)
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.details.setObjectName("alertDetails")
        layout.addWidget(self.details)
        self.list.currentRowChanged.connect(
            lambda row: self.details.setText(
                f"{alerts[row].title}\n{alerts[row].body}" if 0 <= row < len(alerts) else ""
            )
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.mark_button = QPushButton("Mark all read")
        self.mark_button.setObjectName("markAllRead")
        self.mark_button.setEnabled(unread > 0)
        buttons.addButton(self.mark_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.mark_button.clicked.connect(self._mark_all)
        layout.addWidget(buttons)

    def _mark_all(self) -> None:
        self.mark_button.setEnabled(False)
        self.ctx.run(
            mark_read_for,
            self.ctx.registry.actor,
            key="alerts-mark-read",
            on_result=self._after_marking,
        )

    def _after_marking(self, count: int) -> None:
        self.header.setText(f"{count} alert(s) marked read")
        bold = QFont()
        for row in range(self.list.count()):
            self.list.item(row).setFont(bold)
        self.marked.emit(count)


class AlertsBell(QToolButton):
    """A tool button with the unread count; opens :class:`AlertsDialog`."""

    counted = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("alertsBell")
        self.setAutoRaise(True)
        self._draw_icon()
        self.setIconSize(QSize(16, 16))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.alerts: list[AlertRow] = []
        self.unread = 0
        self._set(0)
        self.clicked.connect(self.open_list)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        ctx.registryChanged.connect(self.refresh)
        ctx.versionChanged.connect(lambda _m, _n: self.refresh())
        self.dialog: AlertsDialog | None = None
        self.refresh()

    def _draw_icon(self) -> None:
        self.setIcon(bell_icon(self.palette().color(QPalette.ColorRole.WindowText)))

    def changeEvent(self, event: QEvent) -> None:
        """Redraw the bell in the new text colour when the theme changes."""
        if event.type() == QEvent.Type.PaletteChange:
            self._draw_icon()
        super().changeEvent(event)

    def _set(self, count: int) -> None:
        self.unread = count
        self.setText(str(count) if count else "")
        self.setAccessibleName(f"Alerts: {count} unread" if count else "Alerts: none unread")
        self.setToolTip(f"{count} unread alert(s)" if count else "No unread alerts")

    def refresh(self) -> None:
        """Read the count and the latest alerts in a worker."""
        self.ctx.read(
            bell, self.ctx.registry.actor, key=f"alerts-bell-{id(self)}", on_result=self._show
        )

    def _show(self, result: tuple[int, list[AlertRow]]) -> None:
        count, self.alerts = result
        self._set(count)
        self.counted.emit(count)

    def open_list(self) -> None:
        """Show the person's alerts."""
        self.dialog = AlertsDialog(self.ctx, self.alerts, self.window())
        self.dialog.marked.connect(lambda _n: self.refresh())
        self.dialog.show()
