"""GUI start-up: process start → the first inventory page's rows shown, at 100,000 versions.

    python bench/bench_gui_start.py [--models 10000] [--rounds 7] [--record]

Each round starts, one after the other (interleaved, so a load spike falls on all alike):

* the floor: ``python -c`` that imports PySide6's widgets and SQLAlchemy's ORM and shows an
  empty QMainWindow (what any window on a database must load);
* the real GUI: ``signoff --home DIR`` (``signoff.cli.main``) on a registry of ``--models``
  models × 10 versions, under ``QT_QPA_PLATFORM=offscreen``, through a small driver that
  changes nothing in Signoff: an import hook wraps ``InventoryModel._rows_arrived`` once the
  module is imported the ordinary way; when the first page's rows are in the table it lets
  the event loop run once more (the table repaints), prints the moment and quits.

The children reuse compiled bytecode (``PYTHONPYCACHEPREFIX``, written by a first untimed
run), as an installed copy does. The time is taken from just before the parent starts the
process to that moment (wall), with the child's CPU time (user + system, ``os.wait4``).
Target (issue 22): ≤ 0.8 s.
``--record`` appends to bench/results/gui_start.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_S = 0.8

FLOOR = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
import sqlalchemy.orm
app = QApplication(sys.argv)
w = QMainWindow(); w.show(); app.processEvents()
print("shown", __import__("time").time(), flush=True)
"""


def driver(home: str) -> int:
    """Run ``signoff --home HOME`` (the window); print when the first page's rows are shown."""
    import importlib.abc
    import importlib.util

    target = "signoff.ui.inventory.inventory_model"

    def patch(module) -> None:  # noqa: ANN001
        original = module.InventoryModel._rows_arrived

        def rows_arrived(self, generation, rows):  # noqa: ANN001, ANN202
            original(self, generation, rows)
            if rows and not getattr(driver, "done", False):
                driver.done = True  # type: ignore[attr-defined]
                from PySide6.QtCore import QTimer
                from PySide6.QtWidgets import QApplication

                def shown() -> None:
                    print("shown", time.time(), len(rows), flush=True)
                    QApplication.quit()

                QTimer.singleShot(0, shown)

        module.InventoryModel._rows_arrived = rows_arrived

    class Hook(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target_module=None):  # noqa: ANN001, ANN201
            if name != target:
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            assert spec is not None and spec.loader is not None
            loader = spec.loader
            run = loader.exec_module

            def exec_module(module) -> None:  # noqa: ANN001
                run(module)
                patch(module)

            loader.exec_module = exec_module  # type: ignore[method-assign]
            return spec

    sys.meta_path.insert(0, Hook())
    from signoff.cli import main

    return main(["--home", home])  # no command: the window


def one(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds until "shown", CPU seconds of the child)."""
    start = time.time()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert child.stdout is not None
    out = child.stdout.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    shown = [line for line in out.splitlines() if line.startswith("shown")]
    if status != 0 or not shown:
        raise SystemExit(f"{argv} failed: {out}")
    return float(shown[0].split()[1]) - start, usage.ru_utime + usage.ru_stime


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--driver":
        return driver(sys.argv[2])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(HERE))
    from bench_inventory import build_registry

    home = Path(f"/tmp/signoff-bench-scale-{args.models}")
    build_registry(home, args.models, 10)
    # as installed: bytecode compiled once and reused (this machine sets
    # PYTHONDONTWRITEBYTECODE, which would recompile every Signoff module at each start)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env = {
        **env,
        "PYTHONPYCACHEPREFIX": str(home / "pycache"),
        "PYTHONPATH": str(ROOT / "src"),
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(home / "config"),  # keep the person's own settings out of it
    }
    runs = {
        "floor: PySide6 widgets + SQLAlchemy ORM, an empty window shown": [
            sys.executable,
            "-c",
            FLOOR,
        ],
        f"signoff --home DIR → first inventory page ({args.models * 10:,} versions)": [
            sys.executable,
            __file__,
            "--driver",
            str(home),
        ],
    }
    for argv in runs.values():  # warm the file cache and write the bytecode
        one(argv, env)
    load_before = os.getloadavg()[0]
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, argv in runs.items():
            results[name].append(one(argv, env))
    load_after = os.getloadavg()[0]
    lines = [
        f"## {datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs "
        f"shared with other work (load average {load_before:.1f} before, {load_after:.1f} "
        f"after), offscreen Qt, {args.rounds} rounds. Seconds, median / p95.",
        "",
        "| run | wall | CPU |",
        "| --- | ---: | ---: |",
    ]
    for name, values in results.items():
        walls, cpus = [w for w, _ in values], [c for _, c in values]
        lines.append(
            f"| {name} | {statistics.median(walls):.2f} / {p95(walls):.2f} | "
            f"{statistics.median(cpus):.2f} / {p95(cpus):.2f} |"
        )
    gui = [w for w, _ in list(results.values())[1]]
    verdict = "met" if statistics.median(gui) <= TARGET_S else "**missed**"
    lines += [
        "",
        f"- GUI start → first page: median {statistics.median(gui):.2f} s — {verdict} "
        f"(target ≤ {TARGET_S} s)",
        "",
        "Reproduce: `python bench/bench_gui_start.py --record`.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.record:
        out = HERE / "results" / "gui_start.md"
        previous = out.read_text() if out.exists() else "# GUI start-up\n"
        out.write_text(previous + "\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
