"""The side bar's areas, registered in one list so each part plugs in with one line.

The area contract::

    class SomeArea(QWidget):
        def __init__(self, ctx: AppContext, parent: QWidget | None = None): ...

An area listens to ``ctx.registryChanged`` to reload, and may implement ``activate()``
(called each time the area is shown). Areas are named by ``"module:Class"`` and imported
lazily; a missing module shows the area's *empty_text* (see :mod:`signoff.ui.tabs`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AreaSpec:
    """A side-bar area: key, title, icon theme name, ``module:Class``, what it will show."""

    key: str
    title: str
    icon: str
    target: str
    empty_text: str


AREAS: list[AreaSpec] = [
    AreaSpec("inventory", "Inventory", "view-list-details",
             "signoff.ui.inventory_page:InventoryPage",
             "Every model in the registry, searchable and filterable."),
    AreaSpec("reviews", "My reviews", "mail-mark-task",
             "signoff.ui.reviews_page:ReviewsPage",
             "Versions waiting for your signature, oldest first, with what each gate still "
             "needs, will appear here."),
    AreaSpec("monitoring", "Monitoring", "utilities-system-monitor",
             "signoff.ui.monitoring_page:MonitoringPage",
             "Live models' performance against actual outcomes, drift and staleness "
             "alerts will appear here."),
    AreaSpec("audit", "Audit", "document-properties",
             "signoff.ui.audit_page:AuditPage",
             "The tamper-evident audit trail and audit reproduction (pick a customer's past "
             "result, re-run it, compare) will appear here."),
    AreaSpec("consumers", "Consumers", "network-server",
             "signoff.ui.consumers_page:ConsumersPage",
             "The processes and teams that consume each model, their pinned versions and "
             "notification delivery will appear here."),
]
