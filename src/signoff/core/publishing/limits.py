"""How large a stored component may be, and sizes written the way people write them.

A version's components are copied into the artifact store and hashed on every read; data
larger than :data:`DEFAULT_MAX_COMPONENT_BYTES` belongs outside the registry, named by its URI
and sha256 (``[[data]] uri = … sha256 = …``). The limit is the caller's, or
``SIGNOFF_MAX_COMPONENT_SIZE`` (``500MB``, ``3GB``, ``2.5GiB`` or a number of bytes), or 2 GB.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from signoff.core.common.errors import ManifestError, SignoffError

DEFAULT_MAX_COMPONENT_BYTES = 2_000_000_000  # 2 GB: a 2 GiB file is over it
SIZE_ENV = "SIGNOFF_MAX_COMPONENT_SIZE"
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*")


def parse_size(text: str) -> int:
    """Bytes in a size such as ``2GB``, ``500 MB``, ``1.5GiB`` or ``1048576``; SignoffError
    for anything else (negative, unknown units, not a number)."""
    match = _SIZE.fullmatch(text) if len(text) < 40 else None
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise SignoffError(
            f"{text!r} is not a size; write it like 500MB, 2GB, 1.5GiB or a number of bytes"
        )
    value = int(float(match.group(1)) * _UNITS[unit])
    if value <= 0:
        raise SignoffError(f"{text!r}: a size limit must be more than 0 bytes")
    return value


def describe_size(size: int) -> str:
    """A size in the unit a person reads: ``2.1 GB``, ``350.0 MB``, ``812 B``."""
    for unit, factor in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} B"


def max_component_bytes() -> int:
    """The limit in force: ``SIGNOFF_MAX_COMPONENT_SIZE`` when set, else 2 GB."""
    raw = os.environ.get(SIZE_ENV, "").strip()
    return parse_size(raw) if raw else DEFAULT_MAX_COMPONENT_BYTES


def too_large_message(
    what: str, size: int, limit: int, *, sparse: bool = False, flag: str = "--max-component-size"
) -> str:
    """The message for a component of *size* bytes over *limit* (raised with *flag*)."""
    hole = " (a sparse file: most of it is holes, but it would be stored whole)" if sparse else ""
    return (
        f"{what} is {size:,} bytes ({describe_size(size)}){hole}, over the "
        f"{describe_size(limit)} limit for a stored component. Keep data this large outside "
        "the registry and name it by its uri and sha256, or raise the limit "
        f"({flag}, or {SIZE_ENV})."
    )


def check_component_size(path: Path, what: str, limit: int) -> None:
    """Raise ManifestError when the file at *path* is larger than *limit* bytes."""
    info = path.stat()
    if info.st_size > limit:
        sparse = getattr(info, "st_blocks", info.st_size) * 512 < info.st_size // 2
        raise ManifestError(too_large_message(what, info.st_size, limit, sparse=sparse))
