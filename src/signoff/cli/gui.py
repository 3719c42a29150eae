"""Opening the desktop application from the command line."""

from __future__ import annotations

import argparse
import sys

from signoff.cli.common import registry_from_args


def open_gui(args: argparse.Namespace) -> int:
    """Open the main window on the registry the options name (building the demo if asked).

    The display is checked first, in plain Python: without it Qt would abort the process only
    after the demo build, with a message about a plugin most people have never heard of.
    """
    from signoff.sysdeps import display_problem

    problem = display_problem()
    if problem is not None:
        print(f"signoff: {problem}", file=sys.stderr)
        return 2
    if args.demo and not (args.home or args.db):
        from signoff.core.db.registry import demo_home
        from signoff.demo import ensure_demo

        ensure_demo(demo_home())
    registry = registry_from_args(args)
    from signoff.ui.shell.app import run_app

    return run_app(registry)
