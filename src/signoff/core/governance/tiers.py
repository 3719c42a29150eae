"""A model's risk tier: governance data, changed only by an audited decision.

The tier chooses the approval policy (how many people sign, which checks run), so it is not
the author's to set: a manifest that disagrees with the registry is refused at publish, and the
tier changes here, by an admin or the model's business owner, with a reason, in the audit trail.
On PostgreSQL the database's ``signoff_set_risk_tier`` checks and records it.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.catalog.lookup import get_model
from signoff.core.catalog.summary import refresh_model_summary
from signoff.core.common.errors import SignoffError
from signoff.core.common.text import BLANKS, text_problem
from signoff.core.db import lifecycle as lc
from signoff.core.db.schema import RISK_TIERS
from signoff.core.governance.people import PermissionDeniedError, roles_of


def set_risk_tier(session: Session, model_name: str, tier: str, *, actor: str, reason: str) -> str:
    """Move *model_name* to risk tier *tier*; returns the tier it had. Audited."""
    if tier not in RISK_TIERS:
        raise SignoffError(f"unknown risk tier '{tier}'; tiers are {', '.join(RISK_TIERS)}")
    if not reason.strip(BLANKS):
        raise SignoffError("a reason is required to change a risk tier")
    if problem := text_problem(reason):
        raise SignoffError(f"the reason for the risk tier change {problem}")
    model = get_model(session, model_name)
    before = model.risk_tier
    if not roles_of(session, actor) & set(lc.TIER_SETTERS):
        raise PermissionDeniedError(
            f"{actor} may not change the risk tier of {model_name}: only an admin or a business "
            "owner may"
        )
    if session.get_bind().dialect.name == "postgresql":
        try:
            with session.begin_nested():
                session.execute(
                    text("SELECT signoff_set_risk_tier(:m, :t, :r)"),
                    {"m": model.id, "t": tier, "r": reason},
                )
        except DBAPIError as exc:
            message = str(getattr(getattr(exc.orig, "diag", None), "message_primary", "") or exc)
            raise PermissionDeniedError(message) from exc
        session.expire(model)
        return before
    if before == tier:
        return before
    model.risk_tier = tier
    refresh_model_summary(session, model.id)
    append_event(
        session,
        actor=actor,
        action=events.RISK_TIER_CHANGED,
        entity_type="model",
        entity_id=model.name,
        model_id=model.id,
        payload={"from": before, "to": tier, "reason": reason.strip(BLANKS)},
    )
    return before
