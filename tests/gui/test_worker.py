"""The background-task helper: results, errors, progress, cancellation by key, DB sessions."""

from __future__ import annotations

import logging
import threading
import traceback

import pytest

from signoff.core.common.errors import NotFoundError
from signoff.ui.services.worker import TaskRunner, current_task

pytestmark = pytest.mark.gui


@pytest.fixture
def runner(qtbot):
    r = TaskRunner(max_threads=2)
    yield r
    r.shutdown()


def test_result_arrives_in_gui_thread(qtbot, runner) -> None:
    seen = {}

    def work(a, b):
        seen["thread"] = threading.current_thread()
        return a + b

    handle = runner.submit(work, 2, 3)
    with qtbot.waitSignal(handle.finished, timeout=3000) as blocker:
        pass
    assert blocker.args == [5]
    assert seen["thread"] is not threading.main_thread()


def test_error_is_delivered_with_traceback(qtbot, runner) -> None:
    def broken():
        raise ValueError("no such model 'x'")

    handle = runner.submit(broken)
    with qtbot.waitSignal(handle.failed, timeout=3000) as blocker:
        pass
    assert isinstance(blocker.args[0], ValueError)
    assert "no such model" in handle.traceback


def worker_records(caplog) -> list:
    return [r for r in caplog.records if r.name == "signoff.ui.services.worker"]


def test_an_unexpected_failure_is_logged_at_error_with_its_traceback(qtbot, runner, caplog) -> None:
    def summarise_metrics():
        return {"auc": 0.81}["gini"]

    with caplog.at_level(logging.DEBUG, logger="signoff.ui.services.worker"):
        handle = runner.submit(summarise_metrics)
        with qtbot.waitSignal(handle.failed, timeout=3000):
            pass
    [record] = worker_records(caplog)
    assert record.levelno == logging.ERROR
    assert "summarise_metrics" in record.getMessage()
    assert isinstance(record.exc_info[1], KeyError)
    assert "in summarise_metrics" in "".join(traceback.format_exception(*record.exc_info))


def test_an_expected_error_is_logged_without_alarm(qtbot, runner, caplog) -> None:
    def open_missing_model():
        raise NotFoundError("no model named 'credit-risk-2'")

    with caplog.at_level(logging.DEBUG, logger="signoff.ui.services.worker"):
        handle = runner.submit(open_missing_model)
        with qtbot.waitSignal(handle.failed, timeout=3000):
            pass
    [record] = worker_records(caplog)
    assert record.levelno == logging.INFO
    assert "no model named 'credit-risk-2'" in record.getMessage()
    assert record.exc_info is None


def test_a_failure_after_cancellation_is_not_an_error(qtbot, runner, caplog) -> None:
    started, gate = threading.Event(), threading.Event()

    def query_closed_engine():
        started.set()
        gate.wait(3)
        raise RuntimeError("the engine was disposed")  # what a superseded query may meet

    with caplog.at_level(logging.DEBUG, logger="signoff.ui.services.worker"):
        handle = runner.submit(query_closed_engine)
        assert started.wait(3)  # running, so the failure comes from the function itself
        handle.cancel()
        gate.set()
        with qtbot.waitSignal(handle.cancelled, timeout=3000):
            pass
    [record] = worker_records(caplog)
    assert record.levelno == logging.DEBUG
    assert "the engine was disposed" in record.getMessage()


def test_progress_and_partial_results(qtbot, runner) -> None:
    def steps():
        for i in range(3):
            current_task().progress((i + 1) / 3, f"step {i + 1}")
            current_task().partial(i)
        return "done"

    progress, partial = [], []
    handle = runner.submit(steps)
    handle.progressed.connect(lambda f, m: progress.append((round(f, 2), m)))
    handle.partialResult.connect(partial.append)
    with qtbot.waitSignal(handle.finished, timeout=3000):
        pass
    assert progress == [(0.33, "step 1"), (0.67, "step 2"), (1.0, "step 3")]
    assert partial == [0, 1, 2]


def test_same_key_cancels_previous(qtbot, runner) -> None:
    gate = threading.Event()

    def slow(tag):
        gate.wait(3)
        current_task().check()
        return tag

    first = runner.submit(slow, "first", key="search")
    second = runner.submit(slow, "second", key="search")
    cancelled, results = [], []
    first.cancelled.connect(lambda: cancelled.append("first"))
    first.finished.connect(results.append)
    second.finished.connect(results.append)
    gate.set()
    with qtbot.waitSignal(second.finished, timeout=3000):
        pass
    qtbot.waitUntil(lambda: first.is_done, timeout=3000)
    assert results == ["second"]
    assert cancelled == ["first"]


def test_busy_signal(qtbot, runner) -> None:
    states = []
    runner.busyChanged.connect(states.append)
    handle = runner.submit(lambda: 1)
    with qtbot.waitSignal(handle.done, timeout=3000):
        pass
    assert states == [True, False]
    assert runner.active_count == 0


def test_context_read_uses_its_own_session(qtbot, registry, tmp_path) -> None:
    from signoff.core.catalog import inventory
    from signoff.core.publishing.publisher import publish
    from signoff.ui.services.context import AppContext
    from signoff.ui.services.settings import Settings
    from tests.helpers.folders import write_model_folder

    publish(registry, write_model_folder(tmp_path / "m"))
    ctx = AppContext(registry, Settings(tmp_path / "s.ini"))
    handle = ctx.read(lambda s: [r.name for r in inventory.inventory(s)])
    with qtbot.waitSignal(handle.finished, timeout=3000) as blocker:
        pass
    assert blocker.args == [["toy-model"]]
    ctx.shutdown()
