"""The application context every page and tab receives: registry, worker, signals, settings.

Pages never hold a database session. They ask the context to run a function in a worker
with a fresh session (:meth:`AppContext.read`), or with the registry for work that writes
(:meth:`AppContext.run`), and get the result back in the GUI thread. The context also watches
connection health: a failed query marks the connection lost (shown in the status bar) and a
periodic check reconnects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Concatenate, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from signoff.core.db.registry import Registry
from signoff.demo import is_complete as demo_is_complete
from signoff.ui.services.settings import Settings
from signoff.ui.services.theme import prefers_dark
from signoff.ui.services.worker import TaskHandle, TaskRunner

log = logging.getLogger(__name__)

T = TypeVar("T")  # what the function run in the worker returns


def _is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        message = str(exc).lower()
        return not ("database is locked" in message or "no such" in message)
    return isinstance(exc, ConnectionError)


class AppContext(QObject):
    """Shared state of one window: the open registry, the worker runner and app signals."""

    registryChanged = Signal()  # another registry was opened, or its data changed: reload
    versionChanged = Signal(str, int)  # a version's state/decisions/etc. changed
    openVersionRequested = Signal(str, int)
    openModelRequested = Signal(str)
    compareRequested = Signal(str, list)  # model, version numbers
    connectionChanged = Signal(bool, str)  # healthy?, message for the status bar
    statusMessage = Signal(str)
    actorChanged = Signal(str)  # the demo is looked at as another person now
    openVersionTabRequested = Signal(str, int, str)  # model, version, tab title
    openAreaRequested = Signal(str, str)  # area key, what to look for there (a subject...)

    def __init__(
        self,
        registry: Registry,
        settings: Settings | None = None,
        runner: TaskRunner | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._registry = registry
        self.settings = settings or Settings()
        self.runner = runner or TaskRunner(self)
        self.healthy = True
        self.health_message = ""
        self._known_actor = ""
        self._checking = False
        self._health_timer = QTimer(self)
        self._health_timer.setInterval(self.settings.get("connection/check_interval_ms"))
        self._health_timer.timeout.connect(self.check_connection)

    # -- the registry ---------------------------------------------------------------------
    @property
    def registry(self) -> Registry:
        return self._registry

    def prefers_dark(self) -> bool:
        """Whether pages should draw in dark colours (the theme setting, or the system's)."""
        return prefers_dark(self.settings.get("ui/theme"))

    @property
    def is_demo(self) -> bool:
        """True when the open registry is a demo registry (anyone may be acted as there)."""
        return is_demo_registry(self._registry)

    @property
    def actor(self) -> str:
        """Who acts now, as far as it is known without asking the database (on PostgreSQL the
        login once the window has asked for it in a worker; '' before)."""
        if self._registry.is_embedded:
            return self._registry.actor
        return self._known_actor

    def note_actor(self, login: str) -> None:
        """Remember the acting login a worker found (the database login on PostgreSQL)."""
        self._known_actor = login

    def act_as(self, login: str) -> None:
        """In the demo, act as *login* from now on; every page reloads as that person sees it.

        Only the embedded database lets the acting person be chosen
        (:meth:`Registry.set_actor_for_embedded`); a shared registry always acts as the
        database login, and refuses.
        """
        self._registry.set_actor_for_embedded(login)
        if self.is_demo:
            self.settings.set("demo/actor", login)
        self.actorChanged.emit(login)
        self.registryChanged.emit()

    def set_registry(self, registry: Registry) -> None:
        """Switch to another open registry without restarting; every page reloads."""
        old = self._registry
        self.runner.cancel_all()
        self._registry = registry
        self._known_actor = ""
        self.settings.remember_registry(registry.location.db_url, str(registry.location.artifacts))
        self._set_health(True, "")
        self.registryChanged.emit()
        if old is not registry:
            # running workers may still use the old engine: dispose of it later, in a worker
            QTimer.singleShot(5000, self, lambda: self.runner.submit(old.close))

    # -- running work ---------------------------------------------------------------------
    def read(
        self,
        fn: Callable[Concatenate[Session, ...], T],
        *args: Any,
        key: str | None = None,
        on_result: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        priority: int = 0,
        **kwargs: Any,
    ) -> TaskHandle:
        """Run ``fn(session, *args, **kwargs)`` in a worker inside ``registry.read()``."""
        return self._submit(_in_read, fn, args, kwargs, key, on_result, on_error, priority)

    def run(
        self,
        fn: Callable[Concatenate[Registry, ...], T],
        *args: Any,
        key: str | None = None,
        on_result: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        priority: int = 0,
        **kwargs: Any,
    ) -> TaskHandle:
        """Run ``fn(registry, *args, **kwargs)`` in a worker (store reads, publishing)."""
        return self._submit(_with_registry, fn, args, kwargs, key, on_result, on_error, priority)

    def _submit(
        self,
        wrapper: Callable[[Registry, Callable[..., T], tuple[Any, ...], dict[str, Any]], T],
        fn: Callable[..., T],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        key: str | None,
        on_result: Callable[[T], None] | None,
        on_error: Callable[[BaseException], None] | None,
        priority: int,
    ) -> TaskHandle:
        handle = self.runner.submit(
            wrapper,
            self._registry,
            fn,
            args,
            kwargs,
            key=key,
            description=getattr(fn, "__name__", "query"),
            priority=priority,
        )
        handle.finished.connect(self._note_success)
        handle.failed.connect(self._note_failure)
        if on_result is not None:
            handle.finished.connect(on_result)
        if on_error is not None:
            handle.failed.connect(on_error)
        return handle

    # -- connection health ----------------------------------------------------------------
    def start_health_checks(self) -> None:
        """Check the connection periodically (the main window calls this); every query in
        between also reports a lost connection at once."""
        self._health_timer.start()

    def check_connection(self) -> None:
        """Ping the database in a worker; update health and reload pages after recovery."""
        if self._checking:
            return
        self._checking = True
        handle = self.runner.submit(_ping, self._registry, key="connection-check")
        handle.finished.connect(lambda _v: self._after_ping(True, ""))
        handle.failed.connect(lambda exc: self._after_ping(False, _describe(exc)))
        handle.cancelled.connect(lambda: setattr(self, "_checking", False))

    def _after_ping(self, ok: bool, message: str) -> None:
        self._checking = False
        was_healthy = self.healthy
        self._set_health(ok, message)
        if ok and not was_healthy:
            log.info("database connection recovered")
            self.statusMessage.emit("Database connection recovered")
            self.registryChanged.emit()

    def _note_success(self, _value: object) -> None:
        if not self.healthy:
            self._after_ping(True, "")

    def _note_failure(self, exc: BaseException) -> None:
        if _is_connection_error(exc):
            log.warning("database connection lost: %s", exc)
            self._set_health(False, _describe(exc))

    def _set_health(self, ok: bool, message: str) -> None:
        changed = ok != self.healthy or message != self.health_message
        self.healthy, self.health_message = ok, message
        if changed:
            self.connectionChanged.emit(ok, message)

    def shutdown(self) -> None:
        """Stop timers and background work (window closing)."""
        self._health_timer.stop()
        self.runner.shutdown()


def is_demo_registry(registry: Registry) -> bool:
    """True for an embedded registry whose folder holds a complete demo build."""
    if not registry.is_embedded:
        return False
    url = make_url(registry.location.db_url)
    database = url.database or ""
    if not database or database == ":memory:":
        return False
    return demo_is_complete(Path(database).parent)


def _in_read(
    registry: Registry, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> T:
    with registry.read() as session:
        return fn(session, *args, **kwargs)


def _with_registry(
    registry: Registry, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> T:
    return fn(registry, *args, **kwargs)


def _ping(registry: Registry) -> bool:
    with registry.read() as session:
        _ping_session(session)
    return True


def _ping_session(session: Session) -> None:
    session.execute(text("SELECT 1")).scalar_one()


def _describe(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text_ = str(orig or exc).strip().splitlines()
    return text_[0] if text_ else type(exc).__name__
