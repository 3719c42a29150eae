"""Signing a decision through the core, as the desktop's dialog does, on the embedded registry."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from signoff.core.catalog.lookup import get_version
from signoff.core.common.errors import ConcurrentChangeError, TransitionError
from signoff.core.db.schema import Decision
from signoff.core.governance.signing import DecisionRequest, sign_decision
from signoff.core.governance.workflow import run_transition
from tests.helpers.workflow import add_people, publish_version


@pytest.fixture
def in_review(registry, tmp_path):
    add_people(registry)
    publish_version(registry, tmp_path)
    run_transition(registry, "submit", "credit", 1, actor="alice")
    registry.set_actor_for_embedded("val")
    return registry


def row_version(registry) -> int:
    with registry.read() as s:
        return get_version(s, "credit", 1).row_version


def decisions(registry) -> list[tuple[str, str, str]]:
    with registry.read() as s:
        return [(d.action, d.actor, d.comment) for d in s.scalars(select(Decision))]


def test_a_decision_is_signed_as_the_signed_in_person(in_review) -> None:
    request = DecisionRequest("approve", "validator", "AUC stable", password=None)
    outcome = sign_decision(in_review, "credit", 1, request, row_version(in_review), None)
    assert outcome.describe()
    assert decisions(in_review)[-1] == ("approve", "val", "AUC stable")


def test_a_version_changed_meanwhile_is_not_signed(in_review) -> None:
    seen = row_version(in_review)
    run_transition(in_review, "request_changes", "credit", 1, actor="biz", comment="fix docs")
    before = decisions(in_review)
    request = DecisionRequest("approve", "validator", "", password=None)
    with pytest.raises(ConcurrentChangeError):
        sign_decision(in_review, "credit", 1, request, seen, None)
    assert decisions(in_review) == before


def test_a_decision_the_rules_refuse_names_the_reason(in_review) -> None:
    in_review.set_actor_for_embedded("alice")  # the author never signs her own version
    request = DecisionRequest("approve", "validator", "", password=None)
    with pytest.raises(TransitionError):
        sign_decision(in_review, "credit", 1, request, row_version(in_review), None)
    assert [d[0] for d in decisions(in_review)] == ["submit"]
