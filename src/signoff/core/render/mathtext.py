"""Math without MathJax: ``$…$`` and ``$$…$$`` in prose become SVG images drawn by matplotlib.

The view runs no JavaScript, so MathJax is not an option. matplotlib's mathtext covers the TeX
subset notebooks mostly use (fractions, sub/superscripts, Greek, sums, integrals, roots).
A formula mathtext cannot parse (``\\begin{align}`` and friends) stays as its TeX source in a
``<code class="signoff-tex">``, which is still readable. Text inside ``<pre>``/``<code>`` (code
cells, code spans) is never touched.
"""

from __future__ import annotations

import functools
import html
import io
import logging
import re
import threading

from signoff.core.render.sanitize import svg_to_img

log = logging.getLogger("signoff.render")

_PROTECTED = re.compile(r"(<pre\b.*?</pre\s*>|<code\b.*?</code\s*>|<[^>]*>)", re.I | re.S)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$\w])\$(?![\s$])([^$\n]{1,400}?)(?<![\s\\])\$(?![\w$])")
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_lock = threading.Lock()
MAX_FORMULAS = 500  # per document: beyond this, formulas stay as TeX source


@functools.lru_cache(maxsize=2048)
def formula_svg(tex: str) -> str | None:
    """SVG markup for one formula (without dollars), or None if mathtext cannot draw it."""
    import matplotlib
    from matplotlib import mathtext

    buffer = io.StringIO()
    try:
        # shared module state (parser, font cache, rcParams): one formula at a time;
        # a fixed hash salt keeps element ids, and so the page, deterministic
        with _lock, matplotlib.rc_context({"svg.hashsalt": "signoff"}):
            mathtext.math_to_image(f"${tex}$", buffer, format="svg", dpi=100)
    except Exception:  # noqa: BLE001 - unsupported TeX is expected; keep the source
        return None
    # the <metadata> block carries the creation time: drop it so a page is reproducible
    return _METADATA.sub("", buffer.getvalue())


def _replace(tex_escaped: str, display: bool, budget: list[int]) -> str:
    tex = html.unescape(tex_escaped).strip()
    svg = formula_svg(tex) if budget[0] > 0 and tex else None
    budget[0] -= 1
    if svg is None:
        source = f"$${tex_escaped}$$" if display else f"${tex_escaped}$"
        return f'<code class="signoff-tex">{source}</code>'
    img = svg_to_img(svg).replace('class="signoff-svg" alt="SVG figure"',
                                  f'class="signoff-math" alt="{html.escape(tex)}"')
    return f'<div class="signoff-math-display">{img}</div>' if display else img


def render_math_in_html(fragment: str) -> str:
    """Replace TeX math in the text of *fragment* (rendered HTML) by SVG images."""
    if "$" not in fragment:
        return fragment
    budget = [MAX_FORMULAS]
    pieces = _PROTECTED.split(fragment)
    for index in range(0, len(pieces), 2):  # even indexes are text between tags
        text = pieces[index]
        if "$" not in text:
            continue
        text = _DISPLAY.sub(lambda m: _replace(m.group(1), True, budget), text)
        pieces[index] = _INLINE.sub(lambda m: _replace(m.group(1), False, budget), text)
    return "".join(pieces)
