"""Comparing a version's captured environment with the interpreter that will run it.

The environment component is a requirements / lock file (``name==1.2.3`` pins, other PEP 440
specifiers, comments, ``--`` options). Every difference is reported: a package that is pinned
but missing, one installed at another version, a different Python. Lines that are not
requirements (``-r other.txt``, URLs, editable installs) are reported as not checked.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from signoff.core.common.child import child_command

log = logging.getLogger(__name__)

_PROBE = (
    "import json, sys, importlib.metadata as m; "
    "print(json.dumps({'python': '.'.join(map(str, sys.version_info[:3])), "
    "'packages': {d.metadata['Name']: d.version for d in m.distributions() "
    "if d.metadata['Name']}}))"
)


def normalise(name: str) -> str:
    """A package name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Pin:
    """One requirement line: the package and its specifier (``==1.2.3``, ``>=2``, or '')."""

    package: str
    specifier: str
    line: str


@dataclass(frozen=True)
class Difference:
    """One way the running interpreter differs from the captured environment."""

    package: str
    pinned: str
    found: str | None
    problem: str  # "missing", "different version", "python version", "not checked"

    def describe(self) -> str:
        if self.problem == "missing":
            return f"{self.package}: pinned {self.pinned}, not installed"
        if self.problem == "not checked":
            return f"{self.pinned}: not checked ({self.found or 'not a plain requirement'})"
        return f"{self.package}: pinned {self.pinned}, found {self.found}"


@dataclass
class EnvironmentReport:
    """The captured pins, the interpreter compared against, and every difference."""

    interpreter: str
    python_found: str
    python_pinned: str
    pins: list[Pin] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    captured: bool = True
    venv: str | None = None  # the cached virtual environment used, if one was built
    note: str = ""

    @property
    def matches(self) -> bool:
        return self.captured and not self.differences

    def summary(self) -> str:
        """One line: matches, or how many differences and where the run happens."""
        where = f"venv {self.venv}" if self.venv else f"Python {self.python_found}"
        if not self.captured:
            return f"no environment captured; running in {where}"
        if not self.differences:
            return f"{len(self.pins)} pins all satisfied by {where}"
        return f"{len(self.differences)} difference(s) from the captured environment in {where}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_requirements(text: str) -> tuple[list[Pin], list[str]]:
    """The pins in a requirements / lock file and the lines that could not be read as pins."""
    pins: list[Pin] = []
    unread: list[str] = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-") or "://" in line or line.startswith((".", "/")):
            if not line.startswith(
                ("--hash", "--index-url", "--extra-index-url", "--find-links", "--no-index")
            ):
                unread.append(line)
            continue
        line = re.sub(r"\s*\\$", "", line)
        line = re.sub(r"\s+--hash=\S+", "", line)
        try:
            req = Requirement(line)
        except InvalidRequirement:
            unread.append(line)
            continue
        if req.marker is not None and not req.marker.evaluate():
            continue
        pins.append(Pin(req.name, str(req.specifier), line))
    return pins, unread


@lru_cache(maxsize=8)
def _probe(python: str) -> tuple[str, dict[str, str]]:
    out = subprocess.run(
        child_command("-c", _PROBE, python=python),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    data = json.loads(out)
    return data["python"], {normalise(k): v for k, v in data["packages"].items()}


def installed_packages(python: str | None = None) -> tuple[str, dict[str, str]]:
    """(Python version, {normalised name: version}) of *python* (default: this interpreter)."""
    if python is None or Path(python) == Path(sys.executable):
        packages: dict[str, str] = {}
        for dist in metadata.distributions():
            name = dist.metadata["Name"]
            if name:
                packages.setdefault(normalise(name), dist.version)
        return ".".join(map(str, sys.version_info[:3])), packages
    return _probe(str(python))


def _versions_here(names: list[str]) -> tuple[str, dict[str, str]]:
    """Versions of just *names* in this interpreter (fast: no scan of every distribution)."""
    found: dict[str, str] = {}
    for name in names:
        try:
            found[normalise(name)] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return ".".join(map(str, sys.version_info[:3])), found


def compare_environment(
    requirements_text: str | None, python_pinned: str = "", python: str | None = None
) -> EnvironmentReport:
    """Compare captured pins and Python version with *python*; every difference is listed."""
    pins, unread = parse_requirements(requirements_text or "")
    if python is None or Path(python) == Path(sys.executable):
        found_python, packages = _versions_here([p.package for p in pins])
    else:
        found_python, packages = installed_packages(python)
    report = EnvironmentReport(python or sys.executable, found_python, python_pinned)
    if python_pinned and not _python_matches(python_pinned, found_python):
        report.differences.append(
            Difference("python", python_pinned, found_python, "python version")
        )
    if requirements_text is None:
        report.captured = False
        report.note = "the version has no environment component"
        return report
    report.pins = pins
    for pin in pins:
        found = packages.get(normalise(pin.package))
        if found is None:
            report.differences.append(
                Difference(pin.package, pin.specifier or "any", None, "missing")
            )
        elif pin.specifier and not _satisfies(pin.specifier, found):
            report.differences.append(
                Difference(pin.package, pin.specifier, found, "different version")
            )
    for line in unread:
        report.differences.append(Difference(line, line, "not a plain requirement", "not checked"))
    return report


def _python_matches(pinned: str, found: str) -> bool:
    pinned = pinned.strip().lstrip("=").strip()
    if any(pinned.startswith(op) for op in (">", "<", "~", "!")):
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            return Version(found) in SpecifierSet(pinned)
        except (InvalidSpecifier, InvalidVersion):
            return False
    want = pinned.split(".")
    return found.split(".")[: len(want)] == want


def _satisfies(specifier: str, found: str) -> bool:
    from packaging.specifiers import SpecifierSet

    try:
        return SpecifierSet(specifier).contains(Version(found), prereleases=True)
    except InvalidVersion:
        return specifier.lstrip("=") == found
