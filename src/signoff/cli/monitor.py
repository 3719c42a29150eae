"""``signoff monitor``: judge every live model against its monitoring rules.

Stores each changed stale flag (with an audit event) and prints the verdicts.
Exit codes: 0 no live model is stale, 1 at least one is stale, 2 could not run.
"""

from __future__ import annotations

import argparse

from signoff.cli.common import print_json, registry_from_args
from signoff.core.monitoring.staleness import assess_all, evaluate_staleness


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``signoff monitor`` to the command line."""
    p = sub.add_parser("monitor", help="evaluate the staleness rules of every live model")
    p.add_argument("models", nargs="*", metavar="MODEL", help="only these models")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--dry-run", action="store_true", help="judge only; do not store the stale flags"
    )
    p.set_defaults(handler=cmd_monitor)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def cmd_monitor(args: argparse.Namespace) -> int:
    """Judge (and by default store) staleness; 1 when a live model is stale."""
    registry = registry_from_args(args)
    if args.dry_run:
        results = assess_all(registry, models=args.models or None)
    else:
        results = evaluate_staleness(registry, models=args.models or None)
    live = [h for h in results if h.live_version is not None]
    if args.json:
        print_json([h.to_json() for h in live])
    else:
        header = ("MODEL", "LIVE", "METRIC", "LATEST", "BASELINE", "PSI", "STALE")
        table = [header] + [
            (
                h.model,
                f"v{h.live_version}",
                h.metric or "-",
                _fmt(h.latest_value),
                _fmt(h.baseline),
                _fmt(h.latest_psi),
                "STALE" if h.stale else "ok",
            )
            for h in live
        ]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        for row in table:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        for h in live:
            for reason in h.reasons:
                print(f"{h.model}: {reason}")
    return 1 if any(h.stale for h in live) else 0
