"""Headless deployment checks and audit reproduction: ``signoff check`` and ``signoff reproduce``.

``signoff reproduce`` exits 0 when the prediction reproduced, 1 when the output differs and
2 when it could not run (hash mismatch, failing scoring code, unknown prediction).
"""

from __future__ import annotations

import argparse
import sys

from signoff.cli.common import print_json, registry_from_args
from signoff.core.catalog import lookup
from signoff.core.common.clock import parse_time
from signoff.core.common.errors import SignoffError
from signoff.core.governance.checks import CHECKS, CheckOptions, run_checks
from signoff.core.reproduction.report import write_report
from signoff.core.reproduction.reproduce import reproduce
from signoff.core.runner import Limits


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``check`` and ``reproduce`` to the ``signoff`` command."""
    p = sub.add_parser(
        "check", help="run the deployment checks on a version and store the results as evidence"
    )
    p.add_argument("ref", metavar="MODEL@VERSION")
    p.add_argument(
        "--only",
        action="append",
        choices=CHECKS,
        metavar="CHECK",
        help=f"run only this check (repeatable): {', '.join(CHECKS)}",
    )
    p.add_argument(
        "--tolerance",
        type=float,
        help="tolerance for numeric reference outputs (default: the manifest's)",
    )
    p.add_argument(
        "--exact",
        action="append",
        default=[],
        metavar="FIELD",
        help="a numeric output field that must match exactly (repeatable)",
    )
    p.add_argument("--time-limit", type=float, help="seconds per scoring run")
    p.add_argument("--memory-limit", type=int, help="MB per scoring run")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser(
        "reproduce",
        help="re-run the version behind a recorded prediction and "
        "compare (exit 0 reproduced, 1 differs, 2 could not run)",
    )
    p.add_argument(
        "prediction", nargs="?", type=int, metavar="PREDICTION", help="the prediction id"
    )
    p.add_argument("--subject", help="a subject key (customer id), instead of an id")
    p.add_argument(
        "--at", help="with --subject: the latest prediction at or before this time (ISO 8601, UTC)"
    )
    p.add_argument(
        "--input",
        metavar="FILE",
        help="the input record to score, for a prediction recorded by reference: a JSON file "
        "of one record, or FILE#N for line N of a JSON Lines file; it must hash to the "
        "prediction's recorded input_sha256",
    )
    p.add_argument("--report", metavar="FILE", help="write the report (.pdf for PDF, else HTML)")
    p.add_argument("--time-limit", type=float, help="seconds for the scoring run")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_reproduce)


def _limits(args: argparse.Namespace) -> Limits | None:
    if args.time_limit is None and getattr(args, "memory_limit", None) is None:
        return None
    default = Limits()
    return Limits(
        time_s=args.time_limit or default.time_s,
        memory_mb=getattr(args, "memory_limit", None) or default.memory_mb,
    )


def cmd_check(args: argparse.Namespace) -> int:
    """Run the checks; exit 0 when all passed, 1 when any failed, 2 on bad input."""
    name, number = lookup.parse_ref(args.ref)
    if number is None:
        raise SignoffError(f"'{args.ref}': name the version, like {name}@3")
    registry = registry_from_args(args)
    with registry.read() as session:
        version_id = lookup.get_version(session, name, number).id
    options = CheckOptions(
        tolerance=args.tolerance, exact_fields=tuple(args.exact), limits=_limits(args)
    )
    results = run_checks(registry, version_id, checks=tuple(args.only or CHECKS), options=options)
    if args.json:
        print_json([r.to_json() for r in results])
    else:
        for r in results:
            print(f"{'PASS' if r.passed else 'FAIL'}  {r.check:<18} {r.summary}")
    return 0 if all(r.passed for r in results) else 1


def cmd_reproduce(args: argparse.Namespace) -> int:
    """Reproduce one prediction; exit 0 reproduced, 1 differs, 2 could not run."""
    if args.prediction is None and not args.subject:
        print("signoff: error: give a PREDICTION id or --subject KEY [--at TIME]", file=sys.stderr)
        return 2
    try:
        at = parse_time(args.at) if args.at else None
    except ValueError:
        print(f"signoff: error: --at {args.at!r} is not an ISO 8601 time", file=sys.stderr)
        return 2
    registry = registry_from_args(args)

    def show_step(step: str, state: str, detail: str) -> None:
        if state != "running" and not args.json:
            mark = "ok " if state == "done" else "!! "
            print(f"  {mark}{step:<12} {detail}", file=sys.stderr)

    repro = reproduce(
        registry,
        args.prediction,
        subject=args.subject,
        at=at,
        on_step=show_step,
        limits=_limits(args),
        input_file=args.input,
    )
    stored = write_report(registry, repro, args.report) if args.report else None
    if args.json:
        data = repro.to_json()
        if stored is not None:
            data["report"] = {
                "file": args.report,
                "html_sha256": stored.html_sha256,
                "pdf_sha256": stored.pdf_sha256,
            }
        print_json(data)
    else:
        print(
            f"prediction {repro.prediction_id} ({repro.subject_key}, {repro.model} "
            f"v{repro.version_number}): {repro.headline}"
        )
        if repro.input_source:
            where = f" ({repro.input_where})" if repro.input_where else ""
            print(f"  input: {repro.input_source}{where}")
        for finding in repro.findings:
            if not finding.startswith("the reproduction could not run:"):  # the headline's
                print(f"  finding: {finding}")
        if stored is not None:
            print(
                f"report: {args.report} (stored as html {stored.html_sha256[:12]}…, "
                f"pdf {stored.pdf_sha256[:12]}…)"
            )
    return repro.exit_code
