"""A real SMTP server on 127.0.0.1 (aiosmtpd) that demands STARTTLS and a login, for tests."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import subprocess
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "signoff-mailer", "mail-pass-1"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made by openssl."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    """What the server accepted: parsed messages, and the logins it saw."""

    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages addressed to *address*."""
        return [m for m in self.messages if m["To"] == address]


class SmtpServer:
    """aiosmtpd on a free port of 127.0.0.1: STARTTLS required, then AUTH required."""

    def __init__(self, folder: Path) -> None:
        self.cert, key = self_signed(folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, key)
        self.mailbox = Mailbox()
        mailbox = self.mailbox

        def authenticate(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN202
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == USER
                and auth_data.password.decode() == PASSWORD
            )
            if ok:
                mailbox.logins.append(USER)
            return AuthResult(success=ok, handled=False)  # let the server answer 535

        self.controller = Controller(
            mailbox,
            hostname="127.0.0.1",
            port=free_port(),
            tls_context=context,
            require_starttls=True,
            auth_required=True,
            authenticator=authenticate,
            # smtplib falls back to LOGIN with an initial response this server would wait on
            auth_exclude_mechanism=["LOGIN"],
        )
        self.controller.start()
        self.port = self.controller.port

    def stop(self) -> None:
        self.controller.stop()
