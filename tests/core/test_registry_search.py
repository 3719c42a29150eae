"""The global search's queries, and the inventory search that finds a business unit."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from signoff.core.catalog.inventory import InventoryQuery, inventory
from signoff.core.catalog.search import prediction_dates, search_registry
from signoff.core.governance.people import save_person
from tests.helpers.browse import build_browse_registry
from tests.helpers.reproduction import publish_scored_customers


def test_models_versions_people_and_consumers_are_found(registry, tmp_path: Path) -> None:
    build_browse_registry(registry, tmp_path / "folders")
    with registry.write() as s:
        save_person(s, "vera", actor="vera", display_name="Vera Validator", roles=["validator"])
    with registry.read() as s:
        hits = search_registry(s, "credit")
        assert [h.kind for h in hits][:1] == ["model"]
        assert hits[0].title == "credit-risk" and hits[0].model == "credit-risk"
        versions = [h for h in hits if h.kind == "version"]
        assert [h.title for h in versions] == ["credit-risk v3", "credit-risk v2", "credit-risk v1"]
        assert versions[0].number == 3 and "in review" in versions[0].detail
        one = search_registry(s, "credit-risk v2")
        assert [(h.kind, h.number) for h in one if h.kind == "version"] == [("version", 2)]
        people = [h for h in search_registry(s, "validator") if h.kind == "person"]
        assert [(h.title, h.key) for h in people] == [("Vera Validator", "vera")]
        assert "validator" in people[0].detail
        consumers = [h for h in search_registry(s, "loan") if h.kind == "consumer"]
        assert [(h.title, h.model) for h in consumers] == [("loan-origination", "credit-risk")]
        assert search_registry(s, "c") == []  # one letter would match everything
        assert search_registry(s, "no-such-thing-anywhere") == []


def test_prediction_subjects_are_found_by_prefix_newest_first(registry, tmp_path: Path) -> None:
    publish_scored_customers(registry, tmp_path)
    with registry.read() as s:
        subjects = [h.title for h in search_registry(s, "C-10") if h.kind == "subject"]
        assert subjects == ["C-1002", "C-1001"]
        first, last = prediction_dates(s)
    assert isinstance(first, datetime) and isinstance(last, datetime) and first <= last


def test_an_empty_registry_has_no_prediction_dates(registry) -> None:
    with registry.read() as s:
        assert prediction_dates(s) == (None, None)


def test_inventory_search_matches_the_business_unit(registry, tmp_path: Path) -> None:
    """credit-risk's business unit is "Retail credit": no name, title, owner or tag says
    "retail", so only the business unit can match it."""
    build_browse_registry(registry, tmp_path / "folders")
    with registry.read() as s:
        found = inventory(s, InventoryQuery(search="retail", limit=None))
        both = inventory(s, InventoryQuery(search="retail scorecard", limit=None))
    assert {r.name for r in found} == {"credit-risk"}
    assert {r.business_unit for r in found} == {"Retail credit"}
    assert {r.name for r in both} == {"credit-risk"}  # every word must match, anywhere
