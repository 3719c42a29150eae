"""Drawing an auditor's sample of recorded predictions, reproducibly.

The population is every prediction recorded in ``[start, end)`` by one model, by the models of
one risk tier, or by every model. The sample is a simple random sample without replacement,
drawn by hash ranking: each prediction is ranked by ``sha256("<seed>|<model>|<version>|<subject
key>|<predicted at>")`` and the *size* lowest are drawn. The key is the prediction's natural key,
not a database id, so the same seed draws the same sample from the same population in any copy
of the registry, anyone can re-draw it with a few lines of code, and a prediction added to the
population later displaces at most one of the drawn. The population's hash covers every natural
key in the order the predictions were recorded, the sample's every drawn key in rank order, so
a re-draw can be proven identical.
"""

from __future__ import annotations

import hashlib
import heapq
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.catalog.lookup import get_model
from signoff.core.common.errors import SignoffError
from signoff.core.db.schema import RISK_TIERS, Model, Prediction, Version

MAX_SAMPLE = 100_000
METHOD = (
    "Simple random sample without replacement, drawn by hash ranking: every prediction in the "
    "population is ranked by sha256 of '<seed>|<model>|<version>|<subject key>|<predicted at, "
    "ISO 8601>' and the {size} lowest are drawn."
)


@dataclass(frozen=True)
class SampleCriteria:
    """What to sample: a time window, a scope (one model, one tier or all), a size, a seed."""

    start: datetime
    end: datetime  # exclusive
    size: int
    seed: str = ""
    model: str = ""
    tier: str = ""

    def validated(self) -> SampleCriteria:
        """These criteria with a seed (a new random one when none was given); raises
        SignoffError for criteria no sample can be drawn by."""
        if self.end <= self.start:
            raise SignoffError(
                f"the window ends ({self.end:%Y-%m-%d %H:%M}) before it starts "
                f"({self.start:%Y-%m-%d %H:%M})"
            )
        if not 1 <= self.size <= MAX_SAMPLE:
            raise SignoffError(f"the sample size must be between 1 and {MAX_SAMPLE:,}")
        if self.model and self.tier:
            raise SignoffError("sample one model or one risk tier, not both")
        if self.tier and self.tier not in RISK_TIERS:
            raise SignoffError(f"unknown risk tier '{self.tier}'; choose {', '.join(RISK_TIERS)}")
        if len(self.seed) > 200:
            raise SignoffError("the seed is at most 200 characters")
        seed = self.seed or secrets.token_hex(8)
        return SampleCriteria(self.start, self.end, self.size, seed, self.model, self.tier)

    @property
    def scope(self) -> str:
        if self.model:
            return f"model {self.model}"
        if self.tier:
            return f"every {self.tier}-tier model"
        return "every model"

    def describe(self) -> str:
        return (
            f"{self.size} predictions of {self.scope} recorded from {self.start:%Y-%m-%d %H:%M} "
            f"to {self.end:%Y-%m-%d %H:%M} UTC (end excluded), seed '{self.seed}'"
        )


@dataclass
class Sample:
    """The drawn sample: prediction ids in rank order, with the hashes that prove the draw."""

    criteria: SampleCriteria
    population: int
    population_sha256: str
    ids: list[int] = field(default_factory=list)
    sample_sha256: str = ""

    @property
    def method(self) -> str:
        return METHOD.format(size=self.criteria.size)


def natural_key(model: str, version: int, subject: str, predicted_at: datetime) -> str:
    """The text that identifies a prediction in every copy of the registry."""
    return f"{model}|{version}|{subject}|{predicted_at.isoformat()}"


def rank(seed: str, key: str) -> str:
    """A prediction's place in the draw (lower is drawn first)."""
    return hashlib.sha256(f"{seed}|{key}".encode()).hexdigest()


def _population(session: Session, criteria: SampleCriteria) -> Iterator[tuple[int, str]]:
    stmt = (
        select(
            Prediction.id,
            Model.name,
            Version.number,
            Prediction.subject_key,
            Prediction.predicted_at,
        )
        .join(Version, Version.id == Prediction.version_id)
        .join(Model, Model.id == Version.model_id)
        .where(Prediction.predicted_at >= criteria.start, Prediction.predicted_at < criteria.end)
    )
    if criteria.model:
        stmt = stmt.where(Model.id == get_model(session, criteria.model).id)
    elif criteria.tier:
        stmt = stmt.where(Model.risk_tier == criteria.tier)
    # recorded order (by id), so the population's hash needs no sort in memory
    for pid, model, number, subject, at in session.execute(
        stmt.order_by(Prediction.id).execution_options(yield_per=10_000)
    ):
        yield pid, natural_key(model, number, subject, at)


def draw_sample(session: Session, criteria: SampleCriteria) -> Sample:
    """Draw the sample the (validated) *criteria* name; the same criteria and population always
    draw the same sample. Raises NotFoundError for an unknown model."""
    population = hashlib.sha256()
    drawn: list[_Neg] = []  # the lowest ranks so far, the highest of them on top
    count = 0
    for pid, key in _population(session, criteria):
        count += 1
        population.update(key.encode() + b"\n")
        entry = (rank(criteria.seed, key), pid, key)
        if len(drawn) < criteria.size:
            heapq.heappush(drawn, _Neg(entry))
        elif entry[0] < drawn[0].entry[0]:
            heapq.heapreplace(drawn, _Neg(entry))
    ordered = sorted(n.entry for n in drawn)
    sample = hashlib.sha256("".join(key + "\n" for _r, _pid, key in ordered).encode())
    return Sample(
        criteria,
        count,
        population.hexdigest(),
        [pid for _r, pid, _key in ordered],
        sample.hexdigest(),
    )


class _Neg:
    """A heap entry ordered backwards, so the heap's top is the highest rank kept so far."""

    __slots__ = ("entry",)

    def __init__(self, entry: tuple[str, int, str]) -> None:
        self.entry = entry

    def __lt__(self, other: _Neg) -> bool:
        return self.entry > other.entry
