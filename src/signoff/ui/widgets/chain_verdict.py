"""The audit verdict in one line of rich text: the chain walk, the records, and the anchor.

The Audit area and the version's Audit tab both show it, so a person reads the same words in
both places: "verified against the head exported at T (seq N)", or plainly that without an
anchor a rewrite of the whole chain would not be detected.
"""

from __future__ import annotations

import html

from signoff.core.audit.anchor import NONE, VERIFIED, AnchoredAudit

OK, WARN, BAD = "#1b6e20", "#8a5a00", "#b3261e"


def _span(colour: str, words: str, *, bold: bool = False) -> str:
    inner = f"<b>{html.escape(words)}</b>" if bold else html.escape(words)
    return f"<span style='color:{colour}'>{inner}</span>"


def verdict_html(verdict: AnchoredAudit) -> str:
    """The verdict as rich text for a QLabel (every word escaped)."""
    chain = verdict.audit.chain
    if chain.intact:
        parts = [_span(OK, f"Audit chain intact ({chain.events} events, head #{chain.head_seq}).")]
    else:
        parts = [
            _span(BAD, f"Audit chain broken at event #{chain.broken_seq}:", bold=True)
            + " "
            + _span(BAD, f"{chain.problem}.")
        ]
    if verdict.audit.records:
        count = len(verdict.audit.records)
        parts.append(
            _span(
                BAD,
                f"{count} signature(s) or evidence row(s) do not match the trail "
                "and are not counted.",
                bold=True,
            )
        )
    anchor = verdict.anchor
    line = verdict.anchor_line[:1].upper() + verdict.anchor_line[1:]
    if anchor.status == VERIFIED and chain.intact:
        parts.append(_span(OK, f"{line}."))
    elif anchor.status == NONE:
        parts.append(_span(WARN, f"{line}."))
    else:
        parts.append(_span(BAD, f"{line}.", bold=anchor.status != VERIFIED))
    return " ".join(parts)


def verdict_tooltip(verdict: AnchoredAudit) -> str:
    """The whole verdict as plain text, every record problem included."""
    return verdict.describe()
