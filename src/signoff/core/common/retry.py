"""Trying again after a passing failure: exponential backoff with jitter, and a bounded loop.

Three parts of the core wait and try again: a write transaction that PostgreSQL aborted with a
serialization failure (SQLSTATE 40001), an MLflow server that answered 5xx or dropped the
connection, and the outbox's webhook deliveries. They share :class:`Backoff` for how long to
wait. The first two also share :func:`retry_call`, which runs the work and sleeps between
attempts. The outbox does not sleep: it stores the time of the next attempt and a later
``deliver_due`` picks it up.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

#: ``on_retry(error, failures, delay_s)``: told before each wait, to log it.
RetryObserver = Callable[[BaseException, int, float], None]


@dataclass(frozen=True)
class Backoff:
    """How long to wait after each consecutive failure.

    The first wait is *first_s*. Each later wait is *factor* times the one before, up to
    *max_s*. *jitter* (0 to 1) takes up to that fraction off each wait at random, so that
    clients that failed together do not all try again at the same moment.
    """

    first_s: float
    factor: float = 2.0
    max_s: float = math.inf
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if not self.first_s >= 0 or not self.factor >= 1 or not self.max_s >= 0:
            raise ValueError(
                f"backoff needs first_s >= 0, factor >= 1 and max_s >= 0; got {self!r}"
            )
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"backoff jitter must be between 0 and 1, got {self.jitter!r}")

    def delay(self, failures: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after the *failures*-th consecutive failure (counted from 1).

        Without jitter the answer is exact: ``min(max_s, first_s * factor ** (failures - 1))``.
        *rand* (a number in [0, 1)) is there so that tests can choose the jitter.
        """
        try:
            wait = min(self.max_s, self.first_s * self.factor ** max(0, failures - 1))
        except OverflowError:  # factor ** failures beyond a float: the ceiling applies
            wait = self.max_s
        if self.jitter:
            wait *= 1.0 - self.jitter * rand()
        return wait


def retry_call(
    work: Callable[[], T],
    *,
    retryable: Callable[[BaseException], bool],
    backoff: Backoff,
    attempts: int | None = None,
    deadline_s: float | None = None,
    on_retry: RetryObserver | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Return what *work* returns, calling it again after each error *retryable* accepts.

    An error that *retryable* refuses is raised at once. The last error is raised when *work*
    has been called *attempts* times, or when the next wait would end more than *deadline_s*
    seconds after the first call. At least one of the two limits must be given. *sleep* and
    *clock* are there so that tests run without waiting.
    """
    if attempts is None and deadline_s is None:
        raise ValueError("retry_call needs a number of attempts or a deadline")
    if attempts is not None and attempts < 1:
        raise ValueError(f"retry_call needs at least one attempt, got {attempts}")
    deadline = None if deadline_s is None else clock() + deadline_s
    failures = 0
    while True:
        try:
            return work()
        except Exception as exc:
            failures += 1
            if not retryable(exc) or (attempts is not None and failures >= attempts):
                raise
            wait = backoff.delay(failures)
            if deadline is not None and clock() + wait > deadline:
                raise
            if on_retry is not None:
                on_retry(exc, failures, wait)
            sleep(wait)
