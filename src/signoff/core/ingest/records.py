"""Ingesting what the factory reports: executions, predictions and outcomes.

Files are CSV (a header row) or JSON Lines (one object per line); Python callers pass an
iterable of mappings. Every row is validated; a source with any bad row is rejected whole,
naming each bad line and why, and the database is left exactly as it was.

How it stays fast and bounded:

* the file is streamed line by line (each line at most ``MAX_LINE_BYTES``), never read whole,
  so a 2 GB file — or a 2 GB file of NUL bytes with no line breaks — costs no more memory than
  the distinct keys it holds (about 150 bytes a row, for the in-file duplicate check);
* rows are validated in Python and inserted with SQLAlchemy core ``executemany`` in batches,
  all inside one write transaction (``BEGIN IMMEDIATE`` on SQLite) that is rolled back when a
  problem turns up;
* idempotency is the database's: inserts are ``ON CONFLICT DO NOTHING`` against the unique keys
  (executions: external_id; predictions: subject, time, version; outcomes: subject, time), so a
  re-sent file adds nothing, whatever the size of the tables already stored. Duplicated keys
  *inside* one file are an error, because one of the two rows would silently win.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import queue
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.common.errors import SignoffError
from signoff.core.db.registry import Registry
from signoff.core.ingest import lifetime
from signoff.core.ingest.rows import SPECS, Resolver, RowError, RowSpec
from signoff.core.ingest.values import parse_json

log = logging.getLogger(__name__)

KINDS = tuple(SPECS)
MAX_LINE_BYTES = 1 << 20
MAX_PROBLEMS = 100
BATCH_ROWS = 20_000


class IngestError(SignoffError):
    """A source was rejected; ``problems`` lists (line, reason) for every bad row found."""

    def __init__(
        self, source: str, problems: list[tuple[int, str]], *, stopped: bool = False
    ) -> None:
        self.source = source
        self.problems = problems
        self.stopped = stopped
        shown = problems[:20]
        plural = "s" if len(problems) != 1 else ""
        more = f"; stopped looking after {MAX_PROBLEMS}" if stopped else ""
        lines = [f"{source}: rejected, nothing was stored ({len(problems)} problem{plural}{more}):"]
        lines += [f"  line {n}: {reason}" if n else f"  {reason}" for n, reason in shown]
        if len(problems) > len(shown):
            lines.append(f"  … and {len(problems) - len(shown)} more")
        super().__init__("\n".join(lines))


class _Fatal(Exception):
    """A problem that makes the rest of the source unreadable (binary, overlong line)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


@dataclass
class IngestResult:
    """What an ingest stored: rows read, rows new, rows already present, models touched."""

    kind: str
    source: str
    rows: int
    inserted: int
    models: list[str] = field(default_factory=list)
    sha256: str = ""
    #: predictions dated outside their version's lifetime, by kind (signoff.core.ingest.lifetime)
    outside_lifetime: dict[str, int] = field(default_factory=dict)
    #: use of a do-not-use version after its notice found in these rows (stored and flagged)
    flagged: list[str] = field(default_factory=list)

    @property
    def already_present(self) -> int:
        """Rows that were stored before (re-sent); they were left as they were."""
        return self.rows - self.inserted

    def describe(self) -> str:
        """One line for a person: rows read, new, already stored, models."""
        outside = lifetime.describe(self.outside_lifetime)
        return (
            f"{self.kind}: {self.rows} row(s) read from {self.source}, {self.inserted} new, "
            f"{self.already_present} already stored"
            + (f" (models: {', '.join(self.models)})" if self.models else "")
            + (f"; {outside}" if outside else "")
        )

    def to_json(self) -> dict[str, Any]:
        """The result as plain JSON data (``signoff ingest --json``)."""
        return {
            "kind": self.kind,
            "source": self.source,
            "rows": self.rows,
            "inserted": self.inserted,
            "already_present": self.already_present,
            "models": self.models,
            "sha256": self.sha256,
            "outside_lifetime": self.outside_lifetime,
            "flagged": self.flagged,
        }


