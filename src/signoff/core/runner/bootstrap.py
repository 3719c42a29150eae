"""The child side of a scoring run: a standalone, standard-library-only script.

The runner copies this file into a fresh job folder and starts it with the target interpreter:
``python -s -B bootstrap.py JOB.json`` (in the desktop bundle ``signoff --run-child
bootstrap.py JOB.json``, see :mod:`signoff.core.common.child`). It never imports Signoff, so it
works the same in the current interpreter, in the bundle and in a cached virtual environment built
from a version's pins.

The job file names the working folder (the version's verified components), the entry point
(``score.py:predict``), the input file (a JSON list of records), the result file, the memory
limit and the mode. The result file receives one JSON object; whatever the scoring code does
(raise, print, return garbage, run out of memory) the parent gets a structured answer or, if
the process dies, notices that the result file is missing or unreadable.
"""

from __future__ import annotations  # the annotations stay text: older target interpreters run this

import io
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any


def _limit_memory(limit_mb: int | str | None) -> None:
    # Set before any scoring code is imported, so the first allocation over the limit fails.
    if not limit_mb:
        return
    try:
        import resource
    except ImportError:  # not POSIX: the parent's time limit still applies
        return
    limit = int(limit_mb) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _peak_memory_mb() -> float | None:
    # VmHWM belongs to this process image; ru_maxrss can carry the parent's peak over exec
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024.0, 1)
    except OSError:
        pass
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / 1024.0, 1) if sys.platform != "darwin" else round(peak / 2**20, 1)


def _error(kind: str, exc: BaseException) -> dict[str, Any]:
    return {
        "status": kind,
        "error_type": type(exc).__name__,
        "message": str(exc)[:2000],
        "traceback": traceback.format_exc()[-8000:],
    }


def _load(workdir: str, entry_point: str) -> Callable[[list[Any]], Any]:
    import importlib.util

    script, _, func_name = entry_point.partition(":")
    path = os.path.join(workdir, script)
    module_name = os.path.splitext(os.path.basename(script))[0]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {script}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    func = getattr(module, func_name, None)
    if not callable(func):
        raise AttributeError(f"{script} has no callable {func_name!r}")
    return func


class InvalidOutput(Exception):
    """The scoring code returned something that is not one JSON value per record."""


def _check_outputs(outputs: Any, count: int) -> list[Any]:
    if not isinstance(outputs, list):
        raise InvalidOutput(f"predict returned {type(outputs).__name__}, expected a list")
    if len(outputs) != count:
        raise InvalidOutput(f"predict returned {len(outputs)} outputs for {count} records")
    try:
        json.dumps(outputs)
    except (TypeError, ValueError) as exc:
        raise InvalidOutput(f"predict returned output that is not JSON: {exc}") from None
    return outputs


def _score_each(
    func: Callable[[list[Any]], Any], records: list[Any], progress_path: str
) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        # tell the parent which record is being scored, so a hang can be pinned on it
        with open(progress_path, "w", encoding="ascii") as handle:
            handle.write(str(index))
        try:
            answers.append({"output": _check_outputs(func([record]), 1)[0]})
        except InvalidOutput as exc:
            answers.append({"error": "invalid_output", "message": str(exc)[:500]})
        except ValueError as exc:
            answers.append({"rejected": str(exc)[:500]})
        except MemoryError as exc:
            answers.append({"error": "MemoryError", "message": str(exc)})
        except Exception as exc:  # noqa: BLE001 - every failure becomes part of the answer
            answers.append(
                {
                    "error": type(exc).__name__,
                    "message": str(exc)[:500],
                    "traceback": traceback.format_exc()[-4000:],
                }
            )
    return answers


def main(job_path: str) -> None:
    """Run the job described in *job_path*; always leaves a JSON result file behind."""
    with open(job_path, encoding="utf-8") as handle:
        job = json.load(handle)
    result_path = job["result"]
    captured = io.StringIO()
    result: dict[str, Any] = {}
    try:
        _limit_memory(job.get("memory_mb"))
        workdir = job["workdir"]
        os.chdir(workdir)
        sys.path[0:1] = [workdir]
        with open(job["input"], encoding="utf-8") as handle:
            records = json.load(handle)
        sys.stdout = captured  # anything the scoring code prints must not reach our caller
        started = time.perf_counter()
        try:
            func = _load(workdir, job["entry_point"])
        except MemoryError as exc:
            result = _error("memory", exc)
            return
        except BaseException as exc:  # noqa: BLE001 - SystemExit in user code is a failure too
            result = _error("load_error", exc)
            return
        try:
            if job.get("warmup") and records:
                func(records[:1])  # lazy model loading counts as load time, not per-record time
        except Exception:  # noqa: BLE001 - the timed call below reports the failure properly
            pass
        loaded = time.perf_counter()
        try:
            if job.get("mode") == "each":
                answers = _score_each(func, records, job["result"] + ".progress")
                result = {"status": "ok", "answers": answers}
            else:
                outputs = _check_outputs(func(records), len(records))
                result = {"status": "ok", "outputs": outputs}
        except MemoryError as exc:
            result = _error("memory", exc)
        except InvalidOutput as exc:
            result = _error("invalid_output", exc)
        except BaseException as exc:  # noqa: BLE001
            result = _error("error", exc)
        result["load_s"] = loaded - started
        result["score_s"] = time.perf_counter() - loaded
    finally:
        sys.stdout = sys.__stdout__
        result.setdefault("status", "error")
        result["peak_memory_mb"] = _peak_memory_mb()
        result["stdout_tail"] = captured.getvalue()[-2000:]
        tmp = result_path + ".tmp"
        try:
            text = json.dumps(result)
        except (TypeError, ValueError) as exc:
            text = json.dumps(_error("invalid_output", exc))
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, result_path)


if __name__ == "__main__":
    main(sys.argv[1])
    # the result is on disk: skip tearing down the scoring code's modules (slow for large
    # libraries, and a finaliser in scoring code must not change what was reported)
    sys.stderr.flush()
    os._exit(0)
