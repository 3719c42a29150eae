"""Markdown (release notes, READMEs) → sanitized, offline HTML, under the notebook's rules.

mistune (the parser nbconvert itself uses) with tables, strikethrough, footnotes and autolinks;
fenced code is highlighted with Pygments; raw HTML in the Markdown is allowed through the
parser and then cut down by the same nh3 sanitizer as notebooks, so a ``<script>``, an
``onerror=`` or a ``javascript:`` link in release notes ends up exactly where one in a notebook
does: removed. Links stay visible; following one is the viewer's decision.
"""

from __future__ import annotations

import hashlib
from typing import Any

import mistune

from signoff.core.common.progress import (
    CancelCheck,
    ProgressCallback,
    check_cancelled,
    report_progress,
)
from signoff.core.render.document import (
    Limits,
    RenderedDocument,
    RenderError,
    RenderReport,
    human_size,
)
from signoff.core.render.mathtext import render_math_in_html
from signoff.core.render.page import add_heading_anchors, build_page, markdown_css
from signoff.core.render.sanitize import Sanitizer, escape_text


class _HighlightingRenderer(mistune.HTMLRenderer):
    """mistune's HTML renderer with Pygments for fenced code blocks."""

    def block_code(self, code: str, info: str | None = None) -> str:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import get_lexer_by_name
        from pygments.util import ClassNotFound

        language = (info or "").strip().split(None, 1)[0] if info else ""
        if language:
            try:
                lexer = get_lexer_by_name(language)
            except ClassNotFound:
                lexer = None
            if lexer is not None:
                return highlight(code, lexer, HtmlFormatter(cssclass="highlight"))
        return f"<pre><code>{escape_text(code)}</code></pre>\n"


def _parser() -> Any:
    return mistune.create_markdown(
        renderer=_HighlightingRenderer(escape=False),
        plugins=["table", "strikethrough", "footnotes", "url"],
    )


def markdown_to_safe_html(text: str, report: RenderReport | None = None) -> str:
    """Markdown text → a sanitized HTML fragment (no page shell, no heading anchors)."""
    report = report if report is not None else RenderReport()
    return Sanitizer(report).clean(render_math_in_html(_parser()(text)))


def render_markdown(
    data: bytes | str,
    *,
    title: str = "Release notes",
    progress: ProgressCallback | None = None,
    limits: Limits | None = None,
    cancelled: CancelCheck | None = None,
) -> RenderedDocument:
    """Render Markdown to a complete, sanitized, offline HTML page with an outline.

    Same promises as :func:`signoff.core.render.notebook.render_notebook`; text that is not
    UTF-8 raises :class:`RenderError`, text beyond the size limit is cut with a visible note.
    """
    limits = limits or Limits()
    raw = data.encode("utf-8") if isinstance(data, str) else data
    digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RenderError(
            f"not a Markdown document: the file is not UTF-8 text "
            f"({exc.reason} at byte {exc.start})"
        ) from exc
    if "\x00" in text:
        raise RenderError("not a Markdown document: the file contains NUL bytes (binary?)")
    report = RenderReport()
    if len(text) > limits.max_markdown_bytes:
        report.truncated.append(
            f"The document is {human_size(len(text))}; only the first "
            f"{human_size(limits.max_markdown_bytes)} are shown."
        )
        text = text[: limits.max_markdown_bytes]
    check_cancelled(cancelled, "the render")
    report_progress(progress, 0.1, "Rendering Markdown")
    body, toc = add_heading_anchors(markdown_to_safe_html(text, report))
    page = build_page(title, body, markdown_css(), report, body_class="signoff-markdown")
    report_progress(progress, 1.0, "Rendered")
    return RenderedDocument(
        html=page, title=title, toc=toc, report=report, source_sha256=digest, kind="markdown"
    )
