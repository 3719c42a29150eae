"""Side-by-side benchmark: the governance reads on MLflow and on Signoff, same inventory.

    python bench/bench_mlflow.py --models 1000 --versions 10 [--workdir DIR] [--record]

1. Builds a seeded synthetic inventory: N registered models × M versions, each version with a
   run carrying 8 metrics and 10 params, model tags (owner, business unit, risk tier) and
   aliases (``champion`` on one version of ~70 % of models, ``challenger`` on some).
   It is loaded into an MLflow SQLite store through MLflow's own SQLAlchemy models in bulk
   (going through the client API one call at a time would take most of an hour at N=1,000
   on this machine; the stored rows are the same).
2. Starts a real ``mlflow server`` on that store and imports it into a fresh Signoff registry
   with ``signoff.core.importers.mlflow.import_mlflow`` over REST (metadata, runs, metrics;
   the synthetic versions have no artifact files).
3. Times the same reads on both, in this process, MLflow through its public Python client
   against SQLite (as the issue measured it) and Signoff through its core queries:
   list the whole inventory with latest and live version; filter by name substring; open
   one model with all versions and metrics; compare 5 versions' metrics; and cold start
   (a new Python process from start to the first inventory page).

Each read is repeated (median of --repeat runs, fresh session/client each time).
``--record`` appends the table to bench/results/mlflow.md.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

warnings.filterwarnings("ignore")

METRICS = ("auc", "accuracy", "precision", "recall", "f1", "log_loss", "brier", "ks")
PARAMS = ("C", "penalty", "max_iter", "solver", "class_weight", "l1_ratio", "tol",
          "n_features", "train_rows", "seed")
UNITS = ("retail", "corporate", "cards", "mortgages", "insurance", "treasury")
WORDS = ("credit", "churn", "fraud", "pricing", "limit", "collections", "propensity",
         "default", "uplift", "aml", "kyc", "claims", "lapse", "segmentation")
RESULTS = Path(__file__).parent / "results" / "mlflow.md"


def build_mlflow_store(db: Path, n_models: int, n_versions: int, seed: int) -> list[str]:
    """Create the MLflow SQLite store with the synthetic inventory; returns the model names."""
    from mlflow.store.model_registry.dbmodels import models as reg
    from mlflow.store.tracking.dbmodels import models as trk
    from mlflow.tracking import MlflowClient
    from sqlalchemy import create_engine, insert

    uri = f"sqlite:///{db}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment_id = client.create_experiment("bench")  # also creates the schema
    rng = random.Random(seed)
    now_ms = int(time.time() * 1000)
    names, models, mtags, aliases, runs, metrics, latest, params, rtags, versions = (
        [], [], [], [], [], [], [], [], [], [])
    for i in range(n_models):
        name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{i:05d}"
        names.append(name)
        models.append({"name": name, "creation_time": now_ms, "last_updated_time": now_ms,
                       "description": f"Synthetic model {i}"})
        for key, value in (("owner", f"team-{rng.randrange(40)}"),
                           ("business_unit", rng.choice(UNITS)),
                           ("risk_tier", rng.choice(("high", "medium", "low")))):
            mtags.append({"name": name, "key": key, "value": value})
        for v in range(1, n_versions + 1):
            run_id = f"{i:06d}{v:04d}" + "0" * 22
            runs.append({"run_uuid": run_id, "name": f"{name}-run-{v}", "source_type": "LOCAL",
                         "source_name": "bench", "entry_point_name": "", "user_id": "bench",
                         "status": "FINISHED", "start_time": now_ms, "end_time": now_ms,
                         "source_version": "", "lifecycle_stage": "active",
                         "artifact_uri": f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts",
                         "experiment_id": int(experiment_id)})
            for key in METRICS:
                row = {"key": key, "value": round(rng.random(), 6), "timestamp": now_ms,
                       "step": 0, "is_nan": False, "run_uuid": run_id}
                metrics.append(row)
                latest.append(dict(row))
            for key in PARAMS:
                params.append({"key": key, "value": str(rng.randrange(1000)),
                               "run_uuid": run_id})
            rtags.append({"key": "mlflow.user", "value": "bench", "run_uuid": run_id})
            versions.append({"name": name, "version": v, "creation_time": now_ms + v,
                             "last_updated_time": now_ms + v, "description": "",
                             "user_id": "bench", "current_stage": "None",
                             "source": f"runs:/{run_id}/model",
                             "storage_location": None, "run_id": run_id, "run_link": "",
                             "status": "READY", "status_message": ""})
        if rng.random() < 0.7:
            aliases.append({"name": name, "alias": "champion",
                            "version": rng.randint(1, n_versions)})
        if rng.random() < 0.3:
            aliases.append({"name": name, "alias": "challenger", "version": n_versions})
    engine = create_engine(uri)
    with engine.begin() as conn:
        for table, rows in ((trk.SqlRun, runs), (trk.SqlMetric, metrics),
                            (trk.SqlLatestMetric, latest), (trk.SqlParam, params),
                            (trk.SqlTag, rtags), (reg.SqlRegisteredModel, models),
                            (reg.SqlRegisteredModelTag, mtags), (reg.SqlModelVersion, versions),
                            (reg.SqlRegisteredModelAlias, aliases)):
            for start in range(0, len(rows), 5000):
                conn.execute(insert(table.__table__), rows[start:start + 5000])
    engine.dispose()
    return names


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def import_into_signoff(db: Path, home: Path, workdir: Path) -> tuple[float, str]:
    """Serve the store with a real ``mlflow server`` and import it; (seconds, report)."""
    import requests

    from signoff.core.db import open_registry
    from signoff.core.importers.mlflow import import_mlflow

    port = free_port()
    log = open(workdir / "server.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{db}", "--artifacts-destination",
         str(workdir / "artifacts"), "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                if requests.get(f"{url}/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("mlflow server did not start")
            time.sleep(0.5)
        registry = open_registry(home=home)
        registry.set_actor_for_embedded("bench")
        last = [0.0]

        def progress(fraction: float, message: str) -> None:
            if fraction - last[0] >= 0.1:
                last[0] = fraction
                print(f"  import {fraction:.0%} {message}", flush=True)

        start = time.perf_counter()
        report = import_mlflow(registry, url, artifacts=False, progress=progress)
        seconds = time.perf_counter() - start
        registry.close()
        return seconds, "; ".join(report.lines()[1:2])
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def reused_names(home: Path) -> list[str]:
    from sqlalchemy import select

    from signoff.core.db import open_registry
    from signoff.core.schema import Model

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


def mlflow_reads(db: Path, names: list[str], probe: str, rng: random.Random
                 ) -> dict[str, Callable[[], object]]:
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{db}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    one = rng.choice(names)

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
            page = client.search_registered_models(f"name LIKE '%{probe}%'", max_results=1000,
                                                   page_token=token)
            rows += [m.name for m in page]
            token = page.token
            if not token:
                return rows

    def open_model() -> list:
        client.get_registered_model(one)
        found = client.search_model_versions(f"name='{one}'")
        return [(v.version, client.get_run(v.run_id).data.metrics) for v in found]

    def compare() -> list:
        found = sorted(client.search_model_versions(f"name='{one}'"),
                       key=lambda v: -int(v.version))[:5]
        return [client.get_run(v.run_id).data.metrics for v in found]

    def first_page() -> list:
        page = client.search_registered_models(max_results=200)
        return [(m.name, max((int(v.version) for v in m.latest_versions), default=None),
                 m.aliases.get("champion")) for m in page]

    return {"list inventory (latest + live)": listing, "first inventory page (200 rows)":
            first_page, "filter by name substring": search,
            "open one model (versions + metrics)": open_model,
            "compare 5 versions' metrics": compare, "_one": lambda: one}


def signoff_reads(home: Path, one: str, probe: str) -> dict[str, Callable[[], object]]:
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from signoff.core import registry as queries
    from signoff.core.db import open_registry
    from signoff.core.schema import Metric, Model, Version

    registry = open_registry(home=home, upgrade=False)

    def listing() -> list:
        with registry.read() as s:
            return queries.inventory(s, queries.InventoryQuery(limit=None))

    def search() -> list:
        with registry.read() as s:
            return queries.inventory(s, queries.InventoryQuery(search=probe, limit=None))

    def open_model() -> list:
        with registry.read() as s:
            model = s.scalar(select(Model).where(Model.name == one))
            versions = s.scalars(select(Version).where(Version.model_id == model.id)
                                 .options(selectinload(Version.metrics))).all()
            return [(v.number, [(m.name, m.value) for m in v.metrics]) for v in versions]

    def compare() -> list:
        with registry.read() as s:
            model = s.scalar(select(Model).where(Model.name == one))
            ids = s.scalars(select(Version.id).where(Version.model_id == model.id)
                            .order_by(Version.number.desc()).limit(5)).all()
            return s.execute(select(Metric.version_id, Metric.name, Metric.value)
                             .where(Metric.version_id.in_(ids))).all()

    def first_page() -> list:
        with registry.read() as s:
            return queries.inventory(s, queries.InventoryQuery(limit=200))

    return {"list inventory (latest + live)": listing, "first inventory page (200 rows)":
            first_page, "filter by name substring": search,
            "open one model (versions + metrics)": open_model,
            "compare 5 versions' metrics": compare}


COLD_MLFLOW = """
import time, warnings; warnings.filterwarnings("ignore")
from mlflow.tracking import MlflowClient
c = MlflowClient(tracking_uri={uri!r}, registry_uri={uri!r})
page = c.search_registered_models(max_results=200)
assert len(page) > 0
"""
COLD_SIGNOFF = """
from signoff.core.db import open_registry
from signoff.core import registry as q
r = open_registry(home={home!r})
with r.read() as s:
    rows = q.inventory(s, q.InventoryQuery(limit=200))
