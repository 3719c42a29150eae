"""The global search (Ctrl+K): models, versions, people, consumers and prediction subjects.

Typing runs :func:`signoff.core.catalog.search.search_registry` in a worker (a new keystroke
cancels the last query through the task key, after a short pause so every letter is not a
query); Enter or a double-click goes where the hit leads: a model or version page, the
inventory of a person's models, the Consumers area, or the Audit area searching a subject.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from signoff.core.catalog.search import KIND_TITLES, KINDS, Hit, search_registry
from signoff.core.catalog.words import count
from signoff.ui.services.context import AppContext

HIT_ROLE = Qt.ItemDataRole.UserRole + 1
PAUSE_MS = 150


class GlobalSearch(QDialog):
    """A search box over the whole registry, with hits grouped by kind."""

    searched = Signal(int)  # hits shown
    chosen = Signal(object)  # the Hit opened

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("globalSearch")
        self.setWindowTitle("Search the registry")
        self.resize(640, 460)
        layout = QVBoxLayout(self)
        self.edit = QLineEdit()
        self.edit.setObjectName("globalSearchEdit")
        self.edit.setPlaceholderText(
            "Model, version (credit-risk v3), person, consumer or subject key…"
        )
        self.edit.setClearButtonEnabled(True)
        layout.addWidget(self.edit)
        self.results = QListWidget()
        self.results.setObjectName("globalSearchResults")
        self.results.setWordWrap(True)
        layout.addWidget(self.results, 1)
        self.status = QLabel("Type at least two letters.")
        self.status.setObjectName("globalSearchStatus")
        layout.addWidget(self.status)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(PAUSE_MS)
        self.timer.timeout.connect(self.search_now)
        self.edit.textChanged.connect(lambda _t: self.timer.start())
        self.edit.returnPressed.connect(self.open_current)
        self.results.itemActivated.connect(lambda item: self.open_item(item))
        self.hits: list[Hit] = []

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        # arrows move through the hits while the typing stays in the box
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.results.count():
            step = 1 if event.key() == Qt.Key.Key_Down else -1
            row = self._next_hit_row(self.results.currentRow(), step)
            if row is not None:
                self.results.setCurrentRow(row)
            return
        super().keyPressEvent(event)

    def _next_hit_row(self, row: int, step: int) -> int | None:
        row += step
        while 0 <= row < self.results.count():
            if self.results.item(row).data(HIT_ROLE) is not None:
                return row
            row += step
        return None

    def search_now(self) -> None:
        """Ask the worker for the hits of the text typed (cancelling the last question)."""
        text = self.edit.text()
        if len(text.strip()) < 2:
            self._show(text, [])
            return
        self.status.setText("Searching…")
        self.ctx.read(
            search_registry,
            text,
            key="global-search",
            priority=5,
            on_result=lambda hits: self._show(text, hits),
            on_error=lambda exc: self.status.setText(f"Search failed: {exc}"),
        )

    def _show(self, text: str, hits: list[Hit]) -> None:
        if text != self.edit.text():
            return
        self.hits = hits
        self.results.clear()
        bold = QFont(self.results.font())
        bold.setBold(True)
        for kind in KINDS:
            of_kind = [h for h in hits if h.kind == kind]
            if not of_kind:
                continue
            heading = QListWidgetItem(KIND_TITLES[kind])
            heading.setFlags(Qt.ItemFlag.NoItemFlags)
            heading.setFont(bold)
            self.results.addItem(heading)
            for hit in of_kind:
                item = QListWidgetItem(f"{hit.title}\n    {hit.detail}")
                item.setData(HIT_ROLE, hit)
                item.setToolTip(html.escape(hit.detail))
                self.results.addItem(item)
        first = self._next_hit_row(-1, 1)
        if first is not None:
            self.results.setCurrentRow(first)
        if len(text.strip()) < 2:
            self.status.setText("Type at least two letters.")
        elif not hits:
            self.status.setText("Nothing matches.")
        else:
            self.status.setText(f"{count(len(hits), 'match')} — Enter opens the highlighted one")
        self.searched.emit(len(hits))

    def hit_titles(self) -> list[str]:
        """The titles of the hits shown, in order (for tests and screen readers)."""
        return [h.title for h in self.hits]

    def open_current(self) -> None:
        item = self.results.currentItem()
        if item is not None:
            self.open_item(item)

    def open_item(self, item: QListWidgetItem) -> None:
        """Go where the hit on *item* leads, and close the search."""
        hit = item.data(HIT_ROLE)
        if not isinstance(hit, Hit):
            return
        self.open_hit(hit)

    def open_hit(self, hit: Hit) -> None:
        """Go where *hit* leads, and close the search."""
        if hit.kind == "version":
            self.ctx.openVersionRequested.emit(hit.model, hit.number)
        elif hit.kind == "model":
            self.ctx.openModelRequested.emit(hit.model)
        elif hit.kind == "person":
            self.ctx.openAreaRequested.emit("inventory", hit.key)
        elif hit.kind == "consumer":
            self.ctx.openAreaRequested.emit("consumers", hit.key)
        elif hit.kind == "subject":
            self.ctx.openAreaRequested.emit("audit", hit.key)
        self.chosen.emit(hit)
        self.accept()
