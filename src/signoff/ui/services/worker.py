"""The one helper for background work: run plain functions off the GUI thread.

A task is an ordinary function. It runs on a ``QThreadPool`` thread; its result, error,
progress and partial results come back to the GUI thread through queued signals on a
:class:`TaskHandle`. Inside the function, :func:`current_task` gives the task's
:class:`TaskControl` to report progress and to check the cooperative cancel flag; long work in
the core takes them as ``progress=control.progress, cancelled=control.was_cancelled`` and stops
by raising :class:`~signoff.core.common.errors.Cancelled`, which ends the task as cancelled.

Starting a task with the same *key* as a running one cancels the running one (its result is
dropped, it emits ``cancelled``), which is what the inventory search box relies on: a new
keystroke cancels the previous query. A task that touches the database opens its own session
(``registry.read()``) inside the function; sessions never cross threads.

Modelled on Orange3's ``widgets/utils/concurrent.py`` (TaskState) and Picard's
``util/thread.py``.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

from signoff.core.common.errors import Cancelled, SignoffError
from signoff.core.common.progress import cancellable_waits

log = logging.getLogger(__name__)

_local = threading.local()
T = TypeVar("T")  # what a task returns


class TaskControl:
    """What a running task can do: report progress and partial results, notice cancellation."""

    def __init__(self, relay: _Relay | _NullRelay) -> None:
        self._relay = relay
        self._cancel = threading.Event()

    @property
    def cancelled(self) -> bool:
        """True once someone asked the task to stop."""
        return self._cancel.is_set()

    def was_cancelled(self) -> bool:
        """The task's cancel check, to pass to the core as ``cancelled=control.was_cancelled``."""
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise the core's :class:`Cancelled` if the task was cancelled (call it between steps)."""
        if self._cancel.is_set():
            raise Cancelled("the task was cancelled")

    def progress(self, fraction: float, message: str = "") -> None:
        """Report progress as a fraction in [0, 1] with an optional status message."""
        if not self._cancel.is_set():
            self._relay.progressed.emit(float(max(0.0, min(1.0, fraction))), message)

    def partial(self, value: object) -> None:
        """Hand a partial result to the GUI thread (for example a first page of rows)."""
        if not self._cancel.is_set():
            self._relay.partial.emit(value)


def current_task() -> TaskControl:
    """The control of the task running on this thread (a dummy one outside any task)."""
    control = getattr(_local, "control", None)
    if control is None:
        return _NULL_CONTROL
    return control


class _NullRelay:
    class _Sink:
        def emit(self, *_args: object) -> None:
            pass

    progressed = _Sink()
    partial = _Sink()


_NULL_CONTROL = TaskControl(_NullRelay())


class _Relay(QObject):
    """Emitted from the worker thread; connected with queued connections to the handle."""

    progressed = Signal(float, str)
    partial = Signal(object)
    result = Signal(object)
    error = Signal(object, str)


