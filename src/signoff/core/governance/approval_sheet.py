"""A version's approval sheet: its gates and signatures on one printable page.

Each signature is printed as 21 CFR 11.50 asks of a signed record: the signer's printed name,
the date and time of signing, and the meaning of the signature (approval, review,
responsibility), next to the role signed as and the manifest hash the signature is bound to.
A signature the audit trail does not vouch for is printed as NOT VERIFIED and not counted.
The sheet is plain HTML built from :class:`~signoff.core.governance.approvals.ApprovalStatus`;
the desktop prints it, and anything else can.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from signoff.core.catalog.words import (
    action_word,
    check_word,
    policy_words,
    role_word,
    roles_in_words,
    state_word,
)
from signoff.core.governance.approvals import ApprovalStatus, Signature


def _when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S} UTC" if at else "—"


def _signature_row(role: str, signature: Signature | None) -> str:
    if signature is None:
        return f"<tr><td>{escape(role_word(role))}</td><td colspan='4'><i>not signed</i></td></tr>"
    trail = (
        "verified" if signature.verified else f"<b>NOT VERIFIED</b>: {escape(signature.problem)}"
    )
    return (
        f"<tr><td>{escape(role_word(role))}</td>"
        f"<td>{escape(signature.printed_name)} ({escape(signature.login)})</td>"
        f"<td>{_when(signature.at)}</td>"
        f"<td>{escape(signature.meaning)}</td>"
        f"<td>{trail}</td></tr>"
    )


def approval_sheet_html(status: ApprovalStatus, *, printed_by: str, printed_at: datetime) -> str:
    """The approval sheet of the version *status* describes, as a self-contained HTML page."""
    st = status
    parts = [
        f"<h1>Approval sheet — {escape(st.model)} v{st.number}</h1>",
        "<table>"
        f"<tr><th align='left'>State</th><td>{escape(state_word(st.state))}</td></tr>"
        f"<tr><th align='left'>Risk tier</th><td>{escape(st.risk_tier)} "
        f"(judged under {escape(policy_words(st.risk_tier, st.policy_revision))})</td></tr>"
        f"<tr><th align='left'>Author</th><td>{escape(st.author)} "
        "(the author never signs their own version)</td></tr>"
        f"<tr><th align='left'>Manifest sha256</th><td><code>{escape(st.manifest_hash)}"
        "</code></td></tr></table>",
    ]
    for gate in st.gates:
        verdict = "complete" if gate.complete else f"needs {escape(roles_in_words(gate.missing))}"
        opened = " — open for signatures now" if gate.open else ""
        parts.append(f"<h2>{escape(gate.title)}</h2><p>{verdict}{opened}</p>")
        parts.append(
            "<table width='100%'><tr><th>Role</th><th>Printed name</th>"
            "<th>Date and time</th><th>Meaning of the signature</th><th>Audit trail</th></tr>"
            + "".join(_signature_row(role, gate.signed.get(role)) for role in gate.required)
            + "</table>"
        )
    if st.checks:
        rows = "".join(
            f"<tr><td>{escape(check_word(c.check))}</td>"
            f"<td>{'required' if c.required else 'not required'}</td>"
            f"<td>{ {True: 'passed', False: 'FAILED', None: 'no evidence'}[c.passed] }</td>"
            f"<td>{_when(c.at)}</td><td>{escape(c.actor)}</td></tr>"
            for c in st.checks
        )
        parts.append(
            "<h2>Deployment checks</h2><table width='100%'><tr><th>Check</th><th></th>"
            f"<th>Verdict</th><th>Recorded</th><th>By</th></tr>{rows}</table>"
        )
    if st.decisions:
        rows = "".join(
            f"<tr><td>{_when(d.at)}</td><td>{escape(d.printed_name)} ({escape(d.login)})</td>"
            f"<td>{escape(action_word(d.action))}</td><td>{escape(d.meaning)}</td>"
            f"<td>{escape(d.comment)}</td>"
            f"<td>{'verified' if d.verified else '<b>NOT VERIFIED</b>'}"
            f"{'' if d.bound_to_current else ' (another manifest)'}</td></tr>"
            for d in st.decisions
        )
        parts.append(
            "<h2>Every signed decision, oldest first</h2><table width='100%'><tr>"
            "<th>Date and time</th><th>Printed name</th><th>Decision</th><th>Meaning</th>"
            f"<th>Comment</th><th>Audit trail</th></tr>{rows}</table>"
        )
    parts.append(
        "<p><small>Each signature is bound to the manifest hash above and recorded in the "
        "registry's hash-chained audit trail; times are the database's clock (UTC). "
        f"Printed by {escape(printed_by)} at {_when(printed_at)}.</small></p>"
    )
    return (
        "<html><head><meta charset='utf-8'>"
        f"<title>Approval sheet — {escape(st.model)} v{st.number}</title></head><body>"
        + "".join(parts)
        + "</body></html>"
    )
