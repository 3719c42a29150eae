"""Deployment-check evidence for the demo's versions, from really running their code.

The real checks (:mod:`signoff.core.governance.checks`) run each version in runner subprocesses,
which would cost several seconds per version and push the demo build past its minute. The demo
runs the same checks in process instead, on the version folder it just wrote (the same bytes it
published): the reference inputs are re-scored and compared with the validated outputs, the
robustness cases of :func:`signoff.core.runner.cases.robustness_cases` are fed one at a time,
and the captured pins are compared with what is installed. Each result is stored as Evidence
bound to the manifest hash, its details saying it ran in process.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from signoff.core.db.schema import Evidence, Version
from signoff.core.governance.checks import CheckResult, record_evidence
from signoff.core.reproduction.reproduce import compare_outputs
from signoff.core.runner.cases import read_records, robustness_cases, valid_output_problem

Predict = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
RUNNER = "in process, by the demo builder"


def _reference(folder: Path) -> tuple[list[Any], list[Any]]:
    return (
        read_records(folder / "tests" / "reference_inputs.jsonl"),
        read_records(folder / "tests" / "reference_outputs.jsonl"),
    )


def reference_outputs(folder: Path, predict: Predict) -> tuple[bool, str, dict[str, Any]]:
    inputs, outputs = _reference(folder)
    got = predict(inputs)
    diffs = [
        {"record": i, "field": d.field, "validated": d.recorded, "reproduced": d.reproduced}
        for i, (want, have) in enumerate(zip(outputs, got, strict=True))
        for d in compare_outputs(want, have, 1e-6)
    ]
    details = {"records": len(inputs), "differences": diffs[:50], "runner": RUNNER}
    if diffs or len(got) != len(outputs):
        return False, f"reference outputs do not reproduce ({len(diffs)} differences)", details
    return True, f"{len(inputs)} reference record(s) reproduce their validated outputs", details


def robustness(folder: Path, predict: Predict) -> tuple[bool, str, dict[str, Any]]:
    inputs, outputs = _reference(folder)
    cases = robustness_cases(inputs)
    failures, rejected = [], 0
    for case in cases:
        try:
            (answer,) = predict([case.record])
        except ValueError:
            rejected += 1
            continue
        except Exception as exc:  # noqa: BLE001 - a crash is the finding
            failures.append({"case": case.describe(), "problem": f"crashed with {exc!r}"})
            continue
        problem = valid_output_problem(answer, outputs)
        if problem:
            failures.append({"case": case.describe(), "problem": problem})
    details = {"cases": len(cases), "rejected": rejected, "failures": failures, "runner": RUNNER}
    if failures:
        return False, f"{len(failures)} of {len(cases)} generated records failed", details
    return (
        True,
        (
            f"{len(cases)} generated records: {len(cases) - rejected} valid answers, "
            f"{rejected} declared rejections"
        ),
        details,
    )


def environment(folder: Path, predict: Predict) -> tuple[bool, str, dict[str, Any]]:
    pins = [
        line.split("==")
        for line in (folder / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    found = {name: metadata.version(name) for name, _ in pins}
    differences = [{"package": n, "pinned": v, "found": found[n]} for n, v in pins if found[n] != v]
    python = f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
    details = {
        "pins": dict(pins),
        "found": found,
        "python": python,
        "differences": differences,
        "runner": RUNNER,
    }
    if differences:
        return False, f"{len(differences)} difference(s) from the captured environment", details
    return True, f"{len(pins)} pins all satisfied by Python {python}", details


CHECKS = {
    "reference_outputs": reference_outputs,
    "robustness": robustness,
    "environment": environment,
}


def record_demo_evidence(
    session: Session,
    version: Version,
    folder: Path,
    predict: Predict,
    checks: list[str],
    *,
    actor: str,
    at: datetime,
) -> list[Evidence]:
    """Run *checks* on the version's folder in process and store each result as evidence."""
    rows = []
    for check in checks:
        passed, summary, details = CHECKS[check](folder, predict)
        result = CheckResult(check, passed, summary, details)
        extra = {"runner": RUNNER, "at": at}
        rows.append(record_evidence(session, version, result, actor=actor, at=at, extra=extra))
    return rows
