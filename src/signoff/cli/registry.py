"""Subcommands for the lab side and for browsing: publish, ls, show, db upgrade."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from signoff.cli.common import print_json, registry_from_args
from signoff.core.catalog import inventory, lookup
from signoff.core.catalog.words import state_word

PERSON_TEXT_LIMIT = 300  # users.display_name and users.email


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("publish", help="publish a model folder as the next draft version")
    p.add_argument("folder", type=Path)
    p.add_argument(
        "--max-component-size",
        metavar="SIZE",
        help="largest file stored as a component, e.g. 500MB or 5GB "
        "(default $SIGNOFF_MAX_COMPONENT_SIZE or 2GB)",
    )
    p.set_defaults(handler=cmd_publish)

    p = sub.add_parser("ls", help="list the inventory")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--search", default="", help="filter by name, title, owner or tag")
    p.set_defaults(handler=cmd_ls)

    p = sub.add_parser("show", help="show a model version: components, hashes, metrics")
    p.add_argument("ref", metavar="MODEL[@VERSION]")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_show)

    db = sub.add_parser("db", help="database maintenance")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = dbsub.add_parser("upgrade", help="apply pending schema migrations")
    up.set_defaults(handler=cmd_db_upgrade)
    roles = dbsub.add_parser(
        "init-roles",
        help="PostgreSQL: create the group roles and grants (run as the tables' owner)",
    )
    roles.set_defaults(handler=cmd_db_init_roles)
    user = dbsub.add_parser("add-user", help="PostgreSQL: create a person's own login with roles")
    user.add_argument("login")
    user.add_argument("--name", default="", help="printed name shown with signatures")
    user.add_argument("--email", default="")
    user.add_argument(
        "--role",
        action="append",
        required=True,
        dest="roles",
        help="author, validator, business_owner, release_manager, auditor, "
        "viewer or admin (repeatable)",
    )
    user.add_argument(
        "--password-env",
        default="SIGNOFF_NEW_PASSWORD",
        help="environment variable holding the new login's password "
        "(default SIGNOFF_NEW_PASSWORD; prompted for when unset)",
    )
    user.set_defaults(handler=cmd_db_add_user)


def cmd_publish(args: argparse.Namespace) -> int:
    # not on the path of `ls`
    from signoff.core.publishing.limits import parse_size
    from signoff.core.publishing.publisher import publish

    limit = parse_size(args.max_component_size) if args.max_component_size else None
    registry = registry_from_args(args)
    result = publish(registry, args.folder, max_component_bytes=limit)
    print(result)
    return 0


def cmd_ls(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    with registry.read() as session:
        rows = inventory.inventory(
            session, inventory.InventoryQuery(search=args.search, limit=None)
        )
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    header = ("MODEL", "OWNER", "TIER", "LIVE", "LATEST", "STATE", "FLAGS")
    table = [header] + [
        (
            r.name,
            r.owner,
            r.risk_tier,
            f"v{r.live_version}" if r.live_version else "-",
            f"v{r.latest_version}" if r.latest_version else "-",
            state_word(r.latest_state) if r.latest_state else "-",
            ", ".join(r.flag_words),
        )
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    name, number = lookup.parse_ref(args.ref)
    with registry.read() as session:
        version = lookup.get_version(session, name, number)
        data = lookup.version_to_json(version)
    if args.json:
        print_json(data)
        return 0
    print(
        f"{data['model']} v{data['version']}  [{state_word(data['state'])}]  by {data['author']}, "
        f"{data['created_at'][:16]}"
    )
    print(f"manifest {data['manifest_hash']}")
    print(f"entry point {data['entry_point']}")
    source = data["source"]
    if source:
        _print_source(source)
    print("\ncomponents:")
    for c in data["components"]:
        # a component may have a path (a file), a URI (external data) or neither (params.json
        # from an MLflow run, stored from the run's parameters): name it by what it has
        where = c["path"] or c["uri"] or c["name"] or "(unnamed)"
        size = f"{c['size']:,} B" if c["size"] is not None else "external"
        print(f"  {c['kind']:<14} {where:<40} {size:>14}  {c['sha256'] or '(no hash)'}")
    if data["metrics"]:
        print("\nmetrics:")
        for m in data["metrics"]:
            print(f"  {m['name']:<20} {m['value']:.4f}  ({m['dataset']})")
    return 0


def _print_source(source: dict[str, Any]) -> None:
    print(f"imported from MLflow {source['server']}: {source['name']} v{source['version']}")
    print(f"  stage {source['stage'] or 'None'}; aliases {', '.join(source['aliases']) or '-'}")
    if source["tags"]:
        tags = ", ".join(f"{k}={v}" for k, v in sorted(source["tags"].items()))
        print(f"  tags {tags}")
    if source["run_id"]:
        deleted = "  DELETED in MLflow" if source["run_deleted"] else ""
        print(f"  run {source['run_id']}{deleted}")
    description = source["description"].strip()
    if description:
        print(f"  description: {description.splitlines()[0][:100]}")


def cmd_db_init_roles(args: argparse.Namespace) -> int:
    from signoff.core.db.pgroles import init_roles

    registry = registry_from_args(args)
    for statement in init_roles(registry.engine):
        print(statement)
    return 0


def cmd_db_add_user(args: argparse.Namespace) -> int:
    import getpass
    import os

    from signoff.core.common.errors import SignoffError
    from signoff.core.db.pgroles import check_login
    from signoff.core.governance.people import enrol_person

    for what, value in (("--name", args.name), ("--email", args.email)):
        if len(value) > PERSON_TEXT_LIMIT:
            raise SignoffError(f"{what} is at most {PERSON_TEXT_LIMIT} characters")
    registry = registry_from_args(args)
    password = None
    if not registry.is_embedded:
        check_login(args.login, args.roles)  # before asking for a password
        password = os.environ.get(args.password_env) or getpass.getpass(
            f"password for {args.login}: "
        )
    # the login and the person are made in one transaction: both, or neither
    enrol_person(
        registry,
        args.login,
        roles=args.roles,
        password=password,
        display_name=args.name or None,
        email=args.email or None,
    )
    print(f"{args.login}: {', '.join(args.roles)}")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from signoff.core.db.migrate import upgrade_to_head

    registry = registry_from_args(args, upgrade=False)
    ran = upgrade_to_head(registry.engine)
    print("database schema is up to date" if not ran else "database schema upgraded")
    return 0
