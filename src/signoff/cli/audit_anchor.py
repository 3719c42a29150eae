"""``signoff audit anchor``: where the exported chain head is kept, and writing it there."""

from __future__ import annotations

import argparse

from signoff.cli.common import print_json, registry_from_args
from signoff.core.audit.anchor import check_anchor, exported_when, write_anchor
from signoff.core.audit.anchor_store import (
    anchor_to_remember,
    configured_anchor,
    open_anchor,
    registry_label,
    save_anchor_setting,
)


def register(asub: argparse._SubParsersAction) -> None:
    anchor = asub.add_parser(
        "anchor", help="keep the chain's head outside the registry, where a rewrite shows"
    )
    nsub = anchor.add_subparsers(dest="anchor_command", metavar="ACTION", required=True)
    s = nsub.add_parser(
        "set",
        help="remember where this registry's head is anchored (a file on another share, or "
        "a sqlite:/// or postgresql:// URL; no password) and write the head there now",
    )
    s.add_argument("location")
    s.set_defaults(handler=cmd_anchor_set)
    u = nsub.add_parser("unset", help="forget this registry's anchor (the anchor is kept)")
    u.set_defaults(handler=cmd_anchor_unset)
    w = nsub.add_parser("write", help="write the chain's current head to the anchor")
    w.add_argument("--anchor", metavar="LOCATION", help="this anchor instead of the configured one")
    w.set_defaults(handler=cmd_anchor_write)
    show = nsub.add_parser("show", help="the configured anchor and the head it holds")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_anchor_show)


def cmd_anchor_set(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    db_url = registry.location.db_url
    store = anchor_to_remember(db_url, args.location)
    with registry.read() as session:
        # the first head goes there at once, so the anchor is never configured but empty
        anchored, _store = write_anchor(session, db_url, store.location)
    path = save_anchor_setting(db_url, store.location)
    print(f"anchor of {registry_label(db_url)}: {store.describe()} (remembered in {path})")
    print(f"head #{anchored.seq} {anchored.hash} written there")
    setting = configured_anchor(db_url)
    if setting is not None and setting.location != store.location:
        print(f"note: {setting.source} is set and overrides this setting")
    return 0


def cmd_anchor_unset(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    path = save_anchor_setting(registry.location.db_url, None)
    print(f"no anchor remembered for {registry_label(registry.location.db_url)} (in {path})")
    return 0


def cmd_anchor_write(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    with registry.read() as session:
        anchored, store = write_anchor(session, registry.location.db_url, args.anchor)
    print(f"head #{anchored.seq} {anchored.hash} anchored in {store.describe()}")
    return 0


def cmd_anchor_show(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    db_url = registry.location.db_url
    setting = configured_anchor(db_url)
    with registry.read() as session:
        verdict = check_anchor(session, db_url)
    if args.json:
        print_json(
            {
                "registry": registry_label(db_url),
                "location": setting.location if setting else None,
                "configured_in": setting.source if setting else None,
                "status": verdict.status,
                "message": verdict.message,
                "seq": verdict.head.seq if verdict.head else None,
                "exported_at": verdict.head.exported_at if verdict.head else None,
            }
        )
        return 0
    if setting is None:
        print(verdict.message)
        return 0
    print(f"anchor: {open_anchor(setting.location).describe()} (from {setting.source})")
    if verdict.head is not None:
        print(f"head #{verdict.head.seq} exported at {exported_when(verdict.head)}")
    print(verdict.message)
    return 0 if verdict.ok else 1
