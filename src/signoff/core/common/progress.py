"""How long work tells its caller how far it is, and learns that it should stop.

Long work in the core (a render, an MLflow import, a run, a reproduction) takes the same two
keyword arguments, so the GUI's worker and the command line hand over the same callables:

* ``progress``: a :data:`ProgressCallback`, told a fraction done in [0, 1] and a message;
* ``cancelled``: a :data:`CancelCheck`, asked between steps; when it answers True the work
  stops at the next safe point, by raising :class:`~signoff.core.common.errors.Cancelled`
  (:func:`check_cancelled`) or, where a stopped run is itself a result worth recording (a
  reproduction, a scoring run), by returning that result.

Work made of named steps shown as a checklist (reproduce: resolve, verify, environment, run,
compare) also reports each step through an ``on_step`` :data:`StepCallback`.

These callables may be called from a worker thread; the GUI's worker relays them to its own.

Some waits happen deep below any function that takes ``cancelled`` (a write waiting for another
process's database lock). The thread running the work says how to notice a cancel for those
with :func:`cancellable_waits`; the waiting code asks :func:`waits_cancelled`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from signoff.core.common.errors import Cancelled

#: ``progress(fraction, message)``: *fraction* in [0, 1]; *message* a short status line.
ProgressCallback = Callable[[float, str], None]

#: ``cancelled()``: True once the person asked the work to stop.
CancelCheck = Callable[[], bool]

#: ``on_step(step, state, detail)``: *state* is ``running``, ``done`` or ``failed``.
StepCallback = Callable[[str, str, str], None]


def report_progress(progress: ProgressCallback | None, fraction: float, message: str) -> None:
    """Tell *progress*, if there is one, the *fraction* done (clamped to [0, 1])."""
    if progress is not None:
        progress(min(1.0, max(0.0, fraction)), message)


def check_cancelled(cancelled: CancelCheck | None, what: str = "the work") -> None:
    """Raise :class:`~signoff.core.common.errors.Cancelled` if *cancelled* says to stop."""
    if cancelled is not None and cancelled():
        raise Cancelled(f"{what} was cancelled")


_waits = threading.local()


@contextmanager
def cancellable_waits(cancelled: CancelCheck) -> Iterator[None]:
    """While the block runs on this thread, waits deep in the core stop once *cancelled()*."""
    previous = getattr(_waits, "check", None)
    _waits.check = cancelled
    try:
        yield
    finally:
        _waits.check = previous


def waits_cancelled() -> bool:
    """True when the work on this thread was cancelled (see :func:`cancellable_waits`)."""
    check = getattr(_waits, "check", None)
    return bool(check is not None and check())
