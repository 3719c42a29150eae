"""A history's own times: events are shown when they happened, activity is the history's."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from signoff.core.catalog.inventory import InventoryQuery, inventory
from signoff.core.catalog.lookup import get_version
from signoff.core.governance.approvals import timeline
from signoff.core.governance.workflow import transition
from tests.helpers.workflow import add_people, publish_version

SUBMITTED = datetime(2025, 3, 4, 9, 30)
APPROVED = datetime(2025, 3, 6, 16, 0)


def backdated_history(registry, tmp_path: Path) -> None:  # noqa: ANN001
    """What an import or the demo does: decisions recorded today, dated in their past."""
    add_people(registry)
    publish_version(registry, tmp_path)
    with registry.write() as s:
        version = get_version(s, "credit", 1)
        version.created_at = version.state_changed_at = datetime(2025, 3, 1)
    with registry.write() as s:
        transition(s, "submit", "credit", 1, actor="alice", at=SUBMITTED)
    with registry.write() as s:
        transition(s, "approve", "credit", 1, actor="biz", role="business_owner", at=APPROVED)


def test_events_carry_the_historys_times_and_their_recording_time(registry, tmp_path) -> None:
    backdated_history(registry, tmp_path)
    with registry.read() as s:
        entries = timeline(s, "credit", 1)
    signed = {e.action: e for e in entries if e.is_signature}
    submit, approve = signed["decision.submit"], signed["decision.approve"]
    assert (submit.at, approve.at) == (SUBMITTED, APPROVED)
    assert submit.recorded_at is not None and submit.recorded_at > APPROVED  # recorded now
    assert submit.title == "submit for review" and "draft → in review" in submit.details
    assert approve.details.startswith("as business owner")


def test_last_activity_comes_from_the_history_not_the_recording_minute(registry, tmp_path) -> None:
    backdated_history(registry, tmp_path)
    with registry.read() as s:
        row = inventory(s, InventoryQuery(limit=None))[0]
    assert row.last_activity_at == APPROVED
    assert row.flag_reasons()["open_review"] == (
        "Open review: a version has waited for signatures since 2025-03-04"
    )
