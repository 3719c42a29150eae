"""``signoff serve`` as real subprocesses against one registry and a webhook receiver on
127.0.0.1: the monitoring schedule runs, alerts are raised once, every notice is delivered,
two instances never both deliver one message, and a kill -9 loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.request import urlopen

import pytest
from sqlalchemy import select

from signoff.core.catalog.lookup import get_model
from signoff.core.db.registry import open_registry
from signoff.core.db.schema import (
    Alert,
    AlertRecipient,
    AuditEvent,
    ConsumerAck,
    OutboxMessage,
    ServiceJob,
)
from signoff.core.governance.workflow import run_transition
from signoff.core.notifications.consumers import save_consumer
from tests.core.test_factory_loop import live
from tests.helpers.smtp import free_port
from tests.helpers.workflow import add_people, publish_version

SRC = Path(__file__).resolve().parents[2] / "src"
CONSUMERS = 12


class SlowReceiver:
    """A webhook endpoint that takes a while per POST and counts every idempotency key."""

    def __init__(self, delay: float) -> None:
        self.keys: Counter[str] = Counter()
        self.payloads: dict[str, dict] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay)
                with receiver.lock:
                    receiver.keys[self.headers["Idempotency-Key"]] += 1
                    receiver.payloads[self.headers["Idempotency-Key"]] = json.loads(body)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve(home: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(SRC), "SIGNOFF_PUBLIC_URL": "http://127.0.0.1:1"}
    return subprocess.Popen(
        [sys.executable, "-m", "signoff", "--home", str(home), "serve", "--interval", "0.2",
         "--monitor-every", "1", "--lease", "3", *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def wait_for(predicate, what: str, timeout: float = 90.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def outbox(home: Path) -> list[tuple[str, str]]:
    registry = open_registry(home=home)
    try:
        with registry.read() as s:
            return [
                (m.idempotency_key, m.state)
                for m in s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook"))
            ]
    finally:
        registry.close()


def attempts(home: Path) -> dict[str, int]:
    """Each webhook message's attempts: one is counted whenever a deliverer claims it."""
    registry = open_registry(home=home)
    try:
        with registry.read() as s:
            rows = s.execute(
                select(OutboxMessage.idempotency_key, OutboxMessage.attempts).where(
                    OutboxMessage.channel == "webhook"
                )
            )
            return {key: n for key, n in rows}
    finally:
        registry.close()


@pytest.fixture
def receiver():
    r = SlowReceiver(delay=0.15)
    yield r
    r.stop()


def test_two_services_deliver_once_monitor_on_schedule_and_survive_kill_9(
    registry, home, tmp_path, receiver
) -> None:
    add_people(registry)
    publish_version(registry, tmp_path)
    live(registry, 1)
    with registry.write() as s:
        model = get_model(s, "credit")
        for i in range(CONSUMERS):
            save_consumer(
                s, model, f"batch-{i:02d}", actor="root", webhook_url=receiver.url, secret=f"k{i}"
            )
        # stale as soon as it is judged: its approval is older than a few seconds
        model.monitoring_rules = {**(model.monitoring_rules or {}), "max_age_days": 0.000001}
    run_transition(registry, "do_not_use", "credit", 1, actor="val", comment="leaks the label")

    port = free_port()
    first = serve(home, "--listen", f"127.0.0.1:{port}")
    second = serve(home, "--no-http")
    try:
        wait_for(lambda: all(state == "delivered" for _k, state in outbox(home)), "delivery")
        assert len(receiver.keys) >= CONSUMERS  # the do-not-use notices (and stale notices)
        assert set(receiver.keys.values()) == {1}  # two instances, no message delivered twice

        # the schedule: the model is judged, again and again, by one instance at a time
        def monitor_runs() -> list:
            with registry.read() as s:
                job = s.get(ServiceJob, "monitor:credit", populate_existing=True)
                return [job.last_run_at, job.last_result] if job is not None else [None, ""]

        wait_for(lambda: monitor_runs()[0] is not None, "a monitoring run")
        ran_at, verdict = monitor_runs()
        assert verdict == "stale"
        wait_for(lambda: monitor_runs()[0] != ran_at, "the next scheduled monitoring run")
        wait_for(lambda: _alerts(registry, "stale"), "the stale alert")
        stale = _alerts(registry, "stale")
        assert len({a for a, _p in stale}) == 1 and "alice" in {p for _a, p in stale}  # once
        assert len(_alerts(registry, "do_not_use")) >= 1

        # the acknowledgement link of a notice, answered by the first service
        notice = next(iter(receiver.payloads.values()))
        path = notice["ack_url"].split("127.0.0.1:1", 1)[1]
        with urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
            assert b"Acknowledged" in answer.read()
        with urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as answer:
            health = json.load(answer)
        assert sum(1 for i in health["instances"] if i["alive"]) == 2
        with registry.read() as s:
            assert len(s.scalars(select(ConsumerAck)).all()) == 1

        # more notices, and the first instance is killed while delivering them
        publish_version(registry, tmp_path, weights='{"a": 0.4, "b": 0.1}')
        second.send_signal(signal.SIGTERM)  # the first one alone takes the work
        assert second.wait(timeout=30) == 0
        wait_for(lambda: all(state == "delivered" for _k, state in outbox(home)), "a quiet outbox")
        assert set(receiver.keys.values()) == {1}
        before = sum(receiver.keys.values())
        live(registry, 2)
        wait_for(lambda: sum(receiver.keys.values()) > before + 2, "deliveries to start")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        third = serve(home, "--no-http")
        try:
            wait_for(lambda: all(state == "delivered" for _k, state in outbox(home)), "recovery")
        finally:
            third.send_signal(signal.SIGTERM)
            assert third.wait(timeout=30) == 0
            third.communicate()
        keys = {k for k, _state in outbox(home)}
        assert set(receiver.keys) == keys  # nothing lost
        # a repeat comes only from a new claim (the POST in flight at the kill, or one that
        # timed out on this loaded machine), under the same key: never two deliverers on one
        claimed = attempts(home)
        repeated = {k: n for k, n in receiver.keys.items() if n > claimed[k]}
        assert repeated == {}, f"received more often than claimed: {repeated}"
        doubled = [k for k, n in receiver.keys.items() if n > 1]
        assert all(claimed[k] > 1 for k in doubled)
        # one stale alert per change of the stale flag in the trail: none missed, none twice
        with registry.read() as s:
            changes = s.scalars(
                select(AuditEvent.seq).where(AuditEvent.action.like("monitoring.%stale%"))
            ).all()
        assert len({a for a, _p in _alerts(registry, "stale")}) == len(changes) >= 1
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
    first.communicate()
    out = second.communicate()[0]
    assert "stopped" in out and "Traceback" not in out


