"""Model-risk subcommands: findings, revalidation due dates, overdue items and attestations.

``signoff findings raise credit@4 --title … --severity high --due 2026-12-31`` and the actions
on a finding (``propose``, ``close``, ``accept``, ``except`` …) go through the same core
functions as the desktop; a refused action exits 2 with the reason. ``signoff revalidate`` (a
decision, with the other decisions) signs a live version as revalidated;
``signoff revalidation`` lists what falls due.
"""

from __future__ import annotations

import argparse
from datetime import datetime, time
from pathlib import Path

from sqlalchemy.orm import Session

from signoff.cli.common import print_json, registry_from_args
from signoff.core.catalog.findings_view import list_findings
from signoff.core.catalog.lookup import parse_ref
from signoff.core.catalog.revalidation import revalidations
from signoff.core.common.errors import SignoffError
from signoff.core.db import model_risk as rk
from signoff.core.db.registry import db_now
from signoff.core.governance import attestations as att
from signoff.core.governance.alerts import Alert
from signoff.core.governance.findings import act_on_finding, parse_day
from signoff.core.governance.inventory_pdf import write_inventory_report
from signoff.core.governance.overdue import overdue_items, raise_overdue_alerts
from signoff.core.governance.workflow import in_write

#: command word -> (finding action, help)
FINDING_COMMANDS = {
    "propose": ("propose_remediation", "propose a remediation (the finding's owner or author)"),
    "reject": ("reject_remediation", "reject a proposed remediation (comment required)"),
    "close": ("close", "close a finding (who raised it, or a second validator)"),
    "accept": ("accept_limitation", "accept as a limitation with --controls"),
    "except": ("grant_exception", "grant a policy exception until --expires"),
    "reopen": ("reopen", "reopen a closed, accepted or excepted finding"),
    "amend": ("amend", "change title, severity, owner or due date"),
    "comment": ("comment", "comment on a finding"),
}


def _as_of(text: str | None) -> datetime | None:
    """The end of day *text* (a date), or None."""
    if not text:
        return None
    return datetime.combine(parse_day(text, "--as-of"), time(23, 59, 59))


def register(sub: argparse._SubParsersAction) -> None:
    fin = sub.add_parser("findings", help="raise, answer and judge findings on models")
    fsub = fin.add_subparsers(dest="findings_command", metavar="ACTION", required=True)
    ls = fsub.add_parser("ls", help="list findings (of a model or version)")
    ls.add_argument("ref", nargs="?", metavar="MODEL[@VERSION]")
    ls.add_argument("--status", action="append", choices=rk.STATUSES, default=[])
    ls.add_argument("--as-of", help="the findings as they stood at the end of this date")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=cmd_findings_ls)
    new = fsub.add_parser("raise", help="raise a finding (validator or auditor)")
    new.add_argument("ref", metavar="MODEL[@VERSION]")
    new.add_argument("--title", required=True)
    new.add_argument("--severity", required=True)
    new.add_argument("--due", required=True, help="date it must be resolved by (YYYY-MM-DD)")
    new.add_argument("--type", dest="kind", choices=rk.KINDS, default="issue")
    new.add_argument("--owner", help="who must fix it (default: the model's owner)")
    new.add_argument("--description", default="")
    new.set_defaults(handler=cmd_findings_raise)
    for word, (action, help_text) in FINDING_COMMANDS.items():
        p = fsub.add_parser(word, help=help_text)
        p.add_argument("finding", type=int, metavar="NUMBER")
        p.add_argument("-m", "--comment", default="")
        if action == "accept_limitation" or action == "grant_exception":
            p.add_argument("--controls", help="the compensating controls")
        if action == "grant_exception":
            p.add_argument("--expires", required=True, help="date the exception ends")
        if action == "amend":
            for field in ("title", "severity", "owner", "due", "description"):
                p.add_argument(f"--{field}")
        p.set_defaults(handler=cmd_finding_action, action=action)
    over = fsub.add_parser("overdue", help="conditions, revalidations and exceptions overdue")
    over.add_argument("--as-of", help="judge at the end of this date (default now)")
    over.add_argument("--alert", action="store_true", help="raise an alert for each, once")
    over.add_argument("--json", action="store_true")
    over.set_defaults(handler=cmd_overdue)

    rev = sub.add_parser("revalidation", help="live versions due for revalidation")
    rev.add_argument("--within", type=int, default=30, help="days ahead (default 30)")
    rev.add_argument("--all", action="store_true", help="every live model")
    rev.add_argument("--as-of", help="judge at the end of this date (default now)")
    rev.add_argument("--json", action="store_true")
    rev.set_defaults(handler=cmd_revalidation)

    at = sub.add_parser("attest", help="attestation periods: model owners confirm the inventory")
    asub = at.add_subparsers(dest="attest_command", metavar="ACTION", required=True)
    op = asub.add_parser("open", help="open a period (admin)")
    op.add_argument("name")
    op.add_argument("--due", required=True)
    op.set_defaults(handler=cmd_attest_open)
    cl = asub.add_parser("close", help="close a period (admin)")
    cl.add_argument("name")
    cl.set_defaults(handler=cmd_attest_close)
    mo = asub.add_parser("model", help="attest a model you own, or correct it")
    mo.add_argument("model")
    mo.add_argument("--period", help="default: the open period")
    mo.add_argument(
        "--correct",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help=f"correct {', '.join(rk.CORRECTABLE)}, or report {', '.join(rk.NOTED)} wrong",
    )
    mo.add_argument("-m", "--comment", default="")
    mo.set_defaults(handler=cmd_attest_model)
    pr = asub.add_parser("progress", help="progress per business unit")
    pr.add_argument("name", nargs="?")
    pr.add_argument("--json", action="store_true")
    pr.set_defaults(handler=cmd_attest_progress)
    rm = asub.add_parser("remind", help="remind the owners still pending (alert channels)")
    rm.add_argument("name", nargs="?")
    rm.set_defaults(handler=cmd_attest_remind)
    register_report(sub)


