"""The ``signoff`` command: opens the desktop application, or runs a subcommand headless.

Each group of subcommands lives in its own module exposing ``register(subparsers)``; a
subcommand's handler takes the parsed arguments and returns the exit code
(0 success, 1 a negative verdict such as "differs", 2 bad input or could not run).

:func:`main` is the one place where exceptions become messages: a :class:`SignoffError` is
the person's problem and gets its message (exit 2); anything else is Signoff's problem and
gets one line naming the log file that holds the traceback (exit 70, EX_SOFTWARE).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from signoff import __version__
from signoff.cli.commands import ALL_MODULES, modules_for
from signoff.core.common.collector import collector_paused
from signoff.core.common.errors import SignoffError
from signoff.core.common.logs import TERMINAL, setup_logging, teardown_logging

log = logging.getLogger(__name__)

EXIT_BAD_INPUT = 2
EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE in sysexits.h
EXIT_INTERRUPTED = 130

COMMAND_MODULES = ALL_MODULES  # in registration order; casefile adds to audit's group


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``signoff`` parser: every command, or with *argv* only what parsing *argv* needs.

    Given the command line, only the module of the command it names is imported (see
    :mod:`signoff.cli.commands`); the result parses that command line exactly as the full parser
    does, ``--help`` included.
    """
    parser = argparse.ArgumentParser(
        prog="signoff",
        description="Model governance workstation. Without a subcommand, opens the application.",
    )
    parser.add_argument("--version", action="version", version=f"signoff {__version__}")
    parser.add_argument(
        "--home",
        help="registry home folder (SQLite file + artifacts); "
        "default $SIGNOFF_HOME or the user data folder",
    )
    parser.add_argument(
        "--db", help="database URL (sqlite:///FILE or postgresql://…); default $SIGNOFF_DB"
    )
    parser.add_argument(
        "--artifacts",
        help="artifact store: a folder (default HOME/artifacts) or s3://bucket/prefix "
        "(credentials from the AWS configuration); default $SIGNOFF_ARTIFACTS",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="open the registry read-only (as happens by itself on read-only media): "
        "browse, verify and export; every change is refused",
    )
    parser.add_argument(
        "--demo", action="store_true", help="open the demo registry (created on first use)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation offscreen on a temporary demo registry "
        "(or on the registry --home/--db name, read only)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES if argv is None else modules_for(argv):
        importlib.import_module(f"signoff.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``signoff`` console script: run the command, return the exit code.

    No exception escapes: bad input is a message and exit 2, Ctrl+C exit 130, a closed
    stdout (``signoff ls | head -1``) a quiet exit, and any other error one line on stderr,
    its traceback in the log file (and on stderr too with ``-v``), exit 70.
    """
    own_command_line = argv is None
    if argv is None:
        argv = sys.argv[1:]
    # importing SQLAlchemy and mapping the schema make some 400,000 objects that live as long
    # as the process yet set off ~150 collections (a fifth of `signoff ls`); in a process of
    # its own they are then frozen out of the collector's sight
    with collector_paused(freeze=own_command_line):
        parser = build_parser(argv)
    args = parser.parse_args(argv)
    log_file = setup_logging(verbose=args.verbose)
    try:
        code = _run(args)
        # flush here, not at interpreter exit, so a reader that went away is noticed below
        sys.stdout.flush()
        return code
    except SignoffError as exc:
        print(f"signoff: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError as exc:
        if not _stdout_closed():
            return _internal_error(exc, args, log_file)
        # the reader has what it wanted; point stdout at devnull so that the interpreter's
        # own flush at exit does not fail again (as the Python docs advise for SIGPIPE)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 0
    except Exception as exc:  # noqa: BLE001 - the one place that turns them into a message
        return _internal_error(exc, args, log_file)
    finally:
        from signoff.cli.common import close_opened_registries

        close_opened_registries()
        # main() may run more than once in one process (tests, an embedding script)
        teardown_logging()


def _run(args: argparse.Namespace) -> int:
    if args.self_test:
        from signoff.selftest import run_self_test

        return run_self_test(home=args.home, db=args.db, artifacts=args.artifacts)
    if args.command is None:
        from signoff.cli.gui import open_gui

        return open_gui(args)
    return int(args.handler(args) or 0)


def _stdout_closed() -> bool:
    """Whether stdout is a pipe whose reader has gone (not some other pipe that broke).

    A pipe without readers polls as an error; where poll does not exist (Windows) the
    common case, stdout, is assumed.
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    import select

    if not hasattr(select, "poll"):
        return True
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _fd, events in poller.poll(0))


def _internal_error(exc: BaseException, args: argparse.Namespace, log_file: Path | None) -> int:
    command = args.command or ("--self-test" if args.self_test else "gui")
    log.error("internal error in %s", command, exc_info=exc, extra={TERMINAL: False})
    summary = str(exc).strip().splitlines()
    what = f"{type(exc).__name__}: {summary[0]}" if summary else type(exc).__name__
    if args.verbose:
        traceback.print_exception(exc, file=sys.stderr)
    where = f"details in {log_file}" if log_file else "run with -v for details"
    print(f"signoff: internal error: {what} ({where})", file=sys.stderr)
    return EXIT_INTERNAL_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
