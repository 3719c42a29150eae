"""My reviews, the Audit tab timeline and the Consumers page, as a person sees them."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PySide6.QtCore import Qt

from signoff.core.catalog.lookup import get_model
from signoff.core.governance.workflow import run_transition
from signoff.core.notifications.outbox import save_consumer
from tests.helpers import shots
from tests.helpers.workflow import add_people, publish_version

pytestmark = pytest.mark.gui


@pytest.fixture
def two_in_review(registry, tmp_path):
    add_people(registry)
    publish_version(registry, tmp_path, name="credit")
    publish_version(registry, tmp_path, name="fraud", weights='{"a": 0.5, "b": 0.0}')
    run_transition(registry, "submit", "fraud", 1, actor="alice")  # older
    run_transition(registry, "submit", "credit", 1, actor="alice")
    run_transition(registry, "approve", "credit", 1, actor="biz")
    return registry


def test_my_reviews_lists_oldest_first_and_opens_version(qtbot, make_ctx, two_in_review) -> None:
    from signoff.ui.reviews.reviews_page import ReviewsPage

    two_in_review.set_actor_for_embedded("val")
    ctx = make_ctx(two_in_review)
    page = ReviewsPage(ctx)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=10000)
    rows = [page.model.record(i) for i in range(2)]
    assert [(r.model, r.number) for r in rows] == [("fraud", 1), ("credit", 1)]
    assert rows[1].missing == ["validator"] and rows[0].my_roles == ["validator"]
    assert "2 versions</b> wait for your signature" in page.summary.text()
    assert page.model.data(page.model.index(0, 9)).endswith("min")
    with qtbot.waitSignal(ctx.openVersionTabRequested, timeout=3000) as blocker:
        page.open_index(page.model.index(1, 0))
    assert blocker.args == ["credit", 1, "Approvals"]  # where the signature is given
    page.resize(1100, 300)
    shots.save_screenshot(page, "my_reviews.png")
    # the business owner already signed credit: only fraud waits for biz
    two_in_review.set_actor_for_embedded("biz")
    with qtbot.waitSignal(page.loaded, timeout=10000):
        page.reload()
    assert [page.model.record(i).model for i in range(page.model.rowCount())] == ["fraud"]


def test_audit_tab_shows_signatures_with_name_time_meaning(qtbot, make_ctx, two_in_review) -> None:
    from signoff.ui.version.audit_tab import AuditTab

    tab = AuditTab(make_ctx(two_in_review))
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.loaded, timeout=10000):
        tab.show_version("credit", 1)
    entries = [tab.events.record(i) for i in range(tab.events.rowCount())]
    signatures = [e for e in entries if e.is_signature]
    assert [(e.printed_name, e.meaning) for e in signatures] == [
        ("Alice Author", "Submitted for review by the author"),
        ("Beatrice Business", "Approved for production use, signed as business owner"),
    ]
    assert "Audit chain intact" in tab.verdict.text()
    shown = [tab.events.data(tab.events.index(len(entries) - 1, c)) for c in range(5)]
    assert shown[2] == "Beatrice Business (biz)" and shown[4].startswith("Approved for")
    tab.resize(1200, 360)
    tab.show()
    qtbot.waitExposed(tab)
    with qtbot.waitSignal(tab.loaded, timeout=10000):
        qtbot.mouseClick(tab.whole_model, Qt.MouseButton.LeftButton)
    assert tab.events.rowCount() > len(entries)  # the model's own events too (publish)
    shots.save_screenshot(tab, "audit_tab.png")


def test_consumers_page_shows_delivery_state_and_delivers(qtbot, make_ctx, two_in_review) -> None:
    from signoff.ui.consumers.consumers_page import ConsumersPage

    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:  # noqa: ANN002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with two_in_review.write() as s:
            model = get_model(s, "credit")
            save_consumer(
                s,
                model,
                "billing",
                actor="root",
                secret="k",
                webhook_url=f"http://127.0.0.1:{server.server_address[1]}/h",
            )
            save_consumer(s, model, "reports", actor="root", contact="reports@example.org")
        run_transition(two_in_review, "do_not_use", "credit", 1, actor="val", comment="leak found")
        page = ConsumersPage(make_ctx(two_in_review), interval_ms=0)
        qtbot.addWidget(page)
        qtbot.waitUntil(lambda: page.deliveries.rowCount() == 2, timeout=10000)
        states = {
            page.deliveries.record(i).consumer: page.deliveries.record(i).state for i in range(2)
        }
        assert states == {"billing": "pending", "reports": "no_endpoint"}
        assert "1 notification waiting" in page.summary.text()
        with qtbot.waitSignal(page.delivered, timeout=15000):
            qtbot.mouseClick(page.deliver_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "0 notifications waiting" in page.summary.text(), timeout=10000)
        assert len(received) == 1
        last = {
            page.consumers.record(i)["name"]: page.consumers.record(i)["last"]
            for i in range(page.consumers.rowCount())
        }
        assert last == {"billing": "do not use: delivered", "reports": "do not use: no endpoint"}
        page.resize(1100, 420)
        shots.save_screenshot(page, "consumers.png")
    finally:
        server.shutdown()
        server.server_close()
