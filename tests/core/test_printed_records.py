"""The approval sheet and the model card: printable records in words, signatures 11.50-style."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from signoff.core.catalog.model_card import model_card_html
from signoff.core.governance.approval_sheet import approval_sheet_html
from signoff.core.governance.approvals import approval_status
from signoff.core.governance.workflow import run_transition
from tests.helpers.browse import build_browse_registry
from tests.helpers.workflow import add_people, publish_version

PRINTED = datetime(2026, 11, 2, 8, 15)


def test_the_approval_sheet_prints_name_date_time_and_meaning(registry, tmp_path: Path) -> None:
    add_people(registry)
    publish_version(registry, tmp_path)
    run_transition(registry, "submit", "credit", 1, actor="alice")
    run_transition(registry, "approve", "credit", 1, actor="biz", comment="<b>fits</b> the case")
    with registry.read() as s:
        status = approval_status(s, "credit", 1, "val")
    sheet = approval_sheet_html(status, printed_by="val", printed_at=PRINTED)
    signed = status.gates[0].signed["business_owner"]
    assert "Approval sheet — credit v1" in sheet
    assert "Beatrice Business (biz)" in sheet
    assert f"{signed.at:%Y-%m-%d %H:%M:%S} UTC" in sheet
    assert "Approved for production use, signed as business owner" in sheet
    assert "business owner" in sheet and "business_owner" not in sheet
    assert "needs validator" in sheet and "in review" in sheet
    assert "the built-in high-tier policy" in sheet and "revision 0" not in sheet
    assert status.manifest_hash in sheet
    assert "&lt;b&gt;fits&lt;/b&gt;" in sheet and "<b>fits</b>" not in sheet  # comments escaped
    assert "Printed by val at 2026-11-02 08:15:00 UTC" in sheet


def test_the_model_card_names_owner_versions_consumers_and_history(registry, tmp_path) -> None:
    build_browse_registry(registry, tmp_path / "folders")
    with registry.read() as s:
        card = model_card_html(s, "credit-risk", printed_by="carol", printed_at=PRINTED)
    assert "Credit risk scorecard" in card and "<code>credit-risk</code>" in card
    assert "3 versions" in card and "in review" in card and "superseded" in card
    assert "loan-origination" in card
    assert "Deployment history" in card and "still live" in card
    assert "Printed by carol at 2026-11-02 08:15 UTC" in card
