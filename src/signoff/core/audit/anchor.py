"""The audit chain checked against a head kept elsewhere, every time it is verified.

A walk of the chain proves that no event was changed *relative to the events after it*; whoever
can rewrite the database can rewrite the whole chain with valid hashes, or cut its tail. Only a
head exported earlier to a place that person cannot write (another share, another database)
catches that. :func:`verify_anchored` adds that comparison to the registry's verdict and says in
plain words what it proves: "verified against the head exported at T (seq N)", or "no anchor".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.audit.anchor_store import (
    ANCHOR_ENV,
    AnchoredHead,
    AnchorError,
    AnchorStore,
    configured_anchor,
    open_anchor,
    registry_label,
)
from signoff.core.audit.chain import event_count, head, verify_chain
from signoff.core.audit.verify import AuditReport, verify_registry
from signoff.core.db.registry import db_now
from signoff.core.db.schema import AuditEvent

VERIFIED, NONE, MISSING, FAILED, UNREADABLE = "verified", "none", "missing", "failed", "unreadable"

HOW_TO_ANCHOR = (
    "keep the head elsewhere with 'signoff audit anchor set LOCATION' (a file on another "
    f"share, or a sqlite:/// or postgresql:// URL) or ${ANCHOR_ENV}"
)
NO_ANCHOR = f"no anchor: a rewrite of the whole chain would not be detected; {HOW_TO_ANCHOR}"


@dataclass(frozen=True)
class AnchorVerdict:
    """What the comparison with the anchored head found."""

    status: str
    message: str
    location: str = ""
    head: AnchoredHead | None = None
    broken_seq: int | None = None

    @property
    def ok(self) -> bool:
        """True unless the anchor shows tampering or could not be consulted."""
        return self.status in (VERIFIED, NONE)


def registry_identity(session: Session) -> str | None:
    """The registry's identity: the hash of its chain's first event (None while empty)."""
    return session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == 1))


def exported_when(anchored: AnchoredHead) -> str:
    """The head's export time as a person reads it (database clock, UTC)."""
    try:
        return datetime.fromisoformat(anchored.exported_at).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return anchored.exported_at


def judge_against_heads(
    session: Session, db_url: str, heads: list[AnchoredHead], where: str
) -> AnchorVerdict:
    """Compare the chain in *session* with the heads an anchor holds."""
    own_id = registry_identity(session)
    label = registry_label(db_url)
    end_seq, _end_hash = head(session)
    mine = next((h for h in heads if own_id is not None and h.registry_id == own_id), None)
    if mine is None:
        return _no_head_of_ours(own_id, label, heads, where)
    when = f"the head exported at {exported_when(mine)} (seq {mine.seq})"
    if end_seq < mine.seq:
        removed = f"#{end_seq + 1}" if end_seq + 1 == mine.seq else f"#{end_seq + 1}–#{mine.seq}"
        return AnchorVerdict(
            FAILED,
            f"truncated: the chain ends at #{end_seq}, but {when} in {where} is later: "
            f"event(s) {removed} were removed",
            where,
            mine,
            end_seq + 1,
        )
    stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == mine.seq))
    if stored is None:
        return AnchorVerdict(
            FAILED,
            f"event #{mine.seq}, {when} in {where}, is missing from the chain",
            where,
            mine,
            mine.seq,
        )
    if stored != mine.hash:
        return AnchorVerdict(
            FAILED,
            f"rewritten: event #{mine.seq} no longer has the hash of {when} in {where}; "
            "the chain was rewritten at or before it (verify --against-export with a full "
            "export names the first altered event)",
            where,
            mine,
            mine.seq,
        )
    later = end_seq - mine.seq
    note = f"; {later} later event(s) not anchored yet" if later else ""
    return AnchorVerdict(VERIFIED, f"verified against {when} in {where}{note}", where, mine)


