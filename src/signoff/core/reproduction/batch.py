"""Re-running many recorded predictions of one version in a single scoring process.

A campaign hands each worker a *batch*: predictions that one version produced. The worker
checks every input record against its recorded hash, verifies the version's components once,
compares the environment once, and scores every usable record in one child process, one call
per record (the runner's ``each`` mode), so the model's own load is paid once per batch and a
record the scoring code refuses is that record's answer, not the batch's. It touches no
database: the campaign loaded what it needs and records what comes back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from signoff.core.artifacts.protocol import Store
from signoff.core.reproduction.inputs import RecordReader, check_input
from signoff.core.reproduction.outputs import OutputDifference, compare_outputs
from signoff.core.reproduction.reproduce import CANCELLED, COULD_NOT_RUN, DIFFERS, REPRODUCED
from signoff.core.runner import (
    CANCELLED as RUN_CANCELLED,
)
from signoff.core.runner import (
    EnvironmentReport,
    HashCheck,
    Limits,
    PreparedVersion,
    RunResult,
    VersionSpec,
)

PER_RECORD_S = 1.0  # added to the run's time limit for each record in the batch


@dataclass(frozen=True)
class BatchItem:
    """One sampled prediction, as plain data loaded by the campaign."""

    prediction_id: int
    position: int
    subject_key: str
    predicted_at: datetime
    model: str
    version: int
    input_record: Any
    input_ref: str
    input_sha256: str
    recorded_output: Any
    live_then: int | None  # the version live in production at the time, by the history


@dataclass
class ItemResult:
    """What re-running one prediction found."""

    item: BatchItem
    verdict: str
    reason: str = ""
    findings: list[str] = field(default_factory=list)
    reproduced_output: Any = None
    differences: list[OutputDifference] = field(default_factory=list)
    input_source: str = ""

    @property
    def headline(self) -> str:
        return f"{self.verdict}: {self.reason}" if self.reason else self.verdict


@dataclass
class BatchResult:
    """One batch's results and what was checked once for all of them."""

    spec: VersionSpec
    items: list[ItemResult]
    hash_checks: list[HashCheck] = field(default_factory=list)
    environment: EnvironmentReport | None = None
    run: RunResult | None = None
    seconds: float = 0.0

    @property
    def refused(self) -> bool:
        return any(not c.ok for c in self.hash_checks)


def _history_finding(item: BatchItem) -> list[str]:
    when = f"{item.predicted_at:%Y-%m-%d %H:%M:%S}"
    if item.live_then is None:
        return [
            f"the deployment history has no version of {item.model} live in production at "
            f"{when}, yet v{item.version} produced this"
        ]
    if item.live_then != item.version:
        return [
            f"the deployment history says v{item.live_then} was live at {when}, but the "
            f"prediction was recorded as produced by v{item.version}"
        ]
    return []


def _answer(result: ItemResult, answer: dict[str, Any], tolerance: float) -> None:
    if "output" in answer:
        result.reproduced_output = answer["output"]
        result.differences = compare_outputs(
            result.item.recorded_output, answer["output"], tolerance
        )
        if result.differences:
            result.verdict, result.reason = DIFFERS, result.differences[0].describe()
            result.findings = [
                f"the reproduced output differs from the recorded one: {d.describe()}"
                for d in result.differences
            ] + result.findings
        else:
            result.verdict = REPRODUCED
        return
    if "rejected" in answer:
        reason = f"the scoring code refused the record: {answer['rejected']}"
    else:
        reason = f"the scoring code raised {answer.get('error')}: {answer.get('message', '')}"
    _fail(result, reason)


def _fail(result: ItemResult, reason: str) -> None:
    result.verdict, result.reason = COULD_NOT_RUN, reason
    result.findings.insert(0, f"the reproduction could not run: {reason}")


def run_batch(
    store: Store,
    spec: VersionSpec,
    settings: dict[str, Any],
    items: list[BatchItem],
    reader: RecordReader,
    *,
    limits: Limits,
    tolerance: float = 1e-9,
    cancelled: Callable[[], bool] | None = None,
) -> BatchResult:
    """Re-run *items* (predictions of *spec*) and compare; never raises for a bad run.

    A cancel stops the scoring process; the items it held come back ``cancelled``.
    """
    started = time.perf_counter()
    results: list[ItemResult] = []
    usable: list[ItemResult] = []
    records: list[Any] = []  # the checked input record of each usable item
    for item in items:
        check = check_input(
            recorded_sha256=item.input_sha256,
            stored_record=item.input_record,
            input_ref=item.input_ref,
            reader=reader,
        )
        result = ItemResult(
            item,
            COULD_NOT_RUN,
            findings=check.findings + _history_finding(item),
            input_source=check.source,
        )
        results.append(result)
        if check.usable:
            usable.append(result)
            records.append(check.record)
        else:
            _fail(result, check.problem)
    batch = BatchResult(spec, results)
    if not usable:
        batch.seconds = time.perf_counter() - started
        return batch
    prepared = PreparedVersion.from_spec(store, spec, settings)
    try:
        batch.hash_checks = list(prepared.workspace.checks)
        if prepared.refusal is not None:
            bad = ", ".join(c.path or c.name for c in prepared.workspace.problems)
            for result in usable:
                _fail(result, f"hash mismatch ({bad})")
                for c in prepared.workspace.problems:
                    result.findings.append(
                        f"{c.kind} '{c.path or c.name}' does not have the sha256 recorded at "
                        f"publish (expected {c.expected}, found {c.actual or 'nothing'}); "
                        "nothing of the version was run"
                    )
            return batch
        batch.environment = prepared.resolve_environment()
        batch_limits = Limits(limits.time_s + PER_RECORD_S * len(usable), limits.memory_mb)
        run = prepared.score(
            records,
            limits=batch_limits,
            mode="each",
            cancelled=cancelled,
        )
        batch.run = run
        if run.status == RUN_CANCELLED:
            for result in usable:
                result.verdict, result.reason = CANCELLED, "cancelled by the auditor"
        elif not run.ok or not run.answers or len(run.answers) != len(usable):
            for result in usable:
                _fail(result, run.describe())
        else:
            for result, answer in zip(usable, run.answers, strict=True):
                _answer(result, answer, tolerance)
    finally:
        prepared.close()
        batch.seconds = time.perf_counter() - started
    return batch