# --- reading -------------------------------------------------------------------------------


class _LineReader:
    """Decoded lines of a binary file, bounded in length, hashing the bytes as it goes."""

    def __init__(self, raw: io.BufferedReader) -> None:
        self.raw = raw
        self.number = 0
        self.digest = hashlib.sha256()

    def __iter__(self) -> Iterator[str]:
        while True:
            chunk = self.raw.readline(MAX_LINE_BYTES + 1)
            if not chunk:
                return
            self.number += 1
            if len(chunk) > MAX_LINE_BYTES:
                raise _Fatal(
                    self.number,
                    f"line is longer than {MAX_LINE_BYTES // 1024} KiB; "
                    "this does not look like a CSV or JSON Lines file",
                )
            if b"\x00" in chunk:
                raise _Fatal(
                    self.number,
                    "contains NUL bytes; this is a binary file, not CSV or JSON Lines text",
                )
            self.digest.update(chunk)
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _Fatal(
                    self.number, f"is not UTF-8 text ({exc.reason} at byte {exc.start})"
                ) from exc
            if self.number == 1 and text.startswith("\ufeff"):
                text = text[1:]
            yield text


def _detect_format(path: Path, first: str) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    return "jsonl" if first.lstrip().startswith("{") else "csv"


def _csv_records(
    lines: Iterator[str], spec: RowSpec, reader_state: _LineReader
) -> Iterator[tuple[int, dict[str, Any] | str]]:
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise _Fatal(0, "the file is empty: expected a header row naming the columns") from None
    header = [h.strip() for h in header]
    problem = spec.check_columns(header)
    if problem:
        raise _Fatal(1, problem)
    width = len(header)
    try:
        for row in reader:
            line = reader_state.number
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                yield line, f"has {len(row)} values but the header names {width} columns"
                continue
            yield line, {k: v for k, v in zip(header, row, strict=True) if v != ""}
    except csv.Error as exc:
        raise _Fatal(reader_state.number, f"is not valid CSV: {exc}") from None


def _jsonl_records(
    lines: Iterator[str], spec: RowSpec, reader_state: _LineReader
) -> Iterator[tuple[int, dict[str, Any] | str]]:
    for text in lines:
        if not text.strip():
            continue
        try:
            value = parse_json(text)
        except ValueError as exc:
            yield reader_state.number, str(exc)
            continue
        if not isinstance(value, dict):
            yield reader_state.number, "is not a JSON object"
            continue
        problem = spec.check_columns(list(value))
        if problem:
            yield reader_state.number, problem
            continue
        yield reader_state.number, {k: v for k, v in value.items() if v is not None and v != ""}


def _python_records(
    records: Iterable[Mapping[str, Any]], spec: RowSpec
) -> Iterator[tuple[int, dict[str, Any] | str]]:
    for n, record in enumerate(records, 1):
        if not isinstance(record, Mapping):
            yield n, f"is a {type(record).__name__}, not a mapping of column to value"
            continue
        problem = spec.check_columns([str(k) for k in record])
        if problem:
            yield n, problem
            continue
        yield n, {str(k): v for k, v in record.items() if v is not None and v != ""}


# --- public API ----------------------------------------------------------------------------


def ingest_file(
    registry: Registry, kind: str, path: Path | str, *, actor: str | None = None
) -> IngestResult:
    """Validate and store every row of a CSV / JSON Lines file, or store nothing.

    Raises IngestError (listing line numbers and reasons) when any row is bad; re-sending a
    file that was stored already adds nothing and succeeds with ``inserted == 0``.
    """
    spec = _spec(kind)
    path = Path(path)
    if not path.is_file():
        raise IngestError(str(path), [(0, "no such file")])
    with path.open("rb") as raw:
        reader = _LineReader(raw)
        lines = iter(reader)
        try:
            first = next(lines)
        except StopIteration:
            raise IngestError(str(path), [(0, "the file is empty: there are no rows")]) from None
        except _Fatal as exc:
            raise IngestError(str(path), [(exc.line, exc.reason)]) from None
        fmt = _detect_format(path, first)
        chained = _chain(first, lines)
        if fmt == "csv":
            records = _csv_records(chained, spec, reader)
        else:
            records = _jsonl_records(chained, spec, reader)
        result = _store(registry, spec, records, str(path), actor)
        result.sha256 = reader.digest.hexdigest()
    log.info("%s", result.describe())
    return result


