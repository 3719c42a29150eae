"""The clock every render runs against: progress, cancellation and the time budget in one place.

A render calls :meth:`RenderClock.tick` between bounded steps (an output, a block of Markdown,
a formula, a batch of tags). Each tick checks the time budget and, every 0.1 s or 5 % of the
way, calls the caller's ``progress`` callback — the GUI's worker raises its cancellation
exception from there, so a cancelled render stops within a fraction of a second instead of at
the end of a batch.
"""

from __future__ import annotations

import time

from signoff.core.common.errors import Cancelled
from signoff.core.render.document import CancelCheck, Limits, ProgressCallback, TooLargeToShow

PROGRESS_INTERVAL = 0.1  # seconds between progress calls (the GUI need not see more)


class RenderClock:
    """Time budget, progress reporting and the cancellation point of one render."""

    def __init__(
        self,
        limits: Limits,
        progress: ProgressCallback | None = None,
        cancelled: CancelCheck | None = None,
    ) -> None:
        self.limits = limits
        self.progress = progress
        self.cancelled = cancelled
        self.started = time.monotonic()
        self.deadline = self.started + limits.max_seconds
        self.fraction = 0.0
        self.message = ""
        self._next_report = 0.0
        self._reported = -1.0

    def elapsed(self) -> float:
        """Seconds since the render started."""
        return time.monotonic() - self.started

    def tick(self, fraction: float | None = None, message: str | None = None) -> None:
        """A cancellation point: raise :class:`TooLargeToShow` past the time budget, and let
        the caller's progress callback (which may raise to cancel) see where the render is."""
        if self.cancelled is not None and self.cancelled():
            raise Cancelled("the render was cancelled")
        now = time.monotonic()
        if fraction is not None:
            self.fraction = max(self.fraction, min(1.0, fraction))
        if message is not None:
            self.message = message
        if now > self.deadline:
            where = self.message[:1].lower() + self.message[1:] or "rendering"
            raise TooLargeToShow(
                f"rendering took longer than the {self.limits.max_seconds:.0f} s limit "
                f"(stopped while {where})"
            )
        due = now >= self._next_report or self.fraction >= self._reported + 0.05
        if self.progress is not None and due:
            self._next_report = now + PROGRESS_INTERVAL
            self._reported = self.fraction
            self.progress(self.fraction, self.message)

    def report(self, fraction: float, message: str) -> None:
        """Report a milestone now (always passed on to the progress callback)."""
        self._next_report = 0.0
        self.tick(fraction, message)

    def finish(self, message: str) -> None:
        """Report completion (or the end of an abandoned render) whatever the time."""
        if self.progress is not None:
            self.progress(1.0, message)
