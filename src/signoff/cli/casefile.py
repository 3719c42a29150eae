"""The auditor's case file on the command line: sampled campaigns, stored reports checked later,
and the data locations input references are read from.

``signoff audit sample`` exits 0 when every drawn prediction reproduced, 1 when any differs or
could not run, 2 on bad input or a cancelled campaign. ``signoff audit verify-report`` exits 0
for a report the trail vouches for, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path

from signoff.cli.common import print_json, registry_from_args
from signoff.core.audit.chain import read_head_file
from signoff.core.common.clock import parse_time
from signoff.core.common.errors import SignoffError
from signoff.core.db.schema import RISK_TIERS
from signoff.core.reproduction.campaign import run_campaign
from signoff.core.reproduction.campaigns import (
    campaign_items,
    differ_words,
    get_campaign,
    list_campaigns,
)
from signoff.core.reproduction.datalocations import (
    add_data_location,
    configured_locations,
    remove_data_location,
)
from signoff.core.reproduction.sampling import SampleCriteria
from signoff.core.reproduction.verify_report import verify_report_file
from signoff.core.runner import Limits


def _audit_actions(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The ``signoff audit`` group's own subcommands (registered by :mod:`signoff.cli.audit`)."""
    audit = sub.choices.get("audit")
    for action in getattr(audit, "_actions", []):
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise RuntimeError("signoff.cli.audit must be registered before signoff.cli.casefile")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``audit sample|campaigns|campaign|verify-report`` and ``data-locations``."""
    asub = _audit_actions(sub)
    s = asub.add_parser(
        "sample",
        help="re-run a reproducible random sample of recorded predictions and report on it "
        "(exit 0 all reproduced, 1 any exception)",
    )
    s.add_argument("--from", dest="start", required=True, metavar="DATE", help="first day")
    s.add_argument(
        "--to",
        dest="end",
        required=True,
        metavar="DATE",
        help="last day (inclusive); a time of day is the exclusive end instead",
    )
    scope = s.add_mutually_exclusive_group()
    scope.add_argument("--model", default="", help="one model only")
    scope.add_argument("--tier", default="", choices=RISK_TIERS, help="the models of one tier")
    s.add_argument("--n", type=int, default=200, metavar="N", help="sample size (default 200)")
    s.add_argument("--seed", default="", help="the sampling seed (default: a new random one)")
    s.add_argument(
        "--workers", type=int, help="scoring processes at once (default and most: the cores)"
    )
    s.add_argument(
        "--time-limit", type=float, help="seconds per scoring process, plus 1 s a record"
    )
    s.add_argument("--report", metavar="FILE", help="write the report (.pdf for PDF, else HTML)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=cmd_sample)

    c = asub.add_parser("campaigns", help="list the stored audit campaigns")
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=cmd_campaigns)

    one = asub.add_parser("campaign", help="show one stored campaign and its exceptions")
    one.add_argument("campaign_id", type=int, metavar="ID")
    one.add_argument(
        "--report", metavar="FILE", help="write its stored report (.pdf for PDF, else HTML)"
    )
    one.add_argument("--json", action="store_true")
    one.set_defaults(handler=cmd_campaign)

    v = asub.add_parser(
        "verify-report",
        help="check a report file against the audit trail (exit 0 genuine, 1 not)",
    )
    v.add_argument("file", type=Path)
    v.add_argument("--against", type=Path, metavar="HEADFILE", help="an exported head")
    v.add_argument("--json", action="store_true")
    v.set_defaults(handler=cmd_verify_report)

    d = sub.add_parser("data-locations", help="folders input references are read from (read only)")
    dsub = d.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    ls = dsub.add_parser("ls", help="list the data locations")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=cmd_locations)
    add = dsub.add_parser("add", help="read input references under PREFIX from FOLDER (admins)")
    add.add_argument("folder", help="a folder path or file:// URI (relative: the registry home)")
    add.add_argument(
        "--prefix", help="how the references start (default: the folder's file:// URI)"
    )
    add.set_defaults(handler=cmd_location_add)
    rm = dsub.add_parser("remove", help="stop reading references under PREFIX (admins)")
    rm.add_argument("prefix")
    rm.set_defaults(handler=cmd_location_remove)


def _day_or_time(text: str, option: str, *, end: bool = False) -> datetime:
    try:
        value = parse_time(text)
    except ValueError:
        raise SignoffError(f"{option} {text!r} is not an ISO 8601 date or time") from None
    return value + timedelta(days=1) if end and len(text.strip()) == 10 else value


def cmd_sample(args: argparse.Namespace) -> int:
    """Run a campaign; exit 0 all reproduced, 1 any exception, 2 cancelled."""
    criteria = SampleCriteria(
        _day_or_time(args.start, "--from"),
        _day_or_time(args.end, "--to", end=True),
        args.n,
        args.seed,
        args.model,
        args.tier,
    )
    if args.workers is not None and args.workers < 1:
        raise SignoffError("--workers must be at least 1")
    registry = registry_from_args(args)

    def progress(done: int, total: int, message: str) -> None:
        if not args.json:
            print(f"  {message}", file=sys.stderr)

    limits = Limits(time_s=args.time_limit) if args.time_limit else None
    outcome = run_campaign(
        registry, criteria, workers=args.workers, limits=limits, progress=progress
    )
    if args.report:
        path = Path(args.report)
        if path.suffix.lower() == ".pdf":
            path.write_bytes(outcome.pdf)
        else:
            path.write_text(outcome.html, encoding="utf-8")
    with registry.read() as session:
        campaign = get_campaign(session, outcome.campaign_id)
        items = campaign_items(session, outcome.campaign_id)
    if args.json:
        data = campaign.to_json()
        data["exceptions"] = [
            {
                "prediction": i.prediction_id,
                "subject": i.subject_key,
                "model": i.model,
                "version": i.version,
                "verdict": i.verdict,
                "reason": i.reason,
                "event": i.event_seq,
            }
            for i in items
            if i.is_exception
        ]
        if args.report:
            data["report_file"] = args.report
        print_json(data)
    else:
        _print_campaign(campaign, items)
        if args.report:
            print(f"report: {args.report}")
    return outcome.exit_code


def _print_campaign(campaign, items) -> None:  # noqa: ANN001 - CampaignView, items
    print(f"campaign #{campaign.id} ({campaign.status}): {campaign.summary()}")
    print(
        f"  {campaign.scope}, {campaign.window_from:%Y-%m-%d} to "
        f"{campaign.window_to - timedelta(seconds=1):%Y-%m-%d}, seed '{campaign.seed}', "
        f"{campaign.drawn} of {campaign.population:,} drawn"
    )
    print(f"  sample sha256 {campaign.sample_sha256}")
    print(
        f"  audit head at the start #{campaign.head_start[0]}, at the end "
        f"#{campaign.head_end[0] or '-'}"
    )
    by_version: dict[tuple[str, int], list[int]] = {}
    for i in items:
        row = by_version.setdefault((i.model, i.version), [0, 0, 0])
        row[{"reproduced": 0, "differs": 1}.get(i.verdict, 2)] += 1
    for (model, version), (ok, differ, failed) in sorted(by_version.items()):
        print(
            f"  {model} v{version}: {ok} reproduced, {differ_words(differ)}, {failed} could not run"
        )
    for i in items:
        if i.is_exception:
            print(
                f"  EXCEPTION prediction {i.prediction_id} ({i.subject_key}, {i.model} "
                f"v{i.version}, event #{i.event_seq}): {i.verdict}: {i.reason}"
            )
    if campaign.report_pdf_sha256:
        print(
            f"  report stored: pdf {campaign.report_pdf_sha256}, html "
            f"{campaign.report_html_sha256} (audit event #{campaign.report_event})"
        )


def cmd_campaigns(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    with registry.read() as session:
        campaigns = list_campaigns(session)
    if args.json:
        print_json([c.to_json() for c in campaigns])
        return 0
    if not campaigns:
        print("no audit campaign is stored yet (signoff audit sample starts one)")
    for c in campaigns:
        print(
            f"#{c.id:<4} {c.created_at:%Y-%m-%d %H:%M}  {c.actor:<12} {c.status:<9} "
            f"{c.scope}, {c.window_from:%Y-%m-%d}..{c.window_to - timedelta(seconds=1):%Y-%m-%d}"
            f"  {c.summary()}"
        )
    return 0


def cmd_campaign(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    with registry.read() as session:
        campaign = get_campaign(session, args.campaign_id)
        items = campaign_items(session, args.campaign_id)
    if args.report:
        path = Path(args.report)
        pdf = path.suffix.lower() == ".pdf"
        sha = campaign.report_pdf_sha256 if pdf else campaign.report_html_sha256
        if not sha:
            raise SignoffError(f"campaign #{campaign.id} has no stored report")
        path.write_bytes(registry.store.read_bytes(sha, f"the report of campaign #{campaign.id}"))
    if args.json:
        data = campaign.to_json()
        data["items"] = [i.__dict__ for i in items]
        print_json(data)
    else:
        _print_campaign(campaign, items)
    return 0


def cmd_verify_report(args: argparse.Namespace) -> int:
    against = None
    if args.against is not None:
        try:
            against = read_head_file(args.against)
        except ValueError as exc:
            raise SignoffError(str(exc)) from None
    registry = registry_from_args(args)
    check = verify_report_file(registry, args.file, against)
    if args.json:
        print_json(check.to_json())
    else:
        print(check.describe(), file=sys.stdout if check.genuine else sys.stderr)
    return 0 if check.genuine else 1


def cmd_locations(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    locations = configured_locations(registry)
    if args.json:
        print_json([loc.to_json() for loc in locations])
        return 0
    if not locations:
        print("no data location is configured (signoff data-locations add FOLDER)")
    for loc in locations:
        present = "" if loc.folder.is_dir() else "  (not reachable from here)"
        print(f"{loc.prefix}  ->  {loc.folder}{present}")
    return 0


def _require_admin(registry) -> None:  # noqa: ANN001 - a Registry
    from signoff.core.governance.people import require_admin

    if registry.is_embedded:  # on PostgreSQL the grants decide
        with registry.read() as session:
            require_admin(session, registry.actor)


def cmd_location_add(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    _require_admin(registry)
    location = add_data_location(registry, args.folder, args.prefix)
    print(f"input references under {location.prefix} are read from {location.folder}")
    return 0


def cmd_location_remove(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    _require_admin(registry)
    if not remove_data_location(registry, args.prefix):
        raise SignoffError(f"no data location has the prefix {args.prefix}")
    print(f"removed the data location {args.prefix}")
    return 0
