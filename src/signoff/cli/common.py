"""Helpers shared by subcommands: opening the registry the global options name."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from signoff.core.db.registry import Registry, demo_home, open_registry

_OPENED: list[Registry] = []


def registry_from_args(args: argparse.Namespace, *, upgrade: bool = True) -> Registry:
    """Open the registry named by --home/--db/--artifacts (or --demo, or the environment).

    The command line closes every registry opened this way when the subcommand ends.
    """
    home = args.home
    if getattr(args, "demo", False) and not (args.home or args.db):
        home = demo_home()
    registry = open_registry(
        home=home,
        db=args.db,
        artifacts=args.artifacts,
        upgrade=upgrade,
        read_only=getattr(args, "read_only", False),
    )
    _OPENED.append(registry)
    return registry


def close_opened_registries() -> None:
    """Dispose of the connection pools of the registries the subcommand opened."""
    while _OPENED:
        _OPENED.pop().close()


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
