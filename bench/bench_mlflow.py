"""Side-by-side benchmark: the governance reads on MLflow and on Signoff, same inventory.

    python bench/bench_mlflow.py --models 1000 --versions 10 [--signoff-load bulk|rest]
                                 [--check-equivalence] [--workdir DIR] [--record]

1. Builds the seeded synthetic inventory of ``mlflow_inventory.py`` (N registered models × M
   versions, each version with a run of 8 metrics and 10 params, model tags, ``champion``
   and ``challenger`` aliases) and loads it into an MLflow SQLite store through MLflow's own
   SQLAlchemy models in bulk.
2. Loads the same records into a fresh Signoff registry: by default in bulk with
   ``signoff.core.importers.mlflow.bulk`` (the importer's rows through SQLAlchemy Core
   inserts, one transaction per 500 models); with ``--signoff-load rest`` by starting a real
   ``mlflow server`` on the store and importing it with the real importer
   (``signoff.core.importers.mlflow.importer.import_mlflow``, metadata, runs and metrics; the
   synthetic versions have no artifact files) — about 40–90 ms per version on this machine,
   so over an hour at N=10,000. ``--check-equivalence`` (on by default up to 2,000 versions)
   loads Signoff both ways and stops unless the two registries hold the same rows, table by
   table (``mlflow_inventory.registry_rows``).
3. Times the same reads on both, in this process, MLflow through its public Python client
   against SQLite (as the issue measured it) and Signoff through its core queries:
   list the whole inventory with latest and live version; filter by name substring; open
   one model with all versions and metrics; compare 5 versions' metrics; and cold start
   (a new Python process from start to the first inventory page). The whole-inventory
   listing is also timed with each system in a process of its own: in the shared process
   the garbage collector walks MLflow's objects too while Signoff builds its rows.

Each read is repeated (median of --repeat runs, fresh session/client each time).
``--record`` appends the table to bench/results/mlflow.md.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from mlflow_inventory import (
    build_mlflow_store,
    registry_rows,
    row_differences,
    serve_mlflow,
    synthetic_models,
)

from signoff.core.importers.mlflow.bulk import MlflowRecord
from signoff.core.importers.mlflow.report import ImportReport

warnings.filterwarnings("ignore")

RESULTS = Path(__file__).parent / "results" / "mlflow.md"
READING = "## Reading these numbers"
LISTING = "list inventory (latest + live)"
LOADS = {
    "bulk": "in bulk (signoff.core.importers.mlflow.bulk, Core inserts)",
    "rest": "over REST from a real mlflow server (import_mlflow; metadata, runs, metrics, "
    "no artifact files)",
}


def _open(home: Path):  # noqa: ANN202 - a Registry; imported late to keep start-up light
    from signoff.core.db.registry import open_registry

    registry = open_registry(home=home)
    registry.set_actor_for_embedded("bench")
    return registry


def load_signoff_rest(home: Path, url: str) -> tuple[float, ImportReport]:
    """Import the MLflow server at *url* into a fresh registry at *home*; (seconds, report)."""
    from signoff.core.importers.mlflow.importer import import_mlflow

    registry = _open(home)
    last = [0.0]

    def progress(fraction: float, message: str) -> None:
        if fraction - last[0] >= 0.1:
            last[0] = fraction
            print(f"  REST import {fraction:.0%} {message}", flush=True)

    start = time.perf_counter()
    report = import_mlflow(registry, url, artifacts=False, progress=progress)
    seconds = time.perf_counter() - start
    registry.close()
    return seconds, report


def load_signoff_bulk(
    home: Path, server: str, records: Iterable[MlflowRecord], total: int
) -> tuple[float, ImportReport]:
    """Bulk-load *records* into a fresh registry at *home*; (seconds, report)."""
    from signoff.core.importers.mlflow.bulk import bulk_load_mlflow

    registry = _open(home)
    start = time.perf_counter()
    report = bulk_load_mlflow(
        registry,
        server,
        records,
        total=total,
        progress=lambda f, m: print(f"  bulk load {f:.0%} {m}", flush=True),
    )
    seconds = time.perf_counter() - start
    registry.close()
    return seconds, report


def check_equivalence(rest_home: Path, bulk_home: Path) -> str:
    """Compare the two Signoff loads table by table; exits the benchmark if they differ."""
    rest, bulk = _open(rest_home), _open(bulk_home)
    rows = registry_rows(rest)
    differences = row_differences(rows, registry_rows(bulk))
    rest.close()
    bulk.close()
    if differences:
        sys.exit("the bulk load and the REST import differ:\n" + "\n".join(differences))
    counted = ("models", "versions", "components", "metrics", "deployments")
    return (
        "Equivalence checked: the REST import and the bulk load hold identical rows ("
        + ", ".join(f"{len(rows[t]):,} {t}" for t in counted)
        + "; every other table "
        + ("empty" if not any(n for _t, n in rows["other tables (rows)"]) else "alike")
        + "; audit chain intact: "
        + str(dict(rows["audit"][:1])["chain intact"])
        + "; the audit trails differ by design, see mlflow_bulk)"
    )


def reused_names(home: Path) -> list[str]:
    from sqlalchemy import select

    from signoff.core.db.registry import open_registry
    from signoff.core.db.schema import Model

    registry = open_registry(home=home, upgrade=False)
    with registry.read() as session:
        names = list(session.scalars(select(Model.name).order_by(Model.name)))
    registry.close()
    return names


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def mlflow_reads(
    db: Path | str, names: list[str], probe: str, rng: random.Random
) -> dict[str, Callable[[], object]]:
    """MLflow's reads through its client, on the SQLite store (*db* a path) or over REST
    (*db* a server's http URL). A model's runs are read with one ``search_runs`` (its
    versions' run ids), as MLflow's docs advise, not one ``get_run`` per version."""
    from mlflow.tracking import MlflowClient

    uri = db if isinstance(db, str) else f"sqlite:///{db}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    one = rng.choice(names)
    experiments = [e.experiment_id for e in client.search_experiments()]  # known beforehand

    def runs_metrics(versions: list) -> list:
        ids = ", ".join(f"'{v.run_id}'" for v in versions)
        runs = client.search_runs(
            experiments, filter_string=f"attributes.run_id IN ({ids})", max_results=len(versions)
        )
        by_id = {r.info.run_id: r.data.metrics for r in runs}
        return [(int(v.version), by_id[v.run_id]) for v in versions]

    def listing() -> list:
        rows, token = [], None
        while True:
            page = client.search_registered_models(max_results=1000, page_token=token)
            for m in page:
                latest = max((int(v.version) for v in m.latest_versions), default=None)
                rows.append((m.name, latest, m.aliases.get("champion")))
            token = page.token
            if not token:
                return rows

    def search() -> list:
        rows, token = [], None
        while True:
            page = client.search_registered_models(
                f"name LIKE '%{probe}%'", max_results=1000, page_token=token
            )
            rows += [m.name for m in page]
            token = page.token
            if not token:
                return rows

    def open_model() -> list:
        client.get_registered_model(one)
        return runs_metrics(client.search_model_versions(f"name='{one}'"))

    def compare() -> list:
        found = sorted(
            client.search_model_versions(f"name='{one}'"), key=lambda v: -int(v.version)
        )[:5]
        return runs_metrics(found)

    def first_page() -> list:
        page = client.search_registered_models(max_results=200)
        return [
            (
                m.name,
                max((int(v.version) for v in m.latest_versions), default=None),
                m.aliases.get("champion"),
            )
            for m in page
        ]

    return {
        LISTING: listing,
        "first inventory page (200 rows)": first_page,
        "filter by name substring": search,
        "open one model (versions + metrics)": open_model,
        "compare 5 versions' metrics": compare,
        "_one": lambda: one,
    }


def signoff_reads(home: Path, one: str, probe: str) -> dict[str, Callable[[], object]]:
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from signoff.core.catalog import inventory
    from signoff.core.db.registry import open_registry
    from signoff.core.db.schema import Metric, Model, Version

    registry = open_registry(home=home, upgrade=False)

    def listing() -> list:
        with registry.read() as s:
            return inventory.inventory(s, inventory.InventoryQuery(limit=None))

    def search() -> list:
        with registry.read() as s:
            return inventory.inventory(s, inventory.InventoryQuery(search=probe, limit=None))

    def open_model() -> list:
        with registry.read() as s:
            model = s.scalar(select(Model).where(Model.name == one))
            versions = s.scalars(
                select(Version)
                .where(Version.model_id == model.id)
                .options(selectinload(Version.metrics))
            ).all()
            return [(v.number, [(m.name, m.value) for m in v.metrics]) for v in versions]

    def compare() -> list:
        with registry.read() as s:
            model = s.scalar(select(Model).where(Model.name == one))
            ids = s.scalars(
                select(Version.id)
                .where(Version.model_id == model.id)
                .order_by(Version.number.desc())
                .limit(5)
            ).all()
            return s.execute(
                select(Metric.version_id, Metric.name, Metric.value).where(
                    Metric.version_id.in_(ids)
                )
            ).all()

    def first_page() -> list:
        with registry.read() as s:
            return inventory.inventory(s, inventory.InventoryQuery(limit=200))

    return {
        LISTING: listing,
        "first inventory page (200 rows)": first_page,
        "filter by name substring": search,
        "open one model (versions + metrics)": open_model,
        "compare 5 versions' metrics": compare,
    }


COLD_MLFLOW = """
import time, warnings; warnings.filterwarnings("ignore")
from mlflow.tracking import MlflowClient
c = MlflowClient(tracking_uri={uri!r}, registry_uri={uri!r})
page = c.search_registered_models(max_results=200)
assert len(page) > 0
"""
COLD_SIGNOFF = """
from signoff.core.catalog import inventory
from signoff.core.db.registry import open_registry
r = open_registry(home={home!r})
with r.read() as s:
    rows = inventory.inventory(s, inventory.InventoryQuery(limit=200))
assert rows
"""


def cold_start_ms(code: str, repeat: int) -> float:
    def once() -> None:
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)

    return median_ms(once, repeat)


def listing_alone(system: str, workdir: Path, repeat: int) -> float:
    """Median ms of the whole-inventory listing in this process, which read only *system*."""
    db, home = workdir / "mlflow.db", workdir / "signoff"
    reads = (
        mlflow_reads(db, ["-"], "", random.Random(0))
        if system == "mlflow"
        else signoff_reads(home, "-", "")
    )
    reads[LISTING]()  # warmed, as the in-process rows are warmed by the equality checks
    return median_ms(reads[LISTING], repeat)


def listing_alone_ms(system: str, workdir: Path, repeat: int) -> float:
    """The listing timed in a process of its own, that never imported the other system's
    client: in one process the garbage collector also walks the other system's objects."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--time-listing",
            system,
            "--workdir",
            str(workdir),
            "--repeat",
            str(repeat),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--record", action="store_true")
    parser.add_argument(
        "--signoff-load",
        choices=("bulk", "rest"),
        default="bulk",
        help="how the timed Signoff registry is filled (default: bulk)",
    )
    parser.add_argument(
        "--check-equivalence",
        action=argparse.BooleanOptionalAction,
        help="also load Signoff the other way and require identical rows "
        "(default: on up to 2,000 versions)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the MLflow store and Signoff registry already in --workdir "
        "(from an earlier run with the same arguments); time the reads only",
    )
    parser.add_argument(
        "--time-listing", choices=("mlflow", "signoff"), help=argparse.SUPPRESS
    )  # the child of listing_alone_ms
    args = parser.parse_args()
    if args.time_listing:
        print(listing_alone(args.time_listing, args.workdir, args.repeat))
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-mlflow-"))
    db, home = workdir / "mlflow.db", workdir / "signoff"
    rng = random.Random(args.seed)
    if args.reuse and db.exists() and home.exists():
        names = reused_names(home)
        notes = [f"Reads only: stores reused from an earlier run in {workdir}."]
        print(notes[0])
    else:
        names, notes = load_both(args, workdir)

    probe = "fraud-c"
    ml = mlflow_reads(db, names, probe, rng)
    one = ml.pop("_one")()
    so = signoff_reads(home, one, probe)
    # the same answers first: same models listed and found
    assert len(ml[LISTING]()) == len(so[LISTING]())
    assert sorted(ml["filter by name substring"]()) == sorted(
        r.name for r in so["filter by name substring"]()
    )
    load_before = os.getloadavg()[0]
    rows = []
    with serve_mlflow(db, workdir) as url:
        rest = mlflow_reads(url, names, probe, random.Random(args.seed))
        assert rest.pop("_one")() == one
        assert sorted(map(str, rest["open one model (versions + metrics)"]())) == sorted(
            map(str, ml["open one model (versions + metrics)"]())
        )
        for op in so:
            m_ms, s_ms = median_ms(ml[op], args.repeat), median_ms(so[op], args.repeat)
            r_ms = median_ms(rest[op], args.repeat)
            rows.append((op, m_ms, r_ms, s_ms))
            print(
                f"{op:40s} MLflow {m_ms:9.1f} ms  over REST {r_ms:9.1f} ms  "
                f"Signoff {s_ms:8.1f} ms   {m_ms / s_ms:6.1f}× / {r_ms / s_ms:6.1f}×"
            )
    alone = (
        listing_alone_ms("mlflow", workdir, args.repeat),
        float("nan"),
        listing_alone_ms("signoff", workdir, args.repeat),
    )
    rows.append(("list inventory, each system timed in a process of its own", *alone))
    print(f"listing in a process of its own: MLflow {alone[0]:.1f} ms, Signoff {alone[2]:.1f} ms")
    uri = f"sqlite:///{db}"
    cold = (
        cold_start_ms(COLD_MLFLOW.format(uri=uri), 3),
        float("nan"),
        cold_start_ms(COLD_SIGNOFF.format(home=str(home)), 3),
    )
    rows.append(("cold start to first page (headless)", *cold))
    print(f"cold start: MLflow {cold[0]:.0f} ms, Signoff {cold[2]:.0f} ms")
    if args.record:
        record(args, rows, notes, (load_before, os.getloadavg()[0]))


def load_both(args: argparse.Namespace, workdir: Path) -> tuple[list[str], list[str]]:
    """Build the MLflow store and fill Signoff (both ways when checking); (names, notes)."""
    db, home = workdir / "mlflow.db", workdir / "signoff"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    now_ms = int(time.time() * 1000)
    print(f"load average before loading: {os.getloadavg()[0]:.1f}", flush=True)
    start = time.perf_counter()
    experiment_id, names = build_mlflow_store(db, args.models, args.versions, args.seed, now_ms)
    mlflow_s = time.perf_counter() - start
    print(f"MLflow store: {len(names)} models × {args.versions} versions in {mlflow_s:.1f} s")
    notes = [f"Loading MLflow (bulk, MLflow's SQLAlchemy models): {mlflow_s:.1f} s."]
    check = (
        args.check_equivalence
        if args.check_equivalence is not None
        else args.models * args.versions <= 2000
    )
    other = "rest" if args.signoff_load == "bulk" else "bulk"
    homes = {args.signoff_load: home, other: workdir / f"signoff-{other}"}
    methods = [args.signoff_load] + ([other] if check else [])
    server = f"sqlite:///{db}"  # the origin recorded by a bulk load without a server
    loaded: dict[str, tuple[float, ImportReport]] = {}
    if "rest" in methods:
        with serve_mlflow(db, workdir) as url:
            server = url  # a bulk load compared with the import records the same origin
            loaded["rest"] = load_signoff_rest(homes["rest"], url)
    if "bulk" in methods:
        records = synthetic_models(args.models, args.versions, args.seed, experiment_id, now_ms)
        loaded["bulk"] = load_signoff_bulk(homes["bulk"], server, records, args.models)
    for method in methods:
        seconds, report = loaded[method]
        summary = report.lines()[1].strip()
        label = "timed registry" if method == args.signoff_load else "for the comparison"
        print(f"Signoff loaded {method} in {seconds:.1f} s ({label}): {summary}")
        notes.append(f"Loading Signoff {LOADS[method]} ({label}): {seconds:.1f} s — {summary}.")
    if check:
        verdict = check_equivalence(homes["rest"], homes["bulk"])
        print(verdict)
        notes.append(verdict + ".")
    return names, notes


def record(
    args: argparse.Namespace,
    rows: list[tuple[str, float, float, float]],
    notes: list[str],
    load: tuple[float, float],
) -> None:
    import mlflow

    lines = [
        f"\n## N={args.models:,} models × M={args.versions} versions "
        f"({args.models * args.versions:,} versions) — "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"MLflow {mlflow.__version__} in-process on SQLite, and over REST from a real "
        "`mlflow server` on the same store (the client in this process); MLflow reads a "
        "model's runs with one `search_runs` (its versions' run ids), as its docs advise; "
        "Signoff core on SQLite; "
        f"median of {args.repeat} runs (cold start: 3). Machine load average (1 min) "
        f"when the reads began: {load[0]:.1f}, at the end: {load[1]:.1f}, on "
        f"{os.cpu_count()} cores.",
        "",
        "| read | MLflow in-process | MLflow over REST | Signoff | faster by (in-process / REST) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for op, m_ms, r_ms, s_ms in rows:
        rest = "—" if r_ms != r_ms else f"{r_ms:,.1f} ms"
        ratio = f"{m_ms / s_ms:,.1f}×" + ("" if r_ms != r_ms else f" / {r_ms / s_ms:,.1f}×")
        lines.append(f"| {op} | {m_ms:,.1f} ms | {rest} | {s_ms:,.1f} ms | {ratio} |")
    lines += [""] + [f"- {note}" for note in notes] + [""]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if not RESULTS.exists():
        RESULTS.write_text(
            "# MLflow vs Signoff: governance reads on the same inventory\n\n"
            "Produced by `python bench/bench_mlflow.py --record`.\n"
        )
    # new runs go above the hand-written reading of the numbers, which stays last
    text = RESULTS.read_text()
    notes = text.find(READING)
    run = "\n".join(lines) + "\n"
    RESULTS.write_text(text + run if notes < 0 else text[:notes] + run + "\n" + text[notes:])


if __name__ == "__main__":
    main()
