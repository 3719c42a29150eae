"""The reproduction report's two renderings, HTML and PDF, from :func:`report_data`'s plain data.

Both show the same sections in the same order; the PDF narrows wide tables (both hashes of a
component in one cell) but leaves out no column the HTML has.
"""

from __future__ import annotations

from typing import Any

from signoff.core.reproduction import htmldoc
from signoff.core.reproduction.htmldoc import e
from signoff.core.reproduction.pdfdoc import PdfReport
from signoff.core.reproduction.report import NOT_COMPARED
from signoff.core.reproduction.report import VERDICT_COLOURS as COLOURS

SIGNATURE_HEADERS = ["Signed by", "Role", "When", "Decision", "Gate", "Meaning", "Bound"]


def _signature_rows(data: dict[str, Any]) -> list[list[str]]:
    return [
        [
            d["who"],
            d["role"],
            d["when"],
            d["action"],
            d["gate"],
            d["meaning"] + (f" — “{d['comment']}”" if d["comment"] else ""),
            "yes" if d["bound"] else "NO",
        ]
        for d in data["decisions"]
    ]


def _output_rows(data: dict[str, Any]) -> list[list[str]]:
    return [
        [r["field"], r["recorded"], r["reproduced"], "yes" if r["same"] else "NO"]
        for r in data["outputs"]
    ]


def story_facts(story: dict[str, Any]) -> list[tuple[str, list[tuple[str, Any]]]]:
    """The story's sections as (title, facts), each stated even when nothing is recorded."""
    run = story["execution"]
    consumer = story["consumer"]
    outcome = story["outcome"]
    period = story["deployment"]
    out: list[tuple[str, list[tuple[str, Any]]]] = []
    if run is None:
        out.append(("Scoring run", [("Execution", "none recorded with the prediction")]))
    else:
        duration = f"{run['duration_s']:.1f} s" if run["duration_s"] is not None else "-"
        out.append(
            (
                "Scoring run",
                [
                    ("Run id", run["run_id"]),
                    ("Status", run["status"]),
                    ("Started / ended", f"{run['started']} / {run['ended']} ({duration})"),
                    ("Rows scored", run["rows_scored"]),
                    ("Input", run["input_uri"]),
                    ("Input sha256", run["input_sha256"]),
                    ("Input file check", run["input_check"]),
                    ("Output", run["output_uri"]),
                    ("Output sha256", run["output_sha256"]),
                    ("Output file check", run["output_check"]),
                ],
            )
        )
    if consumer is None:
        out.append(("Consumer", [("Consumer", "none recorded for the run")]))
    elif not consumer["registered"]:
        out.append(("Consumer", [("Consumer", f"{consumer['name']} (not registered)")]))
    else:
        out.append(
            (
                "Consumer",
                [
                    ("Consumer", f"{consumer['name']} ({consumer['kind']})"),
                    ("Contact", consumer["contact"]),
                    ("Uses", consumer["uses"] + ("" if consumer["active"] else "; inactive")),
                ],
            )
        )
    if outcome is None:
        out.append(("Actual outcome", [("Outcome", "none observed (yet)")]))
    else:
        out.append(
            (
                "Actual outcome",
                [
                    ("Actual", outcome["actual"]),
                    ("Observed", f"{outcome['observed']}, {outcome['after_days']} days later"),
                    ("Recorded", outcome["scope"]),
                ],
            )
        )
    if period is None:
        out.append(
            ("Deployment period", [("Production", "no version was live in production then")])
        )
    else:
        which = "this version" if period["this_version"] else "ANOTHER version"
        out.append(
            (
                "Deployment period",
                [
                    ("Live in production", f"v{period['version']} ({which})"),
                    ("From / to", f"{period['live_from']} / {period['live_to']}"),
                    ("Put live by", period["put_live_by"]),
                ],
            )
        )
    return out


