"""The runner: a real child process, real limits, real hash checks against the artifact store."""

from __future__ import annotations

import json
import os
import pickle
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from signoff.core.db.schema import AuditEvent
from signoff.core.publishing.publisher import publish
from signoff.core.runner import (
    CANCELLED,
    CRASHED,
    ERROR,
    INVALID_OUTPUT,
    LOAD_ERROR,
    MEMORY,
    OK,
    REFUSED,
    TIMEOUT,
    Limits,
    run_entry_point,
    run_version,
)
from tests.helpers.runner_models import INPUTS, write_pickle_model


def _workdir(tmp_path: Path, code: str) -> Path:
    work = tmp_path / "job" / "work"
    work.mkdir(parents=True)
    (work / "score.py").write_text(code)
    return work


def _run(tmp_path: Path, code: str, records=None, **kw):  # noqa: ANN001, ANN202
    return run_entry_point(
        _workdir(tmp_path, code),
        "score.py:predict",
        records if records is not None else [{"x": 1}],
        **kw,
    )


def test_published_version_runs_in_a_child_and_matches_reference(registry, tmp_path):
    published = publish(registry, write_pickle_model(tmp_path / "m"))
    steps = []
    run = run_version(
        registry, published.version_id, INPUTS, on_step=lambda *s: steps.append(s[:2])
    )
    assert run.result.status == OK, run.result.describe()
    expected = [
        json.loads(line)
        for line in (tmp_path / "m" / "tests" / "outputs.jsonl").read_text().splitlines()
    ]
    assert run.result.outputs == expected
    assert run.result.returncode == 0 and run.result.interpreter
    assert all(c.ok for c in run.hash_checks) and len(run.hash_checks) == 6
    assert ("verify", "done") in steps and ("run", "done") in steps
    assert run.result.peak_memory_mb and run.result.peak_memory_mb > 1


def test_child_runs_in_its_own_process_and_folder(tmp_path):
    code = (
        "import os\n"
        "def predict(records):\n"
        "    return [{'pid': os.getpid(), 'cwd': os.getcwd()} for r in records]\n"
    )
    result = _run(tmp_path, code)
    assert result.status == OK
    assert result.outputs[0]["pid"] != os.getpid()
    assert result.outputs[0]["cwd"] == str(tmp_path / "job" / "work")


def test_endless_loop_is_killed_at_the_time_limit(tmp_path):
    code = "def predict(records):\n    while True:\n        pass\n"
    started = time.monotonic()
    result = _run(tmp_path, code, limits=Limits(time_s=1.5))
    assert result.status == TIMEOUT
    assert "1.5 s" in result.describe()
    assert time.monotonic() - started < 6


def test_timeout_also_kills_grandchildren(tmp_path):
    marker = tmp_path / "grandchild-alive"
    child = f"import time, pathlib; time.sleep(3); pathlib.Path({str(marker)!r}).write_text('x')"
    code = (
        "import subprocess, sys\n"
        f"CHILD = {child!r}\n"
        "def predict(records):\n"
        "    subprocess.Popen([sys.executable, '-c', CHILD])\n"
        "    while True:\n        pass\n"
    )
    result = _run(tmp_path, code, limits=Limits(time_s=1.0))
    assert result.status == TIMEOUT
    time.sleep(3.5)  # proving an absence: a surviving grandchild writes its marker at 3 s
    assert not marker.exists(), "the process group was not killed"


def test_unbounded_allocation_hits_the_memory_limit(tmp_path):
    code = (
        "def predict(records):\n    hog = []\n    while True:\n"
        "        hog.append(bytearray(50_000_000))\n"
    )
    result = _run(tmp_path, code, limits=Limits(time_s=30, memory_mb=400))
    assert result.status == MEMORY, result.describe()
    assert "400 MB" in result.describe()


def test_exception_comes_back_with_its_traceback(tmp_path):
    code = (
        "def helper(r):\n    raise KeyError('customer_segment')\n"
        "def predict(records):\n    return [helper(r) for r in records]\n"
    )
    result = _run(tmp_path, code)
    assert result.status == ERROR
    assert result.error_type == "KeyError" and "customer_segment" in result.message
    assert "in helper" in result.traceback and "score.py" in result.traceback


def test_import_error_is_a_load_error(tmp_path):
    result = _run(tmp_path, "import module_that_does_not_exist\n")
    assert result.status == LOAD_ERROR
    assert result.error_type == "ModuleNotFoundError"
    result = _run(tmp_path / "b", "def score(records):\n    return []\n")
    assert result.status == LOAD_ERROR and "no callable 'predict'" in result.message


def test_printed_garbage_does_not_corrupt_the_result(tmp_path):
    code = (
        "import sys\n"
        "def predict(records):\n"
        "    print('{not json' * 1000)\n"
        "    sys.stderr.write('\\x00\\xff garbage')\n"
        "    return [{'score': 0.5} for r in records]\n"
    )
    result = _run(tmp_path, code)
    assert result.status == OK and result.outputs == [{"score": 0.5}]
    assert result.stdout_tail.endswith("{not json\n")


@pytest.mark.parametrize(
    "returned, why",
    [
        ("object()", "expected a list"),
        ("[1, 2, 3]", "3 outputs for 1 records"),
        ("[object()]", "not JSON"),
    ],
)
def test_garbage_output_is_invalid_output(tmp_path, returned, why):
    result = _run(tmp_path, f"def predict(records):\n    return {returned}\n")
    assert result.status == INVALID_OUTPUT
    assert why in result.message