def cmd_findings_ls(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    name, number = parse_ref(args.ref) if args.ref else (None, None)
    with registry.read() as s:
        rows = list_findings(
            s, model=name, number=number, statuses=tuple(args.status), as_of=_as_of(args.as_of)
        )
    if args.json:
        print_json([r.to_json() for r in rows])
    elif not rows:
        print("no findings")
    for row in rows if not args.json else []:
        print(row.describe())
    return 0


def cmd_findings_raise(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    name, number = parse_ref(args.ref)
    fields = {
        "title": args.title,
        "severity": args.severity,
        "due": args.due,
        "kind": args.kind,
        "description": args.description,
    }
    if args.owner:
        fields["owner"] = args.owner
    outcome = in_write(
        registry,
        act_on_finding,
        "raise",
        actor=registry.actor,
        model_name=name,
        number=number,
        fields=fields,
    )
    print(outcome.describe())
    return 0


def cmd_finding_action(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    fields: dict[str, str] = {}
    if getattr(args, "controls", None):
        fields["compensating_controls"] = args.controls
    if getattr(args, "expires", None):
        fields["expires"] = args.expires
    for key in ("title", "severity", "owner", "due", "description"):
        value = getattr(args, key, None) if args.action == "amend" else None
        if value is not None:
            fields[key] = value
    outcome = in_write(
        registry,
        act_on_finding,
        args.action,
        actor=registry.actor,
        finding_id=args.finding,
        fields=fields,
        comment=args.comment,
    )
    print(outcome.describe())
    return 0


def cmd_overdue(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    if args.alert:

        def alert(session: Session) -> list[Alert]:
            moment = _as_of(args.as_of) or db_now(session)
            return raise_overdue_alerts(session, moment, actor=registry.actor)

        for raised in in_write(registry, alert):
            print(f"alert raised: {raised.message}")
    with registry.read() as s:
        items = overdue_items(s, _as_of(args.as_of) or db_now(s))
    if args.json:
        print_json([{**item.__dict__, "due": item.due.isoformat()} for item in items])
        return 0
    if not items:
        print("nothing overdue")
    for item in items:
        print(f"{item.kind.replace('_', ' ')}: {item.message}")
    return 0


def cmd_revalidation(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    with registry.read() as s:
        rows = revalidations(
            s, _as_of(args.as_of) or db_now(s), within_days=None if args.all else args.within
        )
    if args.json:
        print_json([{**r.__dict__} for r in rows])
        return 0
    if not rows:
        print(f"no live version due for revalidation within {args.within} days")
    for row in rows:
        print(row.describe())
    return 0


def cmd_attest_open(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    in_write(registry, att.open_period, args.name, args.due, actor=registry.actor)
    print(f"attestation period {args.name} opened (due {args.due})")
    return 0


def cmd_attest_close(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    in_write(registry, att.close_period, args.name, actor=registry.actor)
    print(f"attestation period {args.name} closed")
    return 0


def cmd_attest_model(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    corrections: dict[str, str] = {}
    for item in args.correct:
        key, sep, value = item.partition("=")
        if not sep:
            raise SignoffError(f"--correct '{item}': give FIELD=VALUE, like business_unit=Retail")
        corrections[key.strip()] = value
    in_write(
        registry,
        att.attest,
        args.model,
        actor=registry.actor,
        period_name=args.period,
        corrections=corrections,
        comment=args.comment,
    )
    verdict = "corrected" if corrections else "attested"
    print(f"{args.model}: {verdict}")
    return 0


def cmd_attest_progress(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    with registry.read() as s:
        progress = att.period_progress(s, args.name)
    if args.json:
        print_json(
            {
                "period": progress.name,
                "due": progress.due.isoformat(),
                "units": [u.__dict__ for u in progress.units],
                "models": progress.models,
            }
        )
        return 0
    print(f"{progress.name} (due {progress.due}):")
    for unit in progress.units:
        done = unit.attested + unit.corrected
        print(f"  {unit.business_unit}: {done}/{unit.models} ({unit.corrected} corrected)")
    return 0


def cmd_attest_remind(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    raised = in_write(
        registry, lambda s: att.remind_owners(s, actor=registry.actor, name=args.name)
    )
    print(f"{len(raised)} reminder(s) sent")
    return 0


def register_report(sub: argparse._SubParsersAction) -> None:
    """``signoff report inventory``: the regulator's inventory as CSV and PDF."""
    rep = sub.add_parser("report", help="reports for regulators")
    rsub = rep.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    inv = rsub.add_parser("inventory", help="every model as it stood at a date (PDF and CSV)")
    inv.add_argument("--as-of", help="the end of this date (default now)")
    inv.add_argument("--out", type=Path, default=Path("."), help="folder for the two files")
    inv.set_defaults(handler=cmd_report_inventory)


def cmd_report_inventory(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    pdf_path, csv_path, report = write_inventory_report(registry, _as_of(args.as_of), args.out)
    print(
        f"{len(report.entries)} models as of {report.as_of:%Y-%m-%d %H:%M} UTC (audit head "
        f"#{report.head_seq}): {pdf_path} and {csv_path}"
    )
    return 0
