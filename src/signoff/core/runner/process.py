"""Running a scoring entry point in a separate Python process, within limits.

The child is :mod:`signoff.core.runner.bootstrap`, copied into a fresh job folder and started
with :func:`signoff.core.common.child.child_command` (this Python from pip, the ``signoff``
executable's hidden child mode in the desktop bundle). It gets the records in a JSON file and
writes one JSON result file. The parent waits with a time limit, polls a cancel flag, and kills
the child's whole process group when either fires. A crash, a timeout, an exception, a memory
error or unreadable output all come back as a :class:`RunResult` with a status and, where there
is one, the traceback; nothing the scoring code does raises in the caller.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from signoff.core.common.child import child_command
from signoff.core.common.progress import CancelCheck

log = logging.getLogger(__name__)

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")

OK = "ok"
ERROR = "error"  # the scoring code raised
LOAD_ERROR = "load_error"  # importing the script or finding the function failed
TIMEOUT = "timeout"
MEMORY = "memory"
CRASHED = "crashed"  # the process died without a result (signal, os._exit, segfault)
INVALID_OUTPUT = "invalid_output"
CANCELLED = "cancelled"
REFUSED = "refused"  # never started: a component failed its hash check

STATUS_TEXT = {
    OK: "ran to completion",
    ERROR: "the scoring code raised an exception",
    LOAD_ERROR: "the scoring code could not be loaded",
    TIMEOUT: "the time limit was reached and the process was killed",
    MEMORY: "the memory limit was reached",
    CRASHED: "the scoring process died without a result",
    INVALID_OUTPUT: "the scoring code returned output that is not one JSON value per record",
    CANCELLED: "cancelled",
    REFUSED: "refused: a component failed its hash check",
}


@dataclass(frozen=True)
class Limits:
    """Resource limits for one scoring run."""

    time_s: float = 60.0
    memory_mb: int | None = 2048


@dataclass
class RunResult:
    """What came back from a scoring run; ``status`` is one of the module's constants."""

    status: str
    outputs: list[Any] | None = None
    answers: list[dict[str, Any]] | None = None  # per-record mode: output / rejected / error
    error_type: str = ""
    message: str = ""
    traceback: str = ""
    stdout_tail: str = ""
    stderr_tail: str = ""
    returncode: int | None = None
    duration_s: float = 0.0
    load_s: float | None = None
    score_s: float | None = None
    peak_memory_mb: float | None = None
    interpreter: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == OK

    def describe(self) -> str:
        """One line a person can read: the status and the error, if any."""
        text = STATUS_TEXT.get(self.status, self.status)
        if self.error_type or self.message:
            text += f": {self.error_type}{': ' if self.error_type and self.message else ''}"
            text += self.message
        return text

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def child_environment(workdir: Path) -> dict[str, str]:
    """A small, deterministic environment for the child: no user site, one BLAS thread."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONIOENCODING": "utf-8",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "TMPDIR": str(workdir.parent),
    }
    for key in ("SYSTEMROOT", "LD_LIBRARY_PATH"):  # needed to start Python at all on some hosts
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def run_entry_point(
    workdir: Path,
    entry_point: str,
    records: list[Any],
    *,
    limits: Limits | None = None,
    python: str | None = None,
    mode: str = "batch",
    cancelled: CancelCheck | None = None,
    warmup: bool = False,
) -> RunResult:
    """Score *records* with ``workdir``'s *entry_point* in a child process; never raises for
    anything the scoring code does.

    *mode* ``"batch"`` calls the function once with all records (``outputs``); ``"each"``
    calls it once per record and reports each record's output, declared rejection
    (``ValueError``) or error (``answers``). *python* is the interpreter (default: the one
    running Signoff, see :func:`~signoff.core.common.child.child_command`).
    """
    limits = limits or Limits()
    workdir = Path(workdir)
    job_dir = Path(tempfile.mkdtemp(prefix="job-", dir=workdir.parent))
    try:
        return _run(job_dir, workdir, entry_point, records, limits, python, mode, cancelled, warmup)
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)


def _run(
    job_dir: Path,
    workdir: Path,
    entry_point: str,
    records: list[Any],
    limits: Limits,
    python: str | None,
    mode: str,
    cancelled: CancelCheck | None,
    warmup: bool,
) -> RunResult:
    bootstrap = job_dir / "bootstrap.py"
    shutil.copyfile(BOOTSTRAP, bootstrap)
    input_path, result_path = job_dir / "input.json", job_dir / "result.json"
    input_path.write_text(json.dumps(records), encoding="utf-8")
    job = {
        "workdir": str(workdir),
        "entry_point": entry_point,
        "input": str(input_path),
        "result": str(result_path),
        "memory_mb": limits.memory_mb,
        "mode": mode,
        "warmup": warmup,
    }
    job_path = job_dir / "job.json"
    job_path.write_text(json.dumps(job), encoding="utf-8")
    stderr_path = job_dir / "stderr.txt"
    started = time.perf_counter()
    with open(stderr_path, "wb") as stderr, open(os.devnull, "rb") as stdin:
        proc = subprocess.Popen(
            child_command(bootstrap, job_path, python=python),
            cwd=workdir,
            env=child_environment(workdir),
            stdin=stdin,
            stdout=stderr,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a kill reaches grandchildren
        )
        status = _wait(proc, started, limits.time_s, cancelled)
    duration = time.perf_counter() - started
    tail = stderr_path.read_text(encoding="utf-8", errors="replace")[-4000:]
    base: dict[str, Any] = {
        "duration_s": duration,
        "returncode": proc.returncode,
        "stderr_tail": tail,
        "interpreter": python or sys.executable,
    }
    if status == TIMEOUT:
        details: dict[str, Any] = {}
        progress = Path(str(result_path) + ".progress")
        if mode == "each" and progress.is_file():
            details["stuck_record"] = int(progress.read_text() or 0)
        where = f" (still scoring record {details['stuck_record']})" if details else ""
        return RunResult(
            TIMEOUT, message=f"no result after {limits.time_s:g} s{where}", details=details, **base
        )
    if status == CANCELLED:
        return RunResult(CANCELLED, message="the run was cancelled", **base)
    return _read_result(result_path, limits, base)


def _wait(
    proc: subprocess.Popen[bytes], started: float, time_limit: float, cancelled: CancelCheck | None
) -> str:
    while True:
        try:
            proc.wait(timeout=0.02)
            return OK
        except subprocess.TimeoutExpired:
            pass
        if cancelled is not None and cancelled():
            _kill_group(proc)
            return CANCELLED
        if time.perf_counter() - started > time_limit:
            _kill_group(proc)
            return TIMEOUT


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def _read_result(result_path: Path, limits: Limits, base: dict[str, Any]) -> RunResult:
    returncode = base["returncode"]
    if not result_path.is_file():
        died = (
            f"killed by signal {signal.Signals(-returncode).name}"
            if returncode is not None and returncode < 0
            else f"exit code {returncode}"
        )
        status = CRASHED
        if limits.memory_mb and "MemoryError" in base["stderr_tail"]:
            status = MEMORY
        return RunResult(status, message=f"the process ended without a result ({died})", **base)
    try:
        data = json.loads(result_path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "status" not in data:
            raise ValueError("the result is not an object with a status")
    except (ValueError, UnicodeDecodeError) as exc:
        return RunResult(INVALID_OUTPUT, message=f"unreadable result file: {exc}", **base)
    status = data.get("status", ERROR)
    if status == MEMORY and limits.memory_mb:
        data["message"] = (
            f"over the {limits.memory_mb} MB memory limit ({data.get('message') or 'MemoryError'})"
        )
    return RunResult(
        status,
        outputs=data.get("outputs"),
        answers=data.get("answers"),
        error_type=data.get("error_type", ""),
        message=data.get("message", ""),
        traceback=data.get("traceback", ""),
        stdout_tail=data.get("stdout_tail", ""),
        load_s=data.get("load_s"),
        score_s=data.get("score_s"),
        peak_memory_mb=data.get("peak_memory_mb"),
        **base,
    )