def _no_head_of_ours(
    own_id: str | None, label: str, heads: list[AnchoredHead], where: str
) -> AnchorVerdict:
    by_label = next((h for h in heads if h.registry == label), None)
    if by_label is not None:
        first = f"first event {own_id[:12]}…" if own_id else "no events at all"
        return AnchorVerdict(
            FAILED,
            f"the head exported at {exported_when(by_label)} (seq {by_label.seq}) in {where} "
            f"for this database belongs to a chain whose first event is "
            f"{by_label.registry_id[:12]}…, but this chain has {first}: the whole chain was "
            "rewritten (or the database replaced)",
            where,
            by_label,
            1,
        )
    if own_id is None:
        return AnchorVerdict(NONE, f"the chain is empty: nothing to anchor yet in {where}", where)
    others = f" (it holds the heads of {len(heads)} other registries)" if heads else ""
    return AnchorVerdict(
        MISSING,
        f"not verified: the anchor {where} holds no head of this registry{others}. If it "
        "never held one, write it with 'signoff audit anchor write'; if it did, the anchor "
        "belongs to another registry or this chain was rewritten from its first event",
        where,
    )


def check_anchor(session: Session, db_url: str, location: str | None = None) -> AnchorVerdict:
    """The chain in *session* against the anchor at *location* (default: the configured one)."""
    try:
        if location is None:
            setting = configured_anchor(db_url)
            if setting is None:
                return AnchorVerdict(NONE, NO_ANCHOR)
            location = setting.location
        store = open_anchor(location)
        heads = store.heads()
    except AnchorError as exc:
        return AnchorVerdict(
            UNREADABLE, f"the anchor could not be consulted: {exc}", location or ""
        )
    return judge_against_heads(session, db_url, heads, store.describe())


def write_anchor(
    session: Session, db_url: str, location: str | None = None
) -> tuple[AnchoredHead, AnchorStore]:
    """Export the chain's current head to the anchor (default: the configured one).

    Refuses (AnchorError) when no anchor is configured, the chain is empty or broken, or the
    anchor already shows tampering: an anchor never blesses a rewritten or truncated chain.
    """
    if location is None:
        setting = configured_anchor(db_url)
        if setting is None:
            raise AnchorError(f"no anchor is configured for this registry: {HOW_TO_ANCHOR}")
        location = setting.location
    store = open_anchor(location)
    own_id = registry_identity(session)
    if own_id is None:
        raise AnchorError("the audit chain is empty: nothing to anchor yet")
    chain = verify_chain(session)
    if not chain.intact:
        raise AnchorError(f"not anchoring a broken chain: {chain.describe()}")
    verdict = judge_against_heads(session, db_url, store.heads(), store.describe())
    if verdict.status == FAILED:
        raise AnchorError(f"the anchor keeps the head it has: {verdict.message}")
    anchored = AnchoredHead(
        registry_id=own_id,
        registry=registry_label(db_url),
        seq=chain.head_seq,
        hash=chain.head_hash,
        events=event_count(session),
        exported_at=db_now(session).isoformat(timespec="seconds"),
    )
    store.put(anchored)
    return anchored, store


@dataclass(frozen=True)
class AnchoredAudit:
    """The registry's verdict (chain and records) together with the anchor's."""

    audit: AuditReport
    anchor: AnchorVerdict

    @property
    def intact(self) -> bool:
        return self.audit.intact and self.anchor.ok

    @property
    def anchor_line(self) -> str:
        """The anchor's sentence, worded for a chain that is itself broken when it is."""
        if self.anchor.status == VERIFIED and not self.audit.chain.intact:
            anchored = self.anchor.head
            assert anchored is not None
            return (
                f"the head exported at {exported_when(anchored)} (seq {anchored.seq}) is still "
                "in place, but the chain is broken (above)"
            )
        return self.anchor.message

    def describe(self) -> str:
        return f"{self.audit.describe()}\n{self.anchor_line}"


def verify_anchored(
    session: Session,
    db_url: str,
    *,
    location: str | None = None,
    against: tuple[int, str] | None = None,
) -> AnchoredAudit:
    """Walk the chain, cross-check the records, and compare with the anchored head."""
    return AnchoredAudit(verify_registry(session, against), check_anchor(session, db_url, location))
