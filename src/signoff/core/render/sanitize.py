"""The HTML sanitizer every rendered document passes through (nh3, i.e. Rust ammonia).

Security rests on an allow-list, not on finding bad things: only the tags and attributes
below survive, so ``<script>``, ``<iframe>``, ``<object>``, ``<embed>``, ``<form>``, ``<base>``,
``<meta>``, ``<link>``, ``<style>`` and every ``on*=`` event handler disappear wherever they came
from (cell source, any output MIME type, metadata, tags, attachments — CVE-2021-32862).

URLs:

* ``href`` keeps only ``http(s):``, ``mailto:`` and in-page ``#anchors``; ``javascript:``,
  ``data:``, ``file:``, ``vbscript:`` and relative links are removed. Links are shown, never
  followed by the view without a person confirming (the GUI's job).
* ``<img src>`` keeps only ``data:image/…`` (embedded images). A remote image (``http(s):``,
  protocol-relative ``//host``) or a relative/local one becomes a visible placeholder image
  naming what was not loaded; the host is never contacted.
* ``style`` attributes keep a short list of presentational properties; any declaration that
  carries ``url(``, ``image(``, ``@`` rules or CSS escapes is dropped (escapes can spell
  ``url`` in disguise).
* Inline ``<svg>`` is turned into ``<img src="data:image/svg+xml;base64,…">``: an SVG loaded as
  an image cannot run script or fetch anything, so charts keep their fidelity without the risk.

Each piece of content — one output, one Markdown cell — is cleaned on its own
(:meth:`Sanitizer.clean_fragment`): parsed by itself, so a tag it leaves open is closed at its
own end and cannot swallow the cells after it, and checked to come out of a second parse
unchanged (a fragment that is not stable is shown as text instead). Classes the application's
chrome uses (``jp-*``, ``lm-*``, ``cm-*``, ``signoff-*``) are renamed ``doc-…`` in content, so a
document cannot draw a fake code cell or a fake notice. The trusted page around the pieces goes
through :meth:`Sanitizer.wall` — the same allow-list, keeping the chrome's classes — as a second
wall.

A linear pre-pass (:mod:`signoff.core.render.confine`) bounds nesting and attributes before
the parser sees them, and a small cosmetic pass adds a visible "[… not loaded]" note where an
``<iframe>``, ``<video>``, ``<audio>``, ``<object>`` or ``<embed>`` pointed somewhere; the
sanitizer still runs over their output, so neither pass can weaken anything.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import nh3

from signoff.core.render.confine import confine_markup
from signoff.core.render.document import Limits, RenderReport
from signoff.core.render.svg import defang_svg, placeholder_image, svg_to_img

__all__ = [
    "Sanitizer",
    "defang_svg",
    "escape_text",
    "notice_html",
    "sanitize_html",
    "svg_to_img",
]

SAFE_TAGS = frozenset(
    {
        "a",
        "abbr",
        "acronym",
        "b",
        "bdi",
        "bdo",
        "blockquote",
        "br",
        "caption",
        "center",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "details",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "main",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "rp",
        "rt",
        "ruby",
        "s",
        "samp",
        "section",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "tt",
        "u",
        "ul",
        "var",
        "wbr",
        "article",
        "header",
        "footer",
        "aside",
        "nav",
    }
)

# Tags removed together with everything inside them.
DROP_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "applet",
        "frame",
        "frameset",
        "textarea",
        "select",
        "math",
        "svg",
        "video",
        "audio",
        "canvas",
        "title",
        "xmp",
        "noembed",
        "noframes",
        "plaintext",
    }
)

SAFE_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "title", "lang", "dir", "style", "align"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "valign"},
    "th": {"colspan", "rowspan", "valign", "scope"},
    "col": {"span", "width"},
    "colgroup": {"span"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
    "details": {"open"},
    "table": {"border", "cellpadding", "cellspacing"},
}

SAFE_STYLE_PROPERTIES = frozenset(
    {
        "color",
        "background-color",
        "font-weight",
        "font-style",
        "font-size",
        "font-family",
        "font-variant",
        "text-align",
        "text-decoration",
        "text-transform",
        "vertical-align",
        "white-space",
        "word-break",
        "line-height",
        "letter-spacing",
        "border",
        "border-top",
        "border-bottom",
        "border-left",
        "border-right",
        "border-color",
        "border-style",
        "border-width",
        "border-collapse",
        "border-spacing",
        "border-radius",
        "padding",
        "padding-top",
        "padding-bottom",
        "padding-left",
        "padding-right",
        "margin",
        "margin-top",
        "margin-bottom",
        "margin-left",
        "margin-right",
        "width",
        "height",
        "max-width",
        "min-width",
        "max-height",
        "min-height",
        "display",
        "overflow",
        "overflow-x",
        "overflow-y",
        "float",
        "clear",
        "opacity",
        "table-layout",
        "text-indent",
    }
)

_DATA_IMAGE = re.compile(r"^data:image/(png|jpe?g|gif|webp|bmp|svg\+xml)[;,]", re.I)
_REMOTE = re.compile(r"^(?:https?:)?//", re.I)
_STYLE_DANGER = re.compile(r"\\|url|image|@|expression|behavio|binding", re.I)
_NEGATIVE_MARGIN = re.compile(r"^\s*margin[a-z-]*\s*:.*-\s*[0-9.]", re.I)
_EMBEDDING_TAG = re.compile(r"<(iframe|video|audio|object|embed|source|link)\b([^>]*)>", re.I)
_URL_ATTR = re.compile(
    r"""\b(?:src|href|data|poster)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I
)
RESERVED_CLASS = re.compile(r"^(?:jp-|lm-|cm-|codemirror|signoff-)", re.I)
_ATTACHMENT = "attachment:"


