"""Deadlines a slow or endless MLflow server cannot outlast, and the limits of one import.

``requests``' timeout bounds the wait for each next byte, not a whole answer: a server that
sends one byte every second keeps a request alive forever, and one whose ``next_page_token``
never ends keeps an import alive forever. So every request runs under a :class:`RequestWatch`
with a deadline (the per-request deadline, or the import's own if that comes first):

* while an answer streams in, the elapsed time is checked between chunks;
* a watchdog timer shuts the request's socket down when the deadline passes, so that even a
  read blocked inside the HTTP library (headers dripping in, one large chunk never completed)
  returns at once;
* the request then fails with :class:`~signoff.core.importers.mlflow.errors.DeadlineError`,
  which is never retried.

:class:`ImportLimits` also caps how many pages a list may have and how deep and wide an
artifact listing may go.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from signoff.core.importers.mlflow.errors import (
    ImportDeadlineError,
    RequestDeadlineError,
)

_local = threading.local()


@dataclass(frozen=True)
class ImportLimits:
    """How long and how far one import may go before Signoff stops it.

    *request_deadline_s* bounds one request from sending it to the last byte of its answer;
    *import_deadline_s* the whole import (None: no limit). *max_pages* caps one paged list,
    *max_listing_depth* how many folders deep an artifact listing goes, *max_listing_folders*
    how many folders one version's listing may hold, *max_json_depth* how deeply an answer
    nests.
    """

    request_deadline_s: float = 300.0
    import_deadline_s: float | None = 4 * 3600.0
    max_pages: int = 1000
    max_listing_depth: int = 32
    max_listing_folders: int = 10_000
    max_json_depth: int = 64


class Deadline:
    """A moment on the monotonic clock, *seconds* from when it was made."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left (0 once it has passed)."""
        return max(0.0, self.end - time.monotonic())

    def passed(self) -> bool:
        return time.monotonic() >= self.end


class RequestWatch:
    """One request's deadline: checked while streaming, enforced by a watchdog timer."""

    def __init__(self, what: str, request_s: float, overall: Deadline | None) -> None:
        self.what = what
        self.request = Deadline(request_s)
        self.overall = overall
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        wait = self.request.remaining()
        if overall is not None:
            wait = min(wait, overall.remaining())
        self._timer = threading.Timer(wait, self._fire)
        self._timer.daemon = True

    def _by_import(self) -> bool:
        return self.overall is not None and self.overall.end <= self.request.end

    def error(self) -> RequestDeadlineError | ImportDeadlineError:
        """The error saying which deadline passed."""
        if self._by_import():
            assert self.overall is not None
            return ImportDeadlineError(
                f"the import ran past its deadline of {self.overall.seconds:g} s while "
                f"reading {self.what} (raise it with --deadline)"
            )
        return RequestDeadlineError(
            f"the server took more than {self.request.seconds:g} s to send {self.what} "
            "(the deadline for one request, --request-deadline); it may be overloaded, or "
            "sending its answer a byte at a time"
        )

    def check(self) -> None:
        """Raise the deadline's error once it has passed (call between chunks)."""
        if self.fired or self.request.passed() or (self.overall and self.overall.passed()):
            self.fired = True
            raise self.error()

    def raise_if_fired(self) -> None:
        """After a broken connection: raise the deadline's error if the watchdog broke it."""
        if self.fired:
            raise self.error()

    def add(self, connection: HTTPConnection) -> None:
        """Watch the socket *connection* sent the request on (kept: the connection lets go of
        it when the answer is to be read until the server closes)."""
        sock = getattr(connection, "sock", None)
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            if self.fired:
                _shut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    # the plain socket's shutdown, also for TLS: it wakes a blocked read in the other thread
    # without touching the TLS object that thread is using
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


@contextmanager
def watching(watch: RequestWatch) -> Iterator[RequestWatch]:
    """Run a request under *watch*: connections it uses are shut when its deadline passes."""
    previous = getattr(_local, "watch", None)
    _local.watch = watch
    watch._timer.start()
    try:
        yield watch
    finally:
        watch._timer.cancel()
        _local.watch = previous


def _note_connection(connection: HTTPConnection) -> None:
    watch = getattr(_local, "watch", None)
    if watch is not None:
        watch.add(connection)


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().request(*args, **kwargs)
        finally:  # connected now (or it failed): from here the answer is awaited
            _note_connection(self)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().request(*args, **kwargs)
        finally:
            _note_connection(self)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }


def watch_session(session: requests.Session) -> requests.Session:
    """*session*, with its HTTP(S) connections watched by the :class:`RequestWatch` in force."""
    session.mount("http://", _WatchedAdapter())
    session.mount("https://", _WatchedAdapter())
    return session


def shape_problem(data: Any, max_depth: int) -> str | None:
    """Why decoded JSON *data* is unusable (nested deeper than *max_depth*, text holding
    unpaired surrogates that cannot be stored), or None."""
    pending: list[tuple[Any, int]] = [(data, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > max_depth:
            return f"it is nested more than {max_depth} deep"
        if isinstance(item, dict):
            for key, value in item.items():
                if _has_surrogate(key):
                    return "it holds text that is not valid Unicode (an unpaired surrogate)"
                pending.append((value, depth + 1))
        elif isinstance(item, list):
            pending.extend((value, depth + 1) for value in item)
        elif isinstance(item, str) and _has_surrogate(item):
            return "it holds text that is not valid Unicode (an unpaired surrogate)"
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
