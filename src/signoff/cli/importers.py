"""``signoff import mlflow URL``: bring an MLflow model registry into Signoff."""

from __future__ import annotations

import argparse
import sys

from signoff.cli.common import print_json, registry_from_args
from signoff.core.common.errors import SignoffError
from signoff.core.importers.mlflow.checks import parse_renames
from signoff.core.importers.mlflow.client import ImportLimits, MlflowClient, RetryPolicy
from signoff.core.importers.mlflow.importer import import_mlflow
from signoff.core.publishing.limits import parse_size


def _positive(text: str) -> float:
    """A number of seconds above 0 (argparse reports anything else as a usage error)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < 10**9:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of seconds above 0")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import models from another registry (MLflow)")
    isub = p.add_subparsers(dest="import_source", metavar="SOURCE", required=True)
    m = isub.add_parser(
        "mlflow",
        help="import (or bring up to date) every registered model of an MLflow server",
        description="Reads registered models, versions, runs and artifacts over MLflow's REST "
        "API. Credentials come from MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD (basic) "
        "or MLFLOW_TRACKING_TOKEN (bearer). Running it again imports only what is new.",
    )
    m.add_argument("url", help="the tracking server, e.g. http://mlflow.example:5000")
    m.add_argument(
        "--model",
        action="append",
        dest="models",
        metavar="NAME",
        help="import only this registered model (repeatable)",
    )
    m.add_argument(
        "--no-artifacts",
        action="store_true",
        help="import metadata, runs and metrics only; do not download artifacts",
    )
    m.add_argument(
        "--verify-artifacts",
        action="store_true",
        help="re-download the artifacts of versions imported before and compare "
        "their hashes (finds same-size changes upstream)",
    )
    m.add_argument(
        "--rename",
        action="append",
        metavar="'MLFLOW NAME=signoff-name'",
        help="import the MLflow model of that name under a Signoff name (repeatable); a name "
        "that breaks Signoff's name rule is otherwise skipped, with the reason",
    )
    m.add_argument(
        "--timeout",
        type=_positive,
        default=60.0,
        help="seconds to wait for the next byte of an answer (default 60)",
    )
    m.add_argument(
        "--request-deadline",
        type=_positive,
        default=ImportLimits.request_deadline_s,
        metavar="SECONDS",
        help="longest one request may take, its whole answer included (default 300)",
    )
    m.add_argument(
        "--deadline",
        type=_positive,
        default=ImportLimits.import_deadline_s,
        metavar="SECONDS",
        help="longest the whole import may take; models completed before it are kept "
        "(default 14400, four hours)",
    )
    m.add_argument(
        "--max-pages",
        type=int,
        default=ImportLimits.max_pages,
        metavar="N",
        help="most pages one list may have before the server is taken to be endless (default 1000)",
    )
    m.add_argument(
        "--max-depth",
        type=int,
        default=ImportLimits.max_listing_depth,
        metavar="N",
        help="deepest artifact folder nesting accepted (default 32)",
    )
    m.add_argument(
        "--max-artifact-size",
        metavar="SIZE",
        help="largest artifact file stored, e.g. 500MB or 5GB "
        "(default $SIGNOFF_MAX_COMPONENT_SIZE or 2GB)",
    )
    m.add_argument("--retries", type=int, default=4, help="attempts per request on 5xx")
    m.add_argument("--json", action="store_true", help="print the report as JSON")
    m.add_argument("--quiet", action="store_true", help="no progress on stderr")
    m.set_defaults(handler=cmd_import_mlflow)


def cmd_import_mlflow(args: argparse.Namespace) -> int:
    """Run the import and print its report; exit 0 even when versions changed upstream."""
    renames = parse_renames(args.rename)
    max_bytes = parse_size(args.max_artifact_size) if args.max_artifact_size else None
    if args.max_pages < 1 or args.max_depth < 1:
        raise SignoffError("--max-pages and --max-depth must be at least 1")
    limits = ImportLimits(
        request_deadline_s=args.request_deadline,
        import_deadline_s=args.deadline,
        max_pages=args.max_pages,
        max_listing_depth=args.max_depth,
    )
    registry = registry_from_args(args)
    client = MlflowClient(
        args.url,
        retry=RetryPolicy(attempts=max(1, args.retries), read_timeout_s=args.timeout),
        limits=limits,
    )
    last = [""]

    def progress(fraction: float, message: str) -> None:
        if args.quiet or not sys.stderr.isatty() or message == last[0]:
            return
        last[0] = message
        sys.stderr.write(f"\r[{fraction:4.0%}] {message[:90]:<90}")
        sys.stderr.flush()

    try:
        report = import_mlflow(
            registry,
            args.url,
            artifacts=not args.no_artifacts,
            verify_artifacts=args.verify_artifacts,
            only=args.models,
            rename=renames,
            max_artifact_bytes=max_bytes,
            progress=progress,
            client=client,
        )
    finally:
        if not args.quiet and sys.stderr.isatty():
            sys.stderr.write("\n")
        registry.close()
    if args.json:
        print_json(report.to_json())
    else:
        print("\n".join(report.lines()))
    return 130 if report.cancelled else 0
