"""The version page's tabs, registered in one list so each part plugs in with one entry.

The tab contract::

    class SomeTab(QWidget):
        def __init__(self, ctx: AppContext, parent: QWidget | None = None): ...
        def show_version(self, model: str, number: int) -> None: ...  # loads via ctx's worker

Each entry's factory imports its tab's module when the tab is first shown (so a heavy part such
as the notebook view costs nothing until it is needed), with an ordinary ``import`` that tools
can follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from signoff.ui.widgets.part_loader import PartFactory

if TYPE_CHECKING:
    from signoff.ui.services.context import AppContext


@dataclass(frozen=True)
class TabSpec:
    """A version-page tab: its title and how to build it."""

    title: str
    build: PartFactory


def _overview(ctx: AppContext, parent: QWidget | None) -> QWidget:
    from signoff.ui.version.overview_tab import OverviewTab

    return OverviewTab(ctx, parent)


def _release_notes(ctx: AppContext, parent: QWidget | None) -> QWidget:
    from signoff.ui.version.release_notes_tab import ReleaseNotesTab

    return ReleaseNotesTab(ctx, parent)


def _notebook(ctx: AppContext, parent: QWidget | None) -> QWidget:
    from signoff.ui.version.notebook_tab import NotebookTab

    return NotebookTab(ctx, parent)


def _metrics(ctx: AppContext, parent: QWidget | None) -> QWidget:
    from signoff.ui.version.metrics_tab import MetricsTab

    return MetricsTab(ctx, parent)


def _approvals(ctx: AppContext, parent: QWidget | None) -> QWidget:
    from signoff.ui.version.approvals_tab import ApprovalsTab

    return ApprovalsTab(ctx, parent)


def _findings(ctx: AppContext, parent: QWidget | None) -> QWidget:
    from signoff.ui.version.findings_tab import FindingsTab

    return FindingsTab(ctx, parent)


def _card(ctx: AppContext, parent: QWidget | None) -> QWidget:
    from signoff.ui.version.card_tab import CardTab

    return CardTab(ctx, parent)


def _runs(ctx: AppContext, parent: QWidget | None) -> QWidget:
    from signoff.ui.version.runs_tab import RunsTab

    return RunsTab(ctx, parent)


def _audit(ctx: AppContext, parent: QWidget | None) -> QWidget:
    from signoff.ui.version.audit_tab import AuditTab

    return AuditTab(ctx, parent)


VERSION_TABS: list[TabSpec] = [
    TabSpec("Overview", _overview),
    TabSpec("Release notes", _release_notes),
    TabSpec("Notebook", _notebook),
    TabSpec("Metrics", _metrics),
    TabSpec("Approvals", _approvals),
    TabSpec("Findings", _findings),
    TabSpec("Model card", _card),
    TabSpec("Runs & monitoring", _runs),
    TabSpec("Audit", _audit),
]
