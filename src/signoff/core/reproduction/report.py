"""The reproduction report a person can hand to a regulator, as HTML and as PDF.

It tells the whole story of one recorded prediction: the prediction and the version that
produced it, the scoring run (execution) with its input and output files and their hashes, the
consumer it went to, the actual outcome seen later, the deployment period that covered it, the
version's signatures by printed name and role, every hash checked, the environment, the outputs
side by side, the verdict and the findings (always stated: a failed reproduction's findings
name the cause). Both renderings are stored in the artifact store and their hashes appended to
the audit trail, where ``signoff audit verify-report`` finds them later.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.catalog.words import component_word
from signoff.core.common.clock import utcnow
from signoff.core.common.files import atomic_write
from signoff.core.db.registry import Registry
from signoff.core.reproduction.reproduce import CANCELLED, REPRODUCED, Reproduction
from signoff.core.reproduction.story import prediction_story, printed_names, when

log = logging.getLogger(__name__)

VERDICT_COLOURS = {
    "reproduced": "#1b7f3b",
    "differs": "#b35c00",
    "could not run": "#b3261e",
    "cancelled": "#555555",
}
NOT_COMPARED = "The environment was not compared: the reproduction stopped before that step."
NO_FINDINGS = (
    "No findings. The version that produced the prediction was the one live in production "
    "then; every stored artifact matched its sha256; the input record matched its recorded "
    "hash; the environment matched the captured one; and the reproduced output matched the "
    "recorded one."
)


@dataclass(frozen=True)
class StoredReport:
    """Where the report's two renderings live in the artifact store."""

    html_sha256: str
    pdf_sha256: str
    audit_seq: int


def findings_statement(repro: Reproduction) -> str:
    """What the Findings section says when there are no findings to list."""
    if repro.verdict == REPRODUCED:
        return NO_FINDINGS
    if repro.verdict == CANCELLED:
        return "None: the reproduction was cancelled before it reached a verdict."
    return "None recorded."


def report_data(registry: Registry, repro: Reproduction) -> dict[str, Any]:
    """Everything the report shows, as plain data (the story read from the database)."""
    from signoff.core.reproduction.datalocations import configured_locations

    story = prediction_story(
        registry, repro.prediction_id, repro.manifest_hash, configured_locations(registry)
    )
    with registry.read() as session:
        auditor = printed_names(session, {repro.actor}).get(repro.actor, repro.actor)
    deployment = story["deployment"]
    if deployment is None:
        live_then = "none recorded"
    else:
        live_then = (
            f"v{deployment['version']} ({deployment['environment']}, live from "
            f"{deployment['live_from']} to {deployment['live_to']})"
        )
    env = repro.environment or {}
    run = repro.run or {}
    return {
        "title": f"Reproduction of prediction #{repro.prediction_id}",
        "verdict": repro.verdict,
        "headline": repro.headline,
        "facts": [
            ("Subject", repro.subject_key),
            ("Predicted at", when(repro.predicted_at)),
            ("Model", repro.model),
            ("Version that produced it", f"v{repro.version_number}"),
            ("Live in production then", live_then),
            ("Manifest hash", repro.manifest_hash),
            ("Input record", _input_source(repro)),
            ("Input sha256 recorded", repro.input_sha256_recorded or "(none recorded)"),
            ("Input sha256 of the record scored", repro.input_sha256_computed or "-"),
            ("Reproduced by", auditor if auditor == repro.actor else f"{auditor} ({repro.actor})"),
            ("Reproduced at", when(repro.started_at)),
            ("Audit event of this reproduction", f"#{repro.audit_seq}" if repro.audit_seq else "-"),
        ],
        "findings": list(repro.findings),
        "findings_statement": findings_statement(repro),
        "story": story,
        "decisions": story["signatures"],
        "hashes": [
            {
                "component": f"{component_word(c['kind'])}: {c['name']}",
                "path": c.get("path") or "",
                "expected": c.get("expected") or "",
                "actual": c.get("actual") or "",
                "result": "ok" if c["ok"] and not c.get("problem") else (c.get("problem") or "ok"),
            }
            for c in repro.hash_checks
        ],
        "environment": {
            "compared": bool(env),
            "interpreter": env.get("interpreter", "-"),
            "python": f"pinned {env.get('python_pinned') or '-'}, "
            f"found {env.get('python_found', '-')}",
            "venv": env.get("venv") or "",
            "differences": [
                {
                    "package": d["package"],
                    "pinned": d["pinned"],
                    "found": d["found"] or "not installed",
                    "problem": d["problem"],
                }
                for d in env.get("differences", [])
            ],
        },
        "outputs": side_by_side(
            repro.recorded_output, repro.reproduced_output, {d.field for d in repro.differences}
        ),
        "input": json.dumps(repro.input_record, indent=2, sort_keys=True, default=str)
        if repro.input_record is not None
        else "(no input record was available)",
        "run": {
            "status": run.get("status", "not run"),
            "message": run.get("message", ""),
            "duration_s": run.get("duration_s"),
            "traceback": run.get("traceback", ""),
        },
        "generated_at": f"{utcnow():%Y-%m-%d %H:%M:%S} UTC",
    }