def notice_html(message: str, detail: str = "") -> str:
    """The visible "not shown" box the renderer puts where content could not be shown."""
    extra = f' <span class="signoff-notice-detail">{html.escape(detail)}</span>' if detail else ""
    return (
        f'<div class="signoff-notice signoff-not-shown" role="note">'
        f"{html.escape(message)}{extra}</div>"
    )


def _mark_embeddings(fragment: str, report: RenderReport) -> str:
    """Cosmetic pre-pass: visible notes where embedded remote content was (see module doc)."""

    def note(match: re.Match[str]) -> str:
        tag = match.group(1).lower()
        url_match = _URL_ATTR.search(match.group(2))
        url = next((g for g in url_match.groups() if g), "") if url_match else ""
        if url and _REMOTE.match(url.strip()):
            report.note_remote(url.strip())
        if tag in {"source", "link"} and not url:
            return match.group(0)
        what = f"embedded {tag}" + (f" from {url.strip()[:120]}" if url else "")
        return (
            f'<span class="signoff-blocked">[{html.escape(what)} not loaded]</span>'
            + match.group(0)
        )

    return _EMBEDDING_TAG.sub(note, fragment)


#: ``attachment:name`` → a ``data:`` URL, or the reason it cannot be shown
AttachmentLookup = Callable[[str], tuple[str | None, str]]


