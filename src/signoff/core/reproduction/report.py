"""The reproduction report a person can hand to a regulator, as HTML and as PDF.

It states the prediction, the version and its approvals (who signed, when, with what meaning,
and whether the signature is bound to the manifest that was run), every hash checked, the
environment differences, the recorded and reproduced outputs side by side, and the verdict.
Both files are stored in the artifact store and their hashes appended to the audit trail.
The PDF is written with fpdf2 (pure Python) using matplotlib's bundled DejaVu fonts, so the
core needs no Qt and the report shows any Unicode name.
"""

from __future__ import annotations

import html
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.catalog.words import action_word, gate_word, role_word
from signoff.core.common.clock import utcnow
from signoff.core.common.files import atomic_write
from signoff.core.db.registry import Registry
from signoff.core.db.schema import Decision, User
from signoff.core.reproduction.reproduce import Reproduction

log = logging.getLogger(__name__)

VERDICT_COLOURS = {
    "reproduced": "#1b7f3b",
    "differs": "#b35c00",
    "could not run": "#b3261e",
    "cancelled": "#555555",
}


NOT_COMPARED = "The environment was not compared: the reproduction stopped before that step."


@dataclass(frozen=True)
class StoredReport:
    """Where the report's two renderings live in the artifact store."""

    html_sha256: str
    pdf_sha256: str
    audit_seq: int


#: what each kind of versioned component is called in the report
COMPONENT_WORDS = {
    "data": "data",
    "script": "script",
    "configuration": "configuration",
    "model_object": "model object",
    "documentation": "documentation",
    "environment": "environment",
    "tests": "tests",
}


def _signed_name(names: dict[str, str], login: str) -> str:
    """A signer as a regulator reads them: the printed name, with the login that signed."""
    name = names.get(login) or ""
    return f"{name} ({login})" if name and name != login else login


