"""``signoff demo``: build the demo registry."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from signoff.core.db.registry import demo_home


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="build the demo registry (models, versions, runs, history)")
    p.add_argument("--force", action="store_true", help="rebuild it even if it exists")
    p.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from signoff.demo import build_demo

    home = Path(args.home) if args.home else demo_home()
    started = time.perf_counter()
    summary = build_demo(home, force=args.force)
    print(f"demo registry in {home}: {summary} ({time.perf_counter() - started:.1f} s)")
    return 0
