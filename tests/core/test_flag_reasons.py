"""Every raised flag says why, in words: the do-not-use flag names the version, the reason it
was marked and who still uses it (the Flags column's tooltip and the command line's JSON)."""

from __future__ import annotations

from signoff.core.catalog.inventory import InventoryQuery, inventory


def test_the_do_not_use_flag_names_the_version_the_reason_and_who_still_uses_it(
    demo_registry,
) -> None:
    with demo_registry.read() as session:
        rows = {r.name: r for r in inventory(session, InventoryQuery())}
    churn = rows["customer-churn"]
    assert churn.dnu_consumed
    reason = churn.flag_reasons()["dnu_consumed"]
    assert reason.startswith("Do not use, still consumed: v2 was marked do not use (")
    assert "target leakage" in reason
    assert reason.endswith("still used by retention-campaigns.")
    assert churn.to_json()["dnu_detail"] in reason
    # a model with nothing marked says nothing about it
    assert rows["credit-risk"].dnu_detail == ""
    assert "dnu_consumed" not in rows["credit-risk"].flag_reasons()
