"""Inventory benchmark: 10,000 models / 100,000 versions, first page, filter keystrokes, memory.

    python bench/bench_inventory.py [--home DIR] [--models 10000] [--versions-per-model 10]

Builds (once, reused afterwards) a synthetic registry with SQLAlchemy core bulk inserts and
a bulk refresh of the inventory summary columns, then starts a *fresh Python process* that
opens the real main window offscreen and measures:

* process start → the inventory's first page shown (rows in the table model),
* each filter keystroke / facet click → its results shown (the model's ``loaded`` signal),
* peak resident memory of that process (ru_maxrss).

Targets (issue 3): first page < 1.5 s, filter < 100 ms, peak memory < 400 MB.
Writes a Markdown table to stdout; ``--record`` writes bench/results/inventory.md too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
UNITS = (
    "Retail credit",
    "Commercial credit",
    "Fraud",
    "Marketing",
    "Collections",
    "Treasury",
    "Insurance pricing",
    "Operations",
)
WORDS = (
    "credit",
    "risk",
    "fraud",
    "churn",
    "propensity",
    "pricing",
    "default",
    "limit",
    "collections",
    "retention",
    "uplift",
    "anomaly",
    "scorecard",
    "forecast",
    "liquidity",
)
STATES = (
    "draft",
    "in_review",
    "approved",
    "ready",
    "live",
    "superseded",
    "retired",
    "rejected",
    "do_not_use",
)


def build_registry(home: Path, models: int, per_model: int) -> None:
    """Create the synthetic registry (skipped when it already has the right size)."""
    from sqlalchemy import func, insert, select, text

    from signoff.core.db.registry import open_registry
    from signoff.core.db.schema import Model, Version

    registry = open_registry(home=home)
    with registry.read() as s:
        if s.scalar(select(func.count(Version.id))) == models * per_model:
            registry.close()
            return
    rng = random.Random(7)
    start = datetime(2022, 1, 1)
    t0 = time.perf_counter()
    with registry.engine.begin() as conn:
        conn.execute(text("DELETE FROM versions"))
        conn.execute(text("DELETE FROM models"))
        model_rows, version_rows = [], []
        for i in range(models):
            words = rng.sample(WORDS, 2)
            name = f"{words[0]}-{words[1]}-{i:05d}"
            title = f"{words[0].title()} {words[1]} model {i}"
            owner = f"owner{rng.randrange(400):03d}"
            tags = rng.sample(WORDS, 2)
            model_rows.append(
                dict(
                    id=i + 1,
                    name=name,
                    title=title,
                    description="",
                    owner=owner,
                    business_unit=UNITS[i % len(UNITS)],
                    risk_tier=("high", "medium", "low")[i % 3],
                    tags=tags,
                    search_text=" ".join([name, title, owner, *tags]).lower(),
                    task="classification",
                    monitoring_rules={},
                    created_at=start,
                    flag_stale=rng.random() < 0.05,
                    stale_reason="",
                    flag_open_review=False,
                    flag_dnu_consumed=rng.random() < 0.01,
                    version_count=0,
                )
            )
            for n in range(1, per_model + 1):
                created = start + timedelta(days=rng.randrange(1400), minutes=n)
                version_rows.append(
                    dict(
                        model_id=i + 1,
                        number=n,
                        author=owner,
                        created_at=created,
                        state=STATES[rng.randrange(len(STATES))],
                        state_changed_at=created,
                        release_notes="",
                        manifest_hash=f"{i:032x}{n:032x}",
                        manifest={},
                        entry_point="score.py:predict",
                        python_version="3.11",
                        row_version=1,
                    )
                )
        conn.execute(insert(Model), model_rows)
        for k in range(0, len(version_rows), 20000):
            conn.execute(insert(Version), version_rows[k : k + 20000])
        # the summary columns, refreshed in bulk (what refresh_model_summary does per model)
        conn.execute(
            text("""
            UPDATE models SET
              latest_version = (SELECT max(v.number) FROM versions v WHERE v.model_id = models.id),
              version_count = (SELECT count(*) FROM versions v WHERE v.model_id = models.id),
              last_activity_at = (SELECT max(v.state_changed_at) FROM versions v
                                  WHERE v.model_id = models.id)""")
        )
        conn.execute(
            text("""
            UPDATE models SET latest_state = (SELECT v.state FROM versions v
                WHERE v.model_id = models.id ORDER BY v.number DESC LIMIT 1)""")
        )
        conn.execute(
            text(
                "UPDATE models SET flag_open_review = (latest_state = 'in_review'), "
                "review_waiting_since = CASE WHEN latest_state = 'in_review' "
                "THEN last_activity_at END"
            )
        )
    with registry.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    registry.close()
    print(
        f"built {models:,} models / {models * per_model:,} versions in "
        f"{time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )


def child(home: str, started_at: float) -> None:
    """Run in a fresh process: open the window, measure, print JSON."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import resource
    import tempfile

    from PySide6.QtCore import QEventLoop, Qt, QTimer

    from signoff.core.db.registry import open_registry
    from signoff.ui.services.settings import Settings
    from signoff.ui.shell.app import build_window, make_application

    def cpu() -> float:
        t = os.times()
        return t.user + t.system

    marks = {"imported": time.time() - started_at}
    app = make_application([])
    settings = Settings(Path(tempfile.mkdtemp()) / "bench.ini")
    registry = open_registry(home=home)
    marks["registry_open"] = time.time() - started_at
    window = build_window(registry, settings)
    marks["window_built"] = time.time() - started_at
    page = window.areas["inventory"]

    def wait_for(signal, timeout_ms: int = 20000) -> float:  # noqa: ANN001
        loop = QEventLoop()
        stamp: list[float] = []

        def done(*_args) -> None:
            stamp.append(time.perf_counter())
            loop.quit()

        signal.connect(done)
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()
        signal.disconnect(done)
        if not stamp:
            raise RuntimeError("the inventory did not answer in time")
        return stamp[0]

    def wait_shown() -> float:
        """Until the first page of the new query is in the table (then let the count end)."""
        shown = wait_for(page.model.rows_shown)
        if page.model.loading:
            wait_for(page.model.loaded)
        return shown

    def wait_loaded() -> float:
        return wait_for(page.model.loaded)

    window.show()
    shown = (
        wait_shown() if page.model.loading or page.model.rowCount() == 0 else time.perf_counter()
    )
    app.processEvents()
    first_page = time.time() - started_at - (time.perf_counter() - shown)
    first_page_cpu = cpu()
    rows_first = page.model.rowCount()

    # the test driver is imported only now: the application itself never loads QtTest
    from PySide6.QtTest import QTest

    keystrokes, keystroke_cpu = [], []
    page.search.setFocus()

    def clear_search() -> None:
        if page.search.text():
            page.search.clear()
            wait_shown()

    for text_ in ("credit", "fraud"):
        clear_search()
        for ch in text_:
            t, c = time.perf_counter(), cpu()
            QTest.keyClick(page.search, ch)
            keystrokes.append((wait_shown() - t) * 1000)
            keystroke_cpu.append((cpu() - c) * 1000)
    facets = []
    clear_search()
    for key, value in (("risk_tier", "high"), ("business_unit", "Fraud"), ("flag", "stale")):
        box = page.facets.boxes[key][value]
        t = time.perf_counter()
        box.click()
        facets.append((wait_shown() - t) * 1000)
    scroll = []
    page.facets.clear()
    wait_shown()
    for _ in range(3):
        app.processEvents()  # let the view lay out the rows it has before scrolling
        t = time.perf_counter()
        page.table.scrollToBottom()
        wait_loaded()
        scroll.append((time.perf_counter() - t) * 1000)
    QTest.keyClick(page.search, Qt.Key.Key_Escape)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "first_page_s": first_page,
                "first_page_cpu_s": first_page_cpu,
                "marks": marks,
                "keystroke_cpu_ms": keystroke_cpu,
                "rows_first": rows_first,
                "total": page.model.total,
                "keystrokes_ms": keystrokes,
                "facets_ms": facets,
                "scroll_ms": scroll,
                "peak_mb": peak_mb,
            }
        )
    )
    window.close()


