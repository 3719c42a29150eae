"""Notifications against a real local HTTP server: signature, downtime, 500s, crash after commit."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from signoff.core.audit.chain import verify_chain
from signoff.core.catalog.lookup import get_model
from signoff.core.db.registry import db_now
from signoff.core.db.schema import AuditEvent, OutboxMessage
from signoff.core.governance.workflow import run_transition
from signoff.core.notifications.outbox import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    RetryPolicy,
    deliver_due,
    delivery_rows,
    save_consumer,
    verify_signature,
)
from tests.helpers.workflow import add_people, publish_version

SECRET = "s3cr3t-billing"


class Hook:
    """A consumer's webhook endpoint on 127.0.0.1 that records what it receives."""

    def __init__(self, port: int = 0, failures: int = 0) -> None:
        self.received: list[tuple[dict, bytes, dict]] = []
        self.failures = failures
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hook.failures > 0:
                    hook.failures -= 1
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b"temporarily broken")
                    return
                hook.received.append((json.loads(body), body, dict(self.headers)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/signoff"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook():
    h = Hook()
    yield h
    h.stop()


def setup_consumer(registry, tmp_path, url: str) -> None:
    add_people(registry)
    publish_version(registry, tmp_path)
    with registry.write() as s:
        save_consumer(
            s, get_model(s, "credit"), "billing", actor="root", webhook_url=url, secret=SECRET
        )


def mark_dnu(registry) -> None:
    run_transition(registry, "do_not_use", "credit", 1, actor="val", comment="data leak")


def test_delivered_once_with_valid_signature(registry, tmp_path, hook) -> None:
    setup_consumer(registry, tmp_path, hook.url)
    mark_dnu(registry)
    report = deliver_due(registry)
    assert len(report.delivered) == 1
    payload, body, headers = hook.received[0]
    assert payload["event"] == "do_not_use" and payload["reason"] == "data leak"
    assert payload["model"] == "credit" and payload["version"] == 1
    assert verify_signature(SECRET, body, headers[SIGNATURE_HEADER])
    assert not verify_signature("wrong-secret", body, headers[SIGNATURE_HEADER])
    assert headers[IDEMPOTENCY_HEADER] == payload["idempotency_key"]
    assert deliver_due(registry).attempted == 0  # nothing left
    with registry.read() as s:
        row = delivery_rows(s)[0]
        assert (row.state, row.attempts, row.consumer) == ("delivered", 1, "billing")
        assert s.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "notification.delivered")
        ).all()
        assert verify_chain(s).intact


def test_server_down_then_up_delivers_once(registry, tmp_path) -> None:
    probe = Hook()
    port = probe.port
    probe.stop()  # the consumer is down: connection refused
    setup_consumer(registry, tmp_path, f"http://127.0.0.1:{port}/signoff")
    mark_dnu(registry)
    retry = RetryPolicy(base_seconds=10, timeout_seconds=2)
    first = deliver_due(registry, retry=retry)
    assert len(first.retrying) == 1
    with registry.read() as s:
        msg = s.scalars(select(OutboxMessage)).one()
        assert msg.state == "pending" and "ConnectionError" in msg.last_error
        later = db_now(s) + timedelta(seconds=11)
    hook = Hook(port=port)  # back up on the same address
    try:
        assert deliver_due(registry, retry=retry).attempted == 0  # not due yet
        assert len(deliver_due(registry, now=later, retry=retry).delivered) == 1
        assert deliver_due(registry, now=later + timedelta(hours=1), retry=retry).attempted == 0
        assert len(hook.received) == 1
    finally:
        hook.stop()


def test_500_is_retried_with_exponential_backoff(registry, tmp_path) -> None:
    hook = Hook(failures=3)
    try:
        setup_consumer(registry, tmp_path, hook.url)
        mark_dnu(registry)
        retry = RetryPolicy(base_seconds=5, factor=2, max_attempts=6)
        with registry.read() as s:
            clock = db_now(s)
        gaps = []
        for _ in range(3):
            assert len(deliver_due(registry, now=clock, retry=retry).retrying) == 1
            with registry.read() as s:
                msg = s.scalars(select(OutboxMessage)).one()
                assert msg.last_error.startswith("HTTP 500")
                gaps.append((msg.next_attempt_at - clock).total_seconds())
                clock = msg.next_attempt_at
        assert gaps == [5, 10, 20]
        assert len(deliver_due(registry, now=clock, retry=retry).delivered) == 1
        assert len(hook.received) == 1
        with registry.read() as s:
            assert s.scalars(select(OutboxMessage)).one().attempts == 4
    finally:
        hook.stop()


def test_gives_up_after_max_attempts_and_says_so(registry, tmp_path) -> None:
    hook = Hook(failures=100)
    try:
        setup_consumer(registry, tmp_path, hook.url)
        mark_dnu(registry)
        retry = RetryPolicy(base_seconds=1, max_attempts=2)
        with registry.read() as s:
            clock = db_now(s)
        deliver_due(registry, now=clock, retry=retry)
        report = deliver_due(registry, now=clock + timedelta(seconds=5), retry=retry)
        assert len(report.failed) == 1
        with registry.read() as s:
            row = delivery_rows(s, model_name="credit")[0]
            assert row.state == "failed" and "HTTP 500" in row.last_error
    finally:
        hook.stop()


CRASH_SCRIPT = """
import os, sys
from signoff.core.db.registry import open_registry
from signoff.core.governance.workflow import run_transition
reg = open_registry(home=sys.argv[1])
run_transition(reg, "do_not_use", "credit", 1, actor="val", comment="crash test")
print("committed", flush=True)
os._exit(9)  # killed after the commit, before any delivery
"""


def test_killed_after_commit_is_delivered_on_restart(registry, tmp_path, home, hook) -> None:
    setup_consumer(registry, tmp_path, hook.url)
    proc = subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT, str(home)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 9 and "committed" in proc.stdout, proc.stderr
    assert hook.received == []
    report = deliver_due(registry)  # the restarted deliverer
    assert len(report.delivered) == 1
    assert hook.received[0][0]["reason"] == "crash test"


def test_consumer_with_bad_url_is_refused(registry, tmp_path) -> None:
    setup_consumer(registry, tmp_path, "http://127.0.0.1:9/x")
    with registry.write() as s, pytest.raises(ValueError, match="only http:// and https:// URLs"):
        save_consumer(
            s, get_model(s, "credit"), "ftp-thing", actor="root", webhook_url="ftp://example.org/x"
        )
    with registry.read() as s:
        assert [c.name for c in get_model(s, "credit").consumers] == ["billing"]


def test_signoff_notify_command_delivers_and_shows_status(
    registry, tmp_path, home, hook, capsys
) -> None:
    from signoff.cli import main

    setup_consumer(registry, tmp_path, hook.url)
    mark_dnu(registry)
    assert main(["--home", str(home), "notify"]) == 0
    assert "1 delivered" in capsys.readouterr().out
    assert main(["--home", str(home), "notify", "--status"]) == 0
    assert "billing" in capsys.readouterr().out and len(hook.received) == 1
