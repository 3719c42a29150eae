"""The trusted page shell around sanitized content: shipped CSS, notices and the outline.

Nothing from the document reaches the ``<head>`` except the escaped title. The CSS is read from
``resources/render/`` (JupyterLab's notebook theme as nbconvert ships it, plus Pygments and
Signoff's own rules), so the page needs no network and no script. A Content-Security-Policy
``<meta>`` repeats the rules for any browser the exported file is opened in.
"""

from __future__ import annotations

import functools
import html
import re
from importlib.resources import files

from signoff.core.render.document import RenderReport, TocEntry

RESOURCE_DIR = "render"

# img-src data: only; no script, no frames, no remote anything.
CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
    "script-src 'none'; object-src 'none'; frame-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)

_HEADING = re.compile(r"<h([1-6])((?:\s[^>]*)?)>(.*?)</h\1>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")


def resource_text(name: str) -> str:
    """The text of ``resources/render/<name>`` (shipped with the package)."""
    return (files("signoff") / "resources" / RESOURCE_DIR / name).read_text(encoding="utf-8")


@functools.cache
def notebook_css() -> str:
    """CSS for rendered notebooks: the JupyterLab light theme, Pygments, Signoff's rules."""
    return resource_text("notebook.css") + "\n" + resource_text("signoff.css")


@functools.cache
def markdown_css() -> str:
    """CSS for rendered Markdown documents (release notes)."""
    return resource_text("markdown.css") + "\n" + resource_text("signoff.css")


def add_heading_anchors(body: str) -> tuple[str, list[TocEntry]]:
    """Give every heading a fresh id (``sec-1``, ``sec-2`` …) and return the outline.

    The body must already be sanitized (ids from the document were removed), so the ids
    are unique and predictable.
    """
    toc: list[TocEntry] = []

    def anchor(match: re.Match[str]) -> str:
        level, attrs, inner = int(match.group(1)), match.group(2) or "", match.group(3)
        text = html.unescape(_TAG.sub("", inner)).replace("¶", "").strip()
        anchor_id = f"sec-{len(toc) + 1}"
        if text:
            toc.append(TocEntry(level, " ".join(text.split())[:200], anchor_id))
        return f'<h{level} id="{anchor_id}"{attrs}>{inner}</h{level}>'

    return _HEADING.sub(anchor, body), toc


def notices_html(report: RenderReport) -> str:
    """A visible banner saying what was left out or blocked (empty when nothing was)."""
    items: list[str] = []
    if report.blocked_remote:
        count = len(report.blocked_remote)
        items.append(
            f"{count} remote reference{'s' if count != 1 else ''} not loaded "
            "(shown as placeholders; this page never contacts the network)."
        )
    if report.removed_scripts:
        items.append(f"{report.removed_scripts} script element(s) / JavaScript output(s) removed.")
    if report.not_shown:
        items.append(
            f"{report.not_shown} output(s), attachment(s) or cell(s) could not be shown as the "
            "notebook's author saw them; a note marks each place."
        )
    items.extend(dict.fromkeys(report.truncated))  # each distinct note once, in order
    if not items:
        return ""
    lis = "".join(f"<li>{html.escape(i)}</li>" for i in items)
    return f'<div class="signoff-notice" role="note"><ul>{lis}</ul></div>'


def build_page(
    title: str,
    body: str,
    css: str,
    report: RenderReport,
    *,
    body_class: str = "",
    body_attrs: str = "",
) -> str:
    """A complete HTML document around an already-sanitized *body*."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        '<meta name="generator" content="Signoff renderer">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{css}\n</style>\n</head>\n"
        f'<body class="{body_class}" {body_attrs}>\n'
        f"{notices_html(report)}\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def too_large_page(title: str, reason: str, css: str, what: str = "notebook") -> str:
    """The page shown instead of a document that ran past its time or memory budget."""
    body = (
        '<div class="signoff-notice signoff-too-large" role="alert">'
        f"<p><strong>This {html.escape(what)} is too large to show: "
        f"{html.escape(reason)}.</strong></p>"
        "<p>Nothing of it is shown, so nothing can be mistaken for the whole. Open the file in "
        "Jupyter, or ask its author for a smaller version (cleared outputs, fewer cells).</p>"
        "</div>"
    )
    return build_page(title, body, css, RenderReport())
