"""The ``signoff`` command: opens the desktop application, or runs a subcommand headless.

Each group of subcommands lives in its own module exposing ``register(subparsers)``; a
subcommand's handler takes the parsed arguments and returns the exit code
(0 success, 1 a negative verdict such as "differs", 2 bad input or could not run).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from signoff import __version__
from signoff.cli.common import close_opened_registries
from signoff.core.common.errors import SignoffError

COMMAND_MODULES = (
    "registry",
    "demo",
    "ingest",
    "monitor",
    "importers",
    "audit",
    "render",
    "workflow",
    "notify",
    "runner",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="signoff",
        description="Model governance workstation. Without a subcommand, opens the application.",
    )
    parser.add_argument("--version", action="version", version=f"signoff {__version__}")
    parser.add_argument(
        "--home",
        help="registry home folder (SQLite file + artifacts); "
        "default $SIGNOFF_HOME or the user data folder",
    )
    parser.add_argument(
        "--db", help="database URL (sqlite:///FILE or postgresql://…); default $SIGNOFF_DB"
    )
    parser.add_argument("--artifacts", help="artifact folder (default HOME/artifacts)")
    parser.add_argument(
        "--demo", action="store_true", help="open the demo registry (created on first use)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation offscreen on a temporary demo registry "
        "(or on the registry --home/--db name, read only)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"signoff.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``signoff`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.self_test:
            from signoff.selftest import run_self_test

            return run_self_test(home=args.home, db=args.db, artifacts=args.artifacts)
        if args.command is None:
            from signoff.cli.gui import open_gui

            return open_gui(args)
        return int(args.handler(args) or 0)
    except SignoffError as exc:
        print(f"signoff: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        close_opened_registries()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
