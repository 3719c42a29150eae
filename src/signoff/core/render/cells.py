"""One notebook cell → what the template shows: every cell, of every type, accounted for.

Code cells get their source highlighted (Pygments, within a per-document budget; the rest is
plain text, still complete) and their outputs rendered one by one
(:mod:`signoff.core.render.outputs`). Markdown cells are rendered and sanitized on their own,
with their attachments resolved one by one: a missing, unsupported or malformed attachment
becomes a visible placeholder, never a refused notebook. Raw cells show their text (or their
HTML, sanitized, when marked ``text/html``). A cell of a type this view does not know is shown
as a note naming the type, with its source as text.

Only what rendering needs reaches the template: sources, tags reduced to safe words, execution
counts that are integers — never metadata, widget state or cell ids (CVE-2021-32862).
"""

from __future__ import annotations

import base64
import binascii
import re
from functools import lru_cache
from typing import Any

from markupsafe import Markup

from signoff.core.render.budget import RenderClock
from signoff.core.render.document import Limits, RenderReport, human_size
from signoff.core.render.markdown import MarkdownRenderer
from signoff.core.render.outputs import OutputRenderer, as_dict, multiline
from signoff.core.render.sanitize import Sanitizer, escape_text, notice_html
from signoff.core.render.svg import svg_data_url

HIGHLIGHT_CELL_CHARS = 64_000  # one cell coloured at most; Pygments takes ~10 µs a character
ATTACHMENT_MIMES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")
_SAFE_WORD = re.compile(r"[^A-Za-z0-9_.+-]")
_MAGIC_LANGUAGES = {
    "%%bash": "bash",
    "%%sh": "bash",
    "%%html": "html",
    "%%javascript": "javascript",
    "%%js": "javascript",
    "%%latex": "latex",
    "%%markdown": "markdown",
    "%%perl": "perl",
    "%%ruby": "ruby",
    "%%sql": "sql",
    "%%R": "r",
    "%%svg": "xml",
}


def safe_word(value: Any, limit: int = 60) -> str:
    """*value* reduced to letters, digits and ``_.+-`` (for tags and language names)."""
    return _SAFE_WORD.sub("", str(value))[:limit]


@lru_cache(maxsize=64)
def lexer_for(language: str) -> Any:
    """The Pygments lexer for *language* (``ipython3`` for Python; plain text if unknown)."""
    from pygments.lexers import get_lexer_by_name
    from pygments.lexers.special import TextLexer
    from pygments.util import ClassNotFound

    if language in ("python", "python3", "ipython", "ipython2", "py"):
        language = "ipython3"  # Python 2 is gone; its notebooks read fine as IPython 3
    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return TextLexer()


def attachment_lookup(attachments: Any) -> Any:
    """For a cell's ``attachments``: name → (data URL, "") or (None, why it is not shown)."""
    bundles = attachments if isinstance(attachments, dict) else {}

    def lookup(name: str) -> tuple[str | None, str]:
        bundle = bundles.get(name)
        if not isinstance(bundle, dict):
            return None, "the notebook has no attachment of that name"
        for mime in ATTACHMENT_MIMES:
            value = multiline(bundle.get(mime))
            if value is None:
                continue
            compact = "".join(value.split())
            try:
                base64.b64decode(compact, validate=True)
            except (binascii.Error, ValueError):
                return None, f"its {mime} data is not valid base64"
            return f"data:{mime};base64,{compact}", ""
        svg = multiline(bundle.get("image/svg+xml"))
        if svg is not None:
            return svg_data_url(svg), ""
        kinds = ", ".join(str(k) for k in list(bundle)[:3]) or "no data"
        return None, f"{kinds} is not an image type this view shows"

    return lookup


