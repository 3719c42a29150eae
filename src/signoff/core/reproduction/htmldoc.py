"""Self-contained HTML for Signoff's reports: one style sheet, escaped tables, no scripts.

Every value is escaped here, so a hostile subject key or comment is shown, never run.
"""

from __future__ import annotations

import html
from typing import Any

CSS = """body{font-family:'DejaVu Sans',Arial,sans-serif;margin:2em;color:#222;max-width:62em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
h3{font-size:1em;margin:1em 0 .3em}
table{border-collapse:collapse;width:100%;font-size:.9em}td,th{border:1px solid #ccc;
padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f2f2f2}
.verdict{padding:.6em 1em;color:#fff;font-size:1.2em;border-radius:4px}
.bad{background:#fde8e6}.mono{font-family:'DejaVu Sans Mono',monospace;word-break:break-all}
pre{background:#f7f7f7;padding:.6em;overflow:auto;white-space:pre-wrap}"""

e = html.escape


def table(
    headers: list[str] | None,
    rows: list[list[Any]],
    bad: list[bool] | None = None,
    mono: tuple[int, ...] = (),
) -> str:
    """An HTML table; rows flagged in *bad* get the ``bad`` class, columns in *mono* a fixed
    font (hashes)."""
    head = "<tr>" + "".join(f"<th>{e(h)}</th>" for h in headers) + "</tr>" if headers else ""
    body = []
    for i, row in enumerate(rows):
        cls = ' class="bad"' if bad and bad[i] else ""
        cells = "".join(
            f"<td{' class=mono' if j in mono else ''}>{e(str(c))}</td>" for j, c in enumerate(row)
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table>{head}{''.join(body)}</table>"


def facts(rows: list[tuple[str, Any]]) -> str:
    """Label / value pairs as a two-column table, values in a fixed font."""
    return table(None, [[label, value] for label, value in rows], mono=(1,))


def bullets(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{e(i)}</li>" for i in items) + "</ul>"


def page(title: str, body: list[str], *, meta: dict[str, str] | None = None) -> str:
    """A whole document around *body* (already escaped HTML parts)."""
    metas = "".join(
        f"<meta name='{e(name)}' content='{e(value)}'>" for name, value in (meta or {}).items()
    )
    return "\n".join(
        [
            f"<!DOCTYPE html><html><head><meta charset='utf-8'>{metas}<title>{e(title)}</title>"
            f"<style>{CSS}</style></head><body><h1>{e(title)}</h1>",
            *body,
            "</body></html>",
        ]
    )
