"""The workflow's read models without Qt: approval status, review queue, audit timeline."""

from __future__ import annotations

from signoff.core.governance.approvals import approval_status, my_reviews, timeline
from signoff.core.governance.workflow import run_transition
from tests.helpers.workflow import add_evidence, add_people, publish_version


def test_status_queue_and_timeline(registry, tmp_path) -> None:
    add_people(registry)
    publish_version(registry, tmp_path)
    run_transition(registry, "submit", "credit", 1, actor="alice")
    run_transition(registry, "approve", "credit", 1, actor="val", comment="ok by me")
    add_evidence(registry, "credit", 1, ["reference_outputs"], passed=False)
    with registry.read() as s:
        st = approval_status(s, "credit", 1, "biz")
        gate = st.gates[0]
        assert (gate.gate, gate.open, gate.complete, gate.missing) == (
            "production_use",
            True,
            False,
            ["business_owner"],
        )
        assert gate.signed["validator"].printed_name == "Victor Validator"
        assert gate.signed["validator"].bound_to_current
        checks = {c.check: c.passed for c in st.checks}
        assert checks == {"reference_outputs": False, "robustness": None, "environment": None}
        assert st.may("approve") and st.may("reject") and not st.may("go_live")
        assert "must be ready" in st.allowed["go_live"]
        assert [i.model for i in my_reviews(s, "biz")] == ["credit"]
        assert my_reviews(s, "val") == []  # already signed this gate
        assert my_reviews(s, "alice") == []  # the author is never asked
        assert my_reviews(s, "nobody") == []
        entries = timeline(s, "credit", 1)
        sig = [e for e in entries if e.is_signature]
        assert [(e.printed_name, e.title) for e in sig] == [
            ("Alice Author", "submit for review"),
            ("Victor Validator", "approve"),
        ]
        assert "“ok by me”" in sig[1].details
        assert [e.title for e in entries if not e.is_signature][:1] == ["version published"]
