"""PostgreSQL at 10 million predictions: a subject's history, a reproduction lookup, windows.

    python bench/bench_pg_predictions.py [--rows 10000000] [--subjects 2000000] [--samples 200]
        [--partitioned] [--keep]

Builds a registry on a new database (``SIGNOFF_TEST_PG_URL``'s server; dropped at the end
unless ``--keep``): one live model (the monitoring tests' ``toy-model``), then ``--rows``
predictions of it spread over 24 months for ``--subjects`` subjects, and an outcome for every
subject, loaded with ``COPY`` (secondary indexes dropped for the load and rebuilt with the
schema's own definitions, then ANALYZE, as autovacuum would).

Then, each in a new read session of the registry, on random subjects:

* ``subject_history`` (``signoff history``): every prediction of a subject with its outcome;
* ``find_prediction(subject=…, at=…)``: the reproduction look-up (the latest prediction of a
  subject at or before a time);
* one monitoring window of the version: ``scored_pairs`` for 30 days (what
  ``version_series`` fetches, per window) and the same window's volume and mean score
  aggregated in the database (``GROUP BY`` the window), and every window of the version
  aggregated in the database;
* the same 30-day window through Signoff's own monitoring function, ``version_series`` with
  ``since``/``until`` on the window, both ways in the same run: ``in_database=False`` (every
  scored prediction with its outcome fetched, metrics in numpy: the code before issue 22) and
  ``in_database=True`` (counts, means, AUC by rank sum and PSI bin counts in one ``GROUP BY``),
  checked equal; then every window of the version through the database path once
  (``--all-windows``; the Python path for all windows would hold every row in memory).

With ``--partitioned`` the same rows are also copied into a table partitioned by month on
``predicted_at`` (with BRIN on ``predicted_at`` and the same B-tree indexes per partition),
and the two look-ups and the window aggregation are timed on both tables as raw SQL.
EXPLAIN (ANALYZE, BUFFERS) of each is printed. Target (issue 22): look-ups p95 ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

import psycopg  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

START = datetime(2025, 1, 1)
MONTHS = 24
TARGET_MS = 20.0


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def load(
    conn: psycopg.Connection, version_id: int, model_id: int, rows: int, subjects: int
) -> None:
    """COPY *rows* predictions and one outcome per subject; indexes rebuilt after."""
    secondary = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'predictions' AND "
        "indexname NOT IN (SELECT conname FROM pg_constraint "
        "WHERE conrelid = 'predictions'::regclass)"
    ).fetchall()
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'predictions'::regclass AND contype = 'u'"
    ).fetchall()
    for name, _ in constraints:
        conn.execute(f"ALTER TABLE predictions DROP CONSTRAINT {name}")
    for name, _ in secondary:
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    span = MONTHS * 30 * 86400
    per_subject = rows // subjects
    t0 = time.perf_counter()
    columns = (
        "subject_key, predicted_at, version_id, input_ref, input_sha256, output, score, "
        "outside_lifetime"
    )
    with conn.cursor() as cur, cur.copy(f"COPY predictions ({columns}) FROM STDIN") as copy:
        rng = random.Random(3)
        buf = io.StringIO()
        for i in range(rows):
            subject = i % subjects
            # each subject scored per_subject times, evenly over the span, with jitter
            k = i // subjects
            at = START + timedelta(
                seconds=int((k + rng.random()) * span / per_subject) + subject % 997
            )
            score = rng.random()
            when = f"{at:%Y-%m-%d %H:%M:%S}"
            buf.write(f"S{subject:08d}\t{when}\t{version_id}\t\t\t{score!r}\t{score!r}\t\n")
            if i % 200_000 == 199_999:
                copy.write(buf.getvalue())
                buf = io.StringIO()
        copy.write(buf.getvalue())
    print(f"COPY {rows:,} predictions: {time.perf_counter() - t0:.0f} s", flush=True)
    t0 = time.perf_counter()
    with (
        conn.cursor() as cur,
        cur.copy("COPY outcomes (subject_key, observed_at, actual, model_id) FROM STDIN") as copy,
    ):
        buf = io.StringIO()
        for subject in range(subjects):
            at = START + timedelta(days=30 * MONTHS - 10, seconds=subject)
            actual = int(subject % 5 == 0)
            buf.write(f"S{subject:08d}\t{at:%Y-%m-%d %H:%M:%S}\t{actual}\t{model_id}\n")
        copy.write(buf.getvalue())
    print(f"COPY {subjects:,} outcomes: {time.perf_counter() - t0:.0f} s", flush=True)
    t0 = time.perf_counter()
    for name, definition in constraints:
        conn.execute(f"ALTER TABLE predictions ADD CONSTRAINT {name} {definition}")
    for _, definition in secondary:
        conn.execute(definition)
    conn.execute("ANALYZE predictions")
    conn.execute("ANALYZE outcomes")
    print(f"indexes rebuilt and analysed: {time.perf_counter() - t0:.0f} s", flush=True)


def timed(samples: int, fn) -> list[float]:  # noqa: ANN001
    out = []
    for i in range(samples):
        t0 = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--subjects", type=int, default=2_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--partitioned", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--all-windows", action="store_true")
    args = parser.parse_args()
    admin = os.environ.get(
        "SIGNOFF_TEST_PG_URL", "postgresql://signoff_ci:signoff_ci@localhost:5432/signoff_ci"
    )
    base = make_url(admin).set(drivername="postgresql")
    name = f"signoff_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        run(url, args)
    finally:
        if not args.keep:
            with psycopg.connect(base.render_as_string(hide_password=False), autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            print(f"kept database {name}")
    return 0


def run(url: str, args: argparse.Namespace) -> None:
    from signoff.core.catalog import lookup
    from signoff.core.catalog.subject_history import subject_history
    from signoff.core.db.registry import open_registry
    from signoff.core.monitoring.windows import scored_pairs
    from signoff.core.reproduction.reproduce import find_prediction
    from tests.helpers.monitoring import make_live

    work = Path(tempfile.mkdtemp(prefix="signoff-bench-pg-"))
    registry = open_registry(db=url, artifacts=work / "artifacts")
    registry._actor = "alice"  # noqa: SLF001 - the login is the actor on PostgreSQL
    make_live(registry, work)
    with registry.read() as s:
        version = lookup.get_version(s, "toy-model", 1)
        version_id, model_id = version.id, version.model_id
    raw = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(raw, autocommit=True) as conn:
        load(conn, version_id, model_id, args.rows, args.subjects)
        size = conn.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('predictions')), "
            "pg_size_pretty(pg_relation_size('predictions'))"
        ).fetchone()
        print(f"predictions: {size[0]} with indexes, {size[1]} heap", flush=True)
    rng = random.Random(11)
    picks = [f"S{rng.randrange(args.subjects):08d}" for _ in range(args.samples)]
    # times after every subject's first prediction (a look-up that finds one)
    times = [START + timedelta(days=rng.randrange(160, 30 * MONTHS)) for _ in range(args.samples)]
    load_avg = os.getloadavg()[0]
    results: dict[str, list[float]] = {}

    def fresh(fn):  # noqa: ANN001, ANN202
        def call(i: int) -> None:
            with registry.read() as s:
                fn(s, i)

        return call

    results["subject history (signoff history)"] = timed(
        args.samples, fresh(lambda s, i: subject_history(s, picks[i]))
    )
    results["reproduction look-up (find_prediction subject, at)"] = timed(
        args.samples, fresh(lambda s, i: find_prediction(s, subject=picks[i], at=times[i]))
    )
    window = [START + timedelta(days=30 * k) for k in range(MONTHS)]
    results["one 30-day window: scored_pairs (rows to Python)"] = timed(
        5,
        fresh(lambda s, i: scored_pairs(s, version_id, model_id, window[i + 5], window[i + 6])),
    )
    monitoring_window(registry, version_id, results, args.all_windows)
    aggregate = (
        "SELECT floor(extract(epoch FROM predicted_at - timestamp '2025-01-01') / 2592000) AS w, "
        "count(*), avg(score) FROM predictions WHERE version_id = %s AND outside_lifetime = '' "
        "AND score IS NOT NULL {where} GROUP BY w ORDER BY w"
    )
    with psycopg.connect(raw) as conn:
        results["one 30-day window aggregated in the database"] = timed(
            5,
            lambda i: conn.execute(
                aggregate.format(where="AND predicted_at >= %s AND predicted_at < %s"),
                (version_id, window[i + 5], window[i + 6]),
            ).fetchall(),
        )
        results["every window (24) aggregated in the database"] = timed(
            3, lambda i: conn.execute(aggregate.format(where=""), (version_id,)).fetchall()
        )
        for label, sql, params in [
            (
                "subject history",
                "SELECT * FROM predictions WHERE subject_key = %s ORDER BY predicted_at, id",
                (picks[0],),
            ),
            (
                "reproduction look-up",
                "SELECT * FROM predictions WHERE subject_key = %s AND predicted_at <= %s "
                "ORDER BY predicted_at DESC, id DESC LIMIT 1",
                (picks[1], times[1]),
            ),
            (
                "one window aggregated",
                aggregate.format(where="AND predicted_at >= %s AND predicted_at < %s"),
                (version_id, window[5], window[6]),
            ),
        ]:
            plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()
            print(f"\nplan, {label}:\n" + "\n".join("    " + r[0] for r in plan))
        if args.partitioned:
            partitioned(conn, picks, times, window, version_id, results, args.samples)
    registry.close()
    print(
        f"\n{args.rows:,} predictions, {args.subjects:,} subjects, PostgreSQL "
        f"{psycopg.connect(raw).info.server_version}, load average {load_avg:.1f} → "
        f"{os.getloadavg()[0]:.1f}\n\n| read | samples | median | p95 |\n"
        "| --- | ---: | ---: | ---: |"
    )
    for label, values in results.items():
        print(
            f"| {label} | {len(values)} | {statistics.median(values):.1f} ms | "
            f"{p95(values):.1f} ms |"
        )
    for label in list(results)[:2]:
        worst = p95(results[label])
        print(f"- {label}: p95 {worst:.1f} ms — {'met' if worst <= TARGET_MS else 'missed'}")


def monitoring_window(registry, version_id: int, results, all_windows: bool) -> None:  # noqa: ANN001
    """One 30-day window through ``version_series``, the Python path and the database path."""
    import math

    from signoff.core.db.schema import Version
    from signoff.core.monitoring import dbwindows
    from signoff.core.monitoring.windows import MonitoringRules, version_series, window_start

    rules = MonitoringRules(metric="auc", window_days=30)
    starts = [window_start(START + timedelta(days=150 + 30 * k), 30) for k in range(3)]
    series: dict[bool, list] = {False: [], True: []}

    def through_signoff(in_database: bool):  # noqa: ANN202
        def call(i: int) -> None:
            with registry.read() as s:
                version = s.get(Version, version_id)
                got = version_series(
                    s,
                    version,
                    rules,
                    None,
                    in_database=in_database,
                    since=starts[i],
                    until=starts[i] + timedelta(days=30),
                )
                series[in_database].append(got.windows)

        return call

    label = "one 30-day window through version_series"
    # alternate the two paths so the machine's load falls on both alike
    for i in range(3):
        results.setdefault(f"{label}, Python path (before)", []).extend(
            timed(1, lambda _j, i=i: through_signoff(False)(i))
        )
        results.setdefault(f"{label}, database path (after)", []).extend(
            timed(1, lambda _j, i=i: through_signoff(True)(i))
        )
    for old, new in zip(series[False], series[True], strict=True):
        [o], [n] = old, new
        assert (o.start, o.predictions, o.labelled) == (n.start, n.predictions, n.labelled)
        for name in ("value", "psi", "mean_score", "mean_actual"):
            a, b = getattr(o, name), getattr(n, name)
            assert (a is None and b is None) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    w = series[True][0][0]
    print(
        f"window {w.start:%Y-%m-%d}: {w.predictions:,} predictions, {w.labelled:,} labelled, "
        f"AUC {w.value:.6f}, PSI {w.psi:.6f}; both paths equal to 1e-9",
        flush=True,
    )
    with registry.read() as s:
        query = dbwindows._window_query(  # noqa: SLF001 - the bench prints its plan
            s,
            version_id,
            s.get(Version, version_id).model_id,
            "auc",
            0.5,
            [0.25, 0.5, 0.75],
            30,
            starts[0],
            starts[0] + timedelta(days=30),
        )
        sql = str(query.compile(s.get_bind(), compile_kwargs={"literal_binds": True}))
        plan = s.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql).fetchall()
        print(
            "\nplan, one window through the database path:\n"
            + "\n".join("    " + r[0] for r in plan)
        )
    if all_windows:
        with registry.read() as s:
            version = s.get(Version, version_id)
            t0 = time.perf_counter()
            got = version_series(s, version, rules, None, in_database=True)
            ms = (time.perf_counter() - t0) * 1000
        results[f"every window ({len(got.windows)}) through version_series, database path"] = [ms]


def partitioned(conn, picks, times, window, version_id, results, samples) -> None:  # noqa: ANN001
    """The same rows in a table partitioned by month with BRIN on time; raw-SQL timings."""
    t0 = time.perf_counter()
    conn.execute(
        "CREATE TABLE predictions_by_month (LIKE predictions INCLUDING DEFAULTS) "
        "PARTITION BY RANGE (predicted_at)"
    )
    for k in range(MONTHS + 2):
        lo = datetime(2025 + (k // 12), k % 12 + 1, 1)
        hi = datetime(2025 + ((k + 1) // 12), (k + 1) % 12 + 1, 1)
        conn.execute(
            f"CREATE TABLE predictions_m{k:02d} PARTITION OF predictions_by_month "
            f"FOR VALUES FROM ('{lo}') TO ('{hi}')"
        )
    conn.execute("INSERT INTO predictions_by_month SELECT * FROM predictions")
    conn.execute(
        "ALTER TABLE predictions_by_month ADD UNIQUE (subject_key, predicted_at, version_id)"
    )
    conn.execute("CREATE INDEX ON predictions_by_month (subject_key)")
    conn.execute("CREATE INDEX ON predictions_by_month (version_id, predicted_at)")
    conn.execute("CREATE INDEX ON predictions_by_month USING brin (predicted_at)")
    conn.execute("ANALYZE predictions_by_month")
    conn.commit()
    print(f"\npartitioned copy built: {time.perf_counter() - t0:.0f} s", flush=True)
    for table in ("predictions", "predictions_by_month"):
        results[f"raw SQL subject history, {table}"] = timed(
            samples,
            lambda i, t=table: conn.execute(
                f"SELECT * FROM {t} WHERE subject_key = %s ORDER BY predicted_at, id",
                (picks[i],),
            ).fetchall(),
        )
        results[f"raw SQL reproduction look-up, {table}"] = timed(
            samples,
            lambda i, t=table: conn.execute(
                f"SELECT * FROM {t} WHERE subject_key = %s AND predicted_at <= %s "
                "ORDER BY predicted_at DESC, id DESC LIMIT 1",
                (picks[i], times[i]),
            ).fetchall(),
        )
        results[f"raw SQL one window aggregated, {table}"] = timed(
            5,
            lambda i, t=table: conn.execute(
                f"SELECT count(*), avg(score) FROM {t} WHERE version_id = %s "
                "AND predicted_at >= %s AND predicted_at < %s",
                (version_id, window[i + 5], window[i + 6]),
            ).fetchall(),
        )
    plan = conn.execute(
        "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM predictions_by_month WHERE subject_key = %s "
        "AND predicted_at <= %s ORDER BY predicted_at DESC LIMIT 1",
        (picks[1], times[1]),
    ).fetchall()
    print("\nplan, reproduction look-up, partitioned:\n" + "\n".join("    " + r[0] for r in plan))


if __name__ == "__main__":
    sys.exit(main())