def _alerts(registry, kind: str) -> list[tuple[int, str]]:  # noqa: ANN001
    with registry.read() as s:
        return list(
            s.execute(
                select(Alert.id, AlertRecipient.person)
                .join(AlertRecipient, AlertRecipient.alert_id == Alert.id)
                .where(Alert.kind == kind)
            ).all()
        )


def test_serve_bad_input_exits_2_without_a_traceback(home) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    for args in (["--interval", "0"], ["--listen", "no-port"], ["--lease", "-1"]):
        done = subprocess.run(
            [sys.executable, "-m", "signoff", "--home", str(home), "serve", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert "signoff: error:" in done.stderr


def test_systemd_unit_runs_serve_and_stops_cleanly() -> None:
    unit = (SRC.parent / "packaging" / "signoff-serve.service").read_text()
    sections: dict[str, dict[str, str]] = {}
    current = ""
    for line in unit.splitlines():
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections[current] = {}
        elif "=" in line and not line.startswith("#") and current:
            key, value = line.split("=", 1)
            sections[current][key] = value
    assert set(sections) == {"Unit", "Service", "Install"}
    start = sections["Service"]["ExecStart"].split()
    assert start[1] == "serve" and "--listen" in start
    assert sections["Service"]["KillSignal"] == "SIGTERM"
    assert sections["Install"]["WantedBy"] == "multi-user.target"


def test_cron_schedules_fire_when_cron_would_and_bad_ones_are_refused() -> None:
    from datetime import datetime

    from signoff.core.service.schedule import ScheduleError, parse_cron

    mondays = parse_cron("0 6 * * 1")
    assert mondays.next_after(datetime(2026, 12, 1, 7, 0)) == datetime(2026, 12, 7, 6, 0)
    assert mondays.due(datetime(2026, 11, 30, 6, 0), datetime(2026, 12, 7, 5, 59)) is False
    assert mondays.due(datetime(2026, 11, 30, 6, 0), datetime(2026, 12, 7, 6, 0)) is True
    assert mondays.due(None, datetime(2026, 12, 2)) is True
    every = parse_cron("*/15 8-9 * * *")
    assert every.next_after(datetime(2026, 1, 1, 9, 50)) == datetime(2026, 1, 2, 8, 0)
    # both day fields restricted: either matches, as in cron (the 1st, or a Sunday)
    either = parse_cron("0 0 1 * 0")
    assert either.next_after(datetime(2026, 12, 1, 1)) == datetime(2026, 12, 6)
    assert parse_cron("0 0 * * 7").next_after(datetime(2026, 12, 1)) == datetime(2026, 12, 6)
    for bad, words in (
        ("0 6 * *", "five fields"),
        ("61 * * * *", "minute"),
        ("0 6 * * mon", "weekday"),
        ("0 0 31 2 *", "never fires"),
        ("*/0 * * * *", "minute"),
    ):
        with pytest.raises(ScheduleError, match=words):
            parse_cron(bad)


def test_a_cron_schedule_in_the_registry_decides_when_the_service_judges(
    registry, home, tmp_path, capsys
) -> None:
    from signoff.cli import main
    from signoff.core.service.cycle import ServiceOptions, monitor_due

    add_people(registry)
    publish_version(registry, tmp_path)
    live(registry, 1)
    assert main(["--home", str(home), "serve", "--schedule", "credit", "0 6 * * 1"]) == 0
    assert "judged on '0 6 * * 1'" in capsys.readouterr().out
    assert main(["--home", str(home), "serve", "--schedule", "credit", "99 * * * *"]) == 2
    assert "minute" in capsys.readouterr().err
    options = ServiceOptions(lease_seconds=5)
    assert monitor_due(registry, "one", options).monitored == ["credit"]  # never ran: due
    assert monitor_due(registry, "one", options).monitored == []  # not before next Monday 06:00
    with registry.read() as s:
        actions = s.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "monitoring.schedule_changed")
        ).all()
    assert len(actions) == 1
    assert main(["--home", str(home), "serve", "--schedule", "credit", "-"]) == 0
