"""Help › Guide (a short built-in guide per area, offline) and Help › Keyboard shortcuts.

The guide's pages are plain Markdown files shipped in ``resources/guide`` (``01-start.md`` …),
shown with Qt's own Markdown support: nothing is fetched, nothing runs. The shortcut list is
read from the window's own actions, so it cannot drift from what the keys do, plus the keys of
widgets that have no menu entry (find in a document, zoom).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QListWidget,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from signoff.ui.services.resources import read_text, resource

#: the guide page for each side-bar area and page kind
PAGE_FOR = {
    "start": "01-start.md",
    "inventory": "02-inventory.md",
    "reviews": "03-reviews.md",
    "version": "04-version.md",
    "model": "04-version.md",
    "compare": "04-version.md",
    "monitoring": "05-monitoring.md",
    "audit": "06-audit.md",
    "consumers": "07-consumers.md",
    "risk": "08-model-risk.md",
}
#: keys that belong to widgets rather than menu entries
WIDGET_SHORTCUTS = (
    ("Find in a notebook or release notes", "Ctrl+F"),
    ("Next / previous match", "F3 / Shift+F3"),
    ("Zoom a document in / out / back to 100%", "Ctrl++ / Ctrl+- / Ctrl+0"),
    ("Open the selected row", "Enter or double-click"),
    ("Reproduce the selected prediction (Audit)", "Enter or double-click"),
)


@dataclass(frozen=True)
class GuidePage:
    """One page of the guide: its file, title and Markdown text."""

    name: str
    title: str
    text: str


def guide_pages() -> list[GuidePage]:
    """Every page of the built-in guide, in order (read from the shipped files)."""
    folder = resource("guide")
    pages = []
    for node in sorted(folder.iterdir(), key=lambda n: n.name):
        if not node.name.endswith(".md"):
            continue
        text = read_text("guide", node.name)
        first = text.splitlines()[0] if text else node.name
        pages.append(GuidePage(node.name, first.lstrip("# ").strip(), text))
    return pages


class GuideDialog(QDialog):
    """The guide: topics on the left, the chosen page on the right."""

    def __init__(self, topic: str = "start", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guideDialog")
        self.setWindowTitle("Signoff guide")
        self.resize(820, 560)
        self.pages = guide_pages()
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.topics = QListWidget()
        self.topics.setObjectName("guideTopics")
        self.topics.addItems([p.title for p in self.pages])
        self.topics.setMaximumWidth(200)
        self.text = QTextBrowser()
        self.text.setObjectName("guideText")
        self.text.setOpenLinks(False)  # the guide has no links to follow
        row.addWidget(self.topics)
        row.addWidget(self.text, 1)
        layout.addLayout(row, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.topics.currentRowChanged.connect(self._show)
        self.show_topic(topic)

    def show_topic(self, topic: str) -> None:
        """Show the page for *topic* (an area key or page kind; the start page otherwise)."""
        name = PAGE_FOR.get(topic, PAGE_FOR["start"])
        row = next((i for i, p in enumerate(self.pages) if p.name == name), 0)
        self.topics.setCurrentRow(row)
        self._show(row)

    def _show(self, row: int) -> None:
        if 0 <= row < len(self.pages):
            self.text.setMarkdown(self.pages[row].text)

    def current_title(self) -> str:
        row = self.topics.currentRow()
        return self.pages[row].title if 0 <= row < len(self.pages) else ""


def shortcut_rows(actions: list[QAction]) -> list[tuple[str, str]]:
    """(what, keys) for every action with a shortcut, then the widgets' own keys."""
    rows = []
    for action in actions:
        keys = action.shortcut()
        if keys.isEmpty():
            continue
        what = action.text().replace("&", "").rstrip("…")
        rows.append((what, keys.toString(QKeySequence.SequenceFormat.NativeText)))
    return rows + list(WIDGET_SHORTCUTS)


class ShortcutsDialog(QDialog):
    """Every keyboard shortcut of the window in one table."""

    def __init__(self, actions: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(560, 520)
        layout = QVBoxLayout(self)
        rows = shortcut_rows(actions)
        self.table = QTableWidget(len(rows), 2)
        self.table.setObjectName("shortcutsTable")
        self.table.setHorizontalHeaderLabels(["Action", "Keys"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, (what, keys) in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(what))
            item = QTableWidgetItem(keys)
            item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(r, 1, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def rows(self) -> list[tuple[str, str]]:
        return [(self._text(r, 0), self._text(r, 1)) for r in range(self.table.rowCount())]

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""