def test_hard_crash_and_exit_are_reported(tmp_path):
    result = _run(tmp_path, "import os\ndef predict(records):\n    os._exit(3)\n")
    assert result.status == CRASHED and "exit code 3" in result.message
    code = "import os, signal\ndef predict(records):\n    os.kill(os.getpid(), signal.SIGSEGV)\n"
    result = _run(tmp_path / "b", code)
    assert result.status == CRASHED and "SIGSEGV" in result.message


def test_scoring_code_cannot_fake_the_result_with_sys_exit(tmp_path):
    result = _run(tmp_path, "import sys\ndef predict(records):\n    sys.exit(0)\n")
    assert result.status == ERROR and result.error_type == "SystemExit"


def test_cancel_kills_the_run(tmp_path):
    code = "import time\ndef predict(records):\n    time.sleep(60)\n"
    started = time.monotonic()
    result = _run(tmp_path, code, cancelled=lambda: time.monotonic() - started > 0.5)
    assert result.status == CANCELLED
    assert time.monotonic() - started < 5


def test_each_mode_separates_rejections_from_errors(tmp_path):
    code = (
        "def predict(records):\n"
        "    r = records[0]\n"
        "    if r.get('x') is None:\n        raise ValueError('x is required')\n"
        "    if r['x'] < 0:\n        raise ZeroDivisionError('boom')\n"
        "    return [{'score': r['x'] / 10}]\n"
    )
    result = _run(tmp_path, code, records=[{"x": 1}, {}, {"x": -1}], mode="each")
    assert result.status == OK
    assert result.answers[0] == {"output": {"score": 0.1}}
    assert result.answers[1] == {"rejected": "x is required"}
    assert result.answers[2]["error"] == "ZeroDivisionError"


# --- hash verification before anything is imported ------------------------------------------


def _stored_path(registry, folder: Path, rel: str) -> Path:
    from signoff.core.common.files import sha256_file

    sha = sha256_file(folder / rel)
    return registry.store.path_for(sha)


def _overwrite(path: Path, data: bytes) -> None:
    os.chmod(path, 0o644)
    path.write_bytes(data)


def test_altered_script_is_refused_and_never_imported(registry, tmp_path):
    folder = write_pickle_model(tmp_path / "m")
    published = publish(registry, folder)
    marker = tmp_path / "IMPORTED"
    evil = (
        f"import pathlib\npathlib.Path({str(marker)!r}).write_text('imported')\n"
        "def predict(records):\n    return [{'score': 1.0} for r in records]\n"
    )
    _overwrite(_stored_path(registry, folder, "score.py"), evil.encode())

    run = run_version(registry, published.version_id, INPUTS)
    assert run.result.status == REFUSED
    assert "hash mismatch" in run.result.message and "score.py" in run.result.message
    bad = [c for c in run.hash_checks if not c.ok]
    assert [c.path for c in bad] == ["score.py"] and bad[0].actual != bad[0].expected
    assert not marker.exists(), "the altered script was imported"
    with registry.read() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "run.refused")).one()
        payload, event_version = json.loads(event.payload), event.version_id
    assert payload["problems"][0]["path"] == "score.py"
    assert event_version == published.version_id


class _Payload:
    """A pickle whose loading runs code: it writes a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204
        return (Path.write_text, (self.marker, "unpickled"))


def test_malicious_pickle_that_fails_the_hash_is_never_loaded(registry, tmp_path):
    folder = write_pickle_model(tmp_path / "m")
    published = publish(registry, folder)
    marker = tmp_path / "UNPICKLED"
    _overwrite(_stored_path(registry, folder, "model.pkl"), pickle.dumps(_Payload(marker)))

    run = run_version(registry, published.version_id, INPUTS)
    assert run.result.status == REFUSED and "model.pkl" in run.result.message
    assert not marker.exists(), "the altered pickle was loaded"


def test_control_the_same_payload_does_run_when_its_hash_matches(registry, tmp_path):
    """Proves the two tests above are meaningful: unrefused, the payload does execute."""
    marker = tmp_path / "UNPICKLED"
    folder = write_pickle_model(
        tmp_path / "m", name="honest-but-evil", pickled=pickle.dumps(_Payload(marker))
    )
    published = publish(registry, folder)
    run = run_version(registry, published.version_id, INPUTS)
    assert run.result.status != REFUSED
    assert marker.read_text() == "unpickled"


def test_missing_blob_refuses_the_run(registry, tmp_path):
    folder = write_pickle_model(tmp_path / "m")
    published = publish(registry, folder)
    blob = _stored_path(registry, folder, "model.pkl")
    os.chmod(blob, 0o644)
    blob.unlink()
    run = run_version(registry, published.version_id, INPUTS)
    assert run.result.status == REFUSED
    assert "not in the artifact store" in [c for c in run.hash_checks if not c.ok][0].problem


def test_warmup_moves_lazy_model_loading_out_of_the_timed_call(tmp_path):
    code = (
        "import time\n_MODEL = None\n"
        "def predict(records):\n    global _MODEL\n"
        "    if _MODEL is None:\n        time.sleep(0.6)\n        _MODEL = 1\n"
        "    return [{'score': 0.5} for r in records]\n"
    )
    cold = _run(tmp_path / "a", code)
    warm = _run(tmp_path / "b", code, warmup=True)
    assert cold.status == warm.status == OK
    assert cold.score_s >= 0.6 > warm.score_s
    assert warm.load_s >= 0.6
