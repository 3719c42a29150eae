"""``signoff audit``: verify the hash chain against its anchor (and an exported head or a full
export), export it, and configure where the head is anchored."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from signoff.cli import audit_anchor
from signoff.cli.common import print_json, registry_from_args
from signoff.core.audit.anchor import UNREADABLE, AnchoredAudit, verify_anchored, write_anchor
from signoff.core.audit.anchor_store import AnchorError, configured_anchor
from signoff.core.audit.chain import export_events, read_head_file
from signoff.core.audit.export_check import (
    ExportComparison,
    ExportError,
    compare_with_export,
    read_export,
)


def register(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="verify or export the tamper-evident audit trail")
    asub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    v = asub.add_parser(
        "verify",
        help="walk the hash chain and compare it with the anchored head; exit 0 intact, "
        "1 broken or not verified, 2 could not check",
    )
    v.add_argument(
        "--against",
        type=Path,
        metavar="HEADFILE",
        help="a head file (or JSON export) written earlier by 'signoff audit export'; "
        "detects a truncated or rewritten chain",
    )
    v.add_argument(
        "--against-export",
        type=Path,
        metavar="EXPORT",
        help="a full JSON export written earlier: compare event by event and name the "
        "first altered event",
    )
    v.add_argument(
        "--anchor",
        metavar="LOCATION",
        help="check against this anchor instead of the configured one",
    )
    v.add_argument("--json", action="store_true", help="machine-readable verdict")
    v.set_defaults(handler=cmd_verify)
    e = asub.add_parser(
        "export", help="write every event and the head hash for auditors (and anchor the head)"
    )
    e.add_argument("output", type=Path, help="file to write (.json or .csv)")
    e.add_argument(
        "--format", choices=("json", "csv"), help="default: from the file's extension, else json"
    )
    e.add_argument(
        "--head-file", type=Path, help="where to write the head (default OUTPUT.head.json)"
    )
    e.set_defaults(handler=cmd_export)
    audit_anchor.register(asub)


def cmd_verify(args: argparse.Namespace) -> int:
    against = None
    exported = None
    try:
        if args.against is not None:
            against = read_head_file(args.against)
        if args.against_export is not None:
            exported = read_export(args.against_export)
    except (ValueError, ExportError) as exc:
        print(f"signoff: error: {exc}", file=sys.stderr)
        return 2
    registry = registry_from_args(args)
    with registry.read() as session:
        verdict = verify_anchored(
            session, registry.location.db_url, location=args.anchor, against=against
        )
        comparison = compare_with_export(session, exported) if exported is not None else None
    intact = verdict.intact and (comparison is None or comparison.matches)
    if args.json:
        print_json(_verdict_json(verdict, comparison, intact))
    else:
        text = verdict.describe()
        if comparison is not None:
            text += f"\nagainst the export {args.against_export}: {comparison.describe()}"
        print(text, file=sys.stdout if intact else sys.stderr)
    if not verdict.audit.intact or (comparison is not None and not comparison.matches):
        return 1
    if verdict.anchor.status == UNREADABLE:
        return 2  # the chain may be fine, but what the anchor would prove is unknown
    return 0 if verdict.anchor.ok else 1


def _verdict_json(
    verdict: AnchoredAudit, comparison: ExportComparison | None, intact: bool
) -> dict[str, Any]:
    report = verdict.audit.chain
    anchor = verdict.anchor
    return {
        "intact": intact,
        "events": report.events,
        "head_seq": report.head_seq,
        "head_hash": report.head_hash,
        "broken_seq": report.broken_seq,
        "problem": report.problem,
        "records": [
            {"kind": p.kind, "id": p.record_id, "version_id": p.version_id, "problem": p.problem}
            for p in verdict.audit.records
        ],
        "anchor": {
            "status": anchor.status,
            "message": verdict.anchor_line,
            "location": anchor.location,
            "seq": anchor.head.seq if anchor.head else None,
            "exported_at": anchor.head.exported_at if anchor.head else None,
            "broken_seq": anchor.broken_seq,
        },
        "export": None
        if comparison is None
        else {
            "matches": comparison.matches,
            "events": comparison.exported,
            "first_altered": comparison.first_altered,
            "problem": comparison.problem,
        },
    }


def cmd_export(args: argparse.Namespace) -> int:
    fmt = args.format or ("csv" if args.output.suffix.lower() == ".csv" else "json")
    registry = registry_from_args(args)
    db_url = registry.location.db_url
    with registry.read() as session:
        seq, hash_ = export_events(session, args.output, fmt, args.head_file)
        head_path = args.head_file or args.output.with_name(args.output.name + ".head.json")
        print(f"exported {seq} events to {args.output}; head #{seq} {hash_} written to {head_path}")
        if configured_anchor(db_url) is None:
            return 0
        try:
            anchored, store = write_anchor(session, db_url)
        except AnchorError as exc:
            print(f"signoff: the head was not anchored: {exc}", file=sys.stderr)
            return 1
    print(f"head #{anchored.seq} anchored in {store.describe()}")
    return 0
