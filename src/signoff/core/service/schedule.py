"""Monitoring schedules as cron expressions kept in the registry.

By default ``signoff serve`` judges each live model every ``[monitoring] check_every_hours``
(daily). An admin may instead give a model a cron expression, for example ``0 6 * * 1``
(Mondays at 06:00 UTC). The five fields are minute, hour, day of the month, month and day of
the week (0 or 7 is Sunday). Each field takes ``*``, a number, a range ``a-b``, a list
``a,b`` and a step ``*/n`` or ``a-b/n``. When both day fields are restricted, a day matching
either one counts, as in cron. The schedules are the registry setting ``monitoring_schedule``
(model name → expression). Each change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.common.errors import SignoffError
from signoff.core.db.schema import Setting

SETTING_KEY = "monitoring_schedule"
_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7))


class ScheduleError(SignoffError):
    """A cron expression that cannot be read (the words say which field and why)."""


def _field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if base == "*":
                start, end = low, high
            elif "-" in base:
                a, b = base.split("-", 1)
                start, end = int(a), int(b)
            else:
                start = end = int(base)
        except ValueError as exc:
            raise ScheduleError(f"cron {name} field {text!r}: not a number, range or step") from exc
        if step < 1 or not low <= start <= end <= high:
            raise ScheduleError(f"cron {name} field {text!r}: must lie within {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronSchedule:
    """A parsed cron expression."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    def _day_matches(self, at: datetime) -> bool:
        weekday = (at.weekday() + 1) % 7  # Python: Monday 0; cron: Sunday 0
        by_day, by_weekday = at.day in self.days, weekday in self.weekdays
        if self.any_day or self.any_weekday:
            return by_day and by_weekday
        return by_day or by_weekday

    def next_after(self, after: datetime) -> datetime:
        """The first minute strictly after *after* that the schedule fires at."""
        at = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for _ in range(100_000):  # at most a few thousand steps for any valid schedule
            if at.month not in self.months:
                at = (at.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
            elif not self._day_matches(at):
                at = at.replace(hour=0, minute=0) + timedelta(days=1)
            elif at.hour not in self.hours:
                at = at.replace(minute=0) + timedelta(hours=1)
            elif at.minute not in self.minutes:
                at += timedelta(minutes=1)
            else:
                return at
        raise ScheduleError(f"cron {self.expression!r} never fires")

    def due(self, last_run: datetime | None, now: datetime) -> bool:
        """Whether the schedule fired since *last_run* (always, when it never ran)."""
        return last_run is None or self.next_after(last_run) <= now


def parse_cron(expression: str) -> CronSchedule:
    """Parse a five-field cron expression; ScheduleError naming the bad field."""
    parts = expression.split()
    if len(parts) != 5:
        raise ScheduleError(
            f"cron {expression!r}: give five fields (minute hour day month weekday), "
            "for example '0 6 * * 1'"
        )
    sets = [_field(p, n, lo, hi) for p, (n, lo, hi) in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(0 if d == 7 else d for d in sets[4])
    schedule = CronSchedule(
        " ".join(parts), sets[0], sets[1], sets[2], sets[3], weekdays,
        parts[2] == "*", parts[4] == "*",
    )  # fmt: skip
    schedule.next_after(datetime(2000, 1, 1))  # "31 2 …" (31 February) never fires
    return schedule


def schedules(session: Session) -> dict[str, CronSchedule]:
    """Every model's cron schedule (model name → schedule)."""
    row = session.get(Setting, SETTING_KEY)
    stored = dict(row.value) if row is not None else {}
    return {name: parse_cron(expr) for name, expr in stored.items()}


def set_schedule(session: Session, model: str, expression: str | None, *, actor: str) -> None:
    """Give *model* a cron schedule (None removes it); audited. The caller checks the actor
    is an admin."""
    if expression is not None:
        expression = parse_cron(expression).expression
    row = session.get(Setting, SETTING_KEY)
    stored = dict(row.value) if row is not None else {}
    before = stored.get(model)
    if expression is None:
        stored.pop(model, None)
    else:
        stored[model] = expression
    if row is None:
        session.add(Setting(key=SETTING_KEY, value=stored))
    else:
        row.value = stored
    session.flush()
    append_event(
        session,
        actor=actor,
        action=events.MONITORING_SCHEDULE_CHANGED,
        entity_type="model",
        entity_id=model,
        payload={"model": model, "from": before, "to": expression},
    )
