"""Reading an ingest source: bounded, hashed lines of a file, and its rows in batches.

A file is never read whole. Its first line is read on its own (to tell CSV from JSON Lines);
the rest of a CSV file is read in blocks of :data:`BLOCK_BYTES`, each one checked in C (no NUL
byte, no line over :data:`MAX_LINE_BYTES`, valid UTF-8) and handed to the ``csv`` module; a
block that fails a check is read again line by line, which names the exact line and reason.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signoff.core.ingest.rows import RowSpec

MAX_LINE_BYTES = 1 << 20
BLOCK_BYTES = 4 << 20

#: one row of a source: a CSV row's cells, a JSON / Python row's mapping, or why it is unreadable
Record = list[str] | dict[str, Any] | str
Item = tuple[int, Record]  # (line number, record)


@dataclass
class Rows:
    """A batch of a source's rows: each one's line and record."""

    lines: list[int]
    records: list[Record]
    #: every record is a CSV row's cells (none unreadable)
    cells: bool = False


class Fatal(Exception):
    """A problem that makes the rest of the source unreadable (binary, overlong line)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


class LineReader:
    """Decoded lines of a binary file, bounded in length, hashing the bytes as it goes."""

    def __init__(self, raw: io.BufferedReader) -> None:
        self.raw = raw
        self.number = 0
        self.digest = hashlib.sha256()

    def __iter__(self) -> Iterator[str]:
        return self._lines(self.raw)

    def _lines(self, raw: io.BufferedIOBase) -> Iterator[str]:
        while True:
            chunk = raw.readline(MAX_LINE_BYTES + 1)
            if not chunk:
                return
            self.number += 1
            if len(chunk) > MAX_LINE_BYTES:
                raise Fatal(
                    self.number,
                    f"line is longer than {MAX_LINE_BYTES // 1024} KiB; "
                    "this does not look like a CSV or JSON Lines file",
                )
            if b"\x00" in chunk:
                raise Fatal(
                    self.number,
                    "contains NUL bytes; this is a binary file, not CSV or JSON Lines text",
                )
            self.digest.update(chunk)
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise Fatal(
                    self.number, f"is not UTF-8 text ({exc.reason} at byte {exc.start})"
                ) from exc
            if self.number == 1 and text.startswith("\ufeff"):
                text = text[1:]
            yield text

    def rest_in_blocks(self) -> Iterator[str]:
        """The lines after those read so far, the same as iterating, read a block at a time.

        Only the consumer knows which line it is on (``csv.reader.line_num``); ``number``
        runs ahead by up to a block.
        """
        return itertools.chain.from_iterable(self._blocks())

    def _blocks(self) -> Iterator[Iterable[str]]:
        carry = b""
        while True:
            data = self.raw.read(BLOCK_BYTES)
            if not data:
                if carry:
                    yield self._checked(carry)
                return
            data = carry + data if carry else data
            cut = data.rfind(b"\n") + 1
            if cut == 0:  # no line break yet: an overlong line is reported as one
                if len(data) > MAX_LINE_BYTES:
                    yield self._lines(io.BytesIO(data))
                    return
                carry = data
                continue
            carry = data[cut:]
            yield self._checked(data[:cut])

    def _checked(self, block: bytes) -> Iterable[str]:
        if b"\x00" in block or max(map(len, block.split(b"\n"))) >= MAX_LINE_BYTES:
            return self._lines(io.BytesIO(block))
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError:
            return self._lines(io.BytesIO(block))
        self.digest.update(block)
        self.number += block.count(b"\n") + (not block.endswith(b"\n"))
        return io.StringIO(text, newline="\n")  # split at "\n" only, as readline does


def detect_format(path: Path, first: str) -> str:
    """ "csv" or "jsonl", by the file's suffix, else by its first line."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    return "jsonl" if first.lstrip().startswith("{") else "csv"


def csv_batches(lines: Iterator[str], spec: RowSpec, size: int) -> tuple[list[str], Iterator[Rows]]:
    """The header of a CSV source and its rows' cells in batches of *size*."""
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise Fatal(0, "the file is empty: expected a header row naming the columns") from None
    except csv.Error as exc:
        raise Fatal(reader.line_num, f"is not valid CSV: {exc}") from None
    header = [h.strip() for h in header]
    problem = spec.check_columns(header)
    if problem:
        raise Fatal(1, problem)
    return header, _csv_rows(reader, len(header), size)


def _csv_rows(reader: Any, width: int, size: int) -> Iterator[Rows]:
    lines: list[int] = []
    records: list[Record] = []
    cells = True
    try:
        for row in reader:
            if len(row) == width:
                records.append(row)
            elif not row or (len(row) == 1 and not row[0].strip()):
                continue
            else:
                records.append(f"has {len(row)} values but the header names {width} columns")
                cells = False
            lines.append(reader.line_num)
            if len(lines) >= size:
                yield Rows(lines, records, cells)
                lines, records, cells = [], [], True
    except csv.Error as exc:
        yield Rows(lines, records, cells)  # the rows before it are checked (and reported) first
        raise Fatal(reader.line_num, f"is not valid CSV: {exc}") from None
    except Fatal:
        yield Rows(lines, records, cells)
        raise
    if lines:
        yield Rows(lines, records, cells)


def in_batches(items: Iterator[Item], size: int) -> Iterator[Rows]:
    """*items* in batches of *size* (the rows before a fatal problem first)."""
    batch = Rows([], [])
    try:
        for line, record in items:
            batch.lines.append(line)
            batch.records.append(record)
            if len(batch.lines) >= size:
                yield batch
                batch = Rows([], [])
    except Fatal:
        yield batch
        raise
    if batch.lines:
        yield batch


def jsonl_records(lines: Iterator[str], spec: RowSpec, reader: LineReader) -> Iterator[Item]:
    """(line, mapping or reason) for each non-blank line of a JSON Lines source."""
    from signoff.core.ingest.values import parse_json

    for text in lines:
        if not text.strip():
            continue
        try:
            value = parse_json(text)
        except ValueError as exc:
            yield reader.number, str(exc)
            continue
        if not isinstance(value, dict):
            yield reader.number, "is not a JSON object"
            continue
        problem = spec.check_columns(list(value))
        if problem:
            yield reader.number, problem
            continue
        yield reader.number, {k: v for k, v in value.items() if v is not None and v != ""}


def python_records(records: Iterable[Mapping[str, Any]], spec: RowSpec) -> Iterator[Item]:
    """(number, mapping or reason) for each row given from Python, numbered from 1."""
    for n, record in enumerate(records, 1):
        if not isinstance(record, Mapping):
            yield n, f"is a {type(record).__name__}, not a mapping of column to value"
            continue
        problem = spec.check_columns([str(k) for k in record])
        if problem:
            yield n, problem
            continue
        yield n, {str(k): v for k, v in record.items() if v is not None and v != ""}
