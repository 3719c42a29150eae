"""Cached virtual environments built from a version's captured pins.

Used only when a wheel folder (``SIGNOFF_WHEELHOUSE`` or the ``runner.wheelhouse`` setting) or
a package index (``SIGNOFF_PACKAGE_INDEX`` / ``runner.index_url``) is configured. A venv is
keyed by the requirements text and the base interpreter, built once into a temporary folder
and renamed into place, so a half-built environment is never used; a file lock keeps two
processes from building the same one at once.

The desktop bundle builds none: it has no Python interpreter that could create a venv or run pip
(its ``sys.executable`` is the ``signoff`` executable), so :func:`ensure_venv` refuses there with
:class:`EnvironmentBuildError` and the runner scores in the bundled Python, reporting every
difference from the pins. Running versions in environments built from their pins needs the pip
installation.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from signoff.core.common.child import is_frozen
from signoff.core.common.errors import SignoffError

log = logging.getLogger(__name__)


class EnvironmentBuildError(SignoffError):
    """The captured pins could not be installed from the configured wheels or index."""


@dataclass(frozen=True)
class PackageSource:
    """Where pins may be installed from: a folder of wheels and/or an index URL."""

    wheelhouse: str | None = None
    index_url: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.wheelhouse or self.index_url)


def default_cache_dir() -> Path:
    """Where cached venvs live: $SIGNOFF_VENV_CACHE or the user cache folder."""
    env = os.environ.get("SIGNOFF_VENV_CACHE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("signoff", appauthor=False)) / "venvs"


def venv_python(venv: Path) -> Path:
    """The interpreter inside a venv folder."""
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def venv_key(requirements_text: str) -> str:
    """The cache key: the pins and the base interpreter's version and path."""
    base = f"{sys.version}\n{sys.executable}\n{requirements_text.strip()}\n"
    return hashlib.sha256(base.encode()).hexdigest()[:20]


def ensure_venv(
    requirements_text: str,
    source: PackageSource,
    cache_dir: Path | None = None,
    timeout_s: float = 600.0,
) -> Path:
    """The python of a venv holding exactly the pinned packages, building it if needed.

    Raises EnvironmentBuildError (with pip's output) when the pins cannot be installed, and in
    the desktop bundle, which cannot build environments.
    """
    if is_frozen():
        raise EnvironmentBuildError(
            "the desktop bundle cannot build an environment from the captured pins (it has no "
            "separate Python interpreter); use the pip installation of Signoff for that"
        )
    cache_dir = cache_dir or default_cache_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / venv_key(requirements_text)
    if venv_python(target).is_file():
        return venv_python(target)
    with open(cache_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if venv_python(target).is_file():  # built by someone else while we waited
            return venv_python(target)
        building = Path(tempfile.mkdtemp(prefix=".building-", dir=cache_dir))
        try:
            _build(building, requirements_text, source, timeout_s)
            os.replace(building, target)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
    log.info("built venv %s", target)
    return venv_python(target)


def _build(folder: Path, requirements_text: str, source: PackageSource, timeout_s: float) -> None:
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder)],
        check=True,
        capture_output=True,
        timeout=timeout_s,
    )
    req = folder / "requirements.txt"
    req.write_text(requirements_text, encoding="utf-8")
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(venv_python(folder)),
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--only-binary",
        ":all:",
        "-r",
        str(req),
    ]
    if source.wheelhouse:
        cmd += ["--find-links", source.wheelhouse]
    if source.index_url:
        cmd += ["--index-url", source.index_url]
    else:
        cmd += ["--no-index"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    if done.returncode != 0:
        raise EnvironmentBuildError(
            "could not build an environment from the captured pins: "
            + (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        )
