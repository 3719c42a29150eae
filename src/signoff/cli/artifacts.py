"""``signoff artifacts``: check every stored object a registry refers to; copy them to a bucket.

    signoff artifacts verify [--json]          # exit 0 all present and unaltered, 1 otherwise
    signoff artifacts migrate --to s3://bucket/prefix [--json]

Both work on either kind of store (the registry's own, named by --home/--artifacts or
SIGNOFF_ARTIFACTS). Progress goes to stderr; the verdict to stdout.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from signoff.cli.common import print_json, registry_from_args
from signoff.core.artifacts.integrity import check_store, migrate_store
from signoff.core.artifacts.location import open_store
from signoff.core.artifacts.protocol import megabytes
from signoff.core.db.references import referenced_objects

SHOWN = 20  # problems listed one by one before "… and N more"


def register(sub: argparse._SubParsersAction) -> None:
    artifacts = sub.add_parser(
        "artifacts", help="verify the artifact store, or migrate it to an S3-compatible bucket"
    )
    asub = artifacts.add_subparsers(dest="artifacts_command", metavar="ACTION", required=True)
    v = asub.add_parser(
        "verify",
        help="re-hash every object the registry refers to: missing, altered, orphaned "
        "(exit 0 all good, 1 missing or altered)",
    )
    v.add_argument("--json", action="store_true", help="machine-readable verdict")
    v.set_defaults(handler=cmd_verify)
    m = asub.add_parser(
        "migrate",
        help="copy every referenced object into another store, verifying each (resumable)",
    )
    m.add_argument(
        "--to",
        required=True,
        metavar="STORE",
        help="the target: s3://bucket/prefix (credentials from the AWS configuration) or a folder",
    )
    m.add_argument("--json", action="store_true", help="machine-readable summary")
    m.set_defaults(handler=cmd_migrate)


def _progress(quiet: bool) -> Any:
    def step(done: int, total: int, message: str) -> None:
        if not quiet:
            print(f"[{done}/{total}] {message}", file=sys.stderr, flush=True)

    return step


def cmd_verify(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    with registry.read() as session:
        references = referenced_objects(session)
    report = check_store(registry.store, references, step=_progress(args.json))
    if args.json:
        print_json(report.to_json())
        return 0 if report.ok else 1
    print(
        f"{report.store}: {report.checked} referenced object(s) re-hashed "
        f"({megabytes(report.verified_bytes)}), {len(report.missing)} missing, "
        f"{len(report.altered)} altered, {len(report.orphans)} orphaned"
    )
    for problem in report.problems[:SHOWN]:
        print(f"  {problem.problem}: {problem.sha256[:16]}… used by {'; '.join(problem.used_by)}")
        if problem.detail:
            print(f"      {problem.detail}")
    if len(report.problems) > SHOWN:
        print(f"  … and {len(report.problems) - SHOWN} more (--json lists them all)")
    if report.orphans:
        print(
            f"  orphaned objects nothing refers to (uploads of publishes that did not commit; "
            f"harmless): {len(report.orphans)}, {megabytes(sum(n for _s, n in report.orphans))}"
        )
    print("verdict: " + ("every referenced object is intact" if report.ok else "NOT intact"))
    return 0 if report.ok else 1


def cmd_migrate(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    target = open_store(args.to)
    if target.url == registry.store.url:
        print("signoff: error: the target is the registry's own store", file=sys.stderr)
        return 2
    target.check()
    with registry.read() as session:
        references = referenced_objects(session)
    report = migrate_store(registry.store, target, references, step=_progress(args.json))
    if args.json:
        print_json(report.to_json())
        return 0 if report.complete else 1
    print(
        f"{report.source} -> {report.target}: {report.copied} copied "
        f"({megabytes(report.copied_bytes)}), {report.already_there} already there, "
        f"{len(report.problems)} not copied"
    )
    for problem in report.problems[:SHOWN]:
        print(f"  not copied ({problem.problem}): {'; '.join(problem.used_by)}: {problem.detail}")
    if report.left_behind:
        print(f"  {report.left_behind} orphaned object(s) nothing refers to were left behind")
    if report.complete:
        print(
            "every referenced object is in the target; open the registry with "
            f"--artifacts {report.target} (or SIGNOFF_ARTIFACTS) from now on"
        )
    else:
        print("the migration is incomplete: repair the objects above, then run it again")
    return 0 if report.complete else 1
