"""Audit reproduction: re-run the version that produced a recorded prediction and compare.

Steps, reported through an ``on_step`` callback as they happen: ``resolve`` (find the prediction
and its version, cross-check with the deployment history), ``verify`` (every artifact hash and
the input's recorded hash), ``environment`` (captured pins against the interpreter), ``run``
(the scoring entry point in a child process) and ``compare`` (recorded against reproduced
output). The verdict is ``reproduced``, ``differs`` or ``could not run`` (``cancelled`` when
the person stopped it); the outcome is appended to the audit trail.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.catalog import lookup
from signoff.core.common.clock import utcnow
from signoff.core.common.errors import NotFoundError
from signoff.core.common.progress import CancelCheck, StepCallback
from signoff.core.db.registry import Registry
from signoff.core.db.schema import Model, Prediction, Version
from signoff.core.reproduction.inputs import (
    DataLocation,
    RecordReader,
    check_input,
    input_hash,
    read_supplied_input,
)
from signoff.core.reproduction.outputs import OutputDifference, compare_outputs
from signoff.core.runner import CANCELLED as RUN_CANCELLED
from signoff.core.runner import REFUSED, Limits, run_version

log = logging.getLogger(__name__)

STEPS = ("resolve", "verify", "environment", "run", "compare")
REPRODUCED, DIFFERS = "reproduced", "differs"
COULD_NOT_RUN, CANCELLED = "could not run", "cancelled"


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
    input_ref: str = ""
    input_source: str = ""  # stored with the prediction, supplied, read from a data location
    input_where: str = ""  # the supplied file or the reference the record was read from
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


__all__ = ["OutputDifference", "Reproduction", "compare_outputs", "input_hash", "reproduce"]


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
    input_file: str | Path | None = None,
    locations: list[DataLocation] | None = None,
) -> Reproduction:
    """Reproduce a recorded prediction (by id, or subject key + time) and return the verdict.

    The input record scored is *input_file* when given (a record the auditor supplies, see
    :func:`~signoff.core.reproduction.inputs.read_supplied_input`), else the one stored with
    the prediction, else its ``input_ref`` read from a data location (*locations*, default the
    configured ones); whichever it is, it must hash to the recorded ``input_sha256``.

    Raises NotFoundError when no such prediction exists and InputFileError when *input_file*
    cannot be read; everything else (a hash mismatch, a failing run, a cancel) is a verdict.
    The outcome is an audit event.
    *on_step* is told of each of :data:`STEPS` as it starts and ends; when *cancelled* says
    to stop, the verdict is ``cancelled`` (a running scoring process is killed) and that
    too is recorded.
    """
    supplied = read_supplied_input(input_file) if input_file is not None else None
    if locations is None:
        from signoff.core.reproduction.datalocations import configured_locations

        locations = configured_locations(registry)
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
        _verify_input(repro, step, supplied, RecordReader(locations))
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
        repro.findings = cause_findings(repro) + repro.findings
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
    repro.input_ref = prediction.input_ref or ""
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


def _verify_input(
    repro: Reproduction,
    step: StepCallback,
    supplied: tuple[Any, str] | None,
    reader: RecordReader,
) -> None:
    step("verify", "running", "checking the input record's hash")
    check = check_input(
        recorded_sha256=repro.input_sha256_recorded,
        stored_record=repro.input_record,
        input_ref=repro.input_ref,
        reader=reader,
        supplied=supplied,
    )
    repro.input_record = check.record
    repro.input_source, repro.input_where = check.source, check.where
    repro.input_sha256_computed = check.computed
    repro.findings += check.findings
    if check.problem:
        repro.reason = check.problem
        step("verify", "failed", repro.reason)


def cause_findings(repro: Reproduction) -> list[str]:
    """What a failed or differing reproduction found, stated as findings (the cause first)."""
    if repro.verdict == DIFFERS:
        return [
            f"the reproduced output differs from the recorded one: {d.describe()}"
            for d in repro.differences
        ]
    if repro.verdict != COULD_NOT_RUN or not repro.reason:
        return []
    out = [f"the reproduction could not run: {repro.reason}"]
    for check in repro.hash_checks:
        if not check["ok"]:
            found = check.get("actual") or "nothing (missing)"
            out.append(
                f"{check['kind']} '{check.get('path') or check['name']}' does not have the "
                f"sha256 recorded at publish (expected {check.get('expected')}, found {found}); "
                "nothing of the version was run"
            )
    return out


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