def ingest_records(
    registry: Registry,
    kind: str,
    records: Iterable[Mapping[str, Any]],
    *,
    actor: str | None = None,
    source: str = "python",
) -> IngestResult:
    """The same as :func:`ingest_file` for rows given from Python (numbered from 1)."""
    spec = _spec(kind)
    result = _store(registry, spec, _python_records(records, spec), source, actor)
    log.info("%s", result.describe())
    return result


def _spec(kind: str) -> RowSpec:
    if kind not in SPECS:
        raise SignoffError(f"unknown ingest kind '{kind}'; expected one of {', '.join(KINDS)}")
    return SPECS[kind]


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _store(
    registry: Registry,
    spec: RowSpec,
    records: Iterator[tuple[int, dict[str, Any] | str]],
    source: str,
    actor: str | None,
) -> IngestResult:
    actor = actor or registry.actor
    registry.refuse_if_read_only("ingesting")
    with registry.write() as session:
        resolver = Resolver(session)
        dialect = session.get_bind().dialect.name
        conn = session.connection()
        if dialect == "sqlite":  # a bigger page cache keeps a large ingest's index pages in memory
            conn.exec_driver_sql("PRAGMA cache_size=-131072")
        writer = _BatchWriter(conn, spec.insert_sql(dialect), resolver.lock)
        try:
            scan = _scan(spec, records, resolver, dialect == "sqlite", writer)
        finally:
            inserted = writer.finish()  # the writer thread never outlives the transaction
        if not scan.problems and scan.rows == 0:
            scan.problems.append((0, "the file is empty: there are no rows"))
        if scan.problems:  # raising rolls back every batch already sent
            raise IngestError(source, scan.problems, stopped=scan.stopped)
        names = _audit(session, spec.kind, source, actor, scan, inserted)
        flagged = _flag_do_not_use(session, spec.kind, scan.per_model, actor) if inserted else []
    for line in flagged:
        log.info("flagged: %s", line)
    return IngestResult(
        spec.kind, source, scan.rows, inserted, names, "", scan.outside_lifetime, flagged=flagged
    )


def _flag_do_not_use(
    session: Session, kind: str, per_model: dict[int, int], actor: str
) -> list[str]:
    """Facts are never dropped: use of a do-not-use version after its notice is stored, then
    flagged (the owner and the consumer are alerted and the inventory shows it)."""
    if kind not in ("executions", "predictions") or not per_model:
        return []
    from sqlalchemy import select

    from signoff.core.db.schema import DO_NOT_USE, Version
    from signoff.core.notifications.usage import flag_do_not_use_use

    marked = set(
        session.scalars(
            select(Version.model_id)
            .where(Version.model_id.in_(sorted(per_model)), Version.state == DO_NOT_USE)
            .distinct()
        )
    )
    return [
        flag.describe()
        for model_id in sorted(marked)
        for flag in flag_do_not_use_use(session, model_id, actor=actor)
    ]


@dataclass
class _Scan:
    rows: int = 0
    per_model: dict[int, int] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)
    stopped: bool = False
    outside_lifetime: dict[str, int] = field(default_factory=dict)
    outside_by_model: dict[int, dict[str, int]] = field(default_factory=dict)


