"""Deployment checks: evidence for the go-live gate, stored in the ``evidence`` table.

``reference_outputs`` re-runs the version's reference inputs and compares with the outputs
validated at publish (labels and text exactly, numbers within a tolerance). ``robustness``
feeds extreme, boundary and missing values for every input field and accepts a valid answer
or a declared rejection (``ValueError``), never a crash, hang, NaN or out-of-range output.
``environment`` checks the captured pins are there and resolvable. ``performance`` measures
time per record and peak memory against limits from the manifest (``[monitoring.performance]``),
the ``runner`` setting or the defaults. Each result is bound to the version's manifest hash
and appended to the audit trail.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.common.progress import StepCallback
from signoff.core.db.registry import Registry, db_now
from signoff.core.db.schema import Evidence, Version
from signoff.core.governance.evidence import record_evidence, require_evidence_recorder
from signoff.core.governance.workflow import note_evidence
from signoff.core.reproduction.reproduce import compare_outputs
from signoff.core.runner import Limits, PreparedVersion
from signoff.core.runner.cases import read_records, robustness_cases, valid_output_problem

log = logging.getLogger(__name__)

CHECKS = ("reference_outputs", "robustness", "environment", "performance")
DEFAULT_PERFORMANCE = {"max_ms_per_record": 100.0, "max_memory_mb": 1024.0}


@dataclass
class CheckOptions:
    """How strict the checks are; None means "from the manifest, then the defaults"."""

    tolerance: float | None = None  # for numbers; the manifest's [[tests]] tolerance otherwise
    exact_fields: tuple[str, ...] = ()  # numeric output fields that must match exactly
    limits: Limits | None = None  # per scoring run
    max_ms_per_record: float | None = None
    max_memory_mb: float | None = None
    performance_records: int = 200


@dataclass
class CheckResult:
    """One check's outcome, as stored in the evidence table."""

    check: str
    passed: bool
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    evidence_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def run_checks(
    registry: Registry,
    version_id: int,
    *,
    checks: tuple[str, ...] = CHECKS,
    options: CheckOptions | None = None,
    actor: str | None = None,
    on_step: StepCallback | None = None,
) -> list[CheckResult]:
    """Run the named checks on a version and store each result as evidence (with an audit
    event), all bound to the version's current manifest hash. In the same transaction an
    approved version whose required checks now all pass becomes ready (the workflow's
    ``note_evidence``). Never raises for a failing check; an unknown check name raises
    ValueError. *on_step* is told as each check starts and ends (``done`` when it passed,
    ``failed`` otherwise, with its summary).
    """
    unknown = [c for c in checks if c not in CHECKS]
    if unknown:
        raise ValueError(f"unknown check(s) {', '.join(unknown)}; known: {', '.join(CHECKS)}")
    options = options or CheckOptions()
    if options.tolerance is not None and not options.tolerance >= 0:
        raise ValueError(f"tolerance must be a non-negative number, got {options.tolerance}")
    if options.performance_records < 1:
        raise ValueError("performance_records must be at least 1")
    actor = actor or registry.actor
    with registry.read() as session:
        version = session.get(Version, version_id)
        if version is not None:  # say so before minutes of running, not after
            require_evidence_recorder(session, version, actor)
    results: list[CheckResult] = []
    with PreparedVersion(registry, version_id, actor=actor, purpose="deployment checks") as prep:
        for name in checks:
            if on_step is not None:
                on_step(name, "running", "")
            if prep.refusal is not None:
                result = CheckResult(
                    name,
                    False,
                    f"not run: {prep.refusal.message}",
                    {"hash_checks": [c.to_json() for c in prep.workspace.checks]},
                )
            else:
                result = _CHECKS[name](prep, options)
            results.append(result)
            if on_step is not None:
                on_step(name, "done" if result.passed else "failed", result.summary)
    _store(registry, version_id, results, actor)
    return results


def _store(registry: Registry, version_id: int, results: list[CheckResult], actor: str) -> None:
    with registry.write() as session:
        version = session.get(Version, version_id)
        assert version is not None
        now = db_now(session)
        for result in results:
            result.evidence_id = record_evidence(
                session,
                version,
                result.check,
                result.passed,
                result.summary,
                _jsonable(result.details),
                actor=actor,
                at=now,
            )
        if note_evidence(session, version.model.name, version.number, actor=actor, at=now):
            log.info("%s v%s is ready to go live", version.model.name, version.number)


