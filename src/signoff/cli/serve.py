"""``signoff serve``: the team's headless service; ``signoff serve --status`` reports on it.

Runs, on one or more machines of the team, the monitoring schedule, alert fan-out and delivery
of the outbox (webhooks and e-mail), and answers acknowledgement links and ``/health`` over
HTTP. Every piece of work is leased in the database, so instances may run side by side.
Exit codes: 0 stopped cleanly (or, with --status, at least one instance alive), 1 no instance
alive (--status), 2 could not start.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from types import FrameType

from sqlalchemy.orm import Session

from signoff.cli.common import print_json, registry_from_args
from signoff.core.catalog.lookup import get_model
from signoff.core.common.errors import SignoffError
from signoff.core.db.registry import Registry
from signoff.core.governance.people import require_admin
from signoff.core.governance.workflow import in_write
from signoff.core.service.cycle import (
    ServiceOptions,
    heartbeat,
    instance_name,
    run_cycle,
    service_status,
    stopped,
)
from signoff.core.service.schedule import set_schedule

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``signoff serve`` to the command line."""
    p = sub.add_parser(
        "serve", help="run the team's service: monitoring schedule, alerts, delivery, ack links"
    )
    p.add_argument(
        "--interval", type=float, default=30.0, metavar="SECONDS", help="seconds between cycles"
    )
    p.add_argument(
        "--monitor-every",
        type=float,
        metavar="SECONDS",
        help="judge every live model this often (default: each model's [monitoring] "
        "check_every_hours, else daily)",
    )
    p.add_argument(
        "--lease",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="how long work taken by an instance that died stays taken (default 300)",
    )
    p.add_argument(
        "--remind-every-days",
        type=float,
        default=7.0,
        metavar="DAYS",
        help="remind consumers that have not acknowledged a do-not-use notice (default 7)",
    )
    p.add_argument(
        "--review-overdue-days",
        type=float,
        default=14.0,
        metavar="DAYS",
        help="alert the reviewers of a review waiting longer (default 14)",
    )
    p.add_argument(
        "--listen",
        default="127.0.0.1:8750",
        metavar="HOST:PORT",
        help="where acknowledgement links and /health are answered (default 127.0.0.1:8750)",
    )
    p.add_argument("--no-http", action="store_true", help="answer no HTTP at all")
    p.add_argument("--once", action="store_true", help="run one cycle and stop")
    p.add_argument("--status", action="store_true", help="report on the running instances")
    p.add_argument(
        "--schedule",
        nargs=2,
        metavar=("MODEL", "CRON"),
        help="admins: judge MODEL on this cron schedule (UTC), e.g. '0 6 * * 1'; '-' removes it",
    )
    p.add_argument("--json", action="store_true", help="machine-readable --status")
    p.set_defaults(handler=cmd_serve)


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise SignoffError(f"--listen {text!r}: give HOST:PORT, for example 127.0.0.1:8750")
    return host, int(port)


def _check(args: argparse.Namespace) -> None:
    for name in ("interval", "lease", "monitor_every", "remind_every_days", "review_overdue_days"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            raise SignoffError(f"--{name.replace('_', '-')} must be a positive number")


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the service until SIGTERM/SIGINT (or one cycle with --once)."""
    _check(args)
    listen = None if args.no_http else _listen(args.listen)
    registry = registry_from_args(args)
    if args.status:
        return _status(registry, args.json)
    if args.schedule:
        return _set_schedule(registry, *args.schedule)
    options = ServiceOptions(
        monitor_every=args.monitor_every,
        lease_seconds=args.lease,
        remind_every_days=args.remind_every_days,
        review_overdue_days=args.review_overdue_days,
    )
    instance = instance_name()
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("serve: signal %d, stopping after this cycle", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    http = None
    if listen is not None:
        from signoff.core.service.http import ServiceHTTP

        try:
            http = ServiceHTTP(registry, listen[0], listen[1], lambda: service_status(registry))
        except OSError as exc:
            raise SignoffError(f"cannot listen on {args.listen}: {exc.strerror or exc}") from exc
        http.start()
    heartbeat(registry, instance)
    where = f" on http://{listen[0]}:{http.port}" if http is not None and listen else ""
    print(f"signoff serve: {instance} running{where}", flush=True)
    try:
        while not stop.is_set():
            report = run_cycle(registry, instance, options)
            if (
                report.monitored
                or report.alerts
                or report.reminders
                or report.delivered
                or report.errors
            ):
                print(
                    f"cycle: monitored {len(report.monitored)}, stale {len(report.stale)}, "
                    f"alerts {report.alerts}, reminders {report.reminders}, "
                    f"delivered {report.delivered}, "
                    f"retrying {report.retrying}, failed {report.failed}"
                    + (f"; errors: {'; '.join(report.errors)}" if report.errors else ""),
                    flush=True,
                )
            if args.once:
                break
            stop.wait(args.interval)
    finally:
        if http is not None:
            http.stop()
        stopped(registry, instance)
    print(f"signoff serve: {instance} stopped", flush=True)
    return 0


def _set_schedule(registry: Registry, model: str, cron: str) -> int:
    def work(session: Session) -> None:
        require_admin(session, registry.actor)
        get_model(session, model)
        set_schedule(session, model, None if cron == "-" else cron, actor=registry.actor)

    in_write(registry, work)
    print(f"{model}: " + ("no cron schedule" if cron == "-" else f"judged on '{cron}' (UTC)"))
    return 0


def _status(registry: object, as_json: bool) -> int:
    status = service_status(registry)  # type: ignore[arg-type]
    alive = [i for i in status["instances"] if i["alive"]]
    if as_json:
        print_json(status)
        return 0 if alive else 1
    print(f"instances alive: {len(alive)}; messages waiting: {status['pending_messages']}")
    for i in status["instances"]:
        state = "alive" if i["alive"] else ("stopped" if i["stopped_at"] else "silent")
        print(f"  {i['instance']}  {state}  last heartbeat {i['heartbeat_at']}  ({i['login']})")
    for j in status["jobs"]:
        held = f"  held by {j['held_by']}" if j["held_by"] else ""
        print(
            f"  job {j['name']}: last run {j['last_run_at'] or 'never'}: {j['last_result']}{held}"
        )
    return 0 if alive else 1
