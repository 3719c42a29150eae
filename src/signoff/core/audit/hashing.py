"""The audit chain's hash rule, in one place.

Each event's hash is ``sha256(prev_hash + "\\n" + canonical_json(event))`` where the event
covers its sequence number, database time, actor, action, entity and payload (see
:mod:`signoff.core.audit.chain`). Writing an event and walking the chain both hash through
:func:`hash_fields`; PostgreSQL's seal (migrations 0002 and 0004) computes the same in SQL.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Row

    from signoff.core.db.schema import AuditEvent

GENESIS = "0" * 64
#: an event's stored columns, in the order the walk unpacks them and the export writes them
EVENT_COLUMNS = (
    "seq",
    "at",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "model_id",
    "version_id",
    "payload",
    "prev_hash",
    "hash",
)


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept, datetimes as ISO text."""
    return _CANONICAL.encode(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


# what json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
# default=_json_default) builds on every call, built once
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
)
# the string encoder json uses with ensure_ascii=False (the C one where available)
json_str = json.encoder.encode_basestring


def event_hash(prev_hash: str, event: AuditEvent | Row[Any]) -> str:
    """The hash an event must carry, given the previous event's hash."""
    return hash_fields(
        prev_hash,
        event.seq,
        event.at,
        event.actor,
        event.action,
        event.entity_type,
        event.entity_id,
        event.model_id,
        event.version_id,
        event.payload,
    )


def hash_fields(
    prev_hash: str,
    seq: Any,
    at: datetime,
    actor: Any,
    action: Any,
    entity_type: Any,
    entity_id: Any,
    model_id: Any,
    version_id: Any,
    payload: Any,
) -> str:
    """``sha256(prev_hash + "\\n" + canonical_json(event))`` of an event given field by field."""
    stamp = at.isoformat(timespec="microseconds")
    if (
        type(seq) is int
        and type(actor) is str
        and type(action) is str
        and type(entity_type) is str
        and type(entity_id) is str
        and type(payload) is str
        and (model_id is None or type(model_id) is int)
        and (version_id is None or type(version_id) is int)
    ):
        # the canonical JSON of exactly these types, keys in sorted order, written out
        # directly: the general encoder's dictionary and key sort were most of a walk's cost
        body = (
            f'{{"action":{json_str(action)},"actor":{json_str(actor)},'
            f'"at":{json_str(stamp)},"entity_id":{json_str(entity_id)},'
            f'"entity_type":{json_str(entity_type)},'
            f'"model_id":{"null" if model_id is None else int.__repr__(model_id)},'
            f'"payload":{json_str(payload)},"seq":{int.__repr__(seq)},'
            f'"version_id":{"null" if version_id is None else int.__repr__(version_id)}}}'
        )
    else:  # anything else a tampered row may hold: the general rule decides
        body = canonical_json(
            {
                "seq": seq,
                "at": stamp,
                "actor": actor,
                "action": action,
                "entity_type": entity_type,
                "entity_id": entity_id,
                "model_id": model_id,
                "version_id": version_id,
                "payload": payload,
            }
        )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()
