"""E-mail: notices to consumers and alerts to people, sent over SMTP with STARTTLS.

The server is a registry setting (``smtp``: host, port, sender, username, starttls, ssl) that
an admin keeps with ``signoff alerts smtp``; environment variables override it on the machine
that delivers (``SIGNOFF_SMTP_HOST``, ``_PORT``, ``_FROM``, ``_USER``, ``_STARTTLS``,
``_CAFILE``). The password is never stored in the registry: it comes from
``SIGNOFF_SMTP_PASSWORD`` or from the system keyring (service ``signoff-smtp``, user
``USER@HOST``), and is never sent over a connection that is not encrypted.

A notice e-mail has a plain-text part for the reader and the notice itself attached as
``notice.json``; its HMAC-SHA256 under the consumer's secret is in ``X-Signoff-Signature``,
exactly as a webhook's, so a receiving program verifies it the same way.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from sqlalchemy.orm import Session

from signoff.core.common.errors import SignoffError
from signoff.core.db.schema import Setting

log = logging.getLogger(__name__)

SETTING_KEY = "smtp"
KEYRING_SERVICE = "signoff-smtp"
PASSWORD_ENV = "SIGNOFF_SMTP_PASSWORD"
_ENV = {
    "host": "SIGNOFF_SMTP_HOST",
    "port": "SIGNOFF_SMTP_PORT",
    "sender": "SIGNOFF_SMTP_FROM",
    "username": "SIGNOFF_SMTP_USER",
    "starttls": "SIGNOFF_SMTP_STARTTLS",
    "cafile": "SIGNOFF_SMTP_CAFILE",
}


class EmailError(SignoffError):
    """An e-mail could not be sent (the words say why)."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how e-mail is sent; the password is looked up at send time."""

    host: str = ""
    port: int = 587
    sender: str = ""
    username: str = ""
    starttls: bool = True
    ssl: bool = False  # implicit TLS (port 465) instead of STARTTLS
    timeout: float = 10.0
    cafile: str = ""  # a CA bundle to trust (a company CA), else the system's

    @property
    def configured(self) -> bool:
        """Whether e-mail can be sent at all (a host and a sender)."""
        return bool(self.host and self.sender)

    def to_json(self) -> dict[str, Any]:
        """The setting as stored (never a password)."""
        return {
            "host": self.host,
            "port": self.port,
            "sender": self.sender,
            "username": self.username,
            "starttls": self.starttls,
            "ssl": self.ssl,
            "cafile": self.cafile,
        }


def smtp_settings(session: Session) -> SmtpSettings:
    """The registry's SMTP setting, with this machine's environment laid over it."""
    row = session.get(Setting, SETTING_KEY)
    stored: dict[str, Any] = dict(row.value) if row is not None else {}
    settings = SmtpSettings(
        host=str(stored.get("host", "")),
        port=int(stored.get("port", 587) or 587),
        sender=str(stored.get("sender", "")),
        username=str(stored.get("username", "")),
        starttls=bool(stored.get("starttls", True)),
        ssl=bool(stored.get("ssl", False)),
        cafile=str(stored.get("cafile", "")),
    )
    return with_environment(settings)


def with_environment(settings: SmtpSettings) -> SmtpSettings:
    """*settings* with any ``SIGNOFF_SMTP_*`` variable of this process laid over it."""
    changes: dict[str, Any] = {}
    for field_name, env in _ENV.items():
        value = os.environ.get(env)
        if value is None:
            continue
        if field_name == "port":
            try:
                changes["port"] = int(value)
            except ValueError as exc:
                raise EmailError(f"${env} must be a port number, not {value!r}") from exc
        elif field_name == "starttls":
            changes["starttls"] = value.strip().lower() not in ("0", "no", "false", "off")
        else:
            changes[field_name] = value
    return replace(settings, **changes) if changes else settings


def smtp_password(settings: SmtpSettings) -> str:
    """The SMTP password: ``$SIGNOFF_SMTP_PASSWORD``, else the keyring, else empty."""
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if not settings.username:
        return ""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:  # pragma: no cover - a declared dependency
        return ""
    try:
        return keyring.get_password(KEYRING_SERVICE, f"{settings.username}@{settings.host}") or ""
    except KeyringError as exc:
        log.warning("no keyring to read the SMTP password from: %s", exc)
        return ""


def compose(
    settings: SmtpSettings,
    *,
    to: str,
    subject: str,
    text: str,
    key: str,
    event: str,
    attachment: bytes | None = None,
    signature: str = "",
) -> EmailMessage:
    """One e-mail: the text, the notice attached as ``notice.json`` and the Signoff headers."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(idstring=key[-40:], domain="signoff.invalid")
    message["Idempotency-Key"] = key
    message["X-Signoff-Event"] = event
    if signature:
        message["X-Signoff-Signature"] = signature
    message.set_content(text)
    if attachment is not None:
        message.add_attachment(
            attachment, maintype="application", subtype="json", filename="notice.json"
        )
    return message


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Send *message*; EmailError naming what went wrong. Never sends a password in clear."""
    if not settings.configured:
        raise EmailError("no SMTP server is configured (signoff alerts smtp --host … --sender …)")
    password = smtp_password(settings)
    context = ssl.create_default_context(cafile=settings.cafile or None)
    try:
        client: smtplib.SMTP
        if settings.ssl:
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            client.ehlo()
            if not settings.ssl:
                if settings.starttls:
                    client.starttls(context=context)
                    client.ehlo()
                elif settings.username:
                    raise EmailError(
                        "refusing to send the SMTP password over an unencrypted connection: "
                        "turn STARTTLS on"
                    )
            if settings.username:
                if not password:
                    raise EmailError(
                        f"no SMTP password for {settings.username}: set ${PASSWORD_ENV} or "
                        f"store it in the keyring (service {KEYRING_SERVICE}, user "
                        f"{settings.username}@{settings.host})"
                    )
                client.login(settings.username, password)
            client.send_message(message)
    except EmailError:
        raise
    except smtplib.SMTPException as exc:
        raise EmailError(f"SMTP {settings.host}:{settings.port}: {exc}") from exc
    except (TimeoutError, OSError, ssl.SSLError) as exc:
        raise EmailError(
            f"cannot reach SMTP {settings.host}:{settings.port}: {type(exc).__name__}: {exc}"
        ) from exc


def save_smtp_settings(session: Session, settings: SmtpSettings) -> None:
    """Store the SMTP setting (the caller checks the actor is an admin and audits it)."""
    row = session.get(Setting, SETTING_KEY)
    if row is None:
        session.add(Setting(key=SETTING_KEY, value=settings.to_json()))
    else:
        row.value = settings.to_json()
    session.flush()
