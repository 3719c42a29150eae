"""``signoff alerts ls|read|smtp``: a person's alerts, and the SMTP server they are e-mailed by.

``ls`` shows the alerts of the person running it (newest first; ``--unread`` only those not
read, ``--everyone`` every alert, for admins); ``read`` marks the person's own alerts read.
``smtp`` (admins) stores the server alerts and notices are e-mailed through; the password is
never stored: it comes from ``$SIGNOFF_SMTP_PASSWORD`` or the system keyring on the machine
that delivers. ``smtp --test ADDRESS`` sends one e-mail now and says what went wrong.
"""

from __future__ import annotations

import argparse

from sqlalchemy.orm import Session

from signoff.cli.common import print_json, registry_from_args
from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.common.errors import SignoffError
from signoff.core.governance.people import require_admin
from signoff.core.governance.workflow import in_write
from signoff.core.notifications import alerts as al
from signoff.core.notifications.consumers import ConsumerError, check_email
from signoff.core.notifications.email import (
    SmtpSettings,
    compose,
    save_smtp_settings,
    send,
    smtp_settings,
)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``signoff alerts`` to the command line."""
    a = sub.add_parser("alerts", help="your alerts, and the SMTP server that e-mails them")
    asub = a.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)
    ls = asub.add_parser("ls", help="your alerts, newest first")
    ls.add_argument("--unread", action="store_true", help="only those not read yet")
    ls.add_argument("--everyone", action="store_true", help="every alert (admins)")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=cmd_ls)
    read = asub.add_parser("read", help="mark your alerts read (all, or the IDs given)")
    read.add_argument("ids", nargs="*", type=int, metavar="ID")
    read.set_defaults(handler=cmd_read)
    smtp = asub.add_parser("smtp", help="admins: the SMTP server e-mails go through")
    smtp.add_argument("--host")
    smtp.add_argument("--port", type=int)
    smtp.add_argument("--sender", help="the From address")
    smtp.add_argument("--username", help="login (its password: $SIGNOFF_SMTP_PASSWORD/keyring)")
    smtp.add_argument("--no-starttls", action="store_true", help="(only without a login)")
    smtp.add_argument("--ssl", action="store_true", help="implicit TLS (port 465)")
    smtp.add_argument("--cafile", help="a CA bundle to trust for the server's certificate")
    smtp.add_argument("--test", metavar="ADDRESS", help="send a test e-mail to ADDRESS")
    smtp.set_defaults(handler=cmd_smtp)


def cmd_ls(args: argparse.Namespace) -> int:
    """Print the person's alerts."""
    registry = registry_from_args(args)
    with registry.read() as session:
        if args.everyone:
            require_admin(session, registry.actor)
        rows = al.alerts_for(
            session, None if args.everyone else registry.actor, unread_only=args.unread
        )
        unread = al.unread_count(session, registry.actor)
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    print(f"{unread} unread alert(s) for {registry.actor}")
    for r in rows:
        mark = "*" if r.unread and not args.everyone else " "
        print(f"{mark} #{r.id:<5} {r.created_at:%Y-%m-%d %H:%M}  {r.severity:8} {r.title}")
        if r.body:
            for line in r.body.splitlines():
                print(f"          {line}")
    return 0


def cmd_read(args: argparse.Namespace) -> int:
    """Mark the person's own alerts read."""
    registry = registry_from_args(args)
    count = in_write(registry, al.mark_read, registry.actor, args.ids or None)
    print(f"{count} alert(s) marked read")
    return 0


def cmd_smtp(args: argparse.Namespace) -> int:
    """Show, change or test the SMTP setting."""
    registry = registry_from_args(args)
    changing = any(
        v is not None for v in (args.host, args.port, args.sender, args.username, args.cafile)
    ) or (args.no_starttls or args.ssl)
    if args.port is not None and not 0 < args.port < 65536:
        raise SignoffError("--port must be between 1 and 65535")
    for option, value in (("--sender", args.sender), ("--test", args.test)):
        if value:
            try:
                check_email(value)
            except ConsumerError as exc:
                raise SignoffError(f"{option}: {exc}") from exc

    def change(session: Session) -> SmtpSettings:
        require_admin(session, registry.actor)
        old = smtp_settings(session)
        new = SmtpSettings(
            host=args.host if args.host is not None else old.host,
            port=args.port if args.port is not None else old.port,
            sender=args.sender if args.sender is not None else old.sender,
            username=args.username if args.username is not None else old.username,
            starttls=not args.no_starttls,
            ssl=args.ssl,
            cafile=args.cafile if args.cafile is not None else old.cafile,
        )
        if new.username and not (new.starttls or new.ssl):
            raise SignoffError("a login needs STARTTLS or --ssl: the password is never sent plain")
        save_smtp_settings(session, new)
        append_event(
            session,
            actor=registry.actor,
            action=events.SMTP_CHANGED,
            entity_type="setting",
            entity_id="smtp",
            payload=new.to_json(),
        )
        return new

    if changing:
        settings = in_write(registry, change)
        print("SMTP setting saved")
    else:
        with registry.read() as session:
            settings = smtp_settings(session)
    data = settings.to_json()
    print(", ".join(f"{k} {v}" for k, v in data.items() if v not in ("", None)) or "no SMTP server")
    if args.test:
        message = compose(
            settings,
            to=args.test,
            subject="[Signoff] test e-mail",
            text="Signoff can send you alerts and notices.\n",
            key="signoff-smtp-test",
            event="test",
        )
        send(settings, message)  # an EmailError is the person's problem: exit 2
        print(f"test e-mail sent to {args.test}")
    return 0
