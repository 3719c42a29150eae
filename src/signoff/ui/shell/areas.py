"""The side bar's areas, registered in one list so each part plugs in with one entry.

The area contract::

    class SomeArea(QWidget):
        def __init__(self, ctx: AppContext, parent: QWidget | None = None): ...

An area listens to ``ctx.registryChanged`` to reload, and may implement ``activate()`` (called
each time the area is shown). Each factory imports its area's module the first time the area is
shown, with an ordinary ``import`` that tools can follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from signoff.ui.widgets.part_loader import PartFactory

if TYPE_CHECKING:
    from signoff.ui.services.context import AppContext


@dataclass(frozen=True)
class AreaSpec:
    """A side-bar area: key, title, icon theme name, and how to build it."""

    key: str
    title: str
    icon: str
    build: PartFactory


def _inventory(ctx: AppContext, parent: QWidget | None) -> QWidget:
    from signoff.ui.inventory.inventory_page import InventoryPage

    return InventoryPage(ctx, parent)


def _reviews(ctx: AppContext, parent: QWidget | None) -> QWidget:
    from signoff.ui.reviews.reviews_page import ReviewsPage

    return ReviewsPage(ctx, parent)


def _monitoring(ctx: AppContext, parent: QWidget | None) -> QWidget:
    from signoff.ui.monitoring.monitoring_page import MonitoringPage

    return MonitoringPage(ctx, parent)


def _audit(ctx: AppContext, parent: QWidget | None) -> QWidget:
    from signoff.ui.audit.audit_page import AuditPage

    return AuditPage(ctx, parent)


def _consumers(ctx: AppContext, parent: QWidget | None) -> QWidget:
    from signoff.ui.consumers.consumers_page import ConsumersPage

    return ConsumersPage(ctx, parent)


def _model_risk(ctx: AppContext, parent: QWidget | None) -> QWidget:
    from signoff.ui.risk.risk_page import ModelRiskPage

    return ModelRiskPage(ctx, parent)


AREAS: list[AreaSpec] = [
    AreaSpec("inventory", "Inventory", "view-list-details", _inventory),
    AreaSpec("reviews", "My reviews", "mail-mark-task", _reviews),
    AreaSpec("monitoring", "Monitoring", "utilities-system-monitor", _monitoring),
    AreaSpec("audit", "Audit", "document-properties", _audit),
    AreaSpec("consumers", "Consumers", "network-server", _consumers),
    AreaSpec("risk", "Model risk", "dialog-warning", _model_risk),
]
