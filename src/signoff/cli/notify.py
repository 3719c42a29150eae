"""``signoff notify`` delivers queued consumer notifications; ``signoff consumers`` manages them."""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from signoff.cli.common import print_json, registry_from_args
from signoff.cli.consumers import register_actions
from signoff.core.catalog.lookup import get_model, get_version
from signoff.core.common.errors import SignoffError
from signoff.core.governance.workflow import in_write
from signoff.core.notifications.outbox import deliver_due, delivery_rows, save_consumer
from signoff.core.notifications.webhooks import allowed_webhook_hosts, resolved_url_problem


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("notify", help="deliver queued notifications to consumers' webhooks")
    p.add_argument(
        "--loop", type=float, metavar="SECONDS", help="keep running, delivering every SECONDS"
    )
    p.add_argument("--status", action="store_true", help="show delivery state instead")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_notify)

    c = sub.add_parser("consumers", help="who consumes a model and how to notify them")
    csub = c.add_subparsers(dest="consumers_command", metavar="ACTION", required=True)
    add = csub.add_parser("add", help="add or update a consumer of a model")
    add.add_argument("model")
    add.add_argument("name")
    add.add_argument("--webhook", help="URL receiving signed JSON POSTs")
    add.add_argument(
        "--secret-env",
        default="SIGNOFF_CONSUMER_SECRET",
        help="environment variable holding the HMAC secret (default SIGNOFF_CONSUMER_SECRET)",
    )
    add.add_argument("--email", help="address receiving notices by e-mail")
    add.add_argument("--kind", help="batch, online, report, team … (a new consumer: batch)")
    add.add_argument("--contact", help="who to call, in words")
    add.add_argument("--pin", type=int, metavar="VERSION", help="pinned version number")
    add.set_defaults(handler=cmd_consumer_add)
    allow = csub.add_parser(
        "allow-host",
        help="admins: let a link-local or metadata-address host receive webhooks (audited)",
    )
    allow.add_argument("host", help="the host name or IP address, exactly as in the URL")
    allow.add_argument("--reason", required=True, help="why this host may receive them")
    allow.add_argument("--remove", action="store_true", help="no longer allow the host")
    allow.set_defaults(handler=cmd_consumer_allow_host)
    register_actions(csub)


def cmd_notify(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    if args.status:
        with registry.read() as s:
            rows = delivery_rows(s)
        if args.json:
            print_json([r.__dict__ for r in rows])
            return 0
        for r in rows:
            print(
                f"{r.model}/{r.consumer:16} {r.event:11} v{r.version} {r.state:11} "
                f"attempts {r.attempts} {r.last_error[:60]}"
            )
        return 0
    while True:
        report = deliver_due(registry)
        print(report.describe(), flush=True)
        if not args.loop:
            return 0 if not report.failed else 1
        time.sleep(args.loop)


def cmd_consumer_add(args: argparse.Namespace) -> int:
    secret = os.environ.get(args.secret_env, "")
    if args.webhook and not secret:
        raise SignoffError(
            f"set the consumer's secret in ${args.secret_env} (never on the "
            "command line, where other users can see it)"
        )
    registry = registry_from_args(args)
    if args.webhook:
        # the address rules on what the host resolves to now, before any transaction starts
        with registry.read() as session:
            allowed = allowed_webhook_hosts(session)
        problem = resolved_url_problem(args.webhook, allowed)
        if problem:
            raise SignoffError(f"webhook URL refused: {problem}")

    def work(session):  # noqa: ANN001, ANN202
        model = get_model(session, args.model)
        # only what is given changes: re-pinning keeps the contact, kind and channels
        fields: dict[str, Any] = {
            name: value
            for name, value in (
                ("kind", args.kind),
                ("contact", args.contact),
                ("email", args.email),
            )
            if value is not None
        }
        if args.webhook:
            fields.update(webhook_url=args.webhook, secret=secret)
        if args.pin:
            fields["pinned_version"] = get_version(session, args.model, args.pin)
        try:
            consumer = save_consumer(session, model, args.name, actor=registry.actor, **fields)
        except ValueError as exc:
            raise SignoffError(str(exc)) from exc
        return consumer.name

    name = in_write(registry, work)
    print(f"consumer {name} of {args.model} saved")
    return 0


def cmd_consumer_allow_host(args: argparse.Namespace) -> int:
    from signoff.core.governance.webhook_hosts import allow_webhook_host

    registry = registry_from_args(args)
    hosts = in_write(
        registry,
        allow_webhook_host,
        args.host,
        actor=registry.actor,
        reason=args.reason,
        allow=not args.remove,
    )
    print(f"hosts allowed despite the address rules: {', '.join(hosts) or 'none'}")
    return 0
