"""The demo registry: five models from different business areas, with real history.

``build_demo(home)`` builds it; ``ensure_demo(home)`` builds it only if *home* has no complete
demo yet (``signoff --demo`` calls that). A build always happens in a temporary sibling folder
that is renamed into place, and the marker file ``DEMO_COMPLETE.json`` is written last, so an
interrupted build never leaves a half demo where a complete one is expected.

The build changes the process's working directory while it executes notebooks, so a GUI must
run it in a worker thread it does not share (or a subprocess), never on the GUI thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from pathlib import Path

from signoff.core.common.errors import SignoffError
from signoff.core.common.files import atomic_write

log = logging.getLogger(__name__)

MARKER = "DEMO_COMPLETE.json"
DEMO_FORMAT = 2  # 2: the data lake and the stored campaign (an older demo is rebuilt)
# what a demo home may contain; anything else means it is not ours to replace
_OWN_ENTRIES = {
    "registry.db",
    "registry.db-wal",
    "registry.db-shm",
    "artifacts",
    "sources",
    "datalake",
    MARKER,
}

__all__ = [
    "MARKER",
    "DemoError",
    "build_demo",
    "demo_summary",
    "ensure_demo",
    "is_complete",
    "recorded_fingerprint",
    "source_fingerprint",
]


class DemoError(SignoffError):
    """The demo cannot be built where asked."""


def is_complete(home: Path) -> bool:
    """True when *home* holds a demo whose build finished (its marker file exists)."""
    marker = Path(home) / MARKER
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text("utf-8")).get("format") == DEMO_FORMAT
    except (OSError, ValueError):
        return False


def source_fingerprint() -> str:
    """A hash of the demo's own code and templates: it changes when the demo would change."""
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*root.glob("*.py"), *root.glob("templates/*.py")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def recorded_fingerprint(home: Path) -> str:
    """The source fingerprint recorded when the demo in *home* was built ('' if none)."""
    try:
        return json.loads((Path(home) / MARKER).read_text("utf-8")).get("fingerprint", "")
    except (OSError, ValueError):
        return ""


def demo_summary(home: Path) -> str:
    """The one-line summary recorded when the demo in *home* was built."""
    return json.loads((Path(home) / MARKER).read_text("utf-8"))["summary"]


def _check_replaceable(home: Path) -> None:
    if not home.exists():
        return
    if not home.is_dir():
        raise DemoError(f"{home} is a file, not a folder; choose another demo home")
    foreign = sorted(p.name for p in home.iterdir() if p.name not in _OWN_ENTRIES)
    if foreign:
        raise DemoError(
            f"{home} holds files that are not part of a demo registry "
            f"({', '.join(foreign[:5])}); refusing to replace it. "
            "Choose an empty or new folder for the demo."
        )


def build_demo(home: Path, force: bool = False) -> str:
    """Build the demo registry in *home*; returns a one-line summary of what it holds.

    When *home* already holds a complete demo and *force* is false, nothing is rebuilt and
    the recorded summary is returned. A folder with anything but demo content is never
    replaced (DemoError). The build is deterministic: the same manifests, models and
    predictions every time.
    """
    from signoff.demo.build import build_into

    home = Path(home).expanduser().absolute()
    if is_complete(home) and not force:
        return demo_summary(home)
    _check_replaceable(home)
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = home.parent / f".{home.name}.building-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    started = time.perf_counter()
    try:
        report = build_into(staging)
        summary = report.summary()
        atomic_write(
            staging / MARKER,
            json.dumps(
                {
                    "format": DEMO_FORMAT,
                    "summary": summary,
                    "fingerprint": source_fingerprint(),
                    "build_seconds": round(time.perf_counter() - started, 2),
                    "timings": {k: round(v, 2) for k, v in report.seconds.items()},
                },
                indent=2,
            )
            + "\n",
        )
        if not force and is_complete(home):
            # another process finished a demo here while we were building: keep theirs
            shutil.rmtree(staging, ignore_errors=True)
            return demo_summary(home)
        if home.exists():
            retired = home.parent / f".{home.name}.old-{os.getpid()}"
            home.rename(retired)
            staging.rename(home)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(home)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("demo registry built in %s: %s", home, summary)
    return summary


def ensure_demo(home: Path) -> None:
    """Make sure *home* holds a complete demo registry, building it only if it does not."""
    if not is_complete(Path(home).expanduser()):
        build_demo(home)
