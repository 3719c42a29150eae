"""The Model risk area: the revalidation dashboard (what falls due, overdue conditions, and
signing "revalidated") and the attestation periods, on two tabs; both reload when the registry
changes or the acting person does."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from signoff.ui.risk.attestation_panel import AttestationPanel
from signoff.ui.risk.revalidation_panel import RevalidationPanel
from signoff.ui.services.context import AppContext


class ModelRiskPage(QWidget):
    """Revalidation and Attestations tabs."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("modelRiskTabs")
        self.tabs.setDocumentMode(True)
        self.revalidation = RevalidationPanel(ctx)
        self.attestations = AttestationPanel(ctx)
        self.tabs.addTab(self.revalidation, "Revalidation")
        self.tabs.addTab(self.attestations, "Attestations")
        layout.addWidget(self.tabs, 1)
        ctx.registryChanged.connect(self.reload)
        self.reload()

    def activate(self) -> None:
        """Shown again: read both tabs afresh."""
        self.reload()

    def reload(self) -> None:
        self.revalidation.reload()
        self.attestations.reload()

    def show_tab(self, title: str) -> QWidget:
        """Switch to the tab titled *title* (Revalidation, Attestations) and return it."""
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i) == title:
                self.tabs.setCurrentIndex(i)
                break
        return self.tabs.currentWidget()
