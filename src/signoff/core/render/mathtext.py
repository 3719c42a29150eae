"""Math without MathJax: ``$…$`` and ``$$…$$`` in prose become SVG images drawn by matplotlib.

The view runs no JavaScript, so MathJax is not an option. Plain formulas (letters, numbers,
operators, Greek, sub/superscripts, ``\\text``) become HTML directly — fast and selectable.
Anything that needs typesetting goes to matplotlib's mathtext, which covers the TeX subset
notebooks mostly use (fractions, roots, sums, integrals, accents) at ~30 ms a formula.
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
from typing import TYPE_CHECKING, TypeVar

from signoff.core.render.sanitize import svg_to_img

if TYPE_CHECKING:  # matplotlib (and numpy) load with the first formula
    import numpy as np

log = logging.getLogger(__name__)

_PROTECTED = re.compile(r"(<pre\b.*?</pre\s*>|<code\b.*?</code\s*>|<[^>]*>)", re.I | re.S)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$\w])\$(?![\s$])([^$\n]{1,400}?)(?<![\s\\])\$(?![\w$])")
_lock = threading.Lock()
_T = TypeVar("_T")
MAX_FORMULAS = 300  # per document (~30 ms each): beyond this, formulas stay as TeX source


FONT_SIZE = 15.0  # px; close to the notebook's body text


def _path_data(verts: np.ndarray, codes: np.ndarray, scale: float, baseline: float) -> str:
    def point(v: np.ndarray) -> str:
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
            parts.append("C" + " ".join(point(v) for v in verts[i : i + 3]))
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
            width, height, depth, *_ = converter.mathtext_parser.parse(source, converter.DPI, big)
            verts, codes = converter.get_text_path(prop, source, ismath=True)
    except Exception:  # noqa: BLE001 - unsupported TeX is expected; keep the source
        return None
    scale = FONT_SIZE / converter.FONT_SCALE
    width, height, depth = width * scale, height * scale, depth * scale
    data = _path_data(verts, codes, scale, height - depth)
    w, h = width + 2, height + 2
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.1f}" height="{h:.1f}" '
        f'viewBox="-1 -1 {w:.1f} {h:.1f}"><path d="{data}"/></svg>'
    )
    return svg, depth + 1


@functools.cache
def _converter(cls: type[_T]) -> _T:
    return cls()


GREEK = {
    name: chr(code)
    for name, code in (
        ("alpha", 0x3B1),
        ("beta", 0x3B2),
        ("gamma", 0x3B3),
        ("delta", 0x3B4),
        ("epsilon", 0x3B5),
        ("varepsilon", 0x3B5),
        ("zeta", 0x3B6),
        ("eta", 0x3B7),
        ("theta", 0x3B8),
        ("iota", 0x3B9),
        ("kappa", 0x3BA),
        ("lambda", 0x3BB),
        ("mu", 0x3BC),
        ("nu", 0x3BD),
        ("xi", 0x3BE),
        ("pi", 0x3C0),
        ("rho", 0x3C1),
        ("sigma", 0x3C3),
        ("tau", 0x3C4),
        ("upsilon", 0x3C5),
        ("phi", 0x3C6),
        ("varphi", 0x3C6),
        ("chi", 0x3C7),
        ("psi", 0x3C8),
        ("omega", 0x3C9),
        ("Gamma", 0x393),
        ("Delta", 0x394),
        ("Theta", 0x398),
        ("Lambda", 0x39B),
        ("Xi", 0x39E),
        ("Pi", 0x3A0),
        ("Sigma", 0x3A3),
        ("Phi", 0x3A6),
        ("Psi", 0x3A8),
        ("Omega", 0x3A9),
    )
}
SYMBOLS = {
    "cdot": "\u22c5",
    "times": "\u00d7",
    "pm": "\u00b1",
    "leq": "\u2264",
    "le": "\u2264",
    "geq": "\u2265",
    "ge": "\u2265",
    "neq": "\u2260",
    "ne": "\u2260",
    "approx": "\u2248",
    "infty": "\u221e",
    "ldots": "\u2026",
    "dots": "\u2026",
    "to": "\u2192",
    "rightarrow": "\u2192",
    "in": "\u2208",
    "sim": "\u223c",
    "propto": "\u221d",
    "partial": "\u2202",
    "%": "%",
    ",": "\u2009",
    ";": " ",
    "quad": "\u2003",
    " ": " ",
}
_SIMPLE_TOKEN = re.compile(
    r"\\([A-Za-z]+|[%,; ])|([A-Za-z])|(\d+(?:\.\d+)?)"
    r"|([-+=<>()\[\],.|/!:'*])|(\s+)|([\^_])|(\{)|(\})"
)
RELATIONS = {
    "leq",
    "le",
    "geq",
    "ge",
    "neq",
    "ne",
    "approx",
    "to",
    "rightarrow",
    "in",
    "sim",
    "propto",
    "times",
    "pm",
}


class _NotSimple(Exception):
    pass


def simple_tex_html(tex: str) -> str | None:
    """Fast HTML for plain formulas (letters, numbers, operators, Greek, sub/superscripts,
    ``\\text``); None when the formula needs real typesetting (fractions, roots, sums…)."""
    try:
        out, rest = _simple_sequence(tex, 0, top=True)
    except _NotSimple:
        return None
    return out if rest == len(tex) else None


def _simple_sequence(tex: str, pos: int, top: bool = False) -> tuple[str, int]:
    parts: list[str] = []
    while pos < len(tex):
        if tex.startswith(("\\text{", "\\mathrm{"), pos):
            end = tex.find("}", pos)
            if end < 0 or "{" in tex[tex.index("{", pos) + 1 : end]:
                raise _NotSimple
            parts.append(html.escape(tex[tex.index("{", pos) + 1 : end]))
            pos = end + 1
            continue
        match = _SIMPLE_TOKEN.match(tex, pos)
        if match is None:
            raise _NotSimple
        command, letter, number, operator, space, script, opening, closing = match.groups()
        if closing is not None:
            if top:
                raise _NotSimple
            return "".join(parts), match.end()
        pos = match.end()
        if command is not None:
            if command in GREEK:
                parts.append(f"<i>{GREEK[command]}</i>" if command.islower() else GREEK[command])
            elif command in SYMBOLS:
                symbol = html.escape(SYMBOLS[command])
                parts.append(f" {symbol} " if command in RELATIONS else symbol)
            else:
                raise _NotSimple
        elif letter is not None:
            parts.append(f"<i>{letter}</i>")
        elif number is not None:
            parts.append(number)
        elif operator is not None:
            spaced = operator in "=<>+" and not (operator == "+" and not parts)
            parts.append(f" {html.escape(operator)} " if spaced else html.escape(operator))
        elif opening is not None:
            inner, pos = _simple_sequence(tex, pos)
            parts.append(inner)
        elif script is not None:
            argument, pos = _script_argument(tex, pos)
            tag = "sup" if script == "^" else "sub"
            parts.append(f"<{tag}>{argument}</{tag}>")
    if not top:
        raise _NotSimple  # an unclosed brace
    return "".join(parts), pos


def _script_argument(tex: str, pos: int) -> tuple[str, int]:
    if pos < len(tex) and tex[pos] == "{":
        return _simple_sequence(tex, pos + 1)
    match = _SIMPLE_TOKEN.match(tex, pos)
    if match is None or match.group(6) or match.group(7) or match.group(8) or match.group(5):
        raise _NotSimple
    if match.group(2) or match.group(3) and len(match.group(3)) > 1:
        # x^2 takes one character; x^{23} needs braces, as in TeX
        first = tex[pos]
        return (f"<i>{first}</i>" if first.isalpha() else first), pos + 1
    inner, _ = _simple_sequence(match.group(0), 0, top=True)
    return inner, match.end()


def _replace(tex_escaped: str, display: bool, budget: list[int]) -> str:
    tex = html.unescape(tex_escaped).strip()
    fast = simple_tex_html(tex) if tex else None
    if fast is not None:
        kind = "signoff-math-display" if display else "signoff-math-inline"
        tag = "div" if display else "span"
        return f'<{tag} class="{kind}">{fast}</{tag}>'
    drawn = formula_svg(tex) if budget[0] > 0 and tex else None
    budget[0] -= 1
    if drawn is None:
        source = f"$${tex_escaped}$$" if display else f"${tex_escaped}$"
        return f'<code class="signoff-tex">{source}</code>'
    svg, depth = drawn
    style = "" if display else f' style="vertical-align: -{depth:.1f}px"'
    img = svg_to_img(svg).replace(
        'class="signoff-svg" alt="SVG figure"',
        f'class="signoff-math" alt="{html.escape(tex)}"{style}',
    )
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
