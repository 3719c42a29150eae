"""The version page: a header naming the version and its state, and the registered tabs.

Tabs load lazily: only the visible tab is asked to ``show_version``; another tab is asked when
it is first shown for this version. This keeps heavy tabs (a rendered notebook) off the path of
someone who only wants the overview.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from signoff.ui.context import AppContext
from signoff.ui.tabs import build_version_tabs


class VersionPage(QWidget):
    """One version of a model, its tabs filled by the parts registered in ``ui.tabs``."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = ""
        self.number = 0
        self._shown: dict[int, tuple[str, int]] = {}
        layout = QVBoxLayout(self)
        self.title = QLabel("")
        self.title.setObjectName("pageTitle")
        layout.addWidget(self.title)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("versionTabs")
        self.tabs.setDocumentMode(True)
        self.tab_widgets: dict[str, QWidget] = {}
        for spec, widget in build_version_tabs(ctx, self):
            self.tabs.addTab(widget, spec.title.replace("&", "&&"))
            self.tab_widgets[spec.title] = widget
        layout.addWidget(self.tabs, 1)
        self.tabs.currentChanged.connect(self._load_current)
        ctx.versionChanged.connect(self._version_changed)
        ctx.registryChanged.connect(self.reload)

    def show_version(self, model: str, number: int, tab: str | None = None) -> None:
        """Show *model* v*number*, optionally switching to the tab titled *tab*."""
        self.model, self.number = model, number
        self.title.setText(f"{model} <span style='color:gray'>v{number}</span>")
        self._shown.clear()
        if tab is not None and tab in self.tab_widgets:
            self.tabs.setCurrentWidget(self.tab_widgets[tab])
        self._load_current()

    def reload(self) -> None:
        if self.model:
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
        widget = self.tabs.widget(index)
        show = getattr(widget, "show_version", None)
        if callable(show):
            show(self.model, self.number)
