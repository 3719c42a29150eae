"""The version page: a header naming the version and its state, and the registered tabs.

Tabs are built and loaded lazily: a tab's widget is created the first time it is shown (so a
heavy part such as a rendered notebook costs nothing at start-up), and only the visible tab is
asked to ``show_version``; another tab is asked when it is first shown for this version.
"""

from __future__ import annotations

import html

from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from signoff.core.catalog import version_page
from signoff.core.catalog.version_page import VersionHeader
from signoff.core.catalog.words import state_word
from signoff.ui.services.context import AppContext
from signoff.ui.version.version_tabs import VERSION_TABS, TabSpec
from signoff.ui.widgets.part_loader import build_part


class _TabSlot(QWidget):
    """Holds a tab's place until its widget is built."""

    def __init__(self, spec: TabSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.widget: QWidget | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    def build(self, ctx: AppContext) -> QWidget:
        if self.widget is None:
            self.widget = build_part(ctx, self.spec.title, self.spec.build, self)
            layout = self.layout()
            assert layout is not None  # set in __init__
            layout.addWidget(self.widget)
        return self.widget


class VersionPage(QWidget):
    """One version of a model; its tabs are the parts in :mod:`~signoff.ui.version.version_tabs`."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = ""
        self.number = 0
        self._shown: dict[int, tuple[str, int]] = {}
        layout = QVBoxLayout(self)
        self.header: VersionHeader | None = None
        top = QHBoxLayout()
        self.title = QLabel("")
        self.title.setObjectName("pageTitle")
        self.compare_button = QPushButton("Compare…")
        self.compare_button.setObjectName("compareWith")
        self.compare_button.setEnabled(False)
        self.compare_button.clicked.connect(self.compare_with_natural)
        top.addWidget(self.title, 1)
        top.addWidget(self.compare_button)
        layout.addLayout(top)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("versionTabs")
        self.tabs.setDocumentMode(True)
        self.slots: dict[str, _TabSlot] = {}
        for spec in VERSION_TABS:
            slot = _TabSlot(spec)
            self.tabs.addTab(slot, spec.title.replace("&", "&&"))
            self.slots[spec.title] = slot
        layout.addWidget(self.tabs, 1)
        self.tabs.currentChanged.connect(self._load_current)
        ctx.versionChanged.connect(self._version_changed)
        ctx.registryChanged.connect(self.reload)

    def tab_widget(self, title: str) -> QWidget:
        """The widget of the tab titled *title* (built now if it was not yet)."""
        return self.slots[title].build(self.ctx)

    def show_tab(self, title: str) -> QWidget:
        """Switch to the tab titled *title* and return its widget."""
        self.tabs.setCurrentWidget(self.slots[title])
        return self.tab_widget(title)

    def show_version(self, model: str, number: int, tab: str | None = None) -> None:
        """Show *model* v*number*, optionally switching to the tab titled *tab*."""
        self.model, self.number = model, number
        self.title.setText(f"{html.escape(model)} <span style='color:gray'>v{number}</span>")
        self.header = None
        self.compare_button.setEnabled(False)
        self.compare_button.setText("Compare…")
        self.ctx.read(
            version_page.version_header,
            model,
            number,
            key="version-header",
            on_result=self._show_header,
        )
        self._shown.clear()
        if tab is not None and tab in self.slots:
            self.tabs.setCurrentWidget(self.slots[tab])
        self._load_current()

    def _show_header(self, header: VersionHeader) -> None:
        if (header.model, header.number) != (self.model, self.number):
            return
        self.header = header
        state = state_word(header.state)
        self.title.setText(
            f"{html.escape(header.model)} <span style='color:gray'>v{header.number}</span>"
            f" <span style='font-size:11pt'>· {html.escape(state)} · "
            f"{html.escape(header.model_title)}</span>"
        )
        other = header.compare_with
        self.compare_button.setEnabled(other is not None)
        if other is not None:
            which = "live " if other == header.live else ""
            self.compare_button.setText(f"Compare with {which}v{other}")

    def compare_with_natural(self) -> None:
        """Compare this version with the live one (or the previous one)."""
        if self.header is not None and self.header.compare_with is not None:
            self.ctx.compareRequested.emit(self.model, [self.header.compare_with, self.number])

    def print_page(self, printer: QPrinter | None = None) -> bool:
        """File › Print on a version: the document on the tab shown (notebook, release notes),
        else its approval sheet."""
        slot = self.tabs.currentWidget()
        shown = slot.widget if isinstance(slot, _TabSlot) else slot
        print_document = getattr(shown, "print_page", None)
        if callable(print_document):
            return bool(print_document(printer))
        approvals = self.tab_widget("Approvals")
        print_sheet = getattr(approvals, "print_sheet", None)
        if callable(print_sheet) and getattr(approvals, "status", None) is not None:
            return bool(print_sheet(printer))
        self.show_tab("Approvals")
        return False

    def reload(self) -> None:
        if self.model:
            self.ctx.read(
                version_page.version_header,
                self.model,
                self.number,
                key="version-header",
                on_result=self._show_header,
            )
            self._shown.clear()
            self._load_current()

    def _version_changed(self, model: str, number: int) -> None:
        if (model, number) == (self.model, self.number):
            self.reload()

    def _load_current(self, *_args: object) -> None:
        index = self.tabs.currentIndex()
        if index < 0 or not self.model:
            return
        if self._shown.get(index) == (self.model, self.number):
            return
        self._shown[index] = (self.model, self.number)
        slot = self.tabs.widget(index)
        widget = slot.build(self.ctx) if isinstance(slot, _TabSlot) else slot
        show = getattr(widget, "show_version", None)
        if callable(show):
            show(self.model, self.number)
