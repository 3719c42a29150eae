"""The self-test's harness: the checks' record, timeouts, offscreen Qt, waiting."""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

WINDOW_TIMEOUT_S = 60.0
WEB_TIMEOUT_S = 90.0


class CheckFailed(Exception):
    """A self-test check found something wrong (the message says what)."""


@dataclass
class SelfTest:
    """Runs checks in order, printing one line each; later checks may use earlier results."""

    out: Callable[[str], None] = print
    results: list[tuple[str, bool, str, float]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    escaped: list[str] = field(default_factory=list)  # exceptions Qt reported from slots

    def record_escaped(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        """sys.excepthook while Qt runs: remember the error (and print it as Python would)."""
        self.escaped.append(f"{kind.__name__}: {exc}")
        sys.__excepthook__(kind, exc, tb)

    def check(self, name: str, fn: Callable[[], str]) -> bool:
        """Run *fn*; it returns a detail line or raises. Prints ``ok``/``FAIL`` with timing."""
        started = time.perf_counter()
        escaped_before = len(self.escaped)
        try:
            detail, ok = fn(), True
            if len(self.escaped) > escaped_before:
                detail, ok = f"an error escaped into Qt: {self.escaped[escaped_before]}", False
        except CheckFailed as exc:
            detail, ok = str(exc), False
        except Exception as exc:  # an unexpected error is a failed check, with its cause
            detail, ok = f"{type(exc).__name__}: {exc}", False
            if os.environ.get("SIGNOFF_SELFTEST_TRACEBACK"):
                traceback.print_exc()
        seconds = time.perf_counter() - started
        self.results.append((name, ok, detail, seconds))
        self.out(f"  {'ok  ' if ok else 'FAIL'} {name}: {detail} ({seconds:.1f} s)")
        return ok

    @property
    def passed(self) -> bool:
        """True when every check run so far passed."""
        return all(ok for _name, ok, _detail, _s in self.results)


def install_kind() -> str:
    """How this copy of Signoff was installed: the desktop bundle or a Python environment."""
    if getattr(sys, "frozen", False):
        return f"desktop bundle at {Path(sys.executable).parent}"
    return f"Python package ({sys.executable})"


def prepare_offscreen_qt() -> None:
    """Make Qt render without a display, and QtWebEngine run as root in a container.

    Chromium refuses to start its sandbox as root, so the sandbox is disabled only then.
    Must run before the QApplication exists.
    """
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    # Chromium's own log lines (no D-Bus, no GPU in a container) are noise here
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--log-level=3")
    os.environ.setdefault("MPLBACKEND", "QtAgg")


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    """Process Qt events until *predicate* is true or *timeout* seconds pass."""
    from PySide6.QtCore import QCoreApplication, QEventLoop, QThread

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        QThread.msleep(10)
    return predicate()


def process_age() -> float | None:
    """Seconds since this process started (Linux /proc; None where unavailable).

    The one-folder bundle runs in a single process, so this covers the bootloader unpacking
    nothing, Python starting and every import: the cold start a person waits through.
    """
    try:
        stat = Path("/proc/self/stat").read_text()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
