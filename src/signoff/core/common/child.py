"""Starting a Python child process, from a pip installation and from the desktop bundle.

The runner scores a model in a separate Python process (checks, reproduction). From pip that
process is the interpreter running Signoff: ``sys.executable -s -B SCRIPT ARG…``. In the
PyInstaller bundle ``sys.executable`` is the ``signoff`` executable, not a Python interpreter;
there the child is the same executable started with the hidden flag :data:`CHILD_FLAG`
(``signoff --run-child SCRIPT ARG…``), which the bundle's entry point
(``packaging/signoff_entry.py``) hands to :func:`run_child` before it imports anything else. The
script then runs in the bundled Python with the bundled packages (NumPy, SciPy, scikit-learn,
joblib …) and without Qt or the application loaded.

Every place that starts a Python child builds its command with :func:`child_command`.

This module sits outside :mod:`signoff.core.runner` and imports only the standard library on
purpose: the bundle's child imports it first thing, and whatever it imported would stay in the
child's memory (and in its measured peak) while the model scores.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

CHILD_FLAG = "--run-child"
USAGE = f"usage: signoff {CHILD_FLAG} SCRIPT [ARG ...] | {CHILD_FLAG} -c CODE [ARG ...]"


def is_frozen() -> bool:
    """True in the desktop bundle (PyInstaller sets ``sys.frozen``), False from pip."""
    return bool(getattr(sys, "frozen", False))


def child_command(
    *argv: str | os.PathLike[str], python: str | os.PathLike[str] | None = None
) -> list[str]:
    """The command that runs ``python -s -B ARGV…`` in a fresh process.

    *argv* is what follows the interpreter: a script and its arguments, or ``-c CODE``.
    *python* is another interpreter (a cached venv's); by default, or when it names the running
    executable, the child runs in the Python that runs Signoff: ``sys.executable`` from pip,
    ``signoff --run-child ARGV…`` in the desktop bundle.
    """
    args = [os.fspath(arg) for arg in argv]
    if python is None or Path(python) == Path(sys.executable):
        if is_frozen():
            return [sys.executable, CHILD_FLAG, *args]
        python = sys.executable
    return [os.fspath(python), "-s", "-B", *args]


def run_child(argv: list[str]) -> int:
    """Run *argv* (``SCRIPT ARG…`` or ``-c CODE ARG…``) as ``python -s -B`` would, here.

    The bundle's side of :func:`child_command`: the script runs as ``__main__`` with
    ``sys.argv`` set to ``[SCRIPT, ARG…]`` and its folder first on ``sys.path``; no bytecode is
    written. Returns 0 when the script ends normally, 2 for a malformed command line; a
    ``SystemExit`` or an uncaught exception in the script propagates as it would in Python
    (exit status and traceback).
    """
    if not argv or (argv[0] == "-c" and len(argv) < 2):
        print(USAGE, file=sys.stderr)
        return 2
    sys.dont_write_bytecode = True
    if argv[0] == "-c":
        import types

        main = types.ModuleType("__main__")
        sys.modules["__main__"] = main
        sys.argv = ["-c", *argv[2:]]
        sys.path.insert(0, "")
        exec(compile(argv[1], "<string>", "exec"), main.__dict__)  # noqa: S102 - as python -c
        return 0
    import runpy

    script = argv[0]
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
    return 0
