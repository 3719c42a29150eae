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
import logging
import re
import threading

from signoff.core.render.sanitize import svg_to_img

log = logging.getLogger("signoff.render")

_PROTECTED = re.compile(r"(<pre\b.*?</pre\s*>|<code\b.*?</code\s*>|<[^>]*>)", re.I | re.S)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$\w])\$(?![\s$])([^$\n]{1,400}?)(?<![\s\\])\$(?![\w$])")
_lock = threading.Lock()
MAX_FORMULAS = 300  # per document (~30 ms each): beyond this, formulas stay as TeX source


FONT_SIZE = 15.0  # px; close to the notebook's body text


def _path_data(verts, codes, scale: float, baseline: float) -> str:  # noqa: ANN001
    def point(v) -> str:  # noqa: ANN001
        return f"{v[0] * scale:.2f} {baseline - v[1] * scale:.2f}"

    parts: list[str] = []
    i, n = 0, len(codes)
    while i < n:
        code = codes[i]
        if code == 1:
            parts.append("M" + point(verts[i]))
            i += 1
        elif code == 2:
            parts.append("L" + point(verts[i]))
            i += 1
        elif code == 3:
            parts.append("Q" + point(verts[i]) + " " + point(verts[i + 1]))
            i += 2
        elif code == 4:
            parts.append("C" + " ".join(point(v) for v in verts[i:i + 3]))
            i += 3
        elif code == 79:
            parts.append("Z")
            i += 1
        else:
            i += 1
    return "".join(parts)


@functools.lru_cache(maxsize=2048)
def formula_svg(tex: str) -> tuple[str, float] | None:
    """SVG for one formula (without dollars) and its depth below the baseline in px.

    None if mathtext cannot draw it. The glyph outlines are written as one ``<path>``
    (no fonts, no text, no metadata): small, deterministic and fetch-free.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(size=FONT_SIZE)
    source = f"${tex}$"
    try:
        with _lock:  # mathtext's parser and font caches are shared module state
            converter = _converter(TextToPath)
            # one parse at the converter's own scale serves both the outlines and the size
            # (mathtext caches parses by their arguments)
            big = prop.copy()
            big.set_size(converter.FONT_SCALE)
            width, height, depth, *_ = converter.mathtext_parser.parse(source, converter.DPI,
                                                                       big)
            verts, codes = converter.get_text_path(prop, source, ismath=True)
    except Exception:  # noqa: BLE001 - unsupported TeX is expected; keep the source
        return None
    scale = FONT_SIZE / converter.FONT_SCALE
    width, height, depth = width * scale, height * scale, depth * scale
    data = _path_data(verts, codes, scale, height - depth)
    w, h = width + 2, height + 2
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.1f}" height="{h:.1f}" '
           f'viewBox="-1 -1 {w:.1f} {h:.1f}"><path d="{data}"/></svg>')
    return svg, depth + 1


@functools.cache
def _converter(cls):  # noqa: ANN001, ANN202
    return cls()


def _replace(tex_escaped: str, display: bool, budget: list[int]) -> str:
    tex = html.unescape(tex_escaped).strip()
    drawn = formula_svg(tex) if budget[0] > 0 and tex else None
    budget[0] -= 1
    if drawn is None:
        source = f"$${tex_escaped}$$" if display else f"${tex_escaped}$"
        return f'<code class="signoff-tex">{source}</code>'
    svg, depth = drawn
    style = "" if display else f' style="vertical-align: -{depth:.1f}px"'
    img = svg_to_img(svg).replace('class="signoff-svg" alt="SVG figure"',
                                  f'class="signoff-math" alt="{html.escape(tex)}"{style}')
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
