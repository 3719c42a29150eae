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

A small cosmetic pre-pass adds a visible "[… not loaded]" note where an ``<iframe>``,
``<video>``, ``<audio>``, ``<object>`` or ``<embed>`` pointed somewhere; the sanitizer still runs
over its output, so the pre-pass cannot weaken anything.
"""

from __future__ import annotations

import base64
import html
import re
from urllib.parse import urlsplit

import nh3

from signoff.core.render.document import RenderReport

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
_INLINE_SVG = re.compile(r"<svg\b.*?</svg\s*>", re.I | re.S)
_EMBEDDING_TAG = re.compile(r"<(iframe|video|audio|object|embed|source|link)\b([^>]*)>", re.I)
_URL_ATTR = re.compile(
    r"""\b(?:src|href|data|poster)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I
)


def _placeholder_image(label: str, detail: str) -> str:
    """A data: SVG that shows *label* and *detail*: what was not loaded, visibly."""
    detail = detail if len(detail) <= 70 else detail[:67] + "..."
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="420" height="56">'
        '<rect x="0.5" y="0.5" width="419" height="55" fill="#f4f4f4" stroke="#b0b0b0" '
        'stroke-dasharray="4 3"/>'
        f'<text x="12" y="23" font-family="sans-serif" font-size="13" fill="#555">'
        f"{html.escape(label)}</text>"
        f'<text x="12" y="42" font-family="monospace" font-size="11" fill="#777">'
        f"{html.escape(detail)}</text></svg>"
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


_SVG_SCRIPT = re.compile(r"<script\b.*?(?:</script\s*>|$)", re.I | re.S)
_SVG_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.I)
_SVG_BAD_HREF = re.compile(
    r"""\s(?:xlink:)?href\s*=\s*(?:"\s*(?:javascript|https?|//)[^"]*"|'\s*(?:javascript|https?|//)[^']*')""",
    re.I,
)


def defang_svg(svg_markup: str) -> str:
    """*svg_markup* without script elements, event handlers, script or remote hrefs.

    Belt and braces: an SVG shown through ``<img>`` runs no script and loads nothing anyway;
    this keeps the embedded bytes inert even if someone opens them on their own.
    """
    svg_markup = _SVG_SCRIPT.sub("", svg_markup)
    svg_markup = _SVG_HANDLER.sub("", svg_markup)
    return _SVG_BAD_HREF.sub("", svg_markup)


def svg_to_img(svg_markup: str) -> str:
    """An ``<img>`` showing *svg_markup* as an image (scripts in it never run)."""
    svg_markup = defang_svg(svg_markup)
    encoded = base64.b64encode(svg_markup.encode("utf-8")).decode("ascii")
    return f'<img class="signoff-svg" alt="SVG figure" src="data:image/svg+xml;base64,{encoded}">'


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


class Sanitizer:
    """Turns untrusted HTML into HTML that runs nothing and fetches nothing.

    One instance per render: it records what it blocked in :attr:`report`.
    """

    def __init__(self, report: RenderReport | None = None) -> None:
        self.report = report if report is not None else RenderReport()
        self._cleaner = nh3.Cleaner(
            tags=set(SAFE_TAGS),
            clean_content_tags=set(DROP_WITH_CONTENT),
            attributes={k: set(v) for k, v in SAFE_ATTRIBUTES.items()},
            attribute_filter=self._filter_attribute,
            strip_comments=True,
            link_rel="noopener noreferrer nofollow",
            url_schemes={"http", "https", "mailto", "data"},
            filter_style_properties=set(SAFE_STYLE_PROPERTIES),
            url_relative="pass_through",
        )

    def clean(self, fragment: str) -> str:
        """Sanitize an HTML fragment (see the module docstring for the exact promises)."""
        if not fragment:
            return ""
        lowered = fragment.lower()
        self.report.removed_scripts += lowered.count("<script")
        if "<svg" in lowered:
            fragment = _INLINE_SVG.sub(lambda m: svg_to_img(m.group(0)), fragment)
        if any(
            f"<{t}" in lowered
            for t in ("iframe", "video", "audio", "object", "embed", "source", "link")
        ):
            fragment = _mark_embeddings(fragment, self.report)
        return self._cleaner.clean(fragment)

    # nh3 calls this for every allowed attribute; returning None removes the attribute.
    def _filter_attribute(self, element: str, attribute: str, value: str) -> str | None:
        if attribute == "class":
            return value
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
            self.report.images += 1
            return url
        if _REMOTE.match(url):
            self.report.note_remote(url)
            host = urlsplit(url if ":" in url.split("/")[0] else "https:" + url).netloc
            return _placeholder_image(f"Remote image not loaded ({host or 'unknown host'})", url)
        return _placeholder_image("Image not embedded in the document (not loaded)", url)

    def _filter_style(self, value: str) -> str | None:
        if not _STYLE_DANGER.search(value):
            return value
        kept = []
        for declaration in value.split(";"):
            if _STYLE_DANGER.search(declaration):
                if "url" in declaration.lower():
                    self.report.note_remote(declaration.strip()[:200])
                continue
            kept.append(declaration)
        return ";".join(kept) or None


def sanitize_html(fragment: str, report: RenderReport | None = None) -> str:
    """Sanitize one HTML fragment with a fresh :class:`Sanitizer` (convenience for callers)."""
    return Sanitizer(report).clean(fragment)


def escape_text(text: str) -> str:
    """HTML-escape plain text (quotes included)."""
    return html.escape(text, quote=True)