class Sanitizer:
    """Turns untrusted HTML into HTML that runs nothing and fetches nothing.

    One instance per render: it records what it blocked in :attr:`report`. Set
    :attr:`attachments` while cleaning a Markdown cell so ``attachment:`` images resolve.
    """

    def __init__(self, report: RenderReport | None = None, limits: Limits | None = None) -> None:
        self.report = report if report is not None else RenderReport()
        self.limits = limits or Limits()
        self.attachments: AttachmentLookup | None = None
        self.tick: Callable[[], None] | None = None
        self._notes: list[str] = []
        self._content = self._cleaner(self._filter_content, extra_scheme="attachment")
        self._trusted = self._cleaner(self._filter_trusted)

    @staticmethod
    def _cleaner(
        attribute_filter: Callable[[str, str, str], str | None], extra_scheme: str = ""
    ) -> nh3.Cleaner:
        schemes = {"http", "https", "mailto", "data"} | ({extra_scheme} if extra_scheme else set())
        return nh3.Cleaner(
            tags=set(SAFE_TAGS),
            clean_content_tags=set(DROP_WITH_CONTENT),
            attributes={k: set(v) for k, v in SAFE_ATTRIBUTES.items()},
            attribute_filter=attribute_filter,
            strip_comments=True,
            link_rel="noopener noreferrer nofollow",
            url_schemes=schemes,
            filter_style_properties=set(SAFE_STYLE_PROPERTIES),
            url_relative="pass_through",
        )

    # -- content: one output or one Markdown cell at a time ---------------------------------
    def clean_fragment(self, fragment: str) -> tuple[str, list[str]]:
        """Sanitize one piece of content on its own; returns the HTML and notes for the page.

        The result is closed at its own end (nothing it leaves open can reach the markup
        after it) and is a fixed point of the sanitizer (a browser parses it the same way).
        """
        self._notes = []
        if not fragment:
            return "", []
        confined = confine_markup(
            fragment,
            max_depth=self.limits.max_depth,
            max_attributes=self.limits.max_attributes,
            tick=self.tick,
        )
        self.report.removed_scripts += confined.scripts
        markup = confined.markup
        lowered_has_embed = any(
            f"<{t}" in markup.lower()
            for t in ("iframe", "video", "audio", "object", "embed", "source", "link")
        )
        if lowered_has_embed:
            markup = _mark_embeddings(markup, self.report)
        cleaned = self._content.clean(markup)
        for _ in range(2):  # converges in one step on everything seen so far
            again = self._content.clean(cleaned)
            if again == cleaned:
                break
            cleaned = again
        else:
            text = self._content.clean(html.escape(markup))
            cleaned = f"<pre>{text}</pre>"
            self._notes.append("HTML that does not parse the same way twice is shown as text.")
        return cleaned, confined.notes + self._notes

    def clean(self, fragment: str) -> str:
        """Sanitize an HTML fragment (see the module docstring for the exact promises)."""
        return self.clean_fragment(fragment)[0]

    # -- the trusted page: a second wall over template output + cleaned pieces ----------------
    def wall(self, markup: str) -> str:
        """Sanitize the renderer's own assembled markup, keeping the chrome's classes."""
        return self._trusted.clean(markup) if markup else ""

    # nh3 calls these for every allowed attribute; returning None removes the attribute.
    def _filter_content(self, element: str, attribute: str, value: str) -> str | None:
        if attribute == "class":
            return " ".join(
                f"doc-{name}" if RESERVED_CLASS.match(name) else name for name in value.split()
            )
        return self._filter_common(element, attribute, value)

    def _filter_trusted(self, element: str, attribute: str, value: str) -> str | None:
        if attribute == "class":
            return value
        if attribute == "src" and element == "img" and _DATA_IMAGE.match(value.strip()):
            self.report.images += 1
        return self._filter_common(element, attribute, value)

    def _filter_common(self, element: str, attribute: str, value: str) -> str | None:
        if attribute == "href":
            return self._filter_href(value)
        if attribute == "src":
            return self._filter_src(element, value)
        if attribute == "style":
            return self._filter_style(value)
        return value

    def _filter_href(self, value: str) -> str | None:
        url = value.strip()
        if url.startswith("#"):
            return url
        lowered = url.lower()
        if lowered.startswith(("http://", "https://", "mailto:")):
            return url
        if url.startswith("//"):
            return "https:" + url  # a link, shown; never followed without confirmation
        return None

    def _filter_src(self, element: str, value: str) -> str | None:
        if element != "img":
            return None
        url = value.strip()
        if _DATA_IMAGE.match(url):
            return url
        if url.lower().startswith(_ATTACHMENT) and self.attachments is not None:
            name = url[len(_ATTACHMENT) :]
            data_url, reason = self.attachments(name)
            if data_url is not None:
                return data_url
            self.report.not_shown += 1
            self._notes.append(f"Attachment '{name[:80]}' not shown: {reason}.")
            return placeholder_image(f"Attachment not shown: {reason}", name)
        if _REMOTE.match(url):
            self.report.note_remote(url)
            host = urlsplit(url if ":" in url.split("/")[0] else "https:" + url).netloc
            return placeholder_image(f"Remote image not loaded ({host or 'unknown host'})", url)
        return placeholder_image("Image not embedded in the document (not loaded)", url)

    def _filter_style(self, value: str) -> str | None:
        kept = []
        for declaration in value.split(";"):
            if _STYLE_DANGER.search(declaration):
                if "url" in declaration.lower():
                    self.report.note_remote(declaration.strip()[:200])
                continue
            if _NEGATIVE_MARGIN.match(declaration):
                continue  # content may not pull itself over the chrome or other cells
            kept.append(declaration)
        return ";".join(kept) or None


def sanitize_html(fragment: str, report: RenderReport | None = None) -> str:
    """Sanitize one HTML fragment with a fresh :class:`Sanitizer` (convenience for callers)."""
    return Sanitizer(report).clean(fragment)


def escape_text(text: str) -> str:
    """HTML-escape plain text (quotes included)."""
    return html.escape(text, quote=True)
