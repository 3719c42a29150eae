"""Checking a source's rows batch by batch and sending the good ones to the database.

Memory stays bounded by the batch: rows are converted :data:`BATCH_ROWS` at a time (column by
column for CSV predictions, :mod:`signoff.core.ingest.columns`; row by row otherwise, and for
any batch the column path does not accept as it is), their keys checked against every key
before them in the source (:class:`signoff.core.ingest.keys.KeySet`, 20 bytes a row), and the
batch handed to a writer thread while the next one is read.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import queue
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from signoff.core.common.errors import SignoffError
from signoff.core.ingest.columns import Batch, PredictionColumns
from signoff.core.ingest.keys import KeySet
from signoff.core.ingest.reading import Fatal, Rows
from signoff.core.ingest.rows import Resolver, RowError, RowSpec

MAX_PROBLEMS = 100
BATCH_ROWS = 20_000


@dataclass
class Scan:
    """What a scan found: good rows (per model, outside their lifetime) and problems."""

    rows: int = 0
    per_model: dict[int, int] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)
    stopped: bool = False
    outside_lifetime: dict[str, int] = field(default_factory=dict)
    outside_by_model: dict[int, dict[str, int]] = field(default_factory=dict)

    def count(self, model_ids: list[int | None], outside: list[str] | None) -> None:
        """Count good rows of these models (and those outside their version's lifetime)."""
        self.rows += len(model_ids)
        for model_id, n in Counter(model_ids).items():
            if model_id is not None:
                self.per_model[model_id] = self.per_model.get(model_id, 0) + n
        if not outside or not any(outside):
            return
        for (kind, model_id), n in Counter(zip(outside, model_ids, strict=True)).items():
            if kind:
                self.outside_lifetime[kind] = self.outside_lifetime.get(kind, 0) + n
                mine = self.outside_by_model.setdefault(model_id or 0, {})
                mine[kind] = mine.get(kind, 0) + n

    def report(self, found: list[tuple[int, str]], last_line: int) -> None:
        """Add a batch's problems in line order, stopping at MAX_PROBLEMS."""
        found.sort()
        self.problems += found
        if len(self.problems) >= MAX_PROBLEMS:
            del self.problems[MAX_PROBLEMS:]
            # stopped: there was something after the last problem kept
            self.stopped = self.stopped or last_line > self.problems[-1][0]


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while batches are converted.

    A batch makes some 200,000 short-lived tuples, strings and datetimes, none in a cycle;
    the collector ran after every 700 of them and took a third of the ingest's CPU (200,000
    rows: 1.6 s with it, 1.0 s without). Reference counting still frees each batch.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Scanner:
    """Checks batches of one source and sends the good rows to *writer* until a problem."""

    def __init__(
        self,
        spec: RowSpec,
        resolver: Resolver,
        sqlite: bool,
        writer: BatchWriter,
        header: list[str] | None = None,
    ) -> None:
        self.spec, self.resolver, self.sqlite, self.writer = spec, resolver, sqlite, writer
        self.header = header
        self.keys = KeySet()
        self.columns = (
            PredictionColumns(header, resolver, sqlite)
            if spec.kind == "predictions" and header and PredictionColumns.handles(header)
            else None
        )

    def scan(self, batches: Iterator[Rows]) -> Scan:
        """Check every batch (stopping after MAX_PROBLEMS problems)."""
        with _no_cycle_collection():
            return self._scan(batches)

    def _scan(self, batches: Iterator[Rows]) -> Scan:
        found = Scan()
        try:
            for batch in batches:
                if found.stopped or len(found.problems) >= MAX_PROBLEMS:
                    found.stopped = True
                    break
                if batch.lines and not self._by_columns(batch, found):
                    self._by_rows(batch, found)
        except Fatal as exc:
            found.problems.append((exc.line, exc.reason))
        return found

    def _by_columns(self, rows: Rows, found: Scan) -> bool:
        if self.columns is None or not rows.cells:
            return False
        batch: Batch | None = self.columns.convert(rows.records)  # type: ignore[arg-type]
        if batch is None:
            return False
        if self.keys.earlier(batch.keys, rows.lines):
            return False  # row by row names each repeat with its values
        self.keys.add(batch.keys, rows.lines)
        found.count(batch.model_ids, batch.outside)  # type: ignore[arg-type]
        if not found.problems:
            self.writer.send(batch.bound)
        return True

    def _by_rows(self, rows: Rows, found: Scan) -> None:
        spec, header = self.spec, self.header or []
        problems: list[tuple[int, str]] = []
        lines: list[int] = []
        keys: list[str] = []
        good: list[tuple[dict[str, Any], int | None]] = []
        for line, record in zip(rows.lines, rows.records, strict=True):
            if isinstance(record, str):
                problems.append((line, record))
                continue
            if isinstance(record, list):
                record = {k: v for k, v in zip(header, record, strict=True) if v != ""}
            try:
                values, key, model_id = spec.convert(record, self.resolver)
            except RowError as exc:
                problems.append((line, str(exc)))
                continue
            lines.append(line)
            keys.append(key)
            good.append((values, model_id))
        repeated = self.keys.earlier(keys, lines)
        for i, earlier in repeated.items():
            problems.append(
                (lines[i], f"repeats the key of line {earlier} ({spec.describe_key(good[i][0])})")
            )
        kept = [i for i in range(len(keys)) if i not in repeated] if repeated else range(len(keys))
        self.keys.add([keys[i] for i in kept], [lines[i] for i in kept])
        found.count(
            [good[i][1] for i in kept], [good[i][0].get("outside_lifetime") or "" for i in kept]
        )
        found.report(problems, rows.lines[-1])
        if not found.problems and kept:
            self.writer.send([spec.bind(good[i][0], self.sqlite) for i in kept])


