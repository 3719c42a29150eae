"""Audit reproduction: re-run the version that produced a recorded prediction and compare.

Steps, reported through an ``on_step`` callback as they happen: ``resolve`` (find the prediction
and its version, cross-check with the deployment history), ``verify`` (every artifact hash and
the input's recorded hash), ``environment`` (captured pins against the interpreter), ``run``
(the scoring entry point in a child process) and ``compare`` (recorded against reproduced
output). The verdict is ``reproduced``, ``differs`` or ``could not run`` (``cancelled`` when
the person stopped it); the outcome is appended to the audit trail.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event, canonical_json
from signoff.core.catalog import lookup
from signoff.core.common.clock import utcnow
from signoff.core.common.errors import NotFoundError
from signoff.core.common.progress import CancelCheck, StepCallback
from signoff.core.db.registry import Registry
from signoff.core.db.schema import Model, Prediction, Version
from signoff.core.runner import CANCELLED as RUN_CANCELLED
from signoff.core.runner import REFUSED, Limits, run_version

log = logging.getLogger(__name__)

STEPS = ("resolve", "verify", "environment", "run", "compare")
REPRODUCED, DIFFERS = "reproduced", "differs"
COULD_NOT_RUN, CANCELLED = "could not run", "cancelled"


@dataclass
class OutputDifference:
    """One place where the reproduced output differs from the recorded one."""

    field: str
    recorded: Any
    reproduced: Any

    def describe(self) -> str:
        return f"{self.field}: recorded {self.recorded!r}, reproduced {self.reproduced!r}"


@dataclass
class PredictionRow:
    """A recorded prediction as the Audit page lists it."""

    id: int
    subject_key: str
    predicted_at: datetime
    model: str
    version: int
    output: Any
    score: float | None


@dataclass
class Reproduction:
    """Everything a reproduction found; the report is written from this."""

    prediction_id: int
    subject_key: str = ""
    predicted_at: datetime | None = None
    model: str = ""
    model_id: int | None = None
    version_number: int | None = None
    version_id: int | None = None
    manifest_hash: str = ""
    live_version_then: int | None = None
    input_record: Any = None
    input_sha256_recorded: str = ""
    input_sha256_computed: str = ""
    hash_checks: list[dict[str, Any]] = field(default_factory=list)
    environment: dict[str, Any] | None = None
    run: dict[str, Any] | None = None
    recorded_output: Any = None
    reproduced_output: Any = None
    differences: list[OutputDifference] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    steps: dict[str, tuple[str, str]] = field(default_factory=dict)
    verdict: str = COULD_NOT_RUN
    reason: str = ""
    started_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None
    actor: str = ""
    audit_seq: int | None = None

    @property
    def headline(self) -> str:
        """The verdict with its reason: ``could not run: hash mismatch (score.py)``."""
        return f"{self.verdict}: {self.reason}" if self.reason else self.verdict

    @property
    def exit_code(self) -> int:
        """0 reproduced, 1 differs, 2 could not run or cancelled (the CLI's exit code)."""
        return {REPRODUCED: 0, DIFFERS: 1}.get(self.verdict, 2)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["headline"] = self.headline
        return data


def input_hash(record: Any) -> str:
    """The sha256 of a record's canonical JSON (how factories record an input's hash)."""
    return hashlib.sha256(canonical_json(record).encode("utf-8")).hexdigest()


def find_prediction(
    session: Session,
    prediction_id: int | None = None,
    *,
    subject: str | None = None,
    at: datetime | None = None,
) -> Prediction:
    """A prediction by id, or the latest one for *subject* at or before *at*."""
    if prediction_id is not None:
        prediction = session.get(Prediction, prediction_id)
        if prediction is None:
            raise NotFoundError(f"no prediction with id {prediction_id}")
        return prediction
    if not subject:
        raise NotFoundError("give a prediction id, or a subject key (and a time)")
    stmt = select(Prediction).where(Prediction.subject_key == subject)
    if at is not None:
        stmt = stmt.where(Prediction.predicted_at <= at)
    prediction = session.scalar(
        stmt.order_by(Prediction.predicted_at.desc(), Prediction.id.desc()).limit(1)
    )
    if prediction is None:
        when = f" at or before {at:%Y-%m-%d %H:%M}" if at else ""
        raise NotFoundError(f"no prediction recorded for subject '{subject}'{when}")
    return prediction


def search_predictions(
    session: Session,
    subject: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 500,
) -> list[PredictionRow]:
    """Predictions whose subject key starts with *subject*, in [start, end), newest first."""
    stmt = (
        select(Prediction, Version.number, Model.name)
        .join(Version, Version.id == Prediction.version_id)
        .join(Model, Model.id == Version.model_id)
    )
    if subject.strip():
        escaped = subject.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Prediction.subject_key.like(f"{escaped}%", escape="\\"))
    if start is not None:
        stmt = stmt.where(Prediction.predicted_at >= start)
    if end is not None:
        stmt = stmt.where(Prediction.predicted_at < end)
    stmt = stmt.order_by(Prediction.predicted_at.desc(), Prediction.id.desc()).limit(limit)
    return [
        PredictionRow(p.id, p.subject_key, p.predicted_at, name, number, p.output, p.score)
        for p, number, name in session.execute(stmt)
    ]


