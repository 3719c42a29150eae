"""Races on the embedded SQLite database: two processes, forced to act at the same moment."""

from __future__ import annotations

import pytest

from signoff.core.catalog.lookup import get_version
from signoff.core.governance.workflow import note_evidence, run_transition
from tests.helpers.races import assert_one_winner, counts, race
from tests.helpers.workflow import ALL_CHECKS, add_evidence, add_people, publish_version

pytestmark = pytest.mark.slow


def db_of(registry) -> tuple[str, str]:
    return registry.location.db_url, str(registry.location.artifacts)


def test_approve_vs_reject_exactly_one_wins(registry, tmp_path) -> None:
    add_people(registry)
    publish_version(registry, tmp_path, tier="medium")  # one validator completes the gate
    run_transition(registry, "submit", "credit", 1, actor="alice")
    before = counts(registry)
    outcomes = race(
        *db_of(registry),
        [
            ("val", "approve", "credit", 1, {}),
            ("multi", "reject", "credit", 1, {"comment": "not convinced"}),
        ],
    )
    assert_one_winner(registry, outcomes, before)
    assert "changed since you loaded it" in outcomes[1][3]
    with registry.read() as s:
        assert get_version(s, "credit", 1).state == outcomes[0][3]


def test_two_go_lives_exactly_one_wins(registry, tmp_path) -> None:
    add_people(registry)
    for weights in ('{"a": 0.1, "b": 0.2}', '{"a": 0.3, "b": 0.2}'):
        publish_version(registry, tmp_path, weights=weights, tier="medium")
    for n in (1, 2):
        run_transition(registry, "submit", "credit", n, actor="alice")
        run_transition(registry, "approve", "credit", n, actor="val")
        add_evidence(registry, "credit", n, ALL_CHECKS)
        with registry.write() as s:
            note_evidence(s, "credit", n, actor="runner")
        run_transition(registry, "approve", "credit", n, actor="rel")
    with registry.write() as s:
        from signoff.core.governance.people import save_person

        save_person(s, "rel2", actor="root", roles=["release_manager"])
    before = counts(registry)
    outcomes = race(
        *db_of(registry),
        [("rel", "go_live", "credit", 1, {}), ("rel2", "go_live", "credit", 2, {})],
    )
    assert_one_winner(registry, outcomes, before)
    assert "live version of credit in production changed" in outcomes[1][3]
    with registry.read() as s:
        states = sorted(get_version(s, "credit", n).state for n in (1, 2))
        assert states == ["live", "ready"]
