"""Where a recorded prediction's input comes from, and the check against its recorded hash.

Three sources, in this order: a record the auditor supplies (a file), the record stored with
the prediction, or the prediction's ``input_ref`` read from a configured *data location*. A data
location maps the start of an input reference (``s3://factory-lake/``, ``file:///mnt/lake/``)
to a folder this workstation can read; only references under a configured location are ever
opened, always read-only, and a reference that would lead out of its folder is refused.

A reference names a file under the location, and optionally a line of it: ``…/input.jsonl#17``
is line 17 (counting from 1) of a JSON Lines file; without ``#`` the whole file is one JSON
record. Whatever the source, the record's hash is ``sha256(canonical JSON)`` (see
:func:`input_hash`) and must equal the ``input_sha256`` recorded with the prediction.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from signoff.core.audit.chain import canonical_json
from signoff.core.common.errors import SignoffError

SUPPLIED = "supplied by the auditor"
STORED = "stored with the prediction"
DATA_LOCATION = "read from a data location"
_CACHED_FILE_LIMIT = 64 * 1024 * 1024  # files read whole and kept for the next reference


class InputFileError(SignoffError):
    """A supplied input file cannot be read as one record."""


class RecordUnavailable(Exception):
    """A referenced record cannot be read (missing file, no such line, not JSON)."""


def input_hash(record: Any) -> str:
    """The sha256 of a record's canonical JSON (how factories record an input's hash)."""
    return hashlib.sha256(canonical_json(record).encode("utf-8")).hexdigest()


def folder_of(text: str) -> Path:
    """A folder given as a path or a ``file://`` URI, as a path."""
    if text.startswith("file://"):
        parsed = urlparse(text)
        if parsed.netloc not in ("", "localhost"):
            raise SignoffError(f"{text}: only local file:// URIs can be data locations")
        return Path(unquote(parsed.path))
    return Path(text).expanduser()


