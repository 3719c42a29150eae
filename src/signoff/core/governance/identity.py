"""Who is acting, and proving it again at signing time (21 CFR 11.200: two components).

On PostgreSQL each person connects with their own login; signing re-authenticates by opening a
fresh connection with the password typed into the decision dialog. A wrong password is refused
and audited (in its own transaction, so the audit survives the refusal). Passwords are never
stored by Signoff: people may keep them in the system keyring or in libpq's own files
(``~/.pgpass``, a service file).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.engine import URL, make_url

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.common.errors import SignoffError
from signoff.core.db.registry import Registry

log = logging.getLogger(__name__)
KEYRING_SERVICE = "signoff"


class ReauthenticationError(SignoffError):
    """The password given at signing did not authenticate the signed-in login."""


def verify_password(registry: Registry, password: str, *, purpose: str = "signing") -> None:
    """Check *password* for the registry's login with a fresh connection; audit a failure.

    On the embedded SQLite registry there is no second component to check: it is a single
    workstation, and the operating-system login is the identity.
    """
    if registry.is_embedded:
        return
    import psycopg  # only shared (PostgreSQL) registries need it; keep start-up light

    url = make_url(registry.location.db_url)
    login = registry.actor
    # keyword parameters, not a URL: a password may hold spaces, '@', '/' or '%'
    params: dict[str, Any] = {
        key: value
        for key, value in {"host": url.host, "port": url.port, "dbname": url.database}.items()
        if value is not None
    }
    params.update({k: v for k, v in url.query.items() if isinstance(v, str)})
    try:
        with psycopg.connect(user=login, password=password, connect_timeout=10, **params) as conn:
            who = conn.execute("SELECT session_user").fetchone()
    except psycopg.OperationalError as exc:
        _audit_failure(registry, login, purpose, str(exc).strip().splitlines()[0])
        raise ReauthenticationError(
            f"the password for {login} was not accepted; nothing was signed"
        ) from exc
    if not who or who[0] != login:
        _audit_failure(registry, login, purpose, "authenticated as another login")
        raise ReauthenticationError("re-authentication answered for another login")


def _audit_failure(registry: Registry, login: str, purpose: str, reason: str) -> None:
    log.warning("re-authentication failed for %s (%s)", login, purpose)
    with registry.write() as session:
        append_event(
            session,
            actor=login,
            action=events.REAUTHENTICATION_FAILED,
            entity_type="login",
            entity_id=login,
            payload={"purpose": purpose, "reason": reason[:200]},
        )


def remember_password(db_url: str, password: str) -> None:
    """Keep a password in the system keyring (never in Signoff's own files)."""
    import keyring

    keyring.set_password(KEYRING_SERVICE, _key(db_url), password)


def remembered_password(db_url: str) -> str | None:
    """A password kept in the system keyring for this database and login, if any."""
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, _key(db_url))
    except Exception as exc:  # noqa: BLE001 - no usable keyring backend is not an error here
        log.info("no keyring available: %s", exc)
        return None


def _key(db_url: str) -> str:
    url = make_url(db_url)
    return f"{url.username}@{url.host}:{url.port or 5432}/{url.database}"


def without_password(db_url: str) -> str:
    """*db_url* with any password removed (safe to store in settings or logs)."""
    if "://" not in db_url:
        return db_url
    url = make_url(db_url)
    if url.password is None:
        return db_url
    # URL.set() treats None as "leave unchanged", so build the URL again without it
    bare = URL.create(
        url.drivername, url.username, None, url.host, url.port, url.database, url.query
    )
    return bare.render_as_string(hide_password=False)


def with_password(db_url: str, password: str | None, *, remember: bool = False) -> str:
    """*db_url* with the password to connect: the one given, else one kept in the keyring.

    With *remember*, a given password is put in the system keyring for next time.
    """
    if "://" not in db_url or not db_url.startswith("postgresql"):
        return db_url
    url = make_url(db_url)
    if url.password is not None:
        return db_url
    if password and remember:
        try:
            remember_password(db_url, password)
        except Exception as exc:  # noqa: BLE001 - no keyring backend: connect all the same
            log.warning("could not keep the password in the system keyring: %s", exc)
    password = password or remembered_password(db_url)
    if not password:
        return db_url  # libpq may still find it in ~/.pgpass or a service file
    return url.set(password=password).render_as_string(hide_password=False)
