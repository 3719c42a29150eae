"""Markdown (Markdown cells, release notes, READMEs) → sanitized, offline HTML.

mistune (the parser nbconvert itself uses) with tables, strikethrough, footnotes and autolinks;
fenced code is highlighted with Pygments; raw HTML in the Markdown is allowed through the
parser and then cut down by the same nh3 sanitizer as notebook outputs, so a ``<script>``, an
``onerror=`` or a ``javascript:`` link in release notes ends up exactly where one in a notebook
does: removed. Links stay visible; following one is the viewer's decision.

Formulas are taken out before parsing (:mod:`signoff.core.render.mathscan`) and drawn after
sanitizing. mistune slows down more than linearly on very long inputs, so text is parsed in
blocks of at most :data:`BLOCK_CHARS`, split at blank lines outside code fences; every block is
a cancellation point.
"""

from __future__ import annotations

import hashlib
import re
import threading
from typing import Any

import mistune

from signoff.core.render.budget import RenderClock
from signoff.core.render.document import (
    CancelCheck,
    Limits,
    ProgressCallback,
    RenderedDocument,
    RenderError,
    RenderReport,
    TooLargeToShow,
    human_size,
)
from signoff.core.render.mathscan import extract_math, restore_math
from signoff.core.render.mathtext import MathBudget
from signoff.core.render.page import add_heading_anchors, build_page, markdown_css, too_large_page
from signoff.core.render.sanitize import Sanitizer, escape_text

BLOCK_CHARS = 16_000
_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)", re.M)
_local = threading.local()


class _HighlightingRenderer(mistune.HTMLRenderer):
    """mistune's HTML renderer with Pygments for fenced code blocks."""

    def sanitize_url(self, url: str) -> str:
        # every URL is judged by the sanitizer afterwards (which also resolves attachment:)
        return url

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
                return highlight(code, lexer, HtmlFormatter(cssclass=f"highlight hl-{language}"))
        return f"<pre><code>{escape_text(code)}</code></pre>\n"


def _parser() -> Any:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = mistune.create_markdown(
            renderer=_HighlightingRenderer(escape=False),
            plugins=["table", "strikethrough", "footnotes", "url"],
        )
    return parser


def split_blocks(text: str, limit: int = BLOCK_CHARS) -> list[str]:
    """*text* cut into pieces of at most *limit* characters, at blank lines outside code
    fences where possible (Markdown blocks do not continue across a blank line)."""
    if len(text) <= limit:
        return [text]
    blocks: list[str] = []
    current: list[str] = []
    size = 0
    in_fence = False
    for paragraph in re.split(r"(\n[ \t]*\n)", text):
        fences = len(_FENCE.findall(paragraph))
        if size + len(paragraph) > limit and current and not in_fence:
            blocks.append("".join(current))
            current, size = [], 0
        while len(paragraph) > limit:  # one paragraph longer than a block: cut at line ends
            cut = paragraph.rfind("\n", 0, limit)
            cut = cut + 1 if cut > 0 else limit
            blocks.append(paragraph[:cut])
            paragraph = paragraph[cut:]
        current.append(paragraph)
        size += len(paragraph)
        in_fence = in_fence != (fences % 2 == 1)
    if current:
        blocks.append("".join(current))
    return blocks


class MarkdownRenderer:
    """Markdown → sanitized HTML for one document; shares its math budget and clock."""

    def __init__(
        self,
        sanitizer: Sanitizer,
        math: MathBudget,
        clock: RenderClock | None = None,
    ) -> None:
        self.sanitizer = sanitizer
        self.math = math
        self.clock = clock

    def render(self, text: str) -> tuple[str, list[str]]:
        """HTML for *text* and the notes about what was cut or not shown."""
        extracted = extract_math(text)
        parts = []
        parser = _parser()
        for block in split_blocks(extracted.text):
            if self.clock is not None:
                self.clock.tick()
            parts.append(parser(block))
        markup, notes = self.sanitizer.clean_fragment("".join(parts))
        return restore_math(markup, extracted, self.math), notes


def markdown_to_safe_html(text: str, report: RenderReport | None = None) -> str:
    """Markdown text → a sanitized HTML fragment (no page shell, no heading anchors)."""
    report = report if report is not None else RenderReport()
    limits = Limits()
    renderer = MarkdownRenderer(Sanitizer(report, limits), MathBudget(limits, report))
    return renderer.render(text)[0]


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
    UTF-8 raises :class:`RenderError`, text beyond the size limit is cut with a visible note,
    and a render past its time budget returns a "too large to show" page.
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
    clock = RenderClock(limits, progress, cancelled)
    try:
        clock.report(0.1, "Rendering Markdown")
        sanitizer = Sanitizer(report, limits)
        sanitizer.tick = clock.tick
        math = MathBudget(limits, report, clock.tick)
        fragment, notes = MarkdownRenderer(sanitizer, math, clock).render(text)
        report.truncated.extend(notes)
        body, toc = add_heading_anchors(sanitizer.wall(fragment))
    except TooLargeToShow as exc:
        report.too_large = str(exc)
        page = too_large_page(title, str(exc), markdown_css(), "document")
        clock.finish("Too large to show")
        return RenderedDocument(
            html=page, title=title, toc=[], report=report, source_sha256=digest, kind="markdown"
        )
    page = build_page(title, body, markdown_css(), report, body_class="signoff-markdown")
    clock.finish("Rendered")
    return RenderedDocument(
        html=page, title=title, toc=toc, report=report, source_sha256=digest, kind="markdown"
    )
