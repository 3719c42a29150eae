"""``signoff ingest executions|predictions|outcomes FILE``: the factory reports what ran.

Exit codes: 0 stored (or already stored), 2 the file was rejected (nothing stored).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from signoff.cli.common import print_json, registry_from_args
from signoff.core.ingest.records import KINDS, IngestError, ingest_file

FORMATS_HELP = """\
CSV with a header row, or JSON Lines (one object per line). Columns:
  executions:  external_id, version, started_at [, ended_at, consumer, rows_scored, status,
               duration_s, input_uri, input_sha256, output_uri, output_sha256]
  predictions: subject_key, predicted_at, version, score and/or output
               [, input_record, input_ref, input_sha256, execution]
  outcomes:    subject_key, observed_at, actual [, model]
A version is 'model@number', or a 'model' column plus a 'version' number column.
Times are ISO-8601 (UTC unless an offset is given). Re-sending a file adds nothing twice;
a file with any bad row is rejected whole and nothing is stored."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``signoff ingest`` to the command line."""
    p = sub.add_parser(
        "ingest",
        help="store executions, predictions or outcomes from a file",
        description=FORMATS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("kind", choices=KINDS)
    p.add_argument("file", type=Path, help="a .csv or .jsonl file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_ingest)


def cmd_ingest(args: argparse.Namespace) -> int:
    """Ingest one file; 0 when stored (or already stored), 2 when rejected."""
    registry = registry_from_args(args)
    try:
        result = ingest_file(registry, args.kind, args.file)
    except IngestError as exc:
        if args.json:
            print_json(
                {
                    "rejected": True,
                    "source": exc.source,
                    "problems": [{"line": line, "reason": reason} for line, reason in exc.problems],
                }
            )
        print(f"signoff: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print_json(result.to_json())
    else:
        print(result.describe())
    for line in result.flagged:
        print(f"signoff: warning: {line}", file=sys.stderr)
    return 0
