"""A model card: what a model is for, who owns it, what is live, its versions and history.

One printable page built from the model page's data (:func:`model_page.model_page`), for a
committee pack or a file note: description, owner, business unit and risk tier, the version
live in each environment, every version with its state and key metrics, the consumers, and
the deployment history. Plain HTML, so the desktop prints it and anything else can.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from sqlalchemy.orm import Session

from signoff.core.catalog.model_page import ModelPage, model_page
from signoff.core.catalog.words import count, state_word


def _day(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d}" if at else "—"


def model_card_from(page: ModelPage, *, printed_by: str, printed_at: datetime) -> str:
    """The model card of *page* as a self-contained HTML page."""
    live = ", ".join(f"{env}: v{n}" for env, n in sorted(page.live.items())) or "none"
    flags = (
        "<ul>" + "".join(f"<li>{escape(why)}</li>" for why in page.flag_reasons.values()) + "</ul>"
        if page.flag_reasons
        else "<p>No flag raised.</p>"
    )
    metric_heads = "".join(f"<th>{escape(m)}</th>" for m in page.key_metrics)
    version_rows = "".join(
        f"<tr><td>v{v.number}</td><td>{escape(state_word(v.state))}</td>"
        f"<td>{escape(v.author)}</td><td>{_day(v.created_at)}</td>"
        + "".join(
            f"<td align='right'>{v.metrics[m]:.4g}</td>" if m in v.metrics else "<td>—</td>"
            for m in page.key_metrics
        )
        + f"<td><code>{escape(v.manifest_hash[:16])}…</code></td></tr>"
        for v in page.versions
    )
    consumer_rows = "".join(
        f"<tr><td>{escape(c.name)}</td><td>{escape(c.kind)}</td>"
        f"<td>{f'pinned to v{c.pinned_version}' if c.pinned_version else 'what is live'}</td>"
        f"<td>{escape(c.contact)}</td><td>{'active' if c.active else 'inactive'}</td></tr>"
        for c in page.consumers
    )
    history_rows = "".join(
        f"<tr><td>v{d.version}</td><td>{escape(d.environment)}</td><td>{_day(d.live_from)}</td>"
        f"<td>{_day(d.live_to) if d.live_to else 'still live'}</td><td>{escape(d.actor)}</td></tr>"
        for d in page.deployments
    )
    return (
        "<html><head><meta charset='utf-8'>"
        f"<title>Model card — {escape(page.name)}</title></head><body>"
        f"<h1>{escape(page.title or page.name)}</h1>"
        f"<p><code>{escape(page.name)}</code></p>"
        f"<p>{escape(page.description)}</p>"
        "<table>"
        f"<tr><th align='left'>Owner</th><td>{escape(page.owner)}</td></tr>"
        f"<tr><th align='left'>Business unit</th><td>{escape(page.business_unit)}</td></tr>"
        f"<tr><th align='left'>Risk tier</th><td>{escape(page.risk_tier)}</td></tr>"
        f"<tr><th align='left'>Tags</th><td>{escape(', '.join(page.tags) or '—')}</td></tr>"
        f"<tr><th align='left'>Live</th><td>{escape(live)}</td></tr>"
        f"<tr><th align='left'>In the registry since</th><td>{_day(page.created_at)}</td></tr>"
        "</table>"
        f"<h2>Flags</h2>{flags}"
        f"<h2>{escape(count(len(page.versions), 'version'))}</h2>"
        "<table width='100%'><tr><th>Version</th><th>State</th><th>Author</th>"
        f"<th>Published</th>{metric_heads}<th>Manifest</th></tr>{version_rows}</table>"
        f"<h2>{escape(count(len(page.consumers), 'consumer'))}</h2>"
        + (
            "<table width='100%'><tr><th>Consumer</th><th>Kind</th><th>Uses</th>"
            f"<th>Contact</th><th></th></tr>{consumer_rows}</table>"
            if page.consumers
            else "<p>None registered.</p>"
        )
        + "<h2>Deployment history</h2>"
        + (
            "<table width='100%'><tr><th>Version</th><th>Environment</th><th>Live from</th>"
            f"<th>Live until</th><th>Put live by</th></tr>{history_rows}</table>"
            if page.deployments
            else "<p>Never live.</p>"
        )
        + f"<p><small>Printed by {escape(printed_by)} at {printed_at:%Y-%m-%d %H:%M} UTC "
        "from the registry.</small></p></body></html>"
    )


def model_card_html(session: Session, name: str, *, printed_by: str, printed_at: datetime) -> str:
    """The model card of the model called *name* (raises NotFoundError when there is none)."""
    return model_card_from(model_page(session, name), printed_by=printed_by, printed_at=printed_at)
