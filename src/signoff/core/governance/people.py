"""People known to the registry: logins, printed names and the roles they hold.

A login is the acting user (OS login on the embedded database, the database login on
PostgreSQL). Roles decide who may sign at which gate. Only an admin changes roles; while no
admin exists at all (a brand-new registry), the first person may set them up — that bootstrap
is written into the audit event so it is never silent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.common.errors import SignoffError
from signoff.core.common.text import BLANKS, name_problem
from signoff.core.db.registry import Registry
from signoff.core.db.schema import ROLES, User, UserRole

log = logging.getLogger(__name__)

ADMIN = "admin"


class PermissionDeniedError(SignoffError):
    """The acting user lacks the role an action needs."""


@dataclass(frozen=True)
class Person:
    """A person as plain data: login, printed name, email, roles."""

    login: str
    display_name: str
    email: str
    roles: tuple[str, ...]
    active: bool = True

    @property
    def printed_name(self) -> str:
        return self.display_name or self.login


def roles_of(session: Session, login: str) -> set[str]:
    """The roles *login* holds (empty for unknown or inactive people)."""
    rows = session.scalars(
        select(UserRole.role)
        .join(User, User.id == UserRole.user_id)
        .where(User.login == login, User.active.is_(True))
    )
    return set(rows)


def printed_name(session: Session, login: str) -> str:
    """The name to print beside a signature: the display name, else the login."""
    name = session.scalar(select(User.display_name).where(User.login == login))
    return name or login


def printed_names(session: Session, logins: set[str]) -> dict[str, str]:
    """Printed names for many logins at once (unknown logins map to themselves)."""
    if not logins:
        return {}
    found = dict(
        session.execute(select(User.login, User.display_name).where(User.login.in_(logins))).all()
    )
    return {login: (found.get(login) or login) for login in logins}


def admins_exist(session: Session) -> bool:
    return (
        session.scalar(
            select(UserRole.id)
            .join(User, User.id == UserRole.user_id)
            .where(UserRole.role == ADMIN, User.active.is_(True))
            .limit(1)
        )
        is not None
    )


def require_admin(session: Session, actor: str) -> bool:
    """Raise PermissionDeniedError unless *actor* is an admin; True when bootstrapping."""
    if ADMIN in roles_of(session, actor):
        return False
    if not admins_exist(session):
        return True
    raise PermissionDeniedError(f"{actor} is not an admin; only an admin may do this")


def list_people(session: Session) -> list[Person]:
    """Everyone known, by login."""
    users = session.scalars(select(User).options(selectinload(User.roles)).order_by(User.login))
    return [
        Person(u.login, u.display_name, u.email, tuple(sorted(r.role for r in u.roles)), u.active)
        for u in users
    ]


def _check_roles(roles: list[str] | tuple[str, ...]) -> list[str]:
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise SignoffError(f"unknown role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}")
    return sorted(set(roles))


def save_person(
    session: Session,
    login: str,
    *,
    actor: str,
    display_name: str | None = None,
    email: str | None = None,
    roles: list[str] | tuple[str, ...] | None = None,
    active: bool | None = None,
) -> Person:
    """Create or update a person (roles replace the old set); audited. Admins only."""
    login = login.strip(BLANKS)
    if not login:
        raise SignoffError("a person needs a login")
    for what, value, limit in (
        ("login", login, 200),
        ("printed name", display_name, 300),
        ("email", email, 300),
    ):
        problem = name_problem(value.strip(BLANKS), limit) if value is not None else None
        if problem:
            raise SignoffError(f"the {what} {value!r} {problem}")
    new_roles = _check_roles(roles) if roles is not None else None
    bootstrap = require_admin(session, actor)
    user = session.scalar(select(User).where(User.login == login).options(selectinload(User.roles)))
    created = user is None
    if user is None:
        user = User(login=login, display_name="", email="")
        session.add(user)
    before = sorted(r.role for r in user.roles)
    if display_name is not None:
        user.display_name = display_name.strip(BLANKS)
    if email is not None:
        user.email = email.strip(BLANKS)
    if active is not None:
        user.active = active
    if new_roles is not None:
        keep = {r.role: r for r in user.roles}
        user.roles = [keep.get(role) or UserRole(role=role) for role in new_roles]
    session.flush()
    after = sorted(r.role for r in user.roles)
    if session.get_bind().dialect.name == "postgresql":
        # the database audits every change to people and roles itself, naming session_user
        return Person(login, user.display_name, user.email, tuple(after), user.active)
    append_event(
        session,
        actor=actor,
        action=events.PERSON_CREATED if created else events.PERSON_UPDATED,
        entity_type="person",
        entity_id=login,
        payload={
            "display_name": user.display_name,
            "email": user.email,
            "roles_before": before,
            "roles": after,
            "active": user.active,
            "bootstrap_without_admin": bootstrap,
        },
    )
    return Person(login, user.display_name, user.email, tuple(after), user.active)


def enrol_person(
    registry: Registry,
    login: str,
    *,
    roles: list[str],
    password: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
) -> Person:
    """Make *login* a person with *roles* and, on PostgreSQL, their own database login with
    *password*, in one transaction: either both exist afterwards or neither does, so there is
    never a login that can sign but is not a person. Admins only (as :func:`save_person`)."""
    with registry.write() as session:
        if not registry.is_embedded:
            from signoff.core.db.pgroles import grant_login

            if not password:
                raise SignoffError(f"a new login needs a password ({login} has none)")
            grant_login(session.connection(), login, password, roles)
        return save_person(
            session,
            login,
            actor=registry.actor,
            display_name=display_name,
            email=email,
            roles=roles,
        )
