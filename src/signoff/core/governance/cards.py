"""Model cards: intended use, limitations, risk rationale … per version, from the manifest's
``[card]`` table and edited afterwards through audited decisions.

A version's card is its manifest's ``[card]`` fields, then every edit made to it, in order
(the newest wins); each edit is an insert-only :class:`~signoff.core.db.schema.CardEntry` with
one audit event, checked by ``signoff audit verify``. The people who may edit a card: the
model's owner, the version's author, validators and admins; a reason is always recorded.
On PostgreSQL the database's ``signoff_edit_card`` checks and records each edit.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.catalog.lookup import get_version
from signoff.core.common.errors import SignoffError
from signoff.core.db import model_risk as rk
from signoff.core.db.registry import db_now
from signoff.core.db.schema import CardEntry, Version
from signoff.core.governance.people import PermissionDeniedError, roles_of


@dataclass(frozen=True)
class CardField:
    """One field of a card: its value, and where it came from (manifest, or who edited it)."""

    name: str
    value: str
    source: str  # "manifest", "edited by bob on 2026-10-01", or "" (empty)

    @property
    def title(self) -> str:
        return rk.CARD_TITLES[self.name]


@dataclass(frozen=True)
class ModelCard:
    """A version's card, every field in the declared order."""

    model: str
    number: int
    fields: tuple[CardField, ...]

    def value(self, name: str) -> str:
        return next(f.value for f in self.fields if f.name == name)


def card_of(session: Session, model: str, number: int) -> ModelCard:
    """The card of ``model vNUMBER`` as it stands."""
    version = get_version(session, model, number)
    manifest = version.manifest.get("card") if isinstance(version.manifest, dict) else None
    values = {k: (str(v), "manifest") for k, v in (manifest or {}).items() if k in rk.CARD_FIELDS}
    for entry in session.scalars(
        select(CardEntry).where(CardEntry.version_id == version.id).order_by(CardEntry.id)
    ):
        values[entry.field] = (entry.value, f"edited by {entry.actor} on {entry.at:%Y-%m-%d}")
    return ModelCard(
        model,
        number,
        tuple(CardField(f, *values.get(f, ("", ""))) for f in rk.CARD_FIELDS),
    )


def card_refusal(session: Session, version: Version, actor: str) -> str:
    """Why *actor* may not edit *version*'s card ('' when they may)."""
    if actor in (version.author, version.model.owner):
        return ""
    if roles_of(session, actor) & set(rk.CARD_EDITOR_ROLES):
        return ""
    return "only the model's owner, the version's author, a validator or an admin edits its card"


def edit_card(
    session: Session,
    model: str,
    number: int,
    field: str,
    value: str,
    *,
    reason: str,
    actor: str,
    at: datetime | None = None,
) -> int:
    """Set one field of ``model vNUMBER``'s card, with the reason; audited. Returns the
    edit's id. Raises SignoffError (a bad field, value or reason) or PermissionDeniedError."""
    if field not in rk.CARD_FIELDS:
        raise SignoffError(f"unknown card field '{field}'; fields are {', '.join(rk.CARD_FIELDS)}")
    value, reason = (value or "").strip(), (reason or "").strip()
    if len(value) > rk.CARD_TEXT_LIMIT:
        raise SignoffError(f"a card field is at most {rk.CARD_TEXT_LIMIT} characters")
    if not reason:
        raise SignoffError("a reason is required to edit a model card")
    version = get_version(session, model, number)
    why = card_refusal(session, version, actor)
    if why:
        raise PermissionDeniedError(f"{actor} may not edit the card of {model} v{number}: {why}")
    if card_of(session, model, number).value(field) == value:
        raise SignoffError(f"the {rk.CARD_TITLES[field].lower()} is already that")
    if session.get_bind().dialect.name == "postgresql":
        return _edit_in_database(session, version.id, field, value, reason, at)
    now = at or db_now(session)
    entry = CardEntry(
        model_id=version.model_id,
        version_id=version.id,
        field=field,
        value=value,
        reason=reason,
        actor=actor,
        at=now,
    )
    session.add(entry)
    session.flush()
    append_event(
        session,
        actor=actor,
        action=events.CARD_EDITED,
        entity_type="version",
        entity_id=f"{model} v{number}",
        model_id=version.model_id,
        version_id=version.id,
        payload={
            "card_entry_id": entry.id,
            "field": field,
            "value": value,
            "reason": reason,
            "at": now,
        },
    )
    return entry.id


def _edit_in_database(
    session: Session, version_id: int, field: str, value: str, reason: str, at: datetime | None
) -> int:
    """``signoff_edit_card``: the database checks who edits and records it (its refusal is
    passed on in its words)."""
    try:
        return int(
            session.execute(
                text("SELECT signoff_edit_card(:v, :f, :value, :r, :at)"),
                {"v": version_id, "f": field, "value": value, "r": reason, "at": at},
            ).scalar_one()
        )
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", "") not in ("42501", "22023", "02000"):
            raise  # not a refusal: a serialization failure to retry, a lost connection
        diag = getattr(exc.orig, "diag", None)
        words = str(getattr(diag, "message_primary", None) or exc.orig).strip()
        if getattr(exc.orig, "sqlstate", "") == "42501":
            raise PermissionDeniedError(words) from exc
        raise SignoffError(words) from exc


def compare_cards(a: ModelCard, b: ModelCard) -> list[tuple[str, str, str, bool]]:
    """Field title, value in *a*, value in *b*, whether they are the same."""
    return [
        (fa.title, fa.value, fb.value, fa.value == fb.value)
        for fa, fb in zip(a.fields, b.fields, strict=True)
    ]


def render_card_html(card: ModelCard) -> str:
    """The card as a self-contained HTML page (every value escaped)."""
    rows = "\n".join(
        f"<h2>{html.escape(f.title)}</h2><p>{html.escape(f.value) or '<em>not given</em>'}</p>"
        + (f'<p class="src">{html.escape(f.source)}</p>' if f.source else "")
        for f in card.fields
    )
    title = html.escape(f"Model card: {card.model} v{card.number}")
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>'
        "<style>body{font-family:sans-serif;max-width:46em;margin:2em auto}"
        ".src{color:#666;font-size:85%}</style></head>"
        f"<body><h1>{title}</h1>\n{rows}\n</body></html>\n"
    )


def render_card_pdf(card: ModelCard) -> bytes:
    """The card as a PDF (A4), with the same fonts as the other reports."""
    from fpdf import FPDF

    from signoff.core.reproduction.pdfdoc import fonts_dir

    pdf = FPDF(format="A4")
    pdf.set_creator("Signoff")
    fonts = fonts_dir()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(
        width, 8, f"Model card: {card.model} v{card.number}", new_x="LMARGIN", new_y="NEXT"
    )
    for f in card.fields:
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 11)
        pdf.multi_cell(width, 6, f.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9.5)
        pdf.multi_cell(width, 5, f.value or "not given", align="L", new_x="LMARGIN", new_y="NEXT")
        if f.source:
            pdf.set_font("DejaVu", "", 7.5)
            pdf.multi_cell(width, 4, f.source, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


__all__ = [
    "CardField",
    "ModelCard",
    "card_of",
    "card_refusal",
    "compare_cards",
    "edit_card",
    "render_card_html",
    "render_card_pdf",
]