class CellRenderer:
    """Turns each cell of one notebook into the template's view of it (see module doc)."""

    def __init__(
        self,
        limits: Limits,
        report: RenderReport,
        clock: RenderClock,
        sanitizer: Sanitizer,
        markdown: MarkdownRenderer,
        outputs: OutputRenderer,
        language: str,
    ) -> None:
        self.limits, self.report, self.clock = limits, report, clock
        self.sanitizer, self.markdown, self.outputs = sanitizer, markdown, outputs
        self.language = language
        self.highlighted = 0

    def render(self, cell: Any, index: int) -> dict[str, Any]:
        """The template's view of cell number *index* (1-based)."""
        where = f"cell {index}"
        if not isinstance(cell, dict):
            return self._unknown(where, "not an object", "")
        metadata = as_dict(cell.get("metadata"))
        tags = metadata.get("tags", [])
        tags = (
            [safe_word(t, 40) for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
        )
        source = multiline(cell.get("source", ""))
        if source is None:
            source = ""
        if len(source) > self.limits.max_output_bytes:
            limit = human_size(self.limits.max_output_bytes)
            self.report.truncated.append(
                f"{where.capitalize()}: its {human_size(len(source))} source is cut to {limit}."
            )
            source = source[: self.limits.max_output_bytes]
        kind = cell.get("cell_type")
        base = {"metadata": {"tags": tags[:20]}}
        if kind == "code":
            return self._code(cell, source, metadata, base, where)
        if kind == "markdown":
            return self._markdown(cell, source, base)
        if kind == "raw":
            return self._raw(source, metadata, base)
        return self._unknown(where, f"of unknown type {str(kind)[:40]!r}", source)

    # -- code -----------------------------------------------------------------------------
    def _code(
        self,
        cell: dict[str, Any],
        source: str,
        metadata: dict[str, Any],
        base: dict[str, Any],
        where: str,
    ) -> dict[str, Any]:
        count = cell.get("execution_count", cell.get("prompt_number"))
        outputs = cell.get("outputs")
        outputs = outputs if isinstance(outputs, list) else []
        rendered = [self.outputs.render(o, f"{where} output {n}") for n, o in enumerate(outputs, 1)]
        return dict(
            base,
            cell_type="code",
            source=Markup(self.highlight(source, metadata)),
            execution_count=count if type(count) is int else None,
            outputs=rendered,
        )

    def highlight(self, source: str, metadata: dict[str, Any]) -> str:
        """Pygments HTML for a code cell, or the same markup uncoloured past the budget."""
        language = self.language
        first_line = source.split("\n", 1)[0].strip()
        magic = first_line.split()[0] if first_line.startswith("%%") else ""
        if magic in _MAGIC_LANGUAGES:
            language = _MAGIC_LANGUAGES[magic]
        elif isinstance(metadata.get("magics_language"), str):
            language = safe_word(metadata["magics_language"])
        css = f"highlight hl-{safe_word(language)}"
        too_long = len(source) > HIGHLIGHT_CELL_CHARS
        over_budget = self.highlighted + len(source) > self.limits.max_highlighted_bytes
        if too_long or over_budget:
            note = (
                f"Code cells over {human_size(HIGHLIGHT_CELL_CHARS)} are shown without colours."
                if too_long
                else "Syntax colouring stopped after "
                f"{human_size(self.limits.max_highlighted_bytes)} of code; the rest is plain text."
            )
            self.report.truncated.append(note)
            return f'<div class="{css}"><pre><span></span>{escape_text(source or " ")}</pre></div>'
        from pygments import highlight
        from pygments.formatters import HtmlFormatter

        self.highlighted += len(source)
        self.clock.tick()
        return highlight(source or " ", lexer_for(language), HtmlFormatter(cssclass=css))

    # -- markdown -------------------------------------------------------------------------
    def _markdown(self, cell: dict[str, Any], source: str, base: dict[str, Any]) -> dict[str, Any]:
        cut = ""
        limit = self.limits.max_markdown_cell_bytes
        if len(source) > limit:
            cut = notice_html(
                f"This Markdown cell is {human_size(len(source))}; the first {human_size(limit)} "
                "are shown."
            )
            self.report.truncated.append(f"Markdown cells over {human_size(limit)} were cut.")
            source = source[:limit]
        self.sanitizer.attachments = attachment_lookup(cell.get("attachments"))
        try:
            markup, notes = self.markdown.render(source)
        finally:
            self.sanitizer.attachments = None
        notes_html = "".join(notice_html(n) for n in notes)
        return dict(base, cell_type="markdown", source=Markup(cut + notes_html + markup))

    # -- raw and unknown ------------------------------------------------------------------
    def _raw(self, source: str, metadata: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
        fmt = metadata.get("format") or metadata.get("raw_mimetype") or ""
        if fmt == "text/html":
            markup, notes = self.sanitizer.clean_fragment(source)
            markup = "".join(notice_html(n) for n in notes) + markup
        elif fmt == "text/markdown":
            markup, notes = self.markdown.render(source)
            markup = "".join(notice_html(n) for n in notes) + markup
        else:
            markup = f'<pre class="signoff-raw">{escape_text(source)}</pre>' if source else ""
        return dict(base, cell_type="raw", source=Markup(markup))

    def _unknown(self, where: str, what: str, source: str) -> dict[str, Any]:
        self.report.not_shown += 1
        note = notice_html(
            f"{where.capitalize()} is {what} and is not rendered.",
            "Its source is shown as text." if source else "",
        )
        text = f'<pre class="signoff-raw">{escape_text(source)}</pre>' if source else ""
        return {"metadata": {"tags": []}, "cell_type": "raw", "source": Markup(note + text)}
