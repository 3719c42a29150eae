"""The lifecycle: every transition allowed and refused, separation of duties, gates, go-live."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from signoff.core.audit.chain import verify_chain
from signoff.core.catalog.lookup import deployment_history, get_model, get_version, live_version_at
from signoff.core.common.errors import ConcurrentChangeError, TransitionError
from signoff.core.db.schema import AuditEvent, Decision, OutboxMessage
from signoff.core.governance.policy import PolicyError, current_policy, set_policy
from signoff.core.governance.workflow import check_allowed, note_evidence, run_transition
from tests.helpers.workflow import ALL_CHECKS, add_evidence, add_people, publish_version


@pytest.fixture
def reg(registry, tmp_path):
    add_people(registry)
    publish_version(registry, tmp_path)
    return registry


def act(reg, action, who, number=1, model="credit", **kw):
    return run_transition(reg, action, model, number, actor=who, **kw)


def state(reg, number=1, model="credit"):
    with reg.read() as s:
        return get_version(s, model, number).state


def to_ready(reg, number=1):
    act(reg, "submit", "alice", number)
    act(reg, "approve", "val", number)
    act(reg, "approve", "biz", number)
    add_evidence(reg, "credit", number, ALL_CHECKS)
    with reg.write() as s:
        note_evidence(s, "credit", number, actor="runner")
    assert state(reg, number) == "ready"


def test_full_lifecycle_to_live_and_history(reg, tmp_path) -> None:
    assert act(reg, "submit", "alice").state_after == "in_review"
    first = act(reg, "approve", "val")
    assert (first.role, first.gate_complete, first.state_after) == ("validator", False, "in_review")
    second = act(reg, "approve", "biz")
    assert (second.gate_complete, second.state_after) == (True, "approved")
    add_evidence(reg, "credit", 1, ["reference_outputs", "robustness"])
    with reg.write() as s:
        assert note_evidence(s, "credit", 1, actor="runner") is False  # environment missing
    add_evidence(reg, "credit", 1, ["environment"])
    with reg.write() as s:
        assert note_evidence(s, "credit", 1, actor="runner") is True
    assert state(reg) == "ready"
    act(reg, "approve", "rel")
    live = act(reg, "go_live", "rel")
    assert live.state_after == "live"
    # a second version supersedes the first
    publish_version(reg, tmp_path, weights='{"a": 0.2, "b": 0.1}')
    to_ready(reg, 2)
    act(reg, "approve", "rel", 2)
    act(reg, "go_live", "rel", 2)
    assert (state(reg, 1), state(reg, 2)) == ("superseded", "live")
    with reg.read() as s:
        periods = deployment_history(s, "credit")
        assert [(p.version.number, p.live_to is None) for p in periods] == [(1, False), (2, True)]
        assert live_version_at(s, "credit", periods[0].live_from).number == 1
        assert get_model(s, "credit").live_version == 2
        assert verify_chain(s).intact
    act(reg, "retire", "rel", 1)
    assert state(reg, 1) == "retired"


def test_signature_records_actor_time_meaning_and_manifest_hash(reg) -> None:
    act(reg, "submit", "alice")
    act(reg, "approve", "val", comment="metrics hold up")
    with reg.read() as s:
        v = get_version(s, "credit", 1)
        d = s.scalars(select(Decision).where(Decision.action == "approve")).one()
        assert (d.actor, d.role, d.gate, d.comment) == (
            "val",
            "validator",
            "production_use",
            "metrics hold up",
        )
        assert d.meaning == "Approved for production use, signed as validator"
        assert d.manifest_hash == v.manifest_hash and d.at is not None
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "decision.approve")).one()
        assert event.version_id == v.id and '"role":"validator"' in event.payload


@pytest.mark.parametrize(
    ("who", "action", "expected"),
    [
        ("val", "submit", "only its author"),
        ("alice", "approve", "it is draft; no approval gate is open"),
        ("alice", "go_live", "must be ready"),
        ("rel", "retire", "only a live or superseded version"),
        ("alice", "withdraw", "only a version in review"),
    ],
)
def test_refused_in_draft(reg, who, action, expected) -> None:
    with pytest.raises(TransitionError, match=expected):
        act(reg, action, who)
    assert state(reg) == "draft"


def test_author_never_signs_even_with_a_reviewer_role(reg) -> None:
    from signoff.core.governance.people import save_person

    with reg.write() as s:
        save_person(s, "alice", actor="root", roles=["author", "validator"])
    act(reg, "submit", "alice")
    with pytest.raises(TransitionError, match="author never signs"):
        act(reg, "approve", "alice")
    with pytest.raises(TransitionError, match="author never signs"):
        act(reg, "reject", "alice", comment="no")


def test_one_person_one_role_per_gate(reg) -> None:
    act(reg, "submit", "alice")
    act(reg, "approve", "multi")  # takes validator (first free role)
    with pytest.raises(TransitionError, match="one person fills one role per gate"):
        act(reg, "approve", "multi", role="business_owner")
    with pytest.raises(TransitionError, match="already signed by multi"):
        act(reg, "approve", "val")
    assert state(reg) == "in_review"
    assert act(reg, "approve", "biz").gate_complete


def test_gate_completes_only_with_every_role(reg) -> None:
    act(reg, "submit", "alice")
    act(reg, "approve", "val")
    assert state(reg) == "in_review"
    with pytest.raises(
        TransitionError, match="needs validator, business_owner; you hold release_manager"
    ):
        act(reg, "approve", "rel")
    act(reg, "approve", "biz")
    assert state(reg) == "approved"


def test_reject_and_do_not_use_need_a_reason(reg) -> None:
    act(reg, "submit", "alice")
    with pytest.raises(TransitionError, match="a reason is required"):
        act(reg, "reject", "val", comment="   ")
    assert act(reg, "reject", "val", comment="leaks the target").state_after == "rejected"
    with pytest.raises(TransitionError, match="a reason is required"):
        act(reg, "do_not_use", "val", comment="")
    with pytest.raises(TransitionError, match="no approval gate is open"):
        act(reg, "approve", "biz")
    out = act(reg, "do_not_use", "val", comment="bias found")
    assert out.state_after == "do_not_use"
    with pytest.raises(TransitionError, match="already marked do not use"):
        act(reg, "do_not_use", "val", comment="again")


def test_request_changes_resets_the_gate(reg) -> None:
    act(reg, "submit", "alice")
    act(reg, "approve", "val")
    act(reg, "request_changes", "biz", comment="explain the drop in recall")
    assert state(reg) == "draft"
    act(reg, "submit", "alice")
    act(reg, "approve", "biz")
    assert state(reg) == "in_review"  # the validator's earlier signature no longer counts
    act(reg, "approve", "val")
    assert state(reg) == "approved"


def test_withdraw_and_comment(reg) -> None:
    act(reg, "submit", "alice")
    act(reg, "comment", "rel", comment="looking forward to it")
    with pytest.raises(TransitionError, match="only its author"):
        act(reg, "withdraw", "val")
    assert act(reg, "withdraw", "alice").state_after == "draft"
    with reg.read() as s:
        assert [d.action for d in s.scalars(select(Decision).order_by(Decision.id))] == [
            "submit",
            "comment",
            "withdraw",
        ]


def test_go_live_needs_gate_and_passing_checks(reg) -> None:
    act(reg, "submit", "alice")
    act(reg, "approve", "val")
    act(reg, "approve", "biz")
    add_evidence(reg, "credit", 1, ALL_CHECKS[:2])
    add_evidence(reg, "credit", 1, ["environment"], passed=False)
    with reg.write() as s:
        assert not note_evidence(s, "credit", 1, actor="runner")
    with pytest.raises(TransitionError, match=r"environment \(failed: outputs differ\)"):
        act(reg, "approve", "rel")
    add_evidence(reg, "credit", 1, ["environment"])
    with reg.write() as s:
        note_evidence(s, "credit", 1, actor="runner")
    with pytest.raises(TransitionError, match="go-live gate still needs release_manager"):
        act(reg, "go_live", "rel")
    with pytest.raises(TransitionError, match="only a release manager or an admin"):
        act(reg, "go_live", "val")
    act(reg, "approve", "rel")
    with pytest.raises(TransitionError, match="the author never signs or puts it live"):
        from signoff.core.governance.people import save_person

        with reg.write() as s:
            save_person(s, "alice", actor="root", roles=["author", "release_manager"])
        act(reg, "go_live", "alice")
    assert act(reg, "go_live", "root").state_after == "live"


def test_do_not_use_blocks_going_live_and_notifies_consumers(reg) -> None:
    from signoff.core.notifications.outbox import save_consumer

    with reg.write() as s:
        m = get_model(s, "credit")
        save_consumer(
            s, m, "billing", actor="root", webhook_url="http://127.0.0.1:9/hook", secret="s1"
        )
        save_consumer(s, m, "reports", actor="root")  # no webhook: shown as not deliverable
    to_ready(reg)
    out = act(reg, "do_not_use", "rel", comment="training data leaked")
    assert out.notified == 2
    with pytest.raises(TransitionError, match="must be ready"):
        act(reg, "go_live", "rel")
    with reg.read() as s:
        states = sorted((m.event, m.state) for m in s.scalars(select(OutboxMessage)))
        assert states == [("do_not_use", "no_endpoint"), ("do_not_use", "pending")]


def test_stale_screen_gets_concurrent_change_error_naming_who(reg) -> None:
    act(reg, "submit", "alice")
    with reg.read() as s:
        seen = get_version(s, "credit", 1).row_version
    act(reg, "reject", "val", comment="no")
    with pytest.raises(
        ConcurrentChangeError,
        match=r"val recorded 'Reject' at .*state is now "
        "rejected",
    ):
        act(reg, "approve", "biz", expected_row_version=seen)
    with reg.read() as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == 2


def test_go_live_with_stale_view_of_live_version(reg, tmp_path) -> None:
    to_ready(reg)
    act(reg, "approve", "rel")
    act(reg, "go_live", "rel", expected_live_version=None)
    publish_version(reg, tmp_path, weights='{"a": 0.3, "b": 0.1}')
    to_ready(reg, 2)
    act(reg, "approve", "rel", 2)
    with pytest.raises(ConcurrentChangeError, match="v1 was put live by rel"):
        act(reg, "go_live", "root", 2, expected_live_version=None)
    assert state(reg, 2) == "ready"


def test_allowed_check_does_not_write(reg) -> None:
    act(reg, "submit", "alice")
    with reg.read() as s:
        v = get_version(s, "credit", 1)
        assert check_allowed(s, v, "approve", "val") == "validator"
        assert check_allowed(s, v, "reject", "val") == "validator"  # comment not asked yet
        with pytest.raises(TransitionError, match="author never signs"):
            check_allowed(s, v, "approve", "alice")
        assert s.scalar(select(func.count()).select_from(Decision)) == 1


def test_policy_revisions_admin_only(reg) -> None:
    rules = {
        "gates": {"production_use": ["validator"], "go_live": ["release_manager"]},
        "checks": ["reference_outputs"],
    }
    with reg.write() as s:
        assert current_policy(s, "high").revision == 0
        with pytest.raises(Exception, match="val is not an admin"):
            set_policy(s, "high", rules, actor="val")
    with reg.write() as s:
        assert set_policy(s, "high", rules, actor="root").revision == 1
    for bad, message in [
        ({"gates": {"production_use": []}}, "exactly the gates"),
        ({**rules, "checks": ["vibes"]}, "checks"),
        ({"gates": {"production_use": ["author"], "go_live": ["admin"]}}, "author cannot sign"),
    ]:
        with reg.write() as s, pytest.raises(PolicyError, match=message):
            set_policy(s, "high", bad, actor="root")
    with reg.read() as s:
        assert current_policy(s, "high").roles_for("production_use") == ["validator"]
    act(reg, "submit", "alice")
    assert act(reg, "approve", "val").state_after == "approved"  # one role suffices now


def test_do_not_use_needs_a_reviewer_role(reg) -> None:
    with pytest.raises(
        TransitionError, match="only a validator, business owner, release manager or admin"
    ):
        act(reg, "do_not_use", "alice", comment="I found a bug")
    assert (
        act(reg, "do_not_use", "biz", comment="bug found by the author").state_after == "do_not_use"
    )