def reproduction_html(data: dict[str, Any]) -> str:
    """The report as one self-contained HTML page."""
    colour = COLOURS.get(data["verdict"], "#555")
    parts = [
        f"<p class=verdict style='background:{colour}'>Verdict: {e(data['headline'])}</p>",
        "<h2>Prediction and version</h2>",
        htmldoc.facts(data["facts"]),
        "<h2>Findings</h2>",
        htmldoc.bullets(data["findings"])
        if data["findings"]
        else f"<p>{e(data['findings_statement'])}</p>",
        "<h2>Recorded and reproduced output</h2>",
        htmldoc.table(
            ["Field", "Recorded", "Reproduced", "Match"],
            _output_rows(data),
            [not r["same"] for r in data["outputs"]],
        ),
        "<h2>Where the prediction came from and went</h2>",
    ]
    for title, rows in story_facts(data["story"]):
        parts += [f"<h3>{e(title)}</h3>", htmldoc.facts(rows)]
    parts.append("<h2>Approvals of this version</h2>")
    parts.append(
        htmldoc.table(
            SIGNATURE_HEADERS,
            _signature_rows(data),
            [not d["bound"] for d in data["decisions"]],
        )
        if data["decisions"]
        else "<p>No decisions are recorded for this version.</p>"
    )
    parts.append("<h2>Hashes checked</h2>")
    parts.append(
        htmldoc.table(
            ["Component", "Path", "Expected sha256", "Found sha256", "Result"],
            [
                [h["component"], h["path"], h["expected"], h["actual"], h["result"]]
                for h in data["hashes"]
            ],
            [h["result"] != "ok" and "not stored" not in h["result"] for h in data["hashes"]],
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
            htmldoc.table(
                ["Package", "Pinned", "Found", "Difference"],
                [[d["package"], d["pinned"], d["found"], d["problem"]] for d in env["differences"]],
            )
            if env["differences"]
            else "<p>No differences from the captured environment.</p>"
        )
    parts.append(f"<h2>Input record</h2><pre>{e(data['input'])}</pre>")
    run = data["run"]
    duration = f", {run['duration_s']:.2f} s" if run["duration_s"] is not None else ""
    parts.append(f"<h2>Run</h2><p>{e(run['status'])}{e(duration)} {e(run['message'])}</p>")
    if run["traceback"]:
        parts.append(f"<pre>{e(run['traceback'])}</pre>")
    parts.append(f"<p><small>Generated by Signoff at {e(data['generated_at'])}.</small></p>")
    return htmldoc.page(data["title"], parts)


def _pdf_hashes(row: dict[str, Any]) -> str:
    if not row["expected"]:
        return "-"
    if row["actual"] == row["expected"]:
        return f"{row['expected']}\n(found identical)"
    return f"expected {row['expected']}\nfound {row['actual'] or '-'}"


def reproduction_pdf(data: dict[str, Any]) -> bytes:
    """The report as an A4 PDF with the same sections and columns as the HTML."""
    doc = PdfReport(data["title"])
    doc.banner(f"Verdict: {data['headline']}", COLOURS.get(data["verdict"], "#555555"))
    doc.section("Prediction and version")
    doc.facts(data["facts"])
    doc.section("Findings")
    if data["findings"]:
        doc.bullets(data["findings"])
    else:
        doc.para(data["findings_statement"])
    doc.section("Recorded and reproduced output")
    doc.table(
        ["Field", "Recorded", "Reproduced", "Match"],
        _output_rows(data),
        (30, 30, 30, 10),
        [not r["same"] for r in data["outputs"]],
    )
    doc.section("Where the prediction came from and went")
    for title, rows in story_facts(data["story"]):
        doc.subsection(title)
        doc.facts(rows)
    doc.section("Approvals of this version")
    if data["decisions"]:
        doc.table(
            SIGNATURE_HEADERS,
            _signature_rows(data),
            (18, 11, 15, 10, 14, 26, 6),
            [not d["bound"] for d in data["decisions"]],
        )
    else:
        doc.para("No decisions are recorded for this version.")
    doc.section("Hashes checked")
    if data["hashes"]:
        doc.table(
            ["Component", "Path", "sha256 (expected / found)", "Result"],
            [[h["component"], h["path"], _pdf_hashes(h), h["result"]] for h in data["hashes"]],
            (22, 18, 46, 14),
            [h["result"] != "ok" and "not stored" not in h["result"] for h in data["hashes"]],
        )
    else:
        doc.para("No artifact was checked.")
    env = data["environment"]
    doc.section("Environment")
    if not env["compared"]:
        doc.para(NOT_COMPARED)
    else:
        doc.para(
            f"Interpreter {env['interpreter']}; Python {env['python']}"
            + (f"; venv {env['venv']}" if env["venv"] else "")
            + "."
        )
        if env["differences"]:
            doc.table(
                ["Package", "Pinned", "Found", "Difference"],
                [[d["package"], d["pinned"], d["found"], d["problem"]] for d in env["differences"]],
                (30, 25, 25, 20),
            )
        else:
            doc.para("No differences from the captured environment.")
    doc.section("Input record")
    doc.para(data["input"], size=7.5, mono=True)
    run = data["run"]
    doc.section("Run")
    duration = f", {run['duration_s']:.2f} s" if run["duration_s"] is not None else ""
    doc.para(f"{run['status']}{duration} {run['message']}")
    if run["traceback"]:
        doc.para(run["traceback"], size=6.5, mono=True)
    doc.pdf.ln(4)
    doc.para(f"Generated by Signoff at {data['generated_at']}.", size=7)
    return doc.output()