def compare_outputs(
    recorded: Any, reproduced: Any, tolerance: float = 1e-9, path: str = "output"
) -> list[OutputDifference]:
    """Every difference: labels and text exactly, numbers within *tolerance* (abs and rel)."""
    if isinstance(recorded, bool) or isinstance(reproduced, bool):
        return [] if recorded is reproduced else [OutputDifference(path, recorded, reproduced)]
    if isinstance(recorded, int | float) and isinstance(reproduced, dict) and "score" in reproduced:
        # a factory may record only the score of a structured output
        return compare_outputs(recorded, reproduced["score"], tolerance, f"{path}.score")
    if isinstance(recorded, int | float) and isinstance(reproduced, int | float):
        same = (math.isnan(recorded) and math.isnan(reproduced)) or math.isclose(
            recorded, reproduced, rel_tol=tolerance, abs_tol=tolerance
        )
        return [] if same else [OutputDifference(path, recorded, reproduced)]
    if isinstance(recorded, dict) and isinstance(reproduced, dict):
        out: list[OutputDifference] = []
        for key in sorted(set(recorded) | set(reproduced), key=str):
            if key not in recorded or key not in reproduced:
                out.append(
                    OutputDifference(
                        f"{path}.{key}",
                        recorded.get(key, "(absent)"),
                        reproduced.get(key, "(absent)"),
                    )
                )
            else:
                out += compare_outputs(recorded[key], reproduced[key], tolerance, f"{path}.{key}")
        return out
    if (
        isinstance(recorded, list)
        and isinstance(reproduced, list)
        and len(recorded) == len(reproduced)
    ):
        out = []
        for i, (a, b) in enumerate(zip(recorded, reproduced, strict=True)):
            out += compare_outputs(a, b, tolerance, f"{path}[{i}]")
        return out
    return [] if recorded == reproduced else [OutputDifference(path, recorded, reproduced)]


def reproduce(
    registry: Registry,
    prediction_id: int | None = None,
    *,
    subject: str | None = None,
    at: datetime | None = None,
    on_step: StepCallback | None = None,
    cancelled: CancelCheck | None = None,
    actor: str | None = None,
    limits: Limits | None = None,
    tolerance: float = 1e-9,
) -> Reproduction:
    """Reproduce a recorded prediction (by id, or subject key + time) and return the verdict.

    Raises NotFoundError only when no such prediction exists; everything else (a hash
    mismatch, a failing run, a cancel) is a verdict. The outcome is an audit event.
    *on_step* is told of each of :data:`STEPS` as it starts and ends; when *cancelled* says
    to stop, the verdict is ``cancelled`` (a running scoring process is killed) and that
    too is recorded.
    """
    actor = actor or registry.actor
    repro = Reproduction(prediction_id or 0, actor=actor)

    def step(name: str, state: str, detail: str = "") -> None:
        if name == "verify" and state == "done":
            detail += (
                "; input hash matches"
                if repro.input_sha256_recorded
                else "; no input hash was recorded"
            )
        repro.steps[name] = (state, detail)
        if on_step is not None:
            on_step(name, state, detail)

    step("resolve", "running", "finding the prediction and its version")
    with registry.read() as session:
        prediction = find_prediction(session, prediction_id, subject=subject, at=at)
        _resolve(session, repro, prediction)
    then = f"v{repro.live_version_then}" if repro.live_version_then else "no version"
    step("resolve", "done", f"{repro.model} v{repro.version_number}; live then: {then}")
    try:
        _verify_input(repro, step)
        if repro.reason:
            return repro
        _run(registry, repro, step, cancelled, limits, actor)
        if repro.reason:
            return repro
        step("compare", "running", "comparing recorded and reproduced output")
        repro.differences = compare_outputs(
            repro.recorded_output, repro.reproduced_output, tolerance
        )
        if repro.differences:
            repro.verdict, repro.reason = DIFFERS, repro.differences[0].describe()
            step("compare", "failed", f"{len(repro.differences)} difference(s)")
        else:
            repro.verdict = REPRODUCED
            step("compare", "done", "the reproduced output matches the recorded one")
        return repro
    finally:
        repro.finished_at = utcnow()
        _record(registry, repro)


