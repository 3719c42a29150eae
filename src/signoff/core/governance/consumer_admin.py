"""What an admin does to consumers from the application: edit, remove, record an
acknowledgement given by phone. Each is one write transaction that first checks the actor
is an admin (the command line's ``signoff consumers`` checks the same)."""

from __future__ import annotations

from typing import Any

from signoff.core.catalog.lookup import get_model, get_version
from signoff.core.common.errors import SignoffError
from signoff.core.db.registry import Registry
from signoff.core.governance.people import require_admin
from signoff.core.notifications.acks import ack_by_names
from signoff.core.notifications.consumers import KEEP, get_consumer, save_consumer

#: pin "what is live" (no pinned version)
FOLLOW_LIVE = 0


def edit_consumer(
    registry: Registry,
    model: str,
    name: str,
    *,
    email: str | None = None,
    kind: str | None = None,
    contact: str | None = None,
    pin: int | None = None,
    active: bool | None = None,
) -> str:
    """Change the fields given (None leaves one as it is; *pin* 0 follows live); audited.

    Raises SignoffError with the reason (not an admin, an unknown version, a bad address)."""
    with registry.write() as session:
        require_admin(session, registry.actor)
        db_model = get_model(session, model)
        get_consumer(session, model, name)  # edit, never create
        fields: dict[str, Any] = {
            "email": email if email is not None else KEEP,
            "kind": kind if kind is not None else KEEP,
            "contact": contact if contact is not None else KEEP,
            "active": active if active is not None else KEEP,
        }
        if pin is not None:
            fields["pinned_version"] = (
                None if pin == FOLLOW_LIVE else get_version(session, model, pin)
            )
        try:
            save_consumer(session, db_model, name, actor=registry.actor, **fields)
        except ValueError as exc:
            raise SignoffError(str(exc)) from exc
    return name


def record_acknowledgement(
    registry: Registry, model: str, consumer: str, number: int, note: str
) -> bool:
    """An admin records an acknowledgement given another way; False when already recorded."""
    with registry.write() as session:
        require_admin(session, registry.actor)
        return ack_by_names(session, model, consumer, number, actor=registry.actor, note=note)
