"""The demo registry: its drifting model comes out stale, with its reasons, and only it."""

from __future__ import annotations

from datetime import datetime

from signoff.core.catalog import inventory
from signoff.core.monitoring.staleness import assess_all, evaluate_staleness

ANCHOR = datetime(2026, 11, 1)  # the demo's "today"


def test_demo_drifting_model_is_flagged_stale_with_its_reasons(demo_registry) -> None:
    results = {h.model: h for h in assess_all(demo_registry, now=ANCHOR)}
    live = {name for name, h in results.items() if h.live_version is not None}
    # card-fraud drifts; demand-forecast is past its revalidation date (the demo's policy)
    assert {name for name in live if results[name].stale} == {"card-fraud", "demand-forecast"}
    (overdue,) = results["demand-forecast"].reasons
    assert overdue.startswith("revalidation: demand-forecast v2 (medium, every 7 months)")
    fraud = results["card-fraud"]
    assert fraud.live_version == 2
    kinds = [r.split(":")[0] for r in fraud.reasons]
    assert kinds == ["performance", "drift"]
    assert fraud.reasons[0].startswith("performance: AUC was below baseline")
    assert "against the development reference outputs (200 scores)" in fraud.reasons[1]
    assert fraud.latest_value < fraud.baseline - 0.05
    # the demo build stored the verdict already: evaluating again changes nothing
    assert not any(h.changed for h in evaluate_staleness(demo_registry, now=ANCHOR))
    with demo_registry.read() as s:
        [row, _due] = inventory.inventory(s, inventory.InventoryQuery(flags=["stale"]))
    assert row.name == "card-fraud" and row.stale_reason == fraud.reason
