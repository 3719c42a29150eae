"""The layering contracts in pyproject.toml hold (the core never imports Qt)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers.scripts import installed_script

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold() -> None:
    lint_imports = installed_script("lint-imports")
    assert lint_imports, "import-linter is part of the test extra"
    result = subprocess.run(
        [lint_imports, str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken" in result.stdout


def test_core_sources_never_mention_qt() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "src/signoff/core").rglob("*.py")
        if any(w in p.read_text() for w in ("import PySide6", "from PySide6"))
    ]
    assert offenders == []


def test_the_python_api_the_readme_documents_is_importable() -> None:
    import importlib
    import re

    calls = re.findall(r"`(signoff\.core(?:\.\w+)+)\(", (ROOT / "README.md").read_text())
    assert len(calls) >= 3
    for dotted in calls:
        module, _, name = dotted.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name)), dotted
