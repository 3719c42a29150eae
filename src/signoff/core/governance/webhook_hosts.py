"""The admin's explicit exceptions to the webhook address rules, kept as an audited setting.

Link-local and cloud metadata addresses never receive webhooks (see
:mod:`signoff.core.notifications.webhooks`) unless an admin names the host here, with a reason;
each change is an audit event, so an exception is never silent.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.common.errors import SignoffError
from signoff.core.db.schema import Setting
from signoff.core.governance.people import require_admin
from signoff.core.notifications.webhooks import SETTING_KEY, allowed_webhook_hosts, normal_host

_HOST = re.compile(r"[a-z0-9._:-]+")


def allow_webhook_host(
    session: Session, host: str, *, actor: str, reason: str, allow: bool = True
) -> list[str]:
    """Allow (or, with ``allow=False``, no longer allow) webhooks to *host* whatever address
    it has; admins only, audited with the reason. Returns the hosts allowed afterwards."""
    require_admin(session, actor)
    name = normal_host(host)
    if not name or not _HOST.fullmatch(name):
        raise SignoffError(
            f"{host!r} is not a host name or IP address (no scheme, path, port or spaces)"
        )
    if not reason.strip():
        raise SignoffError("say why this host may receive webhooks despite the address rules")
    hosts = set(allowed_webhook_hosts(session))
    if (name in hosts) == allow:
        return sorted(hosts)  # nothing changes, nothing to audit
    hosts = hosts | {name} if allow else hosts - {name}
    row = session.get(Setting, SETTING_KEY)
    if row is None:
        row = Setting(key=SETTING_KEY, value={})
        session.add(row)
    # a new dict, so the JSON column sees the change
    row.value = {**row.value, "allowed_hosts": sorted(hosts)}
    session.flush()
    append_event(
        session,
        actor=actor,
        action=events.WEBHOOK_HOST_ALLOWED if allow else events.WEBHOOK_HOST_DISALLOWED,
        entity_type="setting",
        entity_id=SETTING_KEY,
        payload={"host": name, "reason": reason.strip(), "allowed_hosts": sorted(hosts)},
    )
    return sorted(hosts)
