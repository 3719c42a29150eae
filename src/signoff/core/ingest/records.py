"""Ingesting what the factory reports: executions, predictions and outcomes.

Files are CSV (a header row) or JSON Lines (one object per line); Python callers pass an
iterable of mappings. Every row is validated; a source with any bad row is rejected whole,
naming each bad line and why, and the database is left exactly as it was.

How it stays fast and bounded:

* the file is streamed in blocks (each line at most ``MAX_LINE_BYTES``), never read whole, so
  a 2 GB file — or a 2 GB file of NUL bytes with no line breaks — costs no more memory than a
  batch of rows and 24 bytes per distinct key (the in-file duplicate check,
  :mod:`signoff.core.ingest.keys`);
* rows are validated in batches (CSV predictions column by column) and handed to the driver's
  ``executemany`` on a writer thread, all inside one write transaction (``BEGIN IMMEDIATE`` on
  SQLite) that is rolled back when a problem turns up (:mod:`signoff.core.ingest.scan`);
* idempotency is the database's: inserts are ``ON CONFLICT DO NOTHING`` against the unique keys
  (executions: external_id; predictions: subject, time, version; outcomes: subject, time), so a
  re-sent file adds nothing, whatever the size of the tables already stored. Duplicated keys
  *inside* one file are an error, because one of the two rows would silently win.
"""

from __future__ import annotations

import itertools
import logging
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
from signoff.core.ingest.reading import (
    MAX_LINE_BYTES,
    Fatal,
    LineReader,
    Rows,
    csv_batches,
    detect_format,
    in_batches,
    jsonl_records,
    python_records,
)
from signoff.core.ingest.rows import SPECS, Resolver, RowSpec
from signoff.core.ingest.scan import BATCH_ROWS, MAX_PROBLEMS, BatchWriter, Inserter, Scan, Scanner

__all__ = [
    "BATCH_ROWS",
    "KINDS",
    "MAX_LINE_BYTES",
    "MAX_PROBLEMS",
    "IngestError",
    "IngestResult",
    "ingest_file",
    "ingest_records",
]

log = logging.getLogger(__name__)

KINDS = tuple(SPECS)
#: SQLite's page cache during an ingest (KiB): the index pages a large ingest touches
SQLITE_CACHE_KIB = 32_768


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
        reader = LineReader(raw)
        lines = iter(reader)
        try:
            first = next(lines)
            if detect_format(path, first) == "csv":
                rest = reader.rest_in_blocks()
                header, batches = csv_batches(itertools.chain([first], rest), spec, BATCH_ROWS)
            else:
                records = jsonl_records(itertools.chain([first], lines), spec, reader)
                header, batches = None, in_batches(records, BATCH_ROWS)
        except StopIteration:
            raise IngestError(str(path), [(0, "the file is empty: there are no rows")]) from None
        except Fatal as exc:
            raise IngestError(str(path), [(exc.line, exc.reason)]) from None
        result = _store(registry, spec, batches, str(path), actor, header)
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
    batches = in_batches(python_records(records, spec), BATCH_ROWS)
    result = _store(registry, spec, batches, source, actor)
    log.info("%s", result.describe())
    return result


def _spec(kind: str) -> RowSpec:
    if kind not in SPECS:
        raise SignoffError(f"unknown ingest kind '{kind}'; expected one of {', '.join(KINDS)}")
    return SPECS[kind]


def _store(
    registry: Registry,
    spec: RowSpec,
    batches: Iterator[Rows],
    source: str,
    actor: str | None,
    header: list[str] | None = None,
) -> IngestResult:
    actor = actor or registry.actor
    registry.refuse_if_read_only("ingesting")
    with registry.write() as session:
        resolver = Resolver(session)
        dialect = session.get_bind().dialect.name
        conn = session.connection()
        if dialect == "sqlite":  # a bigger page cache keeps a large ingest's index pages in memory
            conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        writer = BatchWriter(Inserter(conn, spec, dialect), resolver.lock)
        try:
            scan = Scanner(spec, resolver, dialect == "sqlite", writer, header).scan(batches)
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


def _audit(
    session: Session, kind: str, source: str, actor: str, scan: Scan, inserted: int
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
