"""Console scripts of the environment running the tests (not whatever PATH finds first)."""

from __future__ import annotations

import os
import shutil
import sys


def installed_script(name: str) -> str | None:
    """The path of console script *name* installed beside this interpreter, else on PATH.

    ``.ci/run`` and a person's activated venv put the scripts on PATH; a venv used without
    activation (``/path/to/venv/bin/python -m pytest``) does not, and a PATH lookup could then
    find another installation's script.
    """
    return shutil.which(name, path=os.path.dirname(sys.executable)) or shutil.which(name)


def signoff_command() -> list[str]:
    """How to run this environment's ``signoff``."""
    script = installed_script("signoff")
    return [script] if script else [sys.executable, "-m", "signoff"]