assert rows
"""


def cold_start_ms(code: str, repeat: int) -> float:
    def once() -> None:
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return median_ms(once, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the MLflow store and Signoff registry already in --workdir "
                        "(from an earlier run with the same arguments); time the reads only")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-mlflow-"))
    db, home = workdir / "mlflow.db", workdir / "signoff"
    rng = random.Random(args.seed)
    if args.reuse and db.exists() and home.exists():
        names = reused_names(home)
        load_s = import_s = float("nan")
        summary = f"stores reused from an earlier run in {workdir}"
        print(summary)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        start = time.perf_counter()
        names = build_mlflow_store(db, args.models, args.versions, args.seed)
        load_s = time.perf_counter() - start
        print(f"MLflow store: {len(names)} models × {args.versions} versions in {load_s:.1f} s")
        import_s, summary = import_into_signoff(db, home, workdir)
        print(f"imported into Signoff in {import_s:.1f} s: {summary}")

    probe = "fraud-c"
    ml = mlflow_reads(db, names, probe, rng)
    one = ml.pop("_one")()
    so = signoff_reads(home, one, probe)
    # the same answers first: same models listed and found
    listing = "list inventory (latest + live)"
    assert len(ml[listing]()) == len(so[listing]())
    assert sorted(ml["filter by name substring"]()) == sorted(
        r.name for r in so["filter by name substring"]())
    rows = []
    for op in so:
        m_ms, s_ms = median_ms(ml[op], args.repeat), median_ms(so[op], args.repeat)
        rows.append((op, m_ms, s_ms))
        print(f"{op:40s} MLflow {m_ms:9.1f} ms   Signoff {s_ms:8.1f} ms   {m_ms / s_ms:6.1f}×")
    uri = f"sqlite:///{db}"
    cold = (cold_start_ms(COLD_MLFLOW.format(uri=uri), 3),
            cold_start_ms(COLD_SIGNOFF.format(home=str(home)), 3))
    rows.append(("cold start to first page (headless)", *cold))
    print(f"cold start: MLflow {cold[0]:.0f} ms, Signoff {cold[1]:.0f} ms")
    if args.record:
        record(args, rows, load_s, import_s, summary)


def record(args: argparse.Namespace, rows: list[tuple[str, float, float]], load_s: float,
           import_s: float, summary: str) -> None:
    import mlflow

    lines = [f"\n## N={args.models:,} models × M={args.versions} versions "
             f"({args.models * args.versions:,} versions) — "
             f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
             "", f"MLflow {mlflow.__version__} in-process on SQLite; Signoff core on SQLite; "
             f"median of {args.repeat} runs (cold start: 3). Machine load average at the "
             f"time: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.", "",
             "| read | MLflow | Signoff | Signoff faster by |", "| --- | ---: | ---: | ---: |"]
    for op, m_ms, s_ms in rows:
        lines.append(f"| {op} | {m_ms:,.1f} ms | {s_ms:,.1f} ms | {m_ms / s_ms:,.1f}× |")
    if load_s == load_s:  # not NaN: this run built the stores
        lines += ["", f"Loading MLflow (bulk): {load_s:.1f} s. Import into Signoff over REST "
                  f"(metadata, runs, metrics; no artifact files): {import_s:.1f} s — "
                  f"{summary.strip()}.", ""]
    else:
        lines += ["", f"Reads only: {summary}.", ""]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if not RESULTS.exists():
        RESULTS.write_text("# MLflow vs Signoff: governance reads on the same inventory\n\n"
                           "Produced by `python bench/bench_mlflow.py --record`.\n")
    with RESULTS.open("a") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