def _resolve(session: Session, repro: Reproduction, prediction: Prediction) -> None:
    version = session.get(Version, prediction.version_id)
    assert version is not None  # foreign key
    repro.prediction_id = prediction.id
    repro.subject_key = prediction.subject_key
    repro.predicted_at = prediction.predicted_at
    repro.model, repro.model_id = version.model.name, version.model_id
    repro.version_number, repro.version_id = version.number, version.id
    repro.manifest_hash = version.manifest_hash
    repro.input_record = prediction.input_record
    repro.input_sha256_recorded = prediction.input_sha256 or ""
    repro.recorded_output = prediction.output
    live = lookup.live_version_at(session, version.model.name, prediction.predicted_at)
    repro.live_version_then = live.number if live is not None else None
    when = f"{prediction.predicted_at:%Y-%m-%d %H:%M:%S}"
    if live is None:
        repro.findings.append(
            f"the deployment history has no version of {repro.model} live "
            f"in production at {when}, yet v{version.number} produced this"
        )
    elif live.id != version.id:
        repro.findings.append(
            f"the deployment history says v{live.number} was live at {when}, "
            f"but the prediction was recorded as produced by v{version.number}"
        )


def _verify_input(repro: Reproduction, step: StepCallback) -> None:
    step("verify", "running", "checking the input record's hash")
    if repro.input_record is None:
        repro.reason = "the input record was not stored with the prediction"
        step("verify", "failed", repro.reason)
        return
    repro.input_sha256_computed = input_hash(repro.input_record)
    if not repro.input_sha256_recorded:
        repro.findings.append(
            "no input hash was recorded with the prediction, so the stored "
            "input could not be verified against what was scored"
        )
    elif repro.input_sha256_recorded.lower() != repro.input_sha256_computed:
        repro.reason = (
            "input hash mismatch: the stored input record does not hash to the "
            "sha256 recorded with the prediction"
        )
        step("verify", "failed", repro.reason)


def _run(
    registry: Registry,
    repro: Reproduction,
    step: StepCallback,
    cancelled: CancelCheck | None,
    limits: Limits | None,
    actor: str,
) -> None:
    if cancelled is not None and cancelled():
        repro.verdict, repro.reason = CANCELLED, "cancelled before the run"
        return
    assert repro.version_id is not None
    run = run_version(
        registry,
        repro.version_id,
        [repro.input_record],
        limits=limits,
        cancelled=cancelled,
        actor=actor,
        purpose=f"reproduce prediction {repro.prediction_id}",
        on_step=step,
    )
    repro.hash_checks = [c.to_json() for c in run.hash_checks]
    repro.environment = run.environment.to_json() if run.environment else None
    repro.run = run.result.to_json()
    if run.environment is not None:
        repro.findings += [f"environment: {d.describe()}" for d in run.environment.differences]
    status = run.result.status
    if status == REFUSED:
        bad = ", ".join(c.path or c.name for c in run.hash_checks if not c.ok)
        repro.reason = f"hash mismatch ({bad})"
    elif status == RUN_CANCELLED:
        repro.verdict, repro.reason = CANCELLED, "cancelled by the user"
    elif not run.result.ok:
        repro.reason = run.result.describe()
    else:
        repro.reproduced_output = (run.result.outputs or [None])[0]


def _record(registry: Registry, repro: Reproduction) -> None:
    payload = {
        "verdict": repro.verdict,
        "reason": repro.reason,
        "model": repro.model,
        "version": repro.version_number,
        "manifest_hash": repro.manifest_hash,
        "subject_key": repro.subject_key,
        "predicted_at": repro.predicted_at,
        "differences": [d.describe() for d in repro.differences][:20],
        "findings": repro.findings[:20],
    }
    with registry.write() as session:
        event = append_event(
            session,
            actor=repro.actor,
            action=events.PREDICTION_REPRODUCED,
            entity_type="prediction",
            entity_id=repro.prediction_id,
            model_id=repro.model_id,
            version_id=repro.version_id,
            payload=payload,
            sealed=True,
        )
        repro.audit_seq = event.seq
    log.info("prediction %s: %s", repro.prediction_id, repro.headline)
