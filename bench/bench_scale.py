"""Inventory at scale: first page, facet clicks, keystrokes, a model page, counts and the listing.

    python bench/bench_scale.py [--models 10000 100000] [--repeats 15] [--baseline REV]

For each size a registry of N models × 10 versions is built once with the inventory benchmark's
builder (``/tmp/signoff-bench-scale-N``; 100,000 models is 1,000,000 versions). Then each
implementation (this tree, and revision ``--baseline`` when given, its ``src/`` exported with
``git archive``) runs in a fresh process of its own, interleaved size by size, and times in
process, ``--repeats`` times each, through the same core functions the GUI's workers call:

The registries carry no planner statistics (the builder's ANALYZE is undone), as a registry
that Signoff made and used has none.

* the first inventory page (100 rows, by name);
* a facet click, the first page alone and the page then its count (as the GUI asks for
  both): tier = high, business unit = Fraud, state = do_not_use, flag = stale, and a
  rare facet (a business unit that only 1 in 1,000 models has, set on the registry once);
* a filter keystroke: ``c``, ``cr``, … ``credit`` typed into the search;
* the count of all models (the GUI counts a new query once, after its first page, never per
  page; a count already made in the same session is not made again);
* the model page of one model;
* the whole listing (``inventory(limit=None)``) and ``ls --json``'s rendering of it.

Targets (issue 22): at 1M versions the first page, a facet click, a keystroke filter and a model
page each ≤ 20 ms p95 in process; the whole listing and ``ls --json`` linear in the number of
models. ``--record`` appends to bench/results/scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_MS = 20.0
RARE_UNIT = "Model risk office"


def prepare(models: int) -> Path:
    """The registry of *models* × 10 versions, with a rare business unit on 1 in 1,000 models."""
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(HERE))
    from bench_inventory import build_registry
    from sqlalchemy import text

    from signoff.core.db.registry import open_registry

    home = Path(f"/tmp/signoff-bench-scale-{models}")
    build_registry(home, models, 10)
    registry = open_registry(home=home)
    with registry.engine.begin() as conn:
        conn.execute(
            text("UPDATE models SET business_unit = :u WHERE id % 1000 = 7"), {"u": RARE_UNIT}
        )
        # a registry as Signoff leaves it: nothing runs ANALYZE, so SQLite plans without
        # statistics (the builder's own ANALYZE is undone)
        conn.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat1")
    registry.close()
    return home


def _page_and_count(session, query):  # noqa: ANN001, ANN202
    """What the GUI's worker does for a new query: the first page, then the count."""
    from signoff.core.catalog import inventory

    return inventory.inventory(session, query), inventory.inventory_count(session, query)


