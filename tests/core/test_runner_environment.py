"""Environment comparison, and running in a cached venv built from the captured pins."""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from signoff.core.publishing.publisher import publish
from signoff.core.runner import OK, compare_environment, parse_requirements, run_version
from signoff.core.runner.venv import EnvironmentBuildError, PackageSource, ensure_venv
from tests.helpers.runner_models import INPUTS, write_pickle_model

HERE = ".".join(map(str, sys.version_info[:2]))


def test_parse_requirements_reads_pins_and_reports_the_rest():
    pins, unread = parse_requirements(
        "# a lock file\n"
        "numpy==2.4.6  # pinned\n"
        "scikit-learn>=1.4,<2\n"
        "joblib\n"
        "pandas==2.0 ; python_version < '3'\n"  # marker false here: not a pin
        "-r base.txt\n"
        "--index-url https://example.invalid/simple\n"
        "git+https://example.invalid/repo.git\n"
        "requests==2.31 \\\n    --hash=sha256:abc\n"
        "not a requirement at all!\n"
    )
    assert [(p.package, p.specifier) for p in pins] == [
        ("numpy", "==2.4.6"),
        ("scikit-learn", "<2,>=1.4"),
        ("joblib", ""),
        ("requests", "==2.31"),
    ]
    assert unread == [
        "-r base.txt",
        "git+https://example.invalid/repo.git",
        "not a requirement at all!",
    ]


def test_every_difference_is_reported():
    numpy_here = metadata.version("numpy")
    report = compare_environment(
        f"numpy=={numpy_here}\nNumPy>=99\nscikit_learn=={metadata.version('scikit-learn')}\n"
        "surely-missing-pkg==1.2\n-e ./local\n",
        python_pinned="2.7",
    )
    got = [(d.package, d.pinned, d.found, d.problem) for d in report.differences]
    assert got == [
        ("python", "2.7", ".".join(map(str, sys.version_info[:3])), "python version"),
        ("NumPy", ">=99", numpy_here, "different version"),
        ("surely-missing-pkg", "==1.2", None, "missing"),
        ("-e ./local", "-e ./local", "not a plain requirement", "not checked"),
    ]
    assert not report.matches and "4 difference(s)" in report.summary()
    assert compare_environment(f"numpy=={numpy_here}\n", HERE).matches
    assert not compare_environment(None).captured


def _wheel(folder: Path, name: str, version: str, value: str) -> Path:
    """Build a real (pure-Python) wheel by hand, RECORD hashes and all."""
    folder.mkdir(parents=True, exist_ok=True)
    module = name.replace("-", "_")
    dist = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f"VALUE = {value!r}\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: signoff-tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = "\n".join(record) + "\n"
    wheel = folder / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return wheel


USES_PACKAGE = """\
import signoff_fixture_pkg


def predict(records):
    return [{"score": 0.5, "label": signoff_fixture_pkg.VALUE} for r in records]
"""


@pytest.mark.slow
def test_with_a_wheelhouse_the_run_happens_in_a_cached_venv(registry, tmp_path, monkeypatch):
    wheels = tmp_path / "wheels"
    _wheel(wheels, "signoff-fixture-pkg", "1.0", "from the venv")
    monkeypatch.setenv("SIGNOFF_WHEELHOUSE", str(wheels))
    monkeypatch.setenv("SIGNOFF_VENV_CACHE", str(tmp_path / "venvs"))
    folder = write_pickle_model(tmp_path / "m", score_code=USES_PACKAGE)
    (folder / "requirements.txt").write_text("signoff-fixture-pkg==1.0\n")
    published = publish(registry, folder)

    here = compare_environment("signoff-fixture-pkg==1.0\n")
    assert [d.problem for d in here.differences] == ["missing"]  # not in this interpreter

    run = run_version(registry, published.version_id, INPUTS[:1])
    assert run.result.status == OK, run.result.describe() + run.result.traceback
    assert run.result.outputs == [{"score": 0.5, "label": "from the venv"}]
    assert run.environment.venv and run.environment.matches
    assert run.result.interpreter.startswith(str(tmp_path / "venvs"))
    venvs = list((tmp_path / "venvs").iterdir())

    again = run_version(registry, published.version_id, INPUTS[:1])  # cached, not rebuilt
    assert again.result.interpreter == run.result.interpreter
    assert list((tmp_path / "venvs").iterdir()) == venvs


def test_unresolvable_pins_fall_back_to_this_interpreter_and_say_so(
    registry, tmp_path, monkeypatch
):
    monkeypatch.setenv("SIGNOFF_WHEELHOUSE", str(tmp_path / "empty-wheelhouse"))
    monkeypatch.setenv("SIGNOFF_VENV_CACHE", str(tmp_path / "venvs"))
    (tmp_path / "empty-wheelhouse").mkdir()
    folder = write_pickle_model(tmp_path / "m")
    (folder / "requirements.txt").write_text("signoff-fixture-pkg==9.9\n")
    published = publish(registry, folder)
    run = run_version(registry, published.version_id, INPUTS[:1])
    assert run.result.status == OK  # the pure-Python model does not need the package
    assert "could not build an environment" in run.details["environment_problem"]
    assert run.environment.venv is None
    assert [d.problem for d in run.environment.differences] == ["missing"]
    assert [p.name for p in (tmp_path / "venvs").iterdir() if not p.name.startswith(".")] == []


def test_ensure_venv_reports_pip_failure(tmp_path):
    with pytest.raises(EnvironmentBuildError, match="could not build an environment"):
        ensure_venv(
            "no-such-package-anywhere==1\n",
            PackageSource(wheelhouse=str(tmp_path)),
            cache_dir=tmp_path / "venvs",
        )
