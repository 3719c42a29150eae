"""The one table of words: states, gates, roles and counts as a person reads them."""

from __future__ import annotations

import pytest

from signoff.core.catalog import words
from signoff.core.db import lifecycle as lc
from signoff.core.db.schema import ROLES, STATES
from signoff.core.governance.outcome import Outcome


def test_every_stored_token_has_words_without_underscores() -> None:
    for state in STATES:
        assert "_" not in words.state_word(state)
    for role in ROLES:
        assert "_" not in words.role_word(role)
    for check in lc.CHECKS:
        assert "_" not in words.check_word(check)


def test_action_and_gate_titles_come_from_the_lifecycle_declaration() -> None:
    assert words.action_word("submit") == lc.ACTIONS["submit"].title == "Submit for review"
    assert words.gate_word("production_use") == lc.GATE_TITLES["production_use"]
    assert words.GATE_SHORT_WORDS["go_live"] == "go-live gate"


@pytest.mark.parametrize(
    ("n", "noun", "said"),
    [
        (0, "model", "0 models"),
        (1, "model", "1 model"),
        (2, "version", "2 versions"),
        (1204, "prediction", "1,204 predictions"),
        (1, "match", "1 match"),
        (3, "match", "3 matches"),
        (2, "person", "2 people"),
        (2, "policy", "2 policies"),
        (2, "day", "2 days"),
    ],
)
def test_counts_say_their_plural_right(n: int, noun: str, said: str) -> None:
    assert words.count(n, noun) == said


def test_listing_joins_as_a_sentence() -> None:
    assert words.listing([]) == ""
    assert words.listing(["a"]) == "a"
    assert words.listing(["a", "b"]) == "a and b"
    assert words.listing(["a", "b", "c"], "or") == "a, b or c"
    assert words.roles_in_words(["validator", "business_owner"]) == "validator and business owner"


def test_tokens_inside_a_message_become_words_but_not_inside_other_words() -> None:
    said = words.in_words(
        "cannot approve: it is in_review; the gate needs business_owner; in_review_since stays"
    )
    assert said == (
        "cannot approve: it is in review; the gate needs business owner; in_review_since stays"
    )
    assert words.in_words("the production_use gate") == "the approval for production use gate"


def test_the_built_in_policy_is_not_called_revision_0() -> None:
    assert words.policy_words("high", 0) == "the built-in high-tier policy"
    assert words.policy_words("low", 3) == "revision 3 of the low-tier policy"


def test_a_decision_outcome_reads_in_words() -> None:
    kept = Outcome("approve", "credit", 3, "in_review", "in_review", 7, role="business_owner")
    assert kept.describe() == "credit v3: Approve as business owner (still in review)"
    moved = Outcome("approve", "credit", 3, "in_review", "approved", 8, gate_complete=True)
    assert moved.describe() == "credit v3: Approve (in review → approved; gate complete)"
