"""Every third-party package the code and the tests import is declared in pyproject.toml.

A package that arrives only as some other package's dependency (or was installed by hand on a
developer's machine) works until that other package changes; nbconvert without IPython did
exactly that. The test reads every import statement under ``src/`` and ``tests/``, maps each
top-level module to the distributions that provide it, and expects one of them among the
project's declared requirements.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements.extend(extra)
    return {_normal(re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0]) for r in requirements}


def _local_modules() -> set[str]:
    """Modules that live in the checkout (test fixtures, packaging scripts), not on PyPI."""
    names = {p.stem for p in ROOT.rglob("*.py")}
    names |= {p.name for p in ROOT.rglob("*") if p.is_dir()}
    return names


def _imported_modules() -> dict[str, str]:
    """Top-level module -> the first file that imports it."""
    found: dict[str, str] = {}
    for folder in ("src", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def test_every_imported_package_is_declared() -> None:
    declared = _declared()
    providers = packages_distributions()
    local = _local_modules()
    undeclared = []
    for module, where in sorted(_imported_modules().items()):
        if module in sys.stdlib_module_names or module == "signoff":
            continue
        distributions = providers.get(module)
        if not distributions:
            assert module in local, f"{module} (imported in {where}) is not installed"
            continue
        if not declared & {_normal(d) for d in distributions}:
            undeclared.append(f"{module} ({', '.join(distributions)}; imported in {where})")
    assert undeclared == [], "declare these in pyproject.toml: " + "; ".join(undeclared)
