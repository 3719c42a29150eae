"""Retrying with backoff: exact waits, jitter within bounds, limits by attempts and deadline."""

from __future__ import annotations

import math

import pytest
from sqlalchemy.exc import OperationalError

from signoff.core.common.retry import Backoff, retry_call
from signoff.core.db.registry import is_serialization_failure, retrying


class Flaky:
    """Work that fails with *errors* in turn, then returns "done"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


class Transient(Exception):
    pass


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, Transient)


def test_backoff_grows_by_its_factor_up_to_the_ceiling() -> None:
    backoff = Backoff(first_s=0.5, factor=3.0, max_s=10.0)
    assert [backoff.delay(n) for n in range(1, 6)] == [0.5, 1.5, 4.5, 10.0, 10.0]
    assert Backoff(first_s=0.04).delay(4) == pytest.approx(0.32)


def test_backoff_without_a_ceiling_does_not_overflow() -> None:
    assert Backoff(first_s=1.0, max_s=60.0).delay(5000) == 60.0
    assert Backoff(first_s=1.0).delay(5000) == math.inf


def test_jitter_takes_off_at_most_its_fraction() -> None:
    backoff = Backoff(first_s=2.0, jitter=0.5)
    assert backoff.delay(1, rand=lambda: 0.0) == 2.0
    assert backoff.delay(1, rand=lambda: 0.999999) == pytest.approx(1.0, abs=1e-5)
    waits = {backoff.delay(3) for _ in range(50)}
    assert all(4.0 <= w <= 8.0 for w in waits) and len(waits) > 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"first_s": -1.0},
        {"first_s": 1.0, "factor": 0.5},
        {"first_s": 1.0, "max_s": -1.0},
        {"first_s": 1.0, "jitter": 1.5},
        {"first_s": float("nan")},
    ],
)
def test_a_nonsensical_backoff_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="backoff"):
        Backoff(**kwargs)


def test_retryable_errors_are_retried_with_the_backoff_waits() -> None:
    work, slept, told = Flaky(Transient("one"), Transient("two")), [], []
    result = retry_call(
        work,
        retryable=is_transient,
        backoff=Backoff(first_s=0.1, factor=2.0),
        attempts=5,
        on_retry=lambda exc, failures, wait: told.append((str(exc), failures, wait)),
        sleep=slept.append,
    )
    assert result == "done" and work.calls == 3
    assert slept == [0.1, 0.2]
    assert told == [("one", 1, 0.1), ("two", 2, 0.2)]


def test_an_error_that_is_not_retryable_is_raised_at_once() -> None:
    work, slept = Flaky(KeyError("no such thing")), []
    with pytest.raises(KeyError):
        retry_call(
            work, retryable=is_transient, backoff=Backoff(0.1), attempts=5, sleep=slept.append
        )
    assert work.calls == 1 and slept == []


def test_the_last_error_is_raised_when_the_attempts_run_out() -> None:
    work, slept = Flaky(*(Transient(f"failure {n}") for n in range(1, 10))), []
    with pytest.raises(Transient, match="failure 3"):
        retry_call(
            work, retryable=is_transient, backoff=Backoff(0.1), attempts=3, sleep=slept.append
        )
    assert work.calls == 3 and len(slept) == 2


def test_a_deadline_stops_before_a_wait_that_would_pass_it() -> None:
    now = [100.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    work = Flaky(*(Transient(f"failure {n}") for n in range(1, 10)))
    with pytest.raises(Transient, match="failure 3"):
        retry_call(
            work,
            retryable=is_transient,
            backoff=Backoff(first_s=1.0, factor=2.0),
            deadline_s=5.0,
            sleep=sleep,
            clock=lambda: now[0],
        )
    # waits of 1 s and 2 s fit in 5 s; the third (4 s) would end at 107 s, past 105 s
    assert work.calls == 3 and now[0] == 103.0


@pytest.mark.parametrize("limits", [{}, {"attempts": 0}])
def test_retry_call_needs_a_limit(limits: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="attempt"):
        retry_call(Flaky(), retryable=is_transient, backoff=Backoff(0.1), **limits)


def _operational(message: str, sqlstate: str | None = None) -> OperationalError:
    orig = Exception(message)
    orig.sqlstate = sqlstate  # type: ignore[attr-defined]  # as psycopg's errors carry it
    return OperationalError("UPDATE versions ...", {}, orig)


def test_serialization_failures_are_recognised() -> None:
    assert is_serialization_failure(_operational("could not serialize access", "40001"))
    assert is_serialization_failure(_operational("deadlock detected", "40P01"))
    assert is_serialization_failure(_operational("database is locked"))
    assert not is_serialization_failure(_operational("server closed the connection", "08006"))


def test_the_registry_retries_serialization_failures_a_bounded_number_of_times() -> None:
    slept: list[float] = []
    work = Flaky(_operational("could not serialize access", "40001"))
    assert retrying(work, sleep=slept.append) == "done"
    assert work.calls == 2 and len(slept) == 1 and 0.02 <= slept[0] <= 0.04

    work = Flaky(*(_operational("could not serialize access", "40001") for _ in range(9)))
    with pytest.raises(OperationalError):
        retrying(work, attempts=3, sleep=slept.append)
    assert work.calls == 3

    work = Flaky(_operational("server closed the connection", "08006"))
    with pytest.raises(OperationalError, match="server closed"):
        retrying(work, sleep=slept.append)
    assert work.calls == 1
