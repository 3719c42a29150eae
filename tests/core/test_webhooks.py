"""Webhooks that cannot be turned against the registry: no redirects, only plain http(s) URLs
with a host, and never a link-local or cloud metadata address unless an admin allows it."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text

from signoff.cli import main
from signoff.core.catalog.lookup import get_model
from signoff.core.db.schema import AuditEvent, Consumer, OutboxMessage
from signoff.core.governance.people import PermissionDeniedError
from signoff.core.governance.webhook_hosts import allow_webhook_host
from signoff.core.governance.workflow import run_transition
from signoff.core.notifications.outbox import RetryPolicy, deliver_due, save_consumer
from signoff.core.notifications.webhooks import WebhookURLError, webhook_url_problem
from tests.helpers.http_endpoints import Endpoint
from tests.helpers.workflow import add_people, publish_version

SECRET = "s3cr3t"

BAD_URLS = {
    "ftp://files.example/hook": "only http:// and https:// URLs receive webhooks, not 'ftp'",
    "javascript:alert(1)": "only http:// and https://",
    "http://": "has no host",
    "https:///hook": "has no host",
    "http://hooks.example/a\r\nX-Injected: 1": "may not contain a line break (CR or LF)",
    "http://hooks.example/a\nb": "line break",
    "http://hooks.example/\x00": "control characters",
    "http://hooks.example/a b": "may not contain spaces",
    "http://hooks.example:99999/": "is not a valid URL",
    "http://bob:pw@hooks.example/": "may not carry a user name or password",
    "http://169.254.169.254/latest/meta-data/": "169.254.169.254 is a cloud metadata address",
    "http://[fd00:ec2::254]/": "fd00:ec2::254 is a cloud metadata address",
    "http://[::ffff:169.254.169.254]/": "169.254.169.254 is a cloud metadata address",
    "http://2852039166/": "169.254.169.254 is a cloud metadata address",
    "http://0xa9.0xfe.0xa9.0xfe/": "169.254.169.254 is a cloud metadata address",
    "http://169.254.10.20:8080/": "169.254.10.20 is a link-local address",
    "http://[fe80::1]/": "fe80::1 is a link-local address",
    "http://metadata.google.internal/computeMetadata/v1/": "is a cloud metadata service",
    "http://METADATA.Google.Internal./": "metadata.google.internal is a cloud metadata service",
}


@pytest.fixture
def credit(registry, tmp_path):
    add_people(registry)
    publish_version(registry, tmp_path)
    return registry


@pytest.fixture
def target() -> Iterator[Endpoint]:
    endpoint = Endpoint(204)
    yield endpoint
    endpoint.stop()


def add_consumer(registry, url: str, name: str = "billing") -> None:
    with registry.write() as s:
        save_consumer(s, get_model(s, "credit"), name, actor="root", webhook_url=url, secret=SECRET)


def notify(registry) -> None:
    run_transition(registry, "do_not_use", "credit", 1, actor="val", comment="data leak")


def only_message(registry) -> OutboxMessage:
    with registry.read() as s:
        message = s.scalars(select(OutboxMessage)).one()
        s.expunge(message)  # read after the session ends
        return message


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failed_attempt_and_nothing_reaches_its_target(
    credit, target, status
) -> None:
    redirector = Endpoint(status, {"Location": target.url})
    try:
        add_consumer(credit, redirector.url)
        notify(credit)
        report = deliver_due(credit)
        assert report.delivered == [] and len(report.retrying) == 1
        assert [r.method for r in redirector.received] == ["POST"]
        assert target.received == []  # neither the signed body nor an empty GET
        message = only_message(credit)
        assert message.state == "pending" and message.attempts == 1
        assert message.last_error == (
            f"HTTP {status} redirect to {target.url!r} refused: webhooks never follow redirects"
        )
        # given up at the last attempt: failed, with the reason in the audit trail
        deliver_due(credit, now=message.next_attempt_at, retry=RetryPolicy(max_attempts=2))
        assert only_message(credit).state == "failed"
        assert target.received == [] and len(redirector.received) == 2
        with credit.read() as s:
            failed = s.scalars(
                select(AuditEvent.payload).where(AuditEvent.action == "notification.failed")
            ).one()
        assert f"HTTP {status} redirect" in json.loads(failed)["error"]
    finally:
        redirector.stop()


@pytest.mark.parametrize("url", list(BAD_URLS))
def test_a_bad_url_is_refused_when_a_consumer_is_saved(credit, url) -> None:
    with pytest.raises(WebhookURLError, match="webhook URL refused") as refused:
        add_consumer(credit, url)
    assert BAD_URLS[url] in str(refused.value)
    with credit.read() as s:
        assert s.scalars(select(Consumer)).all() == []


def test_the_command_line_refuses_bad_urls_with_exit_2(credit, home, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SIGNOFF_CONSUMER_SECRET", SECRET)
    for url, words in BAD_URLS.items():
        code = main(["--home", str(home), "consumers", "add", "credit", "c", "--webhook", url])
        said = capsys.readouterr().err
        assert code == 2 and words in said, (url, said)
        assert said.startswith("signoff: error: webhook URL refused: ") and "Traceback" not in said
    with credit.read() as s:
        assert s.scalars(select(Consumer)).all() == []
    good = "http://127.0.0.1:8765/hook"  # loopback is a real consumer on this machine
    assert main(["--home", str(home), "consumers", "add", "credit", "c", "--webhook", good]) == 0


def test_a_url_written_around_the_rules_is_refused_at_delivery(credit, target) -> None:
    add_consumer(credit, target.url)
    with credit.write() as s:  # as raw SQL would, or a URL saved before these rules
        s.execute(text("UPDATE consumers SET webhook_url = 'http://169.254.169.254/latest/'"))
    notify(credit)
    report = deliver_due(credit)
    assert len(report.retrying) == 1 and target.received == []
    assert only_message(credit).last_error.startswith(
        "webhook URL refused: 169.254.169.254 is a cloud metadata address"
    )


class FakeDNS:
    """Answers for one made-up name (the system resolver cannot be pointed elsewhere)."""

    NAME = "hooks.rebind.test"

    def __init__(self, monkeypatch, answers: list[list[str]]) -> None:
        self.answers, self.lookups = answers, 0
        real = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            if host != self.NAME:
                return real(host, port, *args, **kwargs)
            addresses = self.answers[min(self.lookups, len(self.answers) - 1)]
            self.lookups += 1
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port),
                )
                for a in addresses
            ]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_every_address_is_checked_when_delivering(credit, target, monkeypatch) -> None:
    dns = FakeDNS(monkeypatch, [["127.0.0.1", "169.254.169.254"]])
    add_consumer(credit, f"http://{FakeDNS.NAME}:{target.port}/hook")  # a name: saved
    notify(credit)
    assert len(deliver_due(credit).retrying) == 1
    assert target.received == [] and dns.lookups == 1
    assert only_message(credit).last_error == (
        f"webhook host {FakeDNS.NAME} resolves to 169.254.169.254 is a cloud metadata address; "
        f"an admin may allow this host: signoff consumers allow-host {FakeDNS.NAME} --reason …"
    )


def test_delivery_connects_to_the_address_it_checked(credit, target, monkeypatch) -> None:
    # a rebinding name: harmless when checked, the metadata address on any later lookup
    dns = FakeDNS(monkeypatch, [["127.0.0.1"], ["169.254.169.254"]])
    add_consumer(credit, f"http://{FakeDNS.NAME}:{target.port}/hook")
    notify(credit)
    assert len(deliver_due(credit).delivered) == 1
    assert dns.lookups == 1  # one lookup, checked, and the connection made to that address
    assert target.received[0].headers["Host"] == f"{FakeDNS.NAME}:{target.port}"


def test_the_command_line_checks_what_the_host_resolves_to(
    credit, home, monkeypatch, capsys
) -> None:
    FakeDNS(monkeypatch, [["169.254.169.254"]])
    monkeypatch.setenv("SIGNOFF_CONSUMER_SECRET", SECRET)
    url = f"http://{FakeDNS.NAME}/hook"
    assert main(["--home", str(home), "consumers", "add", "credit", "c", "--webhook", url]) == 2
    assert "resolves to 169.254.169.254 is a cloud metadata address" in capsys.readouterr().err


def test_an_admin_may_allow_a_host_and_that_is_audited(credit, home, monkeypatch, capsys) -> None:
    url = "http://metadata.google.internal/hook"
    monkeypatch.setenv("SIGNOFF_CONSUMER_SECRET", SECRET)
    base = ["--home", str(home), "consumers"]
    monkeypatch.setenv("SIGNOFF_USER", "alice")
    assert main([*base, "allow-host", "metadata.google.internal", "--reason", "mine"]) == 2
    assert "alice is not an admin" in capsys.readouterr().err
    monkeypatch.setenv("SIGNOFF_USER", "root")
    assert main([*base, "allow-host", "http://x/", "--reason", "r"]) == 2
    assert "is not a host name or IP address" in capsys.readouterr().err
    reason = "the GCP-hosted scoring service listens here"
    assert main([*base, "allow-host", "Metadata.Google.Internal", "--reason", reason]) == 0
    assert "metadata.google.internal" in capsys.readouterr().out
    assert main([*base, "add", "credit", "gcp", "--webhook", url]) == 0
    with credit.read() as s:
        actor, payload = s.execute(
            select(AuditEvent.actor, AuditEvent.payload).where(
                AuditEvent.action == "webhooks.host_allowed"
            )
        ).one()
    assert actor == "root"
    assert json.loads(payload) == {
        "host": "metadata.google.internal",
        "reason": reason,
        "allowed_hosts": ["metadata.google.internal"],
    }
    assert webhook_url_problem(url, ["metadata.google.internal"]) is None
    with credit.write() as s:  # taken back: the saved consumer is refused at delivery again
        allow_webhook_host(s, "metadata.google.internal", actor="root", reason="moved", allow=False)
    notify(credit)
    deliver_due(credit)
    assert "is a cloud metadata service" in only_message(credit).last_error
    with credit.write() as s, pytest.raises(PermissionDeniedError):
        allow_webhook_host(s, "169.254.1.1", actor="val", reason="x")
