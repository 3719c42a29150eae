"""The campaign report: one document for a whole sampled re-run, as HTML and PDF.

It states the conclusion in words, how the sample was drawn (criteria, method, seed, the
population's and the sample's hashes, so anyone can re-draw it), the audit head at the start
and the end, the tally by model and version, every exception with its reason and its audit
event, the findings shared across predictions (environment differences, deployment-history
disagreements), and in an appendix every drawn prediction with its verdict.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.common.clock import utcnow
from signoff.core.db.registry import Registry
from signoff.core.db.schema import AuditEvent
from signoff.core.reproduction import htmldoc
from signoff.core.reproduction.campaigns import (
    FINISHED,
    CampaignItemView,
    CampaignView,
    campaign_items,
    differ_words,
    get_campaign,
)
from signoff.core.reproduction.htmldoc import e
from signoff.core.reproduction.pdfdoc import PdfReport
from signoff.core.reproduction.report import VERDICT_COLOURS
from signoff.core.reproduction.story import printed_names, when

CAUSES = ("the reproduction could not run:", "the reproduced output differs from the recorded")
BY_VERSION_HEADERS = ["Model", "Version", "Drawn", "Reproduced", "Differ", "Could not run"]
EXCEPTION_HEADERS = ["#", "Id", "Subject", "Model", "Predicted at", "Verdict", "Reason", "Event"]
#: events about a prediction that are the campaign's own, not context for its exceptions
OWN_EVENTS = ("prediction.reproduced", "report.stored")


def _conclusion(c: CampaignView) -> str:
    recorded = c.reproduced + c.differs + c.could_not_run
    share = f" ({100 * c.reproduced / recorded:.1f}%)" if recorded else ""
    if c.status != FINISHED:
        return (
            f"The campaign was {c.status} after {recorded} of the {c.drawn} drawn predictions "
            f"had been re-run; {c.reproduced} of them reproduced{share}, {differ_words(c.differs)} "
            f"and {c.could_not_run} could not run. The {c.not_run} not re-run are not judged."
        )
    if c.exceptions == 0:
        return (
            f"All {c.drawn} drawn predictions reproduced: each was re-run on the exact "
            "version that produced it, from verified artifacts and a verified input record, "
            "and gave the recorded output."
        )
    return (
        f"{c.reproduced} of the {c.drawn} drawn predictions{share} reproduced exactly; "
        f"{differ_words(c.differs)} from the recorded output and {c.could_not_run} could not "
        "run. "
        "Each exception is listed below with its reason and the audit event that records it."
    )


def _by_version(items: list[CampaignItemView]) -> list[list[Any]]:
    table: dict[tuple[str, int], list[int]] = {}
    for item in items:
        row = table.setdefault((item.model, item.version), [0, 0, 0, 0])
        row[0] += 1
        row[{"reproduced": 1, "differs": 2}.get(item.verdict, 3)] += 1
    return [[m, f"v{v}", *counts] for (m, v), counts in sorted(table.items())]


def _shared_findings(items: list[CampaignItemView]) -> list[str]:
    counted: dict[tuple[str, int, str], int] = {}
    for item in items:
        for finding in item.findings:
            if not finding.startswith(CAUSES):
                key = (item.model, item.version, finding)
                counted[key] = counted.get(key, 0) + 1
    return [
        f"{model} v{version} ({n} prediction{'s' if n != 1 else ''}): {finding}"
        for (model, version, finding), n in sorted(counted.items())
    ]


def _trail_context(session: Session, items: list[CampaignItemView], until: int) -> dict[int, str]:
    """For each exception, what else the trail recorded about its prediction before the
    campaign ended (a correction, an earlier reproduction, a note): the explanation, if any."""
    ids = [str(i.prediction_id) for i in items if i.is_exception]
    found: dict[int, list[str]] = {}
    for start in range(0, len(ids), 500):
        for event in session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.entity_type == "prediction",
                AuditEvent.entity_id.in_(ids[start : start + 500]),
                AuditEvent.action.not_in(OWN_EVENTS),
                AuditEvent.seq <= until,
            )
            .order_by(AuditEvent.seq)
        ):
            try:
                payload = json.loads(event.payload)
            except ValueError:
                payload = {}
            words = "; ".join(str(v) for v in payload.values()) if isinstance(payload, dict) else ""
            found.setdefault(int(event.entity_id), []).append(
                f"#{event.seq} {event.action} by {event.actor}" + (f": {words}" if words else "")
            )
    return {pid: " | ".join(lines) for pid, lines in found.items()}


def campaign_report_data(registry: Registry, campaign_id: int) -> dict[str, Any]:
    """Everything the campaign report shows, as plain data read from the database."""
    with registry.read() as session:
        c = get_campaign(session, campaign_id)
        items = campaign_items(session, campaign_id)
        name = printed_names(session, {c.actor}).get(c.actor, c.actor)
        context = _trail_context(session, items, c.finished_event or c.head_end[0] or 0)
    last_day = c.window_to - timedelta(microseconds=1)
    scope_option = f"--model {c.model}" if c.model else f"--tier {c.tier}" if c.tier else ""
    redraw = (
        f"signoff audit sample --from {c.window_from:%Y-%m-%d} --to {last_day:%Y-%m-%d} "
        f"{scope_option + ' ' if scope_option else ''}--n {c.requested} --seed {c.seed}"
    )
    exceptions = [i for i in items if i.is_exception]
    return {
        "title": f"Audit campaign #{c.id}: {c.scope}, "
        f"{c.window_from:%Y-%m-%d} to {last_day:%Y-%m-%d}",
        "campaign": c.to_json(),
        "status": c.status,
        "headline": c.summary(),
        "verdict": "reproduced"
        if c.status == FINISHED and not c.exceptions
        else ("differs" if c.status == FINISHED else "cancelled"),
        "conclusion": _conclusion(c),
        "facts": [
            ("Campaign", f"#{c.id} ({c.status})"),
            ("Run by", name if name == c.actor else f"{name} ({c.actor})"),
            ("Started / finished", f"{when(c.created_at)} / {when(c.finished_at)}"),
            ("Recorded between", f"{when(c.window_from)} and {when(c.window_to)} (excluded)"),
            ("Scope", c.scope),
            ("Sample size", f"{c.requested} asked, {c.drawn} drawn from {c.population:,}"),
            ("Seed", c.seed),
            ("Sampling method", c.method),
            ("Population sha256", c.population_sha256),
            ("Sample sha256", c.sample_sha256),
            ("Re-draw with", redraw),
            ("Scoring processes at once", c.workers),
            ("Audit head at the start", f"#{c.head_start[0]} {c.head_start[1]}"),
            (
                "Audit head at the end",
                f"#{c.head_end[0]} {c.head_end[1]}" if c.head_end[0] else "-",
            ),
            ("Events", f"started #{c.started_event or '-'}, finished #{c.finished_event or '-'}"),
        ],
        "by_version": _by_version(items),
        "exceptions": [
            [
                i.position,
                i.prediction_id,
                i.subject_key,
                f"{i.model} v{i.version}",
                when(i.predicted_at),
                i.verdict,
                i.reason
                + (
                    f" — In the audit trail before: {context[i.prediction_id]}"
                    if i.prediction_id in context
                    else ""
                ),
                f"#{i.event_seq}" if i.event_seq else "-",
            ]
            for i in exceptions
        ],
        "findings": _shared_findings(items),
        "appendix": [
            [
                i.position,
                i.prediction_id,
                i.subject_key,
                f"{i.model} v{i.version}",
                when(i.predicted_at),
                i.verdict,
            ]
            for i in items
        ],
        "generated_at": when(utcnow()),
    }


def campaign_html(data: dict[str, Any]) -> str:
    """The campaign report as one self-contained HTML page."""
    colour = VERDICT_COLOURS.get(data["verdict"], "#555")
    parts = [
        f"<p class=verdict style='background:{colour}'>{e(data['headline'])}</p>",
        f"<h2>Conclusion</h2><p>{e(data['conclusion'])}</p>",
        "<h2>The campaign and its sample</h2>",
        htmldoc.facts(data["facts"]),
        "<h2>Results by model and version</h2>",
        htmldoc.table(BY_VERSION_HEADERS, data["by_version"]),
        "<h2>Exceptions</h2>",
        htmldoc.table(EXCEPTION_HEADERS, data["exceptions"], [True] * len(data["exceptions"]))
        if data["exceptions"]
        else "<p>None: every re-run prediction reproduced.</p>",
        "<h2>Findings across predictions</h2>",
        htmldoc.bullets(data["findings"])
        if data["findings"]
        else "<p>None: no environment difference and no disagreement with the deployment "
        "history was found.</p>",
        "<h2>Appendix: every drawn prediction</h2>",
        htmldoc.table(
            ["#", "Prediction", "Subject", "Model", "Predicted at", "Verdict"],
            data["appendix"],
            [row[5] != "reproduced" for row in data["appendix"]],
        ),
        f"<p><small>Generated by Signoff at {e(data['generated_at'])}.</small></p>",
    ]
    meta = {"signoff-campaign": str(data["campaign"]["id"])}
    return htmldoc.page(data["title"], parts, meta=meta)


def campaign_pdf(data: dict[str, Any]) -> bytes:
    """The campaign report as an A4 PDF with the same sections as the HTML."""
    doc = PdfReport(data["title"], keywords=f"signoff campaign {data['campaign']['id']}")
    doc.banner(data["headline"], VERDICT_COLOURS.get(data["verdict"], "#555555"))
    doc.section("Conclusion")
    doc.para(data["conclusion"], size=9)
    doc.section("The campaign and its sample")
    doc.facts(data["facts"])
    doc.section("Results by model and version")
    doc.table(BY_VERSION_HEADERS, data["by_version"], (30, 12, 12, 16, 12, 18))
    doc.section("Exceptions")
    if data["exceptions"]:
        doc.table(
            EXCEPTION_HEADERS,
            data["exceptions"],
            (4, 7, 17, 13, 13, 10, 46, 7),
            [True] * len(data["exceptions"]),
        )
    else:
        doc.para("None: every re-run prediction reproduced.")
    doc.section("Findings across predictions")
    if data["findings"]:
        doc.bullets(data["findings"])
    else:
        doc.para(
            "None: no environment difference and no disagreement with the deployment history "
            "was found."
        )
    doc.section("Appendix: every drawn prediction")
    doc.listing(
        ["#", "Prediction", "Subject", "Model", "Predicted at", "Verdict"],
        data["appendix"],
        (6, 11, 22, 22, 24, 15),
        [row[5] != "reproduced" for row in data["appendix"]],
    )
    doc.pdf.ln(4)
    doc.para(f"Generated by Signoff at {data['generated_at']}.", size=7)
    return doc.output()


def campaign_report(registry: Registry, campaign_id: int) -> tuple[str, bytes]:
    """The campaign report rendered now: (HTML text, PDF bytes)."""
    data = campaign_report_data(registry, campaign_id)
    return campaign_html(data), campaign_pdf(data)