def report_data(registry: Registry, repro: Reproduction) -> dict[str, Any]:
    """Everything the report shows, as plain data (decisions read from the database).

    People appear by printed name with their login, and gates, roles and decisions in words
    (never the stored tokens), the same in the HTML and the PDF.
    """
    decisions: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    with registry.read() as session:
        rows = []
        if repro.version_id is not None:
            rows = list(
                session.scalars(
                    select(Decision)
                    .where(Decision.version_id == repro.version_id)
                    .order_by(Decision.at, Decision.id)
                )
            )
        logins = {d.actor for d in rows} | {repro.actor}
        names = dict(
            session.execute(
                select(User.login, User.display_name).where(User.login.in_(logins))
            ).all()
        )
        for d in rows:
            decisions.append(
                {
                    "who": _signed_name(names, d.actor),
                    "when": f"{d.at:%Y-%m-%d %H:%M:%S} UTC",
                    "action": action_word(d.action),
                    "gate": gate_word(d.gate) if d.gate else "",
                    "role": role_word(d.role) if d.role else "",
                    "meaning": d.meaning,
                    "comment": d.comment,
                    "bound": d.manifest_hash == repro.manifest_hash,
                }
            )
    env = repro.environment or {}
    run = repro.run or {}
    return {
        "title": f"Reproduction of prediction #{repro.prediction_id}",
        "verdict": repro.verdict,
        "headline": repro.headline,
        "facts": [
            ("Subject", repro.subject_key),
            (
                "Predicted at",
                f"{repro.predicted_at:%Y-%m-%d %H:%M:%S} UTC" if repro.predicted_at else "-",
            ),
            ("Model", repro.model),
            ("Version that produced it", f"v{repro.version_number}"),
            (
                "Live in production then",
                f"v{repro.live_version_then}" if repro.live_version_then else "none recorded",
            ),
            ("Manifest hash", repro.manifest_hash),
            ("Input sha256 recorded", repro.input_sha256_recorded or "(none recorded)"),
            ("Input sha256 of stored record", repro.input_sha256_computed or "-"),
            ("Reproduced by", _signed_name(names, repro.actor)),
            ("Reproduced at", f"{repro.started_at:%Y-%m-%d %H:%M:%S} UTC"),
            ("Audit event", f"#{repro.audit_seq}" if repro.audit_seq else "-"),
        ],
        "findings": list(repro.findings),
        "decisions": decisions,
        "hashes": [
            {
                "component": f"{COMPONENT_WORDS.get(c['kind'], c['kind'].replace('_', ' '))}: "
                f"{c['name']}",
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
        "input": json.dumps(repro.input_record, indent=2, sort_keys=True, default=str),
        "run": {
            "status": run.get("status", "not run"),
            "message": run.get("message", ""),
            "duration_s": run.get("duration_s"),
            "traceback": run.get("traceback", ""),
        },
        "generated_at": f"{utcnow():%Y-%m-%d %H:%M:%S} UTC",
    }


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


# --- HTML ------------------------------------------------------------------------------------

_CSS = """body{font-family:'DejaVu Sans',Arial,sans-serif;margin:2em;color:#222;max-width:60em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;font-size:.9em}td,th{border:1px solid #ccc;
padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f2f2f2}
.verdict{padding:.6em 1em;color:#fff;font-size:1.2em;border-radius:4px}
.bad{background:#fde8e6}.mono{font-family:'DejaVu Sans Mono',monospace;word-break:break-all}
pre{background:#f7f7f7;padding:.6em;overflow:auto}"""


def _table(
    headers: list[str],
    rows: list[list[Any]],
    bad: list[bool] | None = None,
    mono: tuple[int, ...] = (),
) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = ' class="bad"' if bad and bad[i] else ""
        cells = "".join(
            f"<td{' class=mono' if j in mono else ''}>{html.escape(str(c))}</td>"
            for j, c in enumerate(row)
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def render_html(data: dict[str, Any]) -> str:
    """A self-contained HTML page (no scripts, no external resources)."""
    e = html.escape
    colour = VERDICT_COLOURS.get(data["verdict"], "#555")
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(data['title'])}"
        f"</title><style>{_CSS}</style></head><body><h1>{e(data['title'])}</h1>",
        f"<p class=verdict style='background:{colour}'>Verdict: {e(data['headline'])}</p>",
        "<h2>Prediction and version</h2>",
        _table(["", ""], [list(f) for f in data["facts"]], mono=(1,)),
    ]
    parts.append("<h2>Findings</h2>")
    parts.append(
        "<ul>" + "".join(f"<li>{e(f)}</li>" for f in data["findings"]) + "</ul>"
        if data["findings"]
        else "<p>None.</p>"
    )
    parts.append("<h2>Recorded and reproduced output</h2>")
    parts.append(
        _table(
            ["Field", "Recorded", "Reproduced", "Match"],
            [
                [r["field"], r["recorded"], r["reproduced"], "yes" if r["same"] else "NO"]
                for r in data["outputs"]
            ],
            [not r["same"] for r in data["outputs"]],
        )
    )
    parts.append("<h2>Approvals of this version</h2>")
    parts.append(
        _table(
            ["Who", "When", "Decision", "Gate", "Role", "Meaning", "Bound to manifest"],
            [
                [
                    d["who"],
                    d["when"],
                    d["action"],
                    d["gate"],
                    d["role"],
                    d["meaning"],
                    "yes" if d["bound"] else "NO",
                ]
                for d in data["decisions"]
            ],
            [not d["bound"] for d in data["decisions"]],
        )
        if data["decisions"]
        else "<p>No decisions are recorded for this version.</p>"
    )
    parts.append("<h2>Hashes checked</h2>")
    parts.append(
        _table(
            ["Component", "Path", "Expected sha256", "Found sha256", "Result"],
            [
                [h["component"], h["path"], h["expected"], h["actual"], h["result"]]
                for h in data["hashes"]
            ],
            [
                h["result"] not in ("ok",) and "not stored" not in h["result"]
                for h in data["hashes"]
            ],
            mono=(2, 3),
        )
        if data["hashes"]
        else "<p>No artifact was checked.</p>"
    )
    env = data["environment"]
    parts.append("<h2>Environment</h2>")
    if not env["compared"]:
        parts.append(f"<p>{NOT_COMPARED}</p>")
    else:
        parts.append(
            f"<p>Interpreter <span class=mono>{e(env['interpreter'])}</span>; Python "
            f"{e(env['python'])}{'; venv ' + e(env['venv']) if env['venv'] else ''}.</p>"
        )
    parts.append(
        _table(
            ["Package", "Pinned", "Found", "Difference"],
            [[d["package"], d["pinned"], d["found"], d["problem"]] for d in env["differences"]],
        )
        if env["differences"]
        else "<p>No differences from the captured environment.</p>"
        if env["compared"]
        else ""
    )
    parts.append(f"<h2>Input record</h2><pre>{e(data['input'])}</pre>")
    run = data["run"]
    duration = f", {run['duration_s']:.2f} s" if run["duration_s"] is not None else ""
    parts.append(f"<h2>Run</h2><p>{e(run['status'])}{e(duration)} {e(run['message'])}</p>")
    if run["traceback"]:
        parts.append(f"<pre>{e(run['traceback'])}</pre>")
    parts.append(
        f"<p><small>Generated by Signoff at {e(data['generated_at'])}.</small></p></body></html>"
    )
    return "\n".join(parts)


# --- PDF -------------------------------------------------------------------------------------


def _fonts_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def render_pdf(data: dict[str, Any]) -> bytes:
    """The same report as a PDF (A4), written with fpdf2."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(format="A4")
    pdf.set_creator("Signoff")
    pdf.set_title(data["title"])
    fonts = _fonts_dir()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVuMono", "", str(fonts / "DejaVuSansMono.ttf"))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(width, 8, data["title"], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    colour = VERDICT_COLOURS.get(data["verdict"], "#555555")
    pdf.set_fill_color(*(int(colour[i : i + 2], 16) for i in (1, 3, 5)))
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("DejaVu", "B", 12)
    pdf.multi_cell(
        width, 9, f" Verdict: {data['headline']}", fill=True, new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_text_color(0, 0, 0)
    pdf.set_fill_color(255, 255, 255)
    heading = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
    bad_row = FontFace(fill_color=(253, 232, 230))

    def section(title: str) -> None:
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(width, 7, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 8)

    def table(
        headers: list[str] | None,
        rows: list[list[str]],
        widths: tuple[int, ...],
        bad: list[bool] | None = None,
    ) -> None:
        with pdf.table(
            col_widths=widths,
            headings_style=heading,
            line_height=4.2,
            first_row_as_headings=headers is not None,
            text_align="LEFT",
        ) as tab:
            if headers is not None:
                tab.row(headers)
            for i, row in enumerate(rows):
                tab.row([str(c) for c in row], style=bad_row if bad and bad[i] else None)

    def para(text: str) -> None:
        pdf.multi_cell(width, 4.5, text, new_x="LMARGIN", new_y="NEXT")

    section("Prediction and version")
    table(None, [list(f) for f in data["facts"]], (30, 70))
    section("Findings")
    for finding in data["findings"] or ["None."]:
        para(f"- {finding}" if data["findings"] else finding)
    section("Recorded and reproduced output")
    table(
        ["Field", "Recorded", "Reproduced", "Match"],
        [
            [r["field"], r["recorded"], r["reproduced"], "yes" if r["same"] else "NO"]
            for r in data["outputs"]
        ],
        (30, 30, 30, 10),
        [not r["same"] for r in data["outputs"]],
    )
    section("Approvals of this version")
    if data["decisions"]:
        table(
            ["Who", "When", "Decision", "Gate", "Role", "Meaning", "Bound"],
            [
                [
                    d["who"],
                    d["when"],
                    d["action"],
                    d["gate"],
                    d["role"],
                    d["meaning"],
                    "yes" if d["bound"] else "NO",
                ]
                for d in data["decisions"]
            ],
            (17, 15, 11, 16, 11, 22, 8),
            [not d["bound"] for d in data["decisions"]],
        )
    else:
        para("No decisions are recorded for this version.")
    section("Hashes checked")
    if data["hashes"]:
        table(
            ["Component", "Path", "sha256 (expected / found)", "Result"],
            [[h["component"], h["path"], _pdf_hashes(h), h["result"]] for h in data["hashes"]],
            (22, 18, 46, 14),
            [h["result"] != "ok" and "not stored" not in h["result"] for h in data["hashes"]],
        )
    else:
        para("No artifact was checked.")
    env = data["environment"]
    section("Environment")
    if not env["compared"]:
        para(NOT_COMPARED)
    else:
        para(
            f"Interpreter {env['interpreter']}; Python {env['python']}"
            + (f"; venv {env['venv']}" if env["venv"] else "")
            + "."
        )
    if env["differences"]:
        table(
            ["Package", "Pinned", "Found", "Difference"],
            [[d["package"], d["pinned"], d["found"], d["problem"]] for d in env["differences"]],
            (30, 25, 25, 20),
        )
    elif env["compared"]:
        para("No differences from the captured environment.")
    section("Input record")
    pdf.set_font("DejaVuMono", "", 7.5)
    para(data["input"])
    pdf.set_font("DejaVu", "", 8)
    run = data["run"]
    section("Run")
    duration = f", {run['duration_s']:.2f} s" if run["duration_s"] is not None else ""
    para(f"{run['status']}{duration} {run['message']}")
    if run["traceback"]:
        pdf.set_font("DejaVuMono", "", 6.5)
        para(run["traceback"])
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 7)
    para(f"Generated by Signoff at {data['generated_at']}.")
    return bytes(pdf.output())


def _pdf_hashes(row: dict[str, Any]) -> str:
    if not row["expected"]:
        return "-"
    if row["actual"] == row["expected"]:
        return f"{row['expected']}\n(found identical)"
    return f"expected {row['expected']}\nfound {row['actual'] or '-'}"


# --- storing ---------------------------------------------------------------------------------


def store_report(
    registry: Registry, repro: Reproduction, *, actor: str | None = None
) -> tuple[StoredReport, str, bytes]:
    """Render the report, put both files in the artifact store and append ``report.stored``
    with their hashes. Returns the stored hashes, the HTML text and the PDF bytes."""
    data = report_data(registry, repro)
    html_text = render_html(data)
    pdf_bytes = render_pdf(data)
    html_sha, _, _ = registry.store.put_bytes(html_text.encode("utf-8"))
    pdf_sha, _, _ = registry.store.put_bytes(pdf_bytes)
    with registry.write() as session:
        event = append_event(
            session,
            actor=actor or registry.actor,
            action=events.REPORT_STORED,
            entity_type="prediction",
            entity_id=repro.prediction_id,
            model_id=repro.model_id,
            version_id=repro.version_id,
            payload={
                "kind": "reproduction report",
                "verdict": repro.verdict,
                "html_sha256": html_sha,
                "pdf_sha256": pdf_sha,
                "reproduction_event": repro.audit_seq,
            },
            sealed=True,
        )
        seq = event.seq
    log.info(
        "stored report for prediction %s: html %s, pdf %s",
        repro.prediction_id,
        html_sha[:12],
        pdf_sha[:12],
    )
    return StoredReport(html_sha, pdf_sha, seq), html_text, pdf_bytes


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
