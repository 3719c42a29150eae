"""One search box over the whole registry: models, versions, people, consumers, subjects.

:func:`search_registry` answers what the desktop's Ctrl+K box asks while a person types: a few
hits of each kind, best first, each naming where it leads (a model page, a version page, the
Audit area filtered by a subject). The database does the matching; at most *limit* rows of each
kind are read, so the answer stays quick on a registry of any size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from signoff.core.catalog.words import roles_in_words, state_word
from signoff.core.db.schema import Consumer, Model, Prediction, User, UserRole, Version

#: the kinds of hit, in the order they are listed
KINDS = ("model", "version", "person", "consumer", "subject")
KIND_TITLES = {
    "model": "Models",
    "version": "Versions",
    "person": "People",
    "consumer": "Consumers",
    "subject": "Prediction subjects",
}

# "credit-risk v3", "credit-risk@3", "credit v3", "v3"
_VERSION_REF = re.compile(r"^(?P<name>.*?)(?:\s+|@|^)v?(?P<number>\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Hit:
    """One search result: what it is, how it reads, and where it leads.

    *model* and *number* name the page to open (a version when *number* is set); a person's
    hit carries the login in *key*, a subject's hit the subject key.
    """

    kind: str
    title: str
    detail: str
    model: str = ""
    number: int = 0
    key: str = ""


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(
    column: ColumnElement[Any] | InstrumentedAttribute[Any], text: str
) -> ColumnElement[bool]:
    return func.lower(func.coalesce(column, "")).like(_like(text), escape="\\")


def _models(session: Session, words: list[str], limit: int) -> list[Hit]:
    conditions = [
        or_(_matches(Model.search_text, w), _matches(Model.business_unit, w)) for w in words
    ]
    rows = session.execute(
        select(
            Model.name,
            Model.title,
            Model.business_unit,
            Model.risk_tier,
            Model.live_version,
            Model.latest_state,
        )
        .where(and_(*conditions))
        .order_by(func.length(Model.name), Model.name)
        .limit(limit)
    ).all()
    hits = []
    for name, title, unit, tier, live, state in rows:
        live_words = f"v{live} live" if live else f"latest {state_word(state)}"
        detail = " · ".join(p for p in (title, unit, f"{tier} tier", live_words) if p)
        hits.append(Hit("model", name, detail, model=name))
    return hits


def _versions(session: Session, text: str, limit: int) -> list[Hit]:
    ref = _VERSION_REF.match(text.strip())
    stmt = select(Model.name, Version.number, Version.state, Version.author, Model.title).join(
        Model, Model.id == Version.model_id
    )
    if ref is not None:
        stmt = stmt.where(Version.number == int(ref.group("number")))
        name = ref.group("name").strip()
        if name:
            stmt = stmt.where(_matches(Model.name, name))
    else:
        # a word names versions by their author, or a model whose versions to list
        stmt = stmt.where(or_(_matches(Version.author, text), _matches(Model.name, text)))
    rows = session.execute(
        stmt.order_by(func.length(Model.name), Model.name, Version.number.desc()).limit(limit)
    ).all()
    return [
        Hit(
            "version",
            f"{name} v{number}",
            f"{state_word(state)} · by {author}" + (f" · {title}" if title else ""),
            model=name,
            number=number,
        )
        for name, number, state, author, title in rows
    ]


def _people(session: Session, text: str, limit: int) -> list[Hit]:
    users = session.execute(
        select(User.id, User.login, User.display_name, User.active)
        .where(or_(_matches(User.login, text), _matches(User.display_name, text)))
        .order_by(User.login)
        .limit(limit)
    ).all()
    roles: dict[int, list[str]] = {}
    if users:
        for user_id, role in session.execute(
            select(UserRole.user_id, UserRole.role)
            .where(UserRole.user_id.in_([u[0] for u in users]))
            .order_by(UserRole.role)
        ):
            roles.setdefault(user_id, []).append(role)
    return [
        Hit(
            "person",
            display or login,
            f"{login} · "
            + (roles_in_words(roles.get(uid, [])) or "no roles")
            + ("" if active else " · inactive"),
            key=login,
        )
        for uid, login, display, active in users
    ]


def _consumers(session: Session, text: str, limit: int) -> list[Hit]:
    rows = session.execute(
        select(Consumer.name, Consumer.kind, Consumer.contact, Model.name)
        .join(Model, Model.id == Consumer.model_id)
        .where(or_(_matches(Consumer.name, text), _matches(Consumer.contact, text)))
        .order_by(Consumer.name, Model.name)
        .limit(limit)
    ).all()
    return [
        Hit(
            "consumer",
            name,
            " · ".join(p for p in (f"uses {model}", kind, contact) if p),
            model=model,
            key=name,
        )
        for name, kind, contact, model in rows
    ]


def _subjects(session: Session, text: str, limit: int) -> list[Hit]:
    # subject keys are matched by prefix, which their index answers
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = session.execute(
        select(
            Prediction.subject_key,
            func.count(Prediction.id),
            func.max(Prediction.predicted_at),
        )
        .where(Prediction.subject_key.like(f"{escaped}%", escape="\\"))
        .group_by(Prediction.subject_key)
        .order_by(Prediction.subject_key.desc())  # keys carry dates in practice: newest first
        .limit(limit)
    ).all()
    hits = []
    for subject, n, last in rows:
        latest = f"{last:%Y-%m-%d}" if last is not None else "—"
        noun = "prediction" if n == 1 else "predictions"
        hits.append(Hit("subject", subject, f"{n} {noun}, the latest on {latest}", key=subject))
    return hits


def prediction_dates(session: Session) -> tuple[datetime | None, datetime | None]:
    """The first and the last time a prediction was recorded (None, None when there is none);
    the Audit area's calendars open on these rather than on an arbitrary year."""
    first, last = session.execute(
        select(func.min(Prediction.predicted_at), func.max(Prediction.predicted_at))
    ).one()
    return first, last


def search_registry(session: Session, text: str, *, limit: int = 6) -> list[Hit]:
    """Up to *limit* hits of each kind for *text*, in the order of :data:`KINDS`.

    Models match every word of *text* in their name, title, owner, tags or business unit;
    versions match ``name vN`` / ``name@N`` / ``vN``, or their author or model name; people
    match login or printed name; consumers their name or contact; prediction subjects start
    with *text*. An empty or one-character text finds nothing (it would match everything).
    """
    text = text.strip()
    if len(text) < 2:
        return []
    words = text.split()
    return [
        *_models(session, words, limit),
        *_versions(session, text, limit),
        *_people(session, text, limit),
        *_consumers(session, text, limit),
        *_subjects(session, text, limit),
    ]


__all__ = ["KINDS", "KIND_TITLES", "Hit", "prediction_dates", "search_registry"]
