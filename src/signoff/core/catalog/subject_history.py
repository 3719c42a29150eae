"""A subject's history: every prediction recorded for one customer, with the outcome seen later.

The outcome paired with a prediction follows the monitoring rule: the first outcome for the
same subject observed at or after the prediction, recorded for that model or for no model in
particular (an outcome recorded for another model is not this one's).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from signoff.core.catalog.lookup import get_model
from signoff.core.common.errors import NotFoundError
from signoff.core.db.schema import Execution, Model, Outcome, Prediction, Version


@dataclass(frozen=True)
class ObservedOutcome:
    """The actual value seen for a subject, and when."""

    actual: float
    observed_at: datetime
    for_model: bool  # recorded for this model (False: for every model that scored the subject)


@dataclass(frozen=True)
class SubjectPrediction:
    """One recorded prediction of a subject, as ``signoff history`` lists it."""

    prediction_id: int
    subject_key: str
    predicted_at: datetime
    model: str
    version: int
    output: Any
    score: float | None
    execution: str
    input_stored: bool
    input_ref: str
    outcome: ObservedOutcome | None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["predicted_at"] = self.predicted_at.isoformat()
        if self.outcome is not None:
            data["outcome"]["observed_at"] = self.outcome.observed_at.isoformat()
        return data


def pair_outcome(
    outcomes: list[Outcome], predicted_at: datetime, model_id: int
) -> ObservedOutcome | None:
    """The first of *outcomes* (one subject's) that belongs to a prediction at *predicted_at*."""
    candidates = sorted(
        (o for o in outcomes if o.observed_at >= predicted_at and o.model_id in (None, model_id)),
        key=lambda o: (o.observed_at, o.id),
    )
    if not candidates:
        return None
    first = candidates[0]
    return ObservedOutcome(first.actual, first.observed_at, first.model_id is not None)


def outcome_for(
    session: Session, subject_key: str, predicted_at: datetime, model_id: int
) -> ObservedOutcome | None:
    """The outcome paired with one prediction, or None when none was observed (yet)."""
    outcomes = list(
        session.scalars(
            select(Outcome).where(
                Outcome.subject_key == subject_key,
                Outcome.observed_at >= predicted_at,
                or_(Outcome.model_id == model_id, Outcome.model_id.is_(None)),
            )
        )
    )
    return pair_outcome(outcomes, predicted_at, model_id)


def subject_history(
    session: Session, subject_key: str, model: str | None = None, limit: int = 10_000
) -> list[SubjectPrediction]:
    """Every prediction recorded for *subject_key* (of *model* only, when given), oldest first.

    Raises NotFoundError for an unknown model; an unknown subject has an empty history.
    """
    stmt = (
        select(Prediction, Version.number, Model.name, Model.id, Execution.external_id)
        .join(Version, Version.id == Prediction.version_id)
        .join(Model, Model.id == Version.model_id)
        .outerjoin(Execution, Execution.id == Prediction.execution_id)
        .where(Prediction.subject_key == subject_key)
    )
    if model:
        stmt = stmt.where(Model.id == get_model(session, model).id)
    rows = session.execute(stmt.order_by(Prediction.predicted_at, Prediction.id).limit(limit)).all()
    outcomes = list(session.scalars(select(Outcome).where(Outcome.subject_key == subject_key)))
    return [
        SubjectPrediction(
            p.id,
            p.subject_key,
            p.predicted_at,
            name,
            number,
            p.output,
            p.score,
            external_id or "",
            p.input_record is not None,
            p.input_ref,
            pair_outcome(outcomes, p.predicted_at, model_id),
        )
        for p, number, name, model_id, external_id in rows
    ]


def require_history(
    session: Session, subject_key: str, model: str | None = None
) -> list[SubjectPrediction]:
    """:func:`subject_history`, raising NotFoundError when nothing is recorded."""
    found = subject_history(session, subject_key, model)
    if not found:
        scope = f" by {model}" if model else ""
        raise NotFoundError(f"no prediction is recorded for subject '{subject_key}'{scope}")
    return found
