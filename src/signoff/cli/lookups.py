"""Headless answers an auditor asks for: a subject's history, the version live on a date, and
what changed between two versions.

``signoff history SUBJECT [--model M]`` lists every prediction for the subject with its
version, time, output and the outcome seen later; ``signoff live-at MODEL DATE`` names the
version live then (exit 1 when none was); ``signoff diff MODEL@A MODEL@B`` compares two versions
dimension by dimension with text diffs.
"""

from __future__ import annotations

import argparse
import json

from signoff.cli.common import print_json, registry_from_args
from signoff.core.catalog import lookup
from signoff.core.catalog.subject_history import require_history
from signoff.core.catalog.version_diff import version_diff
from signoff.core.common.clock import parse_time
from signoff.core.common.errors import SignoffError
from signoff.core.db.schema import PRODUCTION, Deployment


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``history``, ``live-at`` and ``diff``."""
    h = sub.add_parser("history", help="every prediction recorded for a subject, with outcomes")
    h.add_argument("subject", metavar="SUBJECT", help="the subject key (a customer id)")
    h.add_argument("--model", help="only this model's predictions")
    h.add_argument("--json", action="store_true")
    h.set_defaults(handler=cmd_history)

    live = sub.add_parser(
        "live-at", help="which version of a model was live at a time (exit 1 when none was)"
    )
    live.add_argument("model", metavar="MODEL")
    live.add_argument("date", metavar="DATE", help="ISO 8601 date or time (UTC); a date is 00:00")
    live.add_argument("--environment", default=PRODUCTION)
    live.add_argument("--json", action="store_true")
    live.set_defaults(handler=cmd_live_at)

    d = sub.add_parser("diff", help="compare two versions of a model, dimension by dimension")
    d.add_argument("left", metavar="MODEL@A")
    d.add_argument("right", metavar="MODEL@B")
    d.add_argument("--json", action="store_true")
    d.set_defaults(handler=cmd_diff)


def _output_text(output: object) -> str:
    if isinstance(output, dict):
        return ", ".join(f"{k}={v}" for k, v in output.items())
    return json.dumps(output, default=str)


def cmd_history(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    with registry.read() as session:
        rows = require_history(session, args.subject, args.model)
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    print(f"{len(rows)} prediction(s) for {args.subject}:")
    for r in rows:
        outcome = (
            f"actual {r.outcome.actual:g} observed {r.outcome.observed_at:%Y-%m-%d %H:%M}"
            if r.outcome
            else "no outcome observed"
        )
        source = "record stored" if r.input_stored else f"by reference {r.input_ref or '-'}"
        print(
            f"  #{r.prediction_id}  {r.predicted_at:%Y-%m-%d %H:%M:%S}  {r.model} v{r.version}  "
            f"{_output_text(r.output)}  |  {outcome}  |  run {r.execution or '-'}, {source}"
        )
    return 0


def cmd_live_at(args: argparse.Namespace) -> int:
    try:
        at = parse_time(args.date)
    except ValueError:
        raise SignoffError(f"{args.date!r} is not an ISO 8601 date or time") from None
    registry = registry_from_args(args)
    with registry.read() as session:
        version = lookup.live_version_at(session, args.model, at, args.environment)
        period = None
        if version is not None:
            period = next(
                d
                for d in reversed(lookup.deployment_history(session, args.model))
                if d.version_id == version.id
                and d.environment == args.environment
                and d.live_from <= at
                and (d.live_to is None or d.live_to > at)
            )
        data = _live_json(args, at, version.number if version else None, period)
    if args.json:
        print_json(data)
    elif version is None:
        print(f"no version of {args.model} was live in {args.environment} at {at:%Y-%m-%d %H:%M}")
    else:
        until = data["live_to"] or "still live"
        print(
            f"{args.model} v{data['version']} was live in {args.environment} at "
            f"{at:%Y-%m-%d %H:%M} (live from {data['live_from']} to {until}, put live by "
            f"{data['actor'] or '-'}; state now {data['state']})"
        )
    return 0 if version is not None else 1


def _live_json(
    args: argparse.Namespace, at: object, number: int | None, period: Deployment | None
) -> dict[str, object]:
    return {
        "model": args.model,
        "environment": args.environment,
        "at": str(at),
        "version": number,
        "live_from": period.live_from.isoformat() if period else None,
        "live_to": period.live_to.isoformat() if period and period.live_to else None,
        "actor": period.actor if period else None,
        "state": period.version.state if period else None,
    }


def _ref(text: str) -> tuple[str, int]:
    name, number = lookup.parse_ref(text)
    if number is None:
        raise SignoffError(f"'{text}': name the version, like {name}@3")
    return name, number


def _side(cell: dict[str, object] | None) -> str:
    return f"{cell['location']} {str(cell['sha256'] or '')[:12]}" if cell else "-"


def cmd_diff(args: argparse.Namespace) -> int:
    (model, left), (other, right) = _ref(args.left), _ref(args.right)
    if model != other:
        raise SignoffError(f"compare two versions of one model, not {model} and {other}")
    registry = registry_from_args(args)
    diff = version_diff(registry, model, left, right)
    if args.json:
        print_json(diff.to_json())
        return 0
    print(
        f"{model}: v{left} ({diff.states[0]}) against v{right} ({diff.states[1]}); "
        f"{len(diff.changed)} of {len(diff.dimensions)} dimensions differ"
    )
    for d in diff.dimensions:
        print(f"  {d.status:<8} {d.kind:<14} {d.name:<28} {_side(d.left)}  ->  {_side(d.right)}")
    for m in diff.metrics:
        delta = f"{m['delta']:+.4f}" if m["delta"] is not None else "-"
        left_v = f"{m['left']:.4f}" if m["left"] is not None else "-"
        right_v = f"{m['right']:.4f}" if m["right"] is not None else "-"
        print(f"  metric   {m['name']} ({m['dataset']}): {left_v} -> {right_v} ({delta})")
    for d in diff.changed:
        if d.diff:
            print(f"\n--- {d.kind} {d.name} ---")
            print(d.diff.rstrip("\n"))
        elif d.note:
            print(f"\n--- {d.kind} {d.name}: {d.note}")
    return 0