@dataclass(frozen=True)
class DataLocation:
    """Input references starting with *prefix* are read from *folder* (never written)."""

    prefix: str
    folder: Path

    def covers(self, ref: str) -> bool:
        return ref.startswith(self.prefix)

    def path_for(self, ref: str) -> tuple[Path, str]:
        """The file a reference under this location names, and its ``#`` fragment.

        Raises RecordUnavailable when the reference would leave the folder.
        """
        rest, _, fragment = ref[len(self.prefix) :].partition("#")
        parts = [p for p in unquote(rest).replace("\\", "/").split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            raise RecordUnavailable(f"{ref} does not name a file inside {self.folder}")
        root = self.folder.resolve()
        path = root.joinpath(*parts).resolve()
        if not path.is_relative_to(root):  # a symbolic link out of the data location
            raise RecordUnavailable(f"{ref} leads out of the data location {self.folder}")
        return path, fragment

    def to_json(self) -> dict[str, str]:
        return {"prefix": self.prefix, "folder": str(self.folder)}


def location_for(locations: list[DataLocation], ref: str) -> DataLocation | None:
    """The configured location holding *ref* (the longest matching prefix), if any."""
    matching = [loc for loc in locations if ref and loc.covers(ref)]
    return max(matching, key=lambda loc: len(loc.prefix)) if matching else None


def parse_record(text: str, where: str) -> Any:
    """One JSON record (an object) from *text*; RecordUnavailable naming *where* if not."""
    try:
        record = json.loads(text)
    except ValueError as exc:
        raise RecordUnavailable(f"{where} is not JSON: {exc}") from None
    if not isinstance(record, dict):
        raise RecordUnavailable(f"{where} holds {type(record).__name__}, not a record (object)")
    return record


class RecordReader:
    """Reads referenced records read-only, keeping recently read files for the next line."""

    def __init__(self, locations: list[DataLocation], keep_files: int = 8) -> None:
        self.locations = locations
        self._lines: OrderedDict[Path, list[bytes]] = OrderedDict()
        self._keep = keep_files

    def read(self, ref: str) -> tuple[Any, str]:
        """The record *ref* names and the file it came from; RecordUnavailable otherwise."""
        location = location_for(self.locations, ref)
        if location is None:
            raise RecordUnavailable(f"{ref} is under no configured data location")
        path, fragment = location.path_for(ref)
        if not path.is_file():
            raise RecordUnavailable(f"{ref}: no such file in the data location ({path})")
        if not fragment:
            return parse_record(_read_text(path), ref), str(path)
        if not fragment.isdigit() or int(fragment) < 1:
            raise RecordUnavailable(f"{ref}: '#{fragment}' is not a line number (from 1)")
        return parse_record(self._line(path, int(fragment), ref), ref), str(path)

    def _line(self, path: Path, number: int, ref: str) -> str:
        lines = self._lines.get(path)
        if lines is None and path.stat().st_size <= _CACHED_FILE_LIMIT:
            lines = _open_read_only(path).splitlines()
            self._lines[path] = lines
            while len(self._lines) > self._keep:
                self._lines.popitem(last=False)
        if lines is not None:
            self._lines.move_to_end(path)
            if number > len(lines):
                raise RecordUnavailable(f"{ref}: the file has {len(lines)} lines, not {number}")
            return lines[number - 1].decode("utf-8", errors="replace")
        with open(path, "rb") as handle:  # too big to keep: stream to the line
            for index, raw in enumerate(handle, start=1):
                if index == number:
                    return raw.decode("utf-8", errors="replace")
        raise RecordUnavailable(f"{ref}: the file has fewer than {number} lines")


def _open_read_only(path: Path) -> bytes:
    # O_RDONLY explicitly: a data location is a source, never a place Signoff writes
    fd = os.open(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def _read_text(path: Path) -> str:
    return _open_read_only(path).decode("utf-8", errors="replace")


def read_supplied_input(spec: str | Path) -> tuple[Any, str]:
    """The record in a supplied file, and how to name it: a JSON file holding one record, a
    JSON Lines file of one line, or ``FILE#N`` for line N of a JSON Lines file.

    Raises InputFileError with a message a person can act on.
    """
    text = str(spec)
    path, line = Path(text), None
    if not path.exists() and "#" in text:
        head, _, tail = text.rpartition("#")
        if tail.isdigit():
            path, line = Path(head), int(tail)
    if not path.is_file():
        raise InputFileError(f"the input file {path} does not exist (or is not a file)")
    try:
        content = _read_text(path)
    except OSError as exc:
        raise InputFileError(f"the input file {path} cannot be read: {exc}") from None
    try:
        if line is not None:
            lines = content.splitlines()
            if not 1 <= line <= len(lines):
                raise RecordUnavailable(f"{path} has {len(lines)} lines, not line {line}")
            return parse_record(lines[line - 1], f"line {line} of {path}"), f"{path}#{line}"
        try:
            return parse_record(content, str(path)), str(path)
        except RecordUnavailable:
            rows = [r for r in content.splitlines() if r.strip()]
            if len(rows) > 1:
                raise RecordUnavailable(
                    f"{path} holds {len(rows)} lines; name the record's line as {path}#N"
                ) from None
            raise
    except RecordUnavailable as exc:
        raise InputFileError(f"the input file is not usable: {exc}") from None


@dataclass
class InputCheck:
    """Which record will be scored, where it came from, and whether its hash checks out."""

    record: Any = None
    source: str = ""  # SUPPLIED, STORED or DATA_LOCATION ("" when there is none)
    where: str = ""  # the file or reference it was read from
    recorded: str = ""
    computed: str = ""
    problem: str = ""  # why it cannot be scored ("" when it can)
    findings: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.record is not None and not self.problem


def check_input(
    *,
    recorded_sha256: str,
    stored_record: Any,
    input_ref: str,
    reader: RecordReader | None,
    supplied: tuple[Any, str] | None = None,
) -> InputCheck:
    """Pick the record to score and check it against the recorded hash; never raises.

    *supplied* is a record the auditor gave and where it came from; otherwise the stored
    record, otherwise *input_ref* through *reader*'s data locations.
    """
    check = InputCheck(recorded=(recorded_sha256 or "").lower())
    if supplied is not None:
        check.record, check.where = supplied
        check.source = SUPPLIED
    elif stored_record is not None:
        check.record, check.source = stored_record, STORED
    elif not input_ref:
        check.problem = (
            "the input record was not stored with the prediction and it has no input "
            "reference; supply the record to reproduce it"
        )
        return check
    elif reader is None or location_for(reader.locations, input_ref) is None:
        check.problem = (
            f"the input record was not stored with the prediction, and its reference "
            f"{input_ref} is under no configured data location; configure one "
            "(signoff data-locations add) or supply the record"
        )
        return check
    else:
        check.where, check.source = input_ref, DATA_LOCATION
        try:
            check.record, _path = reader.read(input_ref)
        except (RecordUnavailable, OSError) as exc:
            check.problem = f"the input record could not be read: {exc}"
            return check
    check.computed = input_hash(check.record)
    if not check.recorded:
        check.findings.append(
            f"no input hash was recorded with the prediction, so the input record "
            f"({check.source}) could not be verified against what was scored"
        )
    elif check.recorded != check.computed:
        what = {
            SUPPLIED: f"the supplied record ({check.where})",
            STORED: "the stored input record",
            DATA_LOCATION: f"the record read from {check.where}",
        }[check.source]
        check.problem = (
            f"input hash mismatch: {what} hashes to {check.computed}, but the prediction "
            f"recorded {check.recorded}; nothing was run"
        )
    return check
