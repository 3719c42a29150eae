"""``signoff import mlflow URL``: bring an MLflow model registry into Signoff."""

from __future__ import annotations

import argparse
import sys

from signoff.cli.common import print_json, registry_from_args
from signoff.core.importers.mlflow.client import MlflowClient, RetryPolicy
from signoff.core.importers.mlflow.importer import import_mlflow


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
    m.add_argument("--timeout", type=float, default=60.0, help="read timeout in seconds")
    m.add_argument("--retries", type=int, default=4, help="attempts per request on 5xx")
    m.add_argument("--json", action="store_true", help="print the report as JSON")
    m.add_argument("--quiet", action="store_true", help="no progress on stderr")
    m.set_defaults(handler=cmd_import_mlflow)


def cmd_import_mlflow(args: argparse.Namespace) -> int:
    """Run the import and print its report; exit 0 even when versions changed upstream."""
    registry = registry_from_args(args)
    client = MlflowClient(
        args.url, retry=RetryPolicy(attempts=max(1, args.retries), read_timeout_s=args.timeout)
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
