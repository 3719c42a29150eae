"""Opening the desktop application from the command line."""

from __future__ import annotations

import argparse

from signoff.cli.common import registry_from_args


def open_gui(args: argparse.Namespace) -> int:
    """Open the main window on the registry the options name (building the demo if asked)."""
    if args.demo and not (args.home or args.db):
        from signoff.core.db import demo_home
        from signoff.demo import ensure_demo

        ensure_demo(demo_home())
    registry = registry_from_args(args)
    from signoff.ui.app import run_app

    return run_app(registry)