class BatchWriter:
    """Sends batches to the database on a second thread while the next batch is validated.

    sqlite3 and psycopg release the GIL while the database works, so validating and inserting
    overlap (two cores instead of one). The one connection is shared under a lock, which the
    resolver's look-ups take as well; at most one batch waits in the queue.
    """

    def __init__(self, insert: Inserter, lock: threading.Lock) -> None:
        self.insert, self.lock = insert, lock
        self.inserted = 0
        self.error: BaseException | None = None
        self.queue: queue.Queue[list[tuple[Any, ...]] | None] = queue.Queue(maxsize=1)
        self.thread = threading.Thread(target=self._run, name="signoff-ingest-writer", daemon=True)
        self.thread.start()
        self.finished = False

    def _run(self) -> None:
        while (batch := self.queue.get()) is not None:
            if self.error is None:
                try:
                    with self.lock:
                        self.inserted += self.insert(batch)
                except BaseException as exc:  # noqa: BLE001 - handed to the ingesting thread
                    self.error = exc

    def send(self, batch: list[tuple[Any, ...]]) -> None:
        """Queue one batch for the writer thread (raises the writer's error, if any)."""
        if self.error is not None:
            raise self.error
        self.queue.put(batch)

    def finish(self) -> int:
        """Wait for every queued batch; returns the rows stored, or raises the writer's error."""
        if not self.finished:
            self.finished = True
            self.queue.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error
        return self.inserted


#: SQLite's default limit on a statement's parameters (SQLITE_MAX_VARIABLE_NUMBER)
SQLITE_MAX_PARAMETERS = 32_766


class Inserter:
    """Inserts batches of driver values; returns how many rows were new.

    PostgreSQL: the driver's ``executemany``. SQLite: multi-row ``INSERT … VALUES (…), (…)``
    statements of about 3,000 rows, because ``executemany`` takes the GIL back after every
    row's step, so a writer thread and the validating thread could not overlap (measured: the
    same 200,000 rows took 1.6 s alone and 8.5 s beside a busy thread with ``executemany``,
    1.0 s and 1.2 s as multi-row statements).
    """

    def __init__(self, conn: Any, spec: RowSpec, dialect: str) -> None:
        self.conn, self.spec, self.dialect = conn, spec, dialect
        self.per_statement = (
            SQLITE_MAX_PARAMETERS // len(spec.insert_columns) if dialect == "sqlite" else 0
        )
        self.one_row = spec.insert_sql(dialect)
        self.full = spec.insert_sql(dialect, self.per_statement) if self.per_statement else ""

    def __call__(self, batch: list[tuple[Any, ...]]) -> int:
        if not self.per_statement:
            return _counted(self.conn.exec_driver_sql(self.one_row, batch))
        stored, per = 0, self.per_statement
        for start in range(0, len(batch), per):
            chunk = batch[start : start + per]
            sql = self.full if len(chunk) == per else self.spec.insert_sql("sqlite", len(chunk))
            flat = tuple(itertools.chain.from_iterable(chunk))
            stored += _counted(self.conn.exec_driver_sql(sql, flat))
        return stored


def _counted(result: Any) -> int:
    """The rows a statement stored (the driver's rowcount, summed over ``executemany``)."""
    if result.rowcount < 0:  # pragma: no cover - both supported drivers report it
        raise SignoffError("the database driver did not report how many rows were stored")
    return int(result.rowcount)