class TaskHandle(QObject):
    """A submitted task, living in the GUI thread. Exactly one of finished/failed/cancelled
    is emitted, then ``done``."""

    finished = Signal(object)
    failed = Signal(object)  # the exception; its formatted traceback is in .traceback
    cancelled = Signal()
    progressed = Signal(float, str)
    partialResult = Signal(object)
    done = Signal()

    def __init__(self, key: str | None, description: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.description = description
        self.relay = _Relay()
        self.control = TaskControl(self.relay)
        self.traceback = ""
        self.result: Any = None
        self.error: BaseException | None = None
        self._finished = False
        self.relay.progressed.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self.relay.partial.connect(self._on_partial, Qt.ConnectionType.QueuedConnection)
        self.relay.result.connect(self._on_result, Qt.ConnectionType.QueuedConnection)
        self.relay.error.connect(self._on_error, Qt.ConnectionType.QueuedConnection)

    def cancel(self) -> None:
        """Ask the task to stop; its result, if it still arrives, is dropped."""
        self.control._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self.control.cancelled

    @property
    def is_done(self) -> bool:
        return self._finished

    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        if not self.is_cancelled and not self._finished:
            self.progressed.emit(fraction, message)

    @Slot(object)
    def _on_partial(self, value: object) -> None:
        if not self.is_cancelled and not self._finished:
            self.partialResult.emit(value)

    @Slot(object)
    def _on_result(self, value: object) -> None:
        if self._finished:
            return
        self._finished = True
        if self.is_cancelled:
            self.cancelled.emit()
        else:
            self.result = value
            self.finished.emit(value)
        self.done.emit()

    @Slot(object, str)
    def _on_error(self, exc: BaseException, formatted: str) -> None:
        if self._finished:
            return
        self._finished = True
        if self.is_cancelled or isinstance(exc, Cancelled):
            self.control._cancel.set()
            self.cancelled.emit()
        else:
            self.error = exc
            self.traceback = formatted
            self.failed.emit(exc)
        self.done.emit()


class _Runnable(QRunnable):
    def __init__(
        self,
        handle: TaskHandle,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        super().__init__()
        self.setAutoDelete(True)
        # keep plain references: the handle itself must only be touched in the GUI thread
        self._relay = handle.relay
        self._control = handle.control
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._description = handle.description

    def run(self) -> None:
        _local.control = self._control
        try:
            if self._control.cancelled:
                raise Cancelled("the task was cancelled before it started")
            # a wait deep in the core (another process's database write lock) ends on Cancel
            with cancellable_waits(self._control.was_cancelled):
                value = self._fn(*self._args, **self._kwargs)
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the GUI
            self._log_failure(exc)
            self._relay.error.emit(exc, traceback.format_exc())
        else:
            self._relay.result.emit(value)
        finally:
            _local.control = None

    def _log_failure(self, exc: BaseException) -> None:
        # a SignoffError is a message for the person (the page shows it); anything else is a
        # defect or an outage, and its traceback belongs in the log file
        name = self._description
        if isinstance(exc, Cancelled) or self._control.cancelled:
            log.debug("task %s stopped after cancellation: %r", name, exc)
        elif isinstance(exc, SignoffError):
            log.info("task %s: %s", name, exc)
        else:
            log.error("task %s failed", name, exc_info=exc)


class TaskRunner(QObject):
    """Runs tasks on a thread pool; one running task per key."""

    busyChanged = Signal(bool)
    taskFailed = Signal(object, object)  # (handle, exception): for a central error display

    def __init__(self, parent: QObject | None = None, max_threads: int | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        # at least 4: database reads mostly wait (I/O, locks), and one slow query must not
        # hold up the one a person is waiting for
        self.pool.setMaxThreadCount(
            max_threads or max(4, QThreadPool.globalInstance().maxThreadCount())
        )
        self._by_key: dict[str, TaskHandle] = {}
        self._live: set[TaskHandle] = set()

    def submit(
        self,
        fn: Callable[..., T],
        *args: Any,
        key: str | None = None,
        description: str = "",
        on_result: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[float, str], None] | None = None,
        priority: int = 0,
        **kwargs: Any,
    ) -> TaskHandle:
        """Run ``fn(*args, **kwargs)`` off the GUI thread and return its handle at once.

        A running task with the same *key* is cancelled first. The callbacks, if given, are
        called in the GUI thread. Higher *priority* tasks start first when threads are busy
        (what the person is waiting for, such as search results, goes ahead of dashboards).
        """
        if key is not None and (previous := self._by_key.get(key)) is not None:
            previous.cancel()
        handle = TaskHandle(key, description or getattr(fn, "__name__", "task"))
        if on_result is not None:
            handle.finished.connect(on_result)
        if on_error is not None:
            handle.failed.connect(on_error)
        if on_progress is not None:
            handle.progressed.connect(on_progress)
        handle.failed.connect(lambda exc, h=handle: self.taskFailed.emit(h, exc))
        handle.done.connect(lambda h=handle: self._forget(h))
        was_idle = not self._live
        self._live.add(handle)
        if key is not None:
            self._by_key[key] = handle
        self.pool.start(_Runnable(handle, fn, args, kwargs), priority)
        if was_idle:
            self.busyChanged.emit(True)
        return handle

    def cancel(self, key: str) -> None:
        """Cancel the running task with *key*, if any."""
        handle = self._by_key.get(key)
        if handle is not None:
            handle.cancel()

    def cancel_all(self) -> None:
        """Cancel every running task (when the registry changes or the window closes)."""
        for handle in list(self._live):
            handle.cancel()

    @property
    def active_count(self) -> int:
        return len(self._live)

    def wait_for_done(self, msecs: int = 5000) -> bool:
        """Block until the pool's threads are idle (shutdown and tests only)."""
        return self.pool.waitForDone(msecs)

    def shutdown(self, msecs: int = 3000) -> None:
        """Cancel everything and wait a bounded time for running threads to finish."""
        self.cancel_all()
        self.pool.waitForDone(msecs)

    def _forget(self, handle: TaskHandle) -> None:
        # a task may finish after its runner was destroyed (a closed window, a finished test):
        # the handle's queued "done" then has nobody to tell
        if not shiboken6.isValid(self):
            return
        self._live.discard(handle)
        if handle.key is not None and self._by_key.get(handle.key) is handle:
            del self._by_key[handle.key]
        if not self._live:
            self.busyChanged.emit(False)