def _input_source(repro: Reproduction) -> str:
    if not repro.input_source:
        return f"not available (reference: {repro.input_ref or 'none'})"
    return f"{repro.input_source}" + (f": {repro.input_where}" if repro.input_where else "")


def _flatten(value: Any, path: str = "output") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key in sorted(value, key=str):
            out.update(_flatten(value[key], f"{path}.{key}"))
        return out
    return {path: value}


def side_by_side(recorded: Any, reproduced: Any, differing: set[str]) -> list[dict[str, Any]]:
    """Rows of (field, recorded, reproduced, same) for the outputs' leaf fields."""
    left = _flatten(recorded)
    right = _flatten(reproduced) if reproduced is not None else {}
    rows = []
    for key in sorted(set(left) | set(right)):
        rows.append(
            {
                "field": key,
                "recorded": _text(left.get(key, "(absent)")),
                "reproduced": _text(right.get(key, "(absent)"))
                if reproduced is not None
                else "(not reproduced)",
                "same": reproduced is not None
                and key not in differing
                and not any(d.startswith(key + ".") for d in differing),
            }
        )
    return rows


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def render_html(data: dict[str, Any]) -> str:
    """A self-contained HTML page (no scripts, no external resources)."""
    from signoff.core.reproduction.report_render import reproduction_html

    return reproduction_html(data)


def render_pdf(data: dict[str, Any]) -> bytes:
    """The same report as a PDF (A4), written with fpdf2."""
    from signoff.core.reproduction.report_render import reproduction_pdf

    return reproduction_pdf(data)


def record_stored_report(
    registry: Registry,
    html_text: str,
    pdf_bytes: bytes,
    *,
    actor: str,
    entity_type: str,
    entity_id: str | int,
    payload: dict[str, Any],
    model_id: int | None = None,
    version_id: int | None = None,
    also: Callable[[Session, int], None] | None = None,
) -> StoredReport:
    """Put both renderings in the artifact store and append ``report.stored`` with their
    hashes (and *payload*: what the report is of, and the event it reports on). *also* runs
    in the same transaction with the event's number (to note it where the report belongs)."""
    html_sha, _, _ = registry.store.put_bytes(html_text.encode("utf-8"))
    pdf_sha, _, _ = registry.store.put_bytes(pdf_bytes)
    with registry.write() as session:
        event = append_event(
            session,
            actor=actor,
            action=events.REPORT_STORED,
            entity_type=entity_type,
            entity_id=entity_id,
            model_id=model_id,
            version_id=version_id,
            payload={**payload, "html_sha256": html_sha, "pdf_sha256": pdf_sha},
            sealed=True,
        )
        seq = event.seq
        if also is not None:
            also(session, seq)
    log.info("stored %s: html %s, pdf %s", payload.get("kind"), html_sha[:12], pdf_sha[:12])
    return StoredReport(html_sha, pdf_sha, seq)


def store_report(
    registry: Registry, repro: Reproduction, *, actor: str | None = None
) -> tuple[StoredReport, str, bytes]:
    """Render the report, put both files in the artifact store and append ``report.stored``
    with their hashes. Returns the stored hashes, the HTML text and the PDF bytes."""
    data = report_data(registry, repro)
    html_text = render_html(data)
    pdf_bytes = render_pdf(data)
    stored = record_stored_report(
        registry,
        html_text,
        pdf_bytes,
        actor=actor or registry.actor,
        entity_type="prediction",
        entity_id=repro.prediction_id,
        model_id=repro.model_id,
        version_id=repro.version_id,
        payload={
            "kind": "reproduction report",
            "verdict": repro.verdict,
            "reproduction_event": repro.audit_seq,
        },
    )
    return stored, html_text, pdf_bytes


def write_report(
    registry: Registry, repro: Reproduction, path: Path | str, *, actor: str | None = None
) -> StoredReport:
    """Store the report and write it to *path*: PDF when it ends in ``.pdf``, else HTML.

    The file is written whole or not at all, byte for byte what the artifact store holds.
    """
    stored, html_text, pdf_bytes = store_report(registry, repro, actor=actor)
    path = Path(path)
    atomic_write(path, pdf_bytes if path.suffix.lower() == ".pdf" else html_text)
    return stored
