"""Where Signoff writes its log, and how the command line and the desktop application set it up.

Every module logs to ``logging.getLogger(__name__)``, so every Signoff logger lives under
``signoff``. :func:`setup_logging` gives the process two destinations on the root logger:

- a size-bounded, rotating UTF-8 file in the user log folder (``$SIGNOFF_LOG_DIR`` when set),
  with timestamps, logger names, levels, thread names and full tracebacks;
- the terminal (stderr), one short line per record: warnings and errors, and with
  ``verbose`` also Signoff's informational messages. Tracebacks reach the terminal only in
  verbose mode; otherwise they stay in the file.

The root logger stays at WARNING so that libraries which log at INFO (SQLAlchemy logs every
statement once its logger is enabled for INFO) do not flood the file; only the ``signoff``
loggers are opened to INFO (DEBUG when verbose).

A log folder that cannot be created or written (a read-only home, a path that is a file) is
not a reason to fail a command: logging then goes to stderr only, and
:func:`active_log_file` says so by returning None.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import TextIO

LOG_DIR_ENV = "SIGNOFF_LOG_DIR"
LOG_FILE_NAME = "signoff.log"
MAX_LOG_BYTES = 2 * 1024 * 1024
LOG_BACKUPS = 3

FILE_FORMAT = "%(asctime)s %(levelname)-8s %(name)s [%(threadName)s] %(message)s"
TERMINAL_FORMAT = "%(levelname)s %(name)s: %(message)s"

# a record logged with extra={TERMINAL: False} goes to the file only (the caller tells the
# person in its own words, as the command line does for an internal error)
TERMINAL = "signoff_terminal"

_OURS = "_signoff_handler"


class _Installed:
    """What setup_logging changed in this process, so teardown_logging can undo it."""

    file: Path | None = None
    root_level: int | None = None  # the root logger's level before setup_logging set it


_installed = _Installed()

log = logging.getLogger(__name__)


def log_folder() -> Path:
    """The folder of Signoff's log files: ``$SIGNOFF_LOG_DIR``, else the user log folder.

    The folder is not created here (see :func:`ensure_log_folder`).
    """
    env = os.environ.get(LOG_DIR_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    # appauthor=False like the data and cache folders: one "signoff" folder on every platform
    return Path(platformdirs.user_log_dir("signoff", appauthor=False))


def log_file_path() -> Path:
    """The path of the current log file (older ones beside it end in .1, .2, ...)."""
    return log_folder() / LOG_FILE_NAME


def ensure_log_folder() -> Path:
    """The log folder, created if missing; raises OSError when it cannot be created."""
    folder = log_folder()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def active_log_file() -> Path | None:
    """The file this process logs to, or None (not set up, or the folder was unusable)."""
    return _installed.file


def logging_configured() -> bool:
    """Whether :func:`setup_logging` has run in this process."""
    return any(getattr(h, _OURS, False) for h in logging.getLogger().handlers)


class _LogFileHandler(logging.handlers.RotatingFileHandler):
    """The rotating file; a write that fails (disk full) says so once on stderr, then stops.

    The standard handler prints a traceback to stderr for every failed record, which would
    break the promise that the terminal shows no tracebacks.
    """

    _failed = False

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        if not self._failed:
            self._failed = True
            err = sys.exc_info()[1]
            print(f"signoff: cannot write the log file {self.baseFilename}: {err}", file=sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        if not self._failed:
            super().emit(record)


class _TerminalHandler(logging.StreamHandler[TextIO]):
    """stderr as it is when a record is written (tests and the self-test swap sys.stderr)."""

    def __init__(self, stream: TextIO | None) -> None:
        super().__init__()
        self._fixed = stream

    @property
    def stream(self) -> TextIO:
        return self._fixed if self._fixed is not None else sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass  # StreamHandler.__init__ assigns sys.stderr; the property decides instead

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, TERMINAL, True) is False:
            return False
        return bool(super().filter(record))


class _BriefFormatter(logging.Formatter):
    """One line per record: the message without its traceback or stack."""

    def format(self, record: logging.LogRecord) -> str:
        brief = logging.makeLogRecord(record.__dict__)
        brief.exc_info = brief.exc_text = brief.stack_info = None
        return super().format(brief)


def _open_log_file() -> _LogFileHandler | None:
    path = log_file_path()
    try:
        ensure_log_folder()
        handler = _LogFileHandler(
            path, maxBytes=MAX_LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
        )
    except OSError as exc:
        log.info("logging to stderr only: cannot write the log file %s: %s", path, exc)
        return None
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    return handler


def teardown_logging() -> None:
    """Remove what :func:`setup_logging` installed and close the log file (tests use it)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(handler)
        handler.close()
    logging.getLogger("signoff").setLevel(logging.NOTSET)
    if _installed.root_level is not None:
        root.setLevel(_installed.root_level)
    _installed.file = _installed.root_level = None


def setup_logging(verbose: bool = False, *, stream: TextIO | None = None) -> Path | None:
    """Send log records to the log file and to stderr (*stream* instead, if given).

    Calling it again replaces the handlers an earlier call installed (and closes its file),
    so it is safe for tests and for the application to call more than once. Returns the log
    file in use, or None when the log folder cannot be written and only stderr is used.
    """
    teardown_logging()
    root = logging.getLogger()

    terminal = _TerminalHandler(stream)
    terminal.setLevel(logging.INFO if verbose else logging.WARNING)
    terminal.setFormatter(
        logging.Formatter(TERMINAL_FORMAT) if verbose else _BriefFormatter(TERMINAL_FORMAT)
    )
    setattr(terminal, _OURS, True)
    root.addHandler(terminal)
    _installed.root_level = root.level
    root.setLevel(logging.WARNING)
    logging.getLogger("signoff").setLevel(logging.DEBUG if verbose else logging.INFO)

    file_handler = _open_log_file()
    if file_handler is not None:
        setattr(file_handler, _OURS, True)
        root.addHandler(file_handler)
        _installed.file = Path(file_handler.baseFilename)
    return _installed.file
