"""The version page's tabs, registered in one list so each part plugs in with one line.

The tab contract::

    class SomeTab(QWidget):
        def __init__(self, ctx: AppContext, parent: QWidget | None = None): ...
        def show_version(self, model: str, number: int) -> None: ...  # loads via ctx's worker

A tab is named by ``"module:Class"`` and imported lazily. While its module does not exist yet,
the tab shows its *empty_text* so the page says what will appear there instead of looking
broken; if the module exists but fails to import, the tab shows the error (and it is logged).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from signoff.ui.common import EmptyState

if TYPE_CHECKING:
    from signoff.ui.context import AppContext

log = logging.getLogger("signoff.ui")


@dataclass(frozen=True)
class TabSpec:
    """A version-page tab: title, ``module:Class`` to build it, and what it will show."""

    title: str
    target: str
    empty_text: str


VERSION_TABS: list[TabSpec] = [
    TabSpec("Overview", "signoff.ui.version_overview:OverviewTab",
            "Metadata, state, manifest hash and the versioning dimensions."),
    TabSpec("Release notes", "signoff.ui.documents.release_notes_tab:ReleaseNotesTab",
            "The version's release notes, rendered offline from Markdown, will appear here."),
    TabSpec("Notebook", "signoff.ui.documents.notebook_tab:NotebookTab",
            "The development notebook, rendered offline with its outputs (no code runs), "
            "will appear here."),
    TabSpec("Metrics", "signoff.ui.metrics_tab:MetricsTab",
            "Development metrics compared with the version in production, with charts, "
            "will appear here."),
    TabSpec("Approvals", "signoff.ui.approvals_tab:ApprovalsTab",
            "The two approval gates, the roles that must sign, signed decisions and the "
            "deployment-check evidence will appear here."),
    TabSpec("Runs & monitoring", "signoff.ui.runs_tab:RunsTab",
            "Scoring runs reported by the factory, and live performance against actual "
            "outcomes, will appear here."),
    TabSpec("Audit", "signoff.ui.audit_tab:AuditTab",
            "Every audited event for this version, with the hash chain's verdict, will "
            "appear here."),
]


class PlaceholderTab(EmptyState):
    """Stands in for a tab (or area) whose part has not been built yet; obeys the contract."""

    def __init__(self, ctx: AppContext | None, title: str, text: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, text, parent)
        self.ctx = ctx

    def show_version(self, model: str, number: int) -> None:
        """Nothing to load."""


def load_class(target: str) -> type | None:
    """Import ``module:Class``; None when the module is not there yet (other errors raise)."""
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            return None
        raise
    return getattr(module, class_name)


def build_widget(ctx: AppContext, title: str, target: str, empty_text: str,
                 parent: QWidget | None = None) -> QWidget:
    """Build the widget for a tab or area spec, or a placeholder / error panel."""
    try:
        cls = load_class(target)
    except Exception as exc:  # noqa: BLE001 - a broken part must not take the window down
        log.exception("could not load %s", target)
        return PlaceholderTab(ctx, title, f"This part failed to load: {exc}", parent)
    if cls is None:
        return PlaceholderTab(ctx, title, empty_text, parent)
    try:
        return cls(ctx, parent)
    except Exception as exc:  # noqa: BLE001
        log.exception("could not build %s", target)
        return PlaceholderTab(ctx, title, f"This part failed to start: {exc}", parent)


def build_version_tabs(ctx: AppContext, parent: QWidget | None = None
                       ) -> list[tuple[TabSpec, QWidget]]:
    """One widget per registered version tab, in order."""
    return [(spec, build_widget(ctx, spec.title, spec.target, spec.empty_text, parent))
            for spec in VERSION_TABS]
