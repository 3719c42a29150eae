"""``signoff consumers ls|show|update|remove|ack|migration``: consumers as first-class records.

``add`` and ``allow-host`` live in :mod:`signoff.cli.notify`. Changing a consumer touches only
the fields given; removing one keeps its history (it becomes inactive). Recording an
acknowledgement given another way (a phone call) needs an admin and a note saying how.
"""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy.orm import Session

from signoff.cli.common import print_json, registry_from_args
from signoff.core.catalog.lookup import get_model, get_version
from signoff.core.common.errors import SignoffError
from signoff.core.governance.people import require_admin
from signoff.core.governance.workflow import in_write
from signoff.core.notifications.acks import ack_by_names
from signoff.core.notifications.consumers import (
    KEEP,
    consumer_records,
    get_consumer,
    save_consumer,
)
from signoff.core.notifications.usage import migration_rows


def register_actions(csub: argparse._SubParsersAction) -> None:
    """Add the record-keeping actions under ``signoff consumers``."""
    ls = csub.add_parser("ls", help="every consumer, with the models and versions it uses")
    ls.add_argument("--all", action="store_true", help="include removed consumers")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=cmd_ls)
    show = csub.add_parser("show", help="one consumer: every model and version it uses")
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)
    upd = csub.add_parser("update", help="change some fields of a consumer of a model")
    upd.add_argument("model")
    upd.add_argument("name")
    upd.add_argument("--webhook", help="URL receiving signed JSON POSTs ('' removes it)")
    upd.add_argument("--email", help="address receiving notices by e-mail ('' removes it)")
    upd.add_argument("--kind")
    upd.add_argument("--contact")
    pin = upd.add_mutually_exclusive_group()
    pin.add_argument("--pin", type=int, metavar="VERSION", help="pin to this version")
    pin.add_argument("--follow-live", action="store_true", help="no pin: use what is live")
    upd.set_defaults(handler=cmd_update)
    rm = csub.add_parser("remove", help="stop notifying a consumer (its history stays)")
    rm.add_argument("model")
    rm.add_argument("name")
    rm.set_defaults(handler=cmd_remove)
    ack = csub.add_parser(
        "ack", help="admins: record that a consumer acknowledged a do-not-use notice"
    )
    ack.add_argument("model")
    ack.add_argument("name", help="the consumer")
    ack.add_argument("version", type=int, help="the do-not-use version's number")
    ack.add_argument("--note", required=True, help='how it was acknowledged ("phone call …")')
    ack.set_defaults(handler=cmd_ack)
    mig = csub.add_parser(
        "migration", help="per do-not-use version: which consumers moved, pin, use, ack"
    )
    mig.add_argument("model", nargs="?")
    mig.add_argument("--json", action="store_true")
    mig.set_defaults(handler=cmd_migration)


def cmd_ls(args: argparse.Namespace) -> int:
    """List consumers by name, one line per model each uses."""
    registry = registry_from_args(args)
    with registry.read() as session:
        records = consumer_records(session, include_removed=args.all)
    if args.json:
        print_json([r.to_json() for r in records])
        return 0
    for record in records:
        for use in record.models:
            channels = ", ".join(c for c in (use.webhook_url, use.email) if c) or "no channel"
            removed = "" if use.active else "  (removed)"
            print(f"{record.name:20} {use.model:20} {use.uses:24} {channels}{removed}")
    if not records:
        print("no consumers")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """One consumer across models."""
    registry = registry_from_args(args)
    with registry.read() as session:
        record = consumer_records(session, name=args.name, include_removed=True)[0]
    if args.json:
        print_json(record.to_json())
        return 0
    print(record.name)
    for use in record.models:
        print(f"  {use.model}: {use.uses}{'' if use.active else ' (removed)'}, kind {use.kind}")
        print(f"    webhook: {use.webhook_url or '-'}   e-mail: {use.email or '-'}")
        if use.contact:
            print(f"    contact: {use.contact}")
    return 0


def _save(registry: Any, args: argparse.Namespace, fields: dict[str, Any]) -> str:
    def work(session: Session) -> str:
        require_admin(session, registry.actor)
        model = get_model(session, args.model)
        get_consumer(session, args.model, args.name)  # update, never create
        try:
            consumer = save_consumer(
                session, model, args.name, actor=registry.actor, **_resolve(session, fields)
            )
        except ValueError as exc:
            raise SignoffError(str(exc)) from exc
        return consumer.name

    return in_write(registry, work)


def cmd_update(args: argparse.Namespace) -> int:
    """Change only the fields given."""
    registry = registry_from_args(args)
    fields: dict[str, Any] = {
        "webhook_url": args.webhook if args.webhook is not None else KEEP,
        "email": args.email if args.email is not None else KEEP,
        "kind": args.kind if args.kind is not None else KEEP,
        "contact": args.contact if args.contact is not None else KEEP,
    }
    if args.webhook:
        raise SignoffError(
            "set a webhook with `signoff consumers add MODEL NAME --webhook URL` (it needs "
            "the consumer's secret); update may only remove one (--webhook '')"
        )
    if args.follow_live:
        fields["pinned_version"] = None
    elif args.pin is not None:
        with registry.read() as session:
            get_version(session, args.model, args.pin)  # a clear message for a wrong number
        fields["pinned_version"] = _Pin(args.model, args.pin)
    if all(v is KEEP for v in fields.values()):
        raise SignoffError("nothing to change: give --email, --kind, --contact, --pin …")
    name = _save(registry, args, fields)
    print(f"consumer {name} of {args.model} updated")
    return 0


class _Pin:
    """A version named on the command line, looked up inside the write transaction."""

    def __init__(self, model: str, number: int) -> None:
        self.model, self.number = model, number


def _resolve(session: Session, fields: dict[str, Any]) -> dict[str, Any]:
    pin = fields.get("pinned_version")
    if isinstance(pin, _Pin):
        fields = {**fields, "pinned_version": get_version(session, pin.model, pin.number)}
    return fields


def cmd_remove(args: argparse.Namespace) -> int:
    """Deactivate a consumer (no more notices; its history and acknowledgements stay)."""
    registry = registry_from_args(args)
    name = _save(registry, args, {"active": False})
    print(f"consumer {name} of {args.model} removed (its history stays)")
    return 0


def cmd_ack(args: argparse.Namespace) -> int:
    """An admin records an acknowledgement given another way."""
    registry = registry_from_args(args)

    def work(session: Session) -> bool:
        require_admin(session, registry.actor)
        return ack_by_names(
            session, args.model, args.name, args.version, actor=registry.actor, note=args.note
        )

    first = in_write(registry, work)
    if first:
        print(f"{args.name} acknowledged that {args.model} v{args.version} must not be used")
    else:
        print(f"{args.name} had already acknowledged {args.model} v{args.version}")
    return 0


def cmd_migration(args: argparse.Namespace) -> int:
    """Who moved off each do-not-use version, and who has not."""
    registry = registry_from_args(args)
    with registry.read() as session:
        if args.model:
            get_model(session, args.model)
        rows = migration_rows(session, args.model)
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    if not rows:
        print("no consumer of a do-not-use version")
        return 0
    header = ("MODEL", "DNU", "CONSUMER", "PINNED", "LAST USED", "ACK", "DAYS", "STATUS")
    table = [header] + [
        (
            r.model,
            f"v{r.version}",
            r.consumer,
            f"v{r.pinned}" if r.pinned else "live",
            f"v{r.last_used_version}" if r.last_used_version else "-",
            r.acknowledged_via or "no",
            str(r.days_since_notice if r.days_since_notice is not None else "-"),
            r.status,
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0
