"""``signoff audit``: verify the hash chain (optionally against an exported head), export it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from signoff.cli.common import print_json, registry_from_args
from signoff.core.audit.chain import export_events, read_head_file
from signoff.core.audit.verify import verify_registry


def register(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="verify or export the tamper-evident audit trail")
    asub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    v = asub.add_parser("verify", help="walk the hash chain; exit 0 intact, 1 broken")
    v.add_argument(
        "--against",
        type=Path,
        metavar="HEADFILE",
        help="a head file (or JSON export) written earlier by 'signoff audit export'; "
        "detects a truncated or rewritten chain",
    )
    v.add_argument("--json", action="store_true", help="machine-readable verdict")
    v.set_defaults(handler=cmd_verify)
    e = asub.add_parser("export", help="write every event and the head hash for auditors")
    e.add_argument("output", type=Path, help="file to write (.json or .csv)")
    e.add_argument(
        "--format", choices=("json", "csv"), help="default: from the file's extension, else json"
    )
    e.add_argument(
        "--head-file", type=Path, help="where to write the head (default OUTPUT.head.json)"
    )
    e.set_defaults(handler=cmd_export)


def cmd_verify(args: argparse.Namespace) -> int:
    against = None
    if args.against is not None:
        try:
            against = read_head_file(args.against)
        except ValueError as exc:
            print(f"signoff: error: {exc}", file=sys.stderr)
            return 2
    registry = registry_from_args(args)
    with registry.read() as session:
        verdict = verify_registry(session, against)
    report = verdict.chain
    if args.json:
        print_json(
            {
                "intact": verdict.intact,
                "events": report.events,
                "head_seq": report.head_seq,
                "head_hash": report.head_hash,
                "broken_seq": report.broken_seq,
                "problem": report.problem,
                "records": [
                    {
                        "kind": p.kind,
                        "id": p.record_id,
                        "version_id": p.version_id,
                        "problem": p.problem,
                    }
                    for p in verdict.records
                ],
            }
        )
    else:
        print(verdict.describe(), file=sys.stdout if verdict.intact else sys.stderr)
    return 0 if verdict.intact else 1


def cmd_export(args: argparse.Namespace) -> int:
    fmt = args.format or ("csv" if args.output.suffix.lower() == ".csv" else "json")
    registry = registry_from_args(args)
    with registry.read() as session:
        seq, hash_ = export_events(session, args.output, fmt, args.head_file)
    head_path = args.head_file or args.output.with_name(args.output.name + ".head.json")
    print(f"exported {seq} events to {args.output}; head #{seq} {hash_} written to {head_path}")
    return 0
