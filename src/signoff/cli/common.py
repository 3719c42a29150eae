"""Helpers shared by subcommands: opening the registry the global options name."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from signoff.core.db import Registry, demo_home, open_registry


def registry_from_args(args: argparse.Namespace, *, upgrade: bool = True) -> Registry:
    """Open the registry named by --home/--db/--artifacts (or --demo, or the environment)."""
    home = args.home
    if getattr(args, "demo", False) and not (args.home or args.db):
        home = demo_home()
    return open_registry(home=home, db=args.db, artifacts=args.artifacts, upgrade=upgrade)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