def latest_evidence(session: Session, version_id: int) -> dict[str, Evidence]:
    """The newest evidence row per check that is bound to the version's current manifest."""
    version = session.get(Version, version_id)
    if version is None:
        return {}
    rows = session.scalars(
        select(Evidence)
        .where(Evidence.version_id == version_id, Evidence.manifest_hash == version.manifest_hash)
        .order_by(Evidence.at, Evidence.id)
    )
    return {row.check: row for row in rows}


def _jsonable(value: Any) -> Any:
    """NaN and infinity are not JSON; keep them readable in the stored details."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# --- the checks ------------------------------------------------------------------------------


def _reference_sets(prep: PreparedVersion) -> list[tuple[str, list[Any], list[Any], float]]:
    pairs: dict[str, dict[str, Any]] = {}
    for comp in prep.spec.components:
        if (
            comp.kind == "tests"
            and comp.path
            and comp.role in ("reference_inputs", "reference_outputs")
        ):
            test = comp.details.get("test", comp.name)
            pair = pairs.setdefault(test, {"tolerance": comp.details.get("tolerance", 1e-9)})
            pair[comp.role] = read_records(prep.workspace.workdir / comp.path)
    return [
        (name, p.get("reference_inputs", []), p.get("reference_outputs", []), p["tolerance"])
        for name, p in pairs.items()
    ]


def check_reference_outputs(prep: PreparedVersion, options: CheckOptions) -> CheckResult:
    """Re-score the reference inputs and compare with the validated outputs."""
    sets = _reference_sets(prep)
    if not sets:
        return CheckResult("reference_outputs", False, "the version has no reference tests")
    details: dict[str, Any] = {"tests": []}
    all_diffs = 0
    for name, inputs, outputs, tolerance in sets:
        tol = options.tolerance if options.tolerance is not None else float(tolerance)
        entry: dict[str, Any] = {"test": name, "records": len(inputs), "tolerance": tol}
        if len(inputs) != len(outputs):
            entry["problem"] = f"{len(inputs)} inputs but {len(outputs)} validated outputs"
            all_diffs += 1
            details["tests"].append(entry)
            continue
        result = prep.score(inputs, limits=options.limits)
        if not result.ok:
            entry["problem"] = result.describe()
            entry["traceback"] = result.traceback
            all_diffs += 1
            details["tests"].append(entry)
            continue
        diffs = []
        for i, (want, got) in enumerate(zip(outputs, result.outputs or [], strict=False)):
            for d in _compare(want, got, tol, options.exact_fields):
                diffs.append(
                    {
                        "record": i,
                        "field": d.field,
                        "validated": d.recorded,
                        "reproduced": d.reproduced,
                    }
                )
        entry["differences"] = diffs[:50]
        entry["different_records"] = len({d["record"] for d in diffs})
        all_diffs += len(diffs)
        details["tests"].append(entry)
    records = sum(t["records"] for t in details["tests"])
    if all_diffs:
        first = next(t for t in details["tests"] if t.get("problem") or t.get("differences"))
        why = first.get("problem") or (
            f"record {first['differences'][0]['record']} {first['differences'][0]['field']}: "
            f"validated {first['differences'][0]['validated']!r}, "
            f"reproduced {first['differences'][0]['reproduced']!r}"
        )
        return CheckResult(
            "reference_outputs", False, f"reference outputs do not reproduce ({why})", details
        )
    return CheckResult(
        "reference_outputs",
        True,
        f"{records} reference record(s) reproduce their validated outputs",
        details,
    )


def _compare(want: Any, got: Any, tolerance: float, exact: tuple[str, ...]) -> list[Any]:
    if isinstance(want, dict) and isinstance(got, dict) and exact:
        diffs = []
        for key in sorted(set(want) | set(got), key=str):
            tol = 0.0 if key in exact else tolerance
            diffs += compare_outputs(
                {key: want.get(key, "(absent)")}, {key: got.get(key, "(absent)")}, tol
            )
        return diffs
    return compare_outputs(want, got, tolerance)


def check_robustness(prep: PreparedVersion, options: CheckOptions) -> CheckResult:
    """Score generated extreme, boundary and missing values one record at a time."""
    sets = _reference_sets(prep)
    inputs = [r for _, ins, _, _ in sets for r in ins if isinstance(r, dict)]
    outputs = [o for _, _, outs, _ in sets for o in outs]
    if not inputs:
        return CheckResult("robustness", False, "no reference inputs to derive a schema from")
    cases = robustness_cases(inputs)
    result = prep.score([c.record for c in cases], limits=options.limits, mode="each")
    if not result.ok:
        stuck = result.details.get("stuck_record")
        culprit = (
            f"; it hung on {cases[stuck].describe().rstrip(':')}"
            if stuck is not None and stuck < len(cases)
            else ""
        )
        return CheckResult(
            "robustness",
            False,
            f"{len(cases)} generated records: {result.describe()}{culprit}",
            {
                "cases": len(cases),
                "status": result.status,
                "traceback": result.traceback,
                "stuck_record": stuck,
            },
        )
    failures, rejected = [], 0
    for case, answer in zip(cases, result.answers or [], strict=False):
        if "rejected" in answer:
            rejected += 1
            continue
        if "error" in answer:
            problem = f"crashed with {answer['error']}: {answer.get('message', '')}"
        else:
            problem = valid_output_problem(answer.get("output"), outputs)
        if problem:
            failures.append({"case": case.describe(), "problem": problem})
    details = {"cases": len(cases), "rejected": rejected, "failures": failures[:100]}
    if failures:
        return CheckResult(
            "robustness",
            False,
            f"{len(failures)} of {len(cases)} generated "
            f"records: {failures[0]['case']} {failures[0]['problem']}",
            details,
        )
    return CheckResult(
        "robustness",
        True,
        f"{len(cases)} generated records: "
        f"{len(cases) - rejected} valid answers, {rejected} declared rejections",
        details,
    )


def check_environment(prep: PreparedVersion, options: CheckOptions) -> CheckResult:
    """The environment is captured, parses as pins, and the run's interpreter satisfies them."""
    env = prep.resolve_environment()
    details = env.to_json()
    if not env.captured:
        return CheckResult("environment", False, "no environment captured", details)
    if prep.environment_problem:
        return CheckResult("environment", False, prep.environment_problem, details)
    if env.differences:
        first = env.differences[0].describe()
        return CheckResult(
            "environment",
            False,
            f"{len(env.differences)} difference(s) from the captured environment ({first})",
            details,
        )
    return CheckResult("environment", True, env.summary(), details)


