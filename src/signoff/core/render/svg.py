"""SVG as images: inert bytes behind ``<img src="data:image/svg+xml;base64,…">``.

An SVG loaded as an image runs no script and fetches nothing; :func:`defang_svg` still strips
scripts, event handlers and remote or script links from the bytes, so they stay inert if someone
opens them on their own. Both passes are linear in the SVG's length.
"""

from __future__ import annotations

import base64
import html
import re

_SCRIPT_OPEN = re.compile(r"<script\b", re.I)
_SCRIPT_CLOSE = re.compile(r"</script\s*>", re.I)
_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.I)
_BAD_HREF = re.compile(
    r"""\s(?:xlink:)?href\s*=\s*(?:"\s*(?:javascript|https?|//)[^"]*"|"""
    r"""'\s*(?:javascript|https?|//)[^']*'|(?:javascript|https?|//)[^\s>]*)""",
    re.I,
)


def _without_scripts(svg_markup: str) -> str:
    pieces: list[str] = []
    position = 0
    while True:
        start = _SCRIPT_OPEN.search(svg_markup, position)
        if start is None:
            pieces.append(svg_markup[position:])
            break
        pieces.append(svg_markup[position : start.start()])
        end = _SCRIPT_CLOSE.search(svg_markup, start.end())
        if end is None:  # an unclosed script runs to the end: nothing after it is kept
            break
        position = end.end()
    return "".join(pieces)


def defang_svg(svg_markup: str) -> str:
    """*svg_markup* without script elements, event handlers, script or remote hrefs."""
    if "script" in svg_markup.lower():
        svg_markup = _without_scripts(svg_markup)
    svg_markup = _HANDLER.sub("", svg_markup)
    return _BAD_HREF.sub("", svg_markup)


def svg_data_url(svg_markup: str) -> str:
    """A ``data:image/svg+xml;base64,…`` URL of the defanged *svg_markup*."""
    encoded = base64.b64encode(defang_svg(svg_markup).encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"


def svg_to_img(svg_markup: str) -> str:
    """An ``<img>`` showing *svg_markup* as an image (scripts in it never run)."""
    return f'<img class="signoff-svg" alt="SVG figure" src="{svg_data_url(svg_markup)}">'


def placeholder_image(label: str, detail: str) -> str:
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
