"""Deployment history primitives: a version going live in an environment, atomically.

The workflow (policy, gates, checks) decides *whether* a version may go live; this module
does the bookkeeping in the caller's transaction: the previous live version's period is
closed and it becomes superseded, the new period opens and the version becomes live.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.catalog.summary import refresh_model_summary
from signoff.core.db.registry import db_now
from signoff.core.db.schema import LIVE, PRODUCTION, SUPERSEDED, Deployment, Version
from signoff.core.governance.states import change_state


def record_go_live(
    session: Session,
    version: Version,
    *,
    actor: str,
    environment: str = PRODUCTION,
    at: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> Deployment:
    """Make *version* the live one in *environment*; returns the new deployment period.

    *at* back-dates the change (only for importing history); by default database time.
    *extra* is merged into the one audit event (the workflow adds the decision it records).
    """
    at = at or db_now(session)
    previous = list(
        session.scalars(
            select(Deployment)
            .where(
                Deployment.model_id == version.model_id,
                Deployment.environment == environment,
                Deployment.live_to.is_(None),
            )
            .with_for_update()
        )
    )
    superseded = []
    for period in previous:
        period.live_to = at
        old = session.get(Version, period.version_id)
        if old is not None and old.id != version.id and old.state == LIVE:
            change_state(session, old, SUPERSEDED, at)
            superseded.append(old.number)
    deployment = Deployment(
        model_id=version.model_id,
        version_id=version.id,
        environment=environment,
        live_from=at,
        actor=actor,
    )
    session.add(deployment)
    change_state(session, version, LIVE, at)
    session.flush()
    refresh_model_summary(session, version.model_id)
    append_event(
        session,
        actor=actor,
        action=events.VERSION_WENT_LIVE,
        entity_type="version",
        entity_id=f"{version.model.name} v{version.number}",
        model_id=version.model_id,
        version_id=version.id,
        payload={
            **(extra or {}),
            "environment": environment,
            "at": at,
            "superseded": superseded,
            "manifest_hash": version.manifest_hash,
        },
    )
    return deployment