def performance_limits(prep: PreparedVersion, options: CheckOptions) -> dict[str, float]:
    """Limits: the options, else the manifest's [monitoring.performance], else the setting."""
    limits = dict(DEFAULT_PERFORMANCE)
    limits.update(
        {
            k: float(v)
            for k, v in prep.settings.get("performance", {}).items()
            if k in DEFAULT_PERFORMANCE
        }
    )
    manifest = prep.manifest_raw.get("monitoring", {}).get("performance", {})
    limits.update({k: float(v) for k, v in manifest.items() if k in DEFAULT_PERFORMANCE})
    for key in DEFAULT_PERFORMANCE:
        if getattr(options, key) is not None:
            limits[key] = float(getattr(options, key))
    return limits


def check_performance(prep: PreparedVersion, options: CheckOptions) -> CheckResult:
    """Time per record and peak memory of scoring a batch built from the reference inputs."""
    inputs = [r for _, ins, _, _ in _reference_sets(prep) for r in ins]
    if not inputs:
        return CheckResult("performance", False, "no reference inputs to time")
    n = max(options.performance_records, len(inputs))
    batch = [inputs[i % len(inputs)] for i in range(n)]
    limits = performance_limits(prep, options)
    result = prep.score(batch, limits=options.limits, warmup=True)
    if not result.ok or result.score_s is None:
        return CheckResult(
            "performance", False, f"could not time: {result.describe()}", {"limits": limits}
        )
    ms = 1000.0 * result.score_s / n
    peak = result.peak_memory_mb or 0.0
    details = {
        "records": n,
        "ms_per_record": ms,
        "load_s": result.load_s,
        "peak_memory_mb": peak,
        "limits": limits,
    }
    problems = []
    if ms > limits["max_ms_per_record"]:
        problems.append(f"{ms:.2f} ms per record is over {limits['max_ms_per_record']:g} ms")
    if peak > limits["max_memory_mb"]:
        problems.append(f"peak memory {peak:.0f} MB is over {limits['max_memory_mb']:g} MB")
    summary = (
        f"{ms:.2f} ms per record over {n} records, peak memory {peak:.0f} MB "
        f"(limits {limits['max_ms_per_record']:g} ms, {limits['max_memory_mb']:g} MB)"
    )
    return CheckResult("performance", not problems, "; ".join(problems) or summary, details)


_CHECKS: dict[str, Callable[[PreparedVersion, CheckOptions], CheckResult]] = {
    "reference_outputs": check_reference_outputs,
    "robustness": check_robustness,
    "environment": check_environment,
    "performance": check_performance,
}