def child(home: str, repeats: int) -> None:
    """Time every read *repeats* times; print one JSON line of millisecond lists."""
    import gc

    from signoff.core.catalog import inventory
    from signoff.core.catalog.inventory import InventoryQuery
    from signoff.core.catalog.model_page import model_page
    from signoff.core.db.registry import open_registry

    registry = open_registry(home=home)
    facets = {
        "tier = high": InventoryQuery(risk_tiers=["high"], limit=100),
        "unit = Fraud": InventoryQuery(business_units=["Fraud"], limit=100),
        "state = do_not_use": InventoryQuery(states=["do_not_use"], limit=100),
        "flag = stale": InventoryQuery(flags=["stale"], limit=100),
        "rare unit (1 in 1,000)": InventoryQuery(business_units=[RARE_UNIT], limit=100),
    }
    keystrokes = [InventoryQuery(search="credit"[:n], limit=100) for n in range(1, 7)]
    out: dict[str, list[float]] = {}

    def timed(name: str, fn, *args) -> object:  # noqa: ANN001
        t0 = time.perf_counter()
        value = fn(*args)
        out.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
        return value

    with registry.read() as session:
        some_model = inventory.inventory(session, InventoryQuery(limit=1))[0].name
    for _ in range(repeats):
        # a session per query, as each of the GUI's worker tasks opens its own
        def fresh(fn, *args):  # noqa: ANN001, ANN202
            with registry.read() as session:
                return fn(session, *args)

        timed("first page", fresh, inventory.inventory, InventoryQuery(limit=100))
        for name, q in facets.items():
            timed(f"facet {name}", fresh, inventory.inventory, q)
            timed(f"facet {name}, then its count", fresh, _page_and_count, q)
        for q in keystrokes:
            timed("keystroke filter", fresh, inventory.inventory, q)
        timed("keystroke filter, then its count", fresh, _page_and_count, keystrokes[-1])
        timed("count, no filter", fresh, inventory.inventory_count, InventoryQuery())
        timed("model page", fresh, model_page, some_model)
    with registry.read() as session:
        for _ in range(max(1, repeats // 5)):
            rows = timed("whole listing", inventory.inventory, session, InventoryQuery(limit=None))
            gc.collect()

            def render(rows=rows) -> str:  # noqa: ANN001
                return json.dumps([r.to_json() for r in rows], indent=2, default=str)

            timed("ls --json rendering", render)
    registry.close()
    print(json.dumps(out))


def export_revision(rev: str, into: Path) -> Path:
    archive = into / "src.tar"
    with archive.open("wb") as fh:
        subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], stdout=fh, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=5, help="per round and process")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", help="git revision to compare with (e.g. HEAD~3)")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    homes = {n: prepare(n) for n in args.models}
    impls = {"this tree": ROOT / "src"}
    if args.baseline:
        impls[args.baseline] = export_revision(
            args.baseline, Path(tempfile.mkdtemp(prefix="bench-scale-"))
        )
    results: dict[tuple[str, int], dict[str, list[float]]] = {}
    load_before = os.getloadavg()[0]
    for _ in range(args.rounds):
        for n, home in homes.items():
            for impl, src in impls.items():
                done = subprocess.run(
                    [sys.executable, __file__, "--child", str(home), str(args.repeats)],
                    env={**os.environ, "PYTHONPATH": str(src)},
                    capture_output=True,
                    text=True,
                    check=True,
                )
                got = json.loads(done.stdout.strip().splitlines()[-1])
                for name, values in got.items():
                    results.setdefault((impl, n), {}).setdefault(name, []).extend(values)
    load_after = os.getloadavg()[0]

    names = list(results[("this tree", args.models[0])])
    lines = [
        f"## {datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"On {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs "
        f"shared with other work (load average {load_before:.1f} before, {load_after:.1f} "
        f"after), embedded SQLite. {args.rounds} rounds; in each, every implementation runs "
        f"in a fresh process of its own, one after the other for each size, and times each read "
        f"{args.repeats} times (the whole listing {max(1, args.repeats // 5)}), each in a new "
        "session. Milliseconds, median / p95 over all rounds.",
        "",
        "| read | "
        + " | ".join(f"{impl}, {n * 10:,} versions" for n in args.models for impl in impls)
        + " |",
        "| --- | " + " | ".join("---:" for _ in args.models for _ in impls) + " |",
    ]
    for name in names:
        cells = []
        for n in args.models:
            for impl in impls:
                values = results[(impl, n)].get(name, [])
                cells.append(
                    f"{statistics.median(values):,.1f} / {p95(values):,.1f}" if values else "—"
                )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    largest = args.models[-1]
    mine = results[("this tree", largest)]
    lines.append("")
    for name in names:
        if (
            name.startswith(("first page", "facet", "keystroke", "model page"))
            and "count" not in name
        ):
            worst = p95(mine[name])
            verdict = "met" if worst <= TARGET_MS else "**missed**"
            lines.append(
                f"- {name} at {largest * 10:,} versions: p95 {worst:.1f} ms — {verdict} "
                f"(target ≤ {TARGET_MS:.0f} ms)"
            )
    if len(args.models) > 1:
        small = args.models[0]
        factor = largest / small
        for name in ("whole listing", "ls --json rendering"):
            a = statistics.median(results[("this tree", small)][name])
            b = statistics.median(mine[name])
            step = b / a / factor
            verdict = "met" if step <= 1.2 else "**missed**"
            lines.append(
                f"- {name}: {a:,.0f} → {b:,.0f} ms for {factor:.0f}× the models, "
                f"{step:.2f}× linear — {verdict} (target ≤ 1.2×)"
            )
    lines += [
        "",
        "Reproduce: `python bench/bench_scale.py --record"
        f"{' --baseline ' + args.baseline if args.baseline else ''}`.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.record:
        out = HERE / "results" / "scale.md"
        previous = out.read_text() if out.exists() else "# Inventory at scale\n"
        out.write_text(previous + "\n" + text)


if __name__ == "__main__":
    main()