def _scan(
    spec: RowSpec,
    records: Iterator[tuple[int, dict[str, Any] | str]],
    resolver: Resolver,
    sqlite: bool,
    writer: _BatchWriter,
) -> _Scan:
    """Validate every row; hand good rows to the writer in batches until a problem appears."""
    scan = _Scan()
    problems, per_model = scan.problems, scan.per_model
    seen: dict[str, int] = {}
    batch: list[tuple[Any, ...]] = []
    try:
        for line, record in records:
            if len(problems) >= MAX_PROBLEMS:
                scan.stopped = True
                break
            if isinstance(record, str):
                problems.append((line, record))
            else:
                try:
                    values, key, model_id = spec.convert(record, resolver)
                except RowError as exc:
                    problems.append((line, str(exc)))
                    continue
                earlier = seen.get(key)
                if earlier is not None:
                    problems.append(
                        (line, f"repeats the key of line {earlier} ({spec.describe_key(values)})")
                    )
                    continue
                seen[key] = line
                scan.rows += 1
                if model_id is not None:
                    per_model[model_id] = per_model.get(model_id, 0) + 1
                outside = values.get("outside_lifetime")
                if outside:
                    scan.outside_lifetime[outside] = scan.outside_lifetime.get(outside, 0) + 1
                    mine = scan.outside_by_model.setdefault(model_id or 0, {})
                    mine[outside] = mine.get(outside, 0) + 1
                if not problems:
                    batch.append(spec.bind(values, sqlite))
                    if len(batch) >= BATCH_ROWS:
                        writer.send(batch)
                        batch = []
    except _Fatal as exc:
        problems.append((exc.line, exc.reason))
    if batch and not problems:
        writer.send(batch)
    return scan


class _BatchWriter:
    """Sends batches to the database on a second thread while the next batch is validated.

    sqlite3 and psycopg release the GIL while the database works, so validating and inserting
    overlap (two cores instead of one). The one connection is shared under a lock, which the
    resolver's look-ups take as well; at most two batches wait in the queue.
    """

    def __init__(self, conn: Any, insert: str, lock: threading.Lock) -> None:
        self.conn, self.insert, self.lock = conn, insert, lock
        self.inserted = 0
        self.error: BaseException | None = None
        self.queue: queue.Queue[list[tuple[Any, ...]] | None] = queue.Queue(maxsize=2)
        self.thread = threading.Thread(target=self._run, name="signoff-ingest-writer", daemon=True)
        self.thread.start()
        self.finished = False

    def _run(self) -> None:
        while (batch := self.queue.get()) is not None:
            if self.error is None:
                try:
                    with self.lock:
                        self.inserted += _send(self.conn, self.insert, batch)
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


def _send(conn: Any, insert: str, batch: list[tuple[Any, ...]]) -> int:
    """Insert one batch; returns how many rows were new (the driver's summed rowcount)."""
    result = conn.exec_driver_sql(insert, batch)
    if result.rowcount < 0:  # pragma: no cover - both supported drivers report it
        raise SignoffError("the database driver did not report how many rows were stored")
    return result.rowcount


def _audit(
    session: Session, kind: str, source: str, actor: str, scan: _Scan, inserted: int
) -> list[str]:
    from signoff.core.db.schema import Model

    rows, per_model = scan.rows, scan.per_model

    names = []
    for model_id in sorted(per_model):
        model = session.get(Model, model_id)
        if model is None:
            continue
        names.append(model.name)
        if inserted:
            append_event(
                session,
                actor=actor,
                action=events.ingested(kind),
                entity_type="model",
                entity_id=model.name,
                model_id=model_id,
                payload={
                    "source": source,
                    "rows_for_model": per_model[model_id],
                    "rows": rows,
                    "inserted": inserted,
                    **(
                        {"outside_lifetime": scan.outside_by_model[model_id]}
                        if model_id in scan.outside_by_model
                        else {}
                    ),
                },
            )
    if inserted and not names:
        append_event(
            session,
            actor=actor,
            action=events.ingested(kind),
            entity_type="ingest",
            entity_id=source,
            payload={"source": source, "rows": rows, "inserted": inserted},
        )
    return names