def run(home: Path, runs: int) -> list[dict]:
    results = []
    for _ in range(runs):
        started = time.time()
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(home), str(started)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


def report(results: list[dict], models: int, versions: int) -> str:
    first = [r["first_page_s"] for r in results]
    keys = [k for r in results for k in r["keystrokes_ms"]]
    facets = [k for r in results for k in r["facets_ms"]]
    scroll = [k for r in results for k in r["scroll_ms"]]
    peak = max(r["peak_mb"] for r in results)
    kc = [k for r in results for k in r["keystroke_cpu_ms"]]
    marks = results[0]["marks"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    p95 = sorted(keys)[int(0.95 * (len(keys) - 1))]
    lines = [
        "# Inventory benchmark",
        "",
        f"Recorded {datetime.now():%Y-%m-%d %H:%M} on {platform.platform()}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs (shared with other work), "
        f"load average {os.getloadavg()[0]:.1f} while measuring, "
        f"embedded SQLite. Registry: {models:,} models, {versions:,} versions "
        f"({len(results)} runs, each a fresh process, offscreen).",
        "",
        "| measure | median | worst | target | verdict |",
        "| --- | --- | --- | --- | --- |",
        f"| process start → first inventory page shown | {statistics.median(first):.2f} s | "
        f"{max(first):.2f} s | < 1.5 s | {verdict(max(first) < 1.5)} |",
        f"| search keystroke → results shown ({len(keys)} keystrokes, p95 {p95:.0f} ms) | "
        f"{statistics.median(keys):.0f} ms | {max(keys):.0f} ms | < 100 ms | "
        f"{verdict(p95 < 100)} |",
        f"| facet click → results shown | {statistics.median(facets):.0f} ms | "
        f"{max(facets):.0f} ms | < 100 ms | {verdict(max(facets) < 100)} |",
        f"| scroll to end → next page shown | {statistics.median(scroll):.0f} ms | "
        f"{max(scroll):.0f} ms | — | — |",
        f"| CPU time of the process, start → first page (load-independent) | "
        f"{statistics.median(r['first_page_cpu_s'] for r in results):.2f} s | "
        f"{max(r['first_page_cpu_s'] for r in results):.2f} s | — | — |",
        f"| CPU time per keystroke (GUI + worker threads) | "
        f"{statistics.median(kc):.0f} ms | {max(kc):.0f} ms | — | — |",
        f"| peak memory (max RSS) | — | {peak:.0f} MB | < 400 MB | {verdict(peak < 400)} |",
        "",
        f"First page: {results[0]['rows_first']} rows of {results[0]['total']:,}. The keystrokes "
        "type `credit` and `fraud` one character at a time into the search box; each is "
        "timed from the key event to the table model's `rows_shown` signal (query in a worker, "
        "rows in the view; the match count follows). Facets: tier=high, then business "
        "unit=Fraud, then flag=stale.",
        "",
        f"Start-up breakdown (first run, wall clock from process start): imports done "
        f"{marks['imported']:.2f} s, registry open (schema check) {marks['registry_open']:.2f} s, "
        f"window built {marks['window_built']:.2f} s, "
        f"first page {results[0]['first_page_s']:.2f} s.",
        "",
        "Reproduce: `python bench/bench_inventory.py --record`.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], float(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default="/tmp/signoff-bench-inventory")
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--versions-per-model", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    home = Path(args.home)
    build_registry(home, args.models, args.versions_per_model)
    results = run(home, args.runs)
    text_ = report(results, args.models, args.models * args.versions_per_model)
    print(text_)
    if args.record:
        (HERE / "results" / "inventory.md").write_text(text_)


if __name__ == "__main__":
    main()
