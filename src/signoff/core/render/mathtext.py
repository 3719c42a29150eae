"""Math without MathJax: ``$…$`` and ``$$…$$`` in prose become SVG images drawn by matplotlib.

The view runs no JavaScript, so MathJax is not an option. Plain formulas (letters, numbers,
operators, Greek, sub/superscripts, ``\\text``) become HTML directly — fast and selectable.
Anything that needs typesetting goes to matplotlib's mathtext, which covers the TeX subset
notebooks mostly use (fractions, roots, sums, integrals, accents) at ~30 ms a formula.
Environments (``align``, ``equation*``, ``cases``, matrices …) are laid out cell by cell by
:mod:`signoff.core.render.mathenv`. A formula neither can draw stays as its TeX source in a
``<code class="signoff-tex">``, which is still readable. Text inside ``<pre>``/``<code>`` (code
cells, code spans) is never touched.

One :class:`MathBudget` per document bounds the work: a number of drawn formulas, seconds of
drawing and a length per formula; past any of them formulas stay TeX source, with one notice.
"""

from __future__ import annotations

import functools
import html
import re
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from signoff.core.render.document import Limits, RenderReport
from signoff.core.render.mathenv import Box, has_layout, layout
from signoff.core.render.svg import svg_to_img

# a whole tag, quotes respected (sanitized HTML may keep ">" inside attribute values)
_TAG = re.compile(r"""(<(?>[^>"']+|"[^"]*"|'[^']*')*+>)""")
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$\w])\$(?![\s$])([^$\n]{1,400}?)(?<![\s\\])\$(?![\w$])")
_lock = threading.Lock()
_T = TypeVar("_T")


FONT_SIZE = 15.0  # px; close to the notebook's body text


def _path_data(verts: Any, codes: Any, scale: float, baseline: float) -> str:
    # matplotlib's path arrays (numpy): vertices and their codes
    def point(v: Any) -> str:
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


_REWRITES = [
    (re.compile(r"\\(?:display|text|script|scriptscript)style(?![A-Za-z])"), ""),
    (re.compile(r"\\(?:no)?limits(?![A-Za-z])"), ""),
    (re.compile(r"\\(?:big|Big|bigg|Bigg)[lrm]?(?![A-Za-z])"), ""),
    (re.compile(r"\\(?:nonumber|notag)(?![A-Za-z])|\\(?:label|tag)\s*\{[^{}]*\}"), ""),
    (re.compile(r"\\color\s*\{[^{}]*\}"), ""),
    (re.compile(r"\\tfrac(?![A-Za-z])"), r"\\frac"),
    (re.compile(r"\\[lr]Vert(?![A-Za-z])"), r"\\Vert"),
    (re.compile(r"\\[lr]vert(?![A-Za-z])"), r"\\vert"),
    (re.compile(r"\\le(?![A-Za-z])"), r"\\leq"),
    (re.compile(r"\\ge(?![A-Za-z])"), r"\\geq"),
    (re.compile(r"\\bm(?![A-Za-z])"), r"\\boldsymbol"),
    (re.compile(r"\\textbf(?![A-Za-z])"), r"\\mathbf"),
    (re.compile(r"\\(?:textit|emph)(?![A-Za-z])"), r"\\mathit"),
    (re.compile(r"\\textrm(?![A-Za-z])"), r"\\mathrm"),
    (re.compile(r"\\operatorname\*"), r"\\operatorname"),
    (re.compile(r"\\mathop(?![A-Za-z])"), ""),
    (re.compile(r"\\cr(?![A-Za-z])"), r"\\\\"),
    (re.compile(r"\\([dt]?frac)\s*([0-9A-Za-z])\s*([0-9A-Za-z])"), r"\\frac{\2}{\3}"),
    (re.compile(r"\{([^{}]*)\\choose([^{}]*)\}"), r"\\binom{\1}{\2}"),
    (re.compile(r"\\text\{([^{}$]*)\$([^{}$]*)\$([^{}$]*)\}"), r"\\text{\1}\2\\text{\3}"),
]
_COMMENT = re.compile(r"(?<!\\)%[^\n]*")


def normalize_tex(tex: str) -> str:
    """*tex* with the commands mathtext lacks mapped to ones it has (or dropped: sizes,
    colours, equation labels), so more real-world formulas can be drawn."""
    if "%" in tex:
        tex = _COMMENT.sub("", tex)
    tex = " ".join(tex.split())  # mathtext reads one line; TeX ignores the line breaks
    if "\\" not in tex:
        return tex
    for pattern, replacement in _REWRITES:
        tex = pattern.sub(replacement, tex)
    return tex


@functools.lru_cache(maxsize=4096)
def run_box(tex: str) -> Box | None:
    """One line of TeX drawn by mathtext as glyph outlines with the baseline at y = 0."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    if not tex.strip():
        return Box(0.0, 0.0, 0.0, "")
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
    data = _path_data(verts, codes, scale, 0.0)
    return Box(width, height - depth, depth, f'<path d="{data}"/>')


@functools.lru_cache(maxsize=2048)
def formula_svg(tex: str) -> tuple[str, float] | None:
    """SVG for one formula (without dollars) and its depth below the baseline in px.

    None if it cannot be drawn. The glyph outlines are written as ``<path>``s (no fonts, no
    text, no metadata): small, deterministic and fetch-free. Environments and line breaks are
    laid out by :func:`signoff.core.render.mathenv.layout`.
    """
    tex = normalize_tex(tex)
    box = layout(tex, run_box) if has_layout(tex) else run_box(tex)
    if box is None or not box.svg:
        return None
    w, h = box.width + 2, box.height + box.depth + 2
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.1f}" height="{h:.1f}" '
        f'viewBox="-1 -1 {w:.1f} {h:.1f}"><g transform="translate(0 {box.height:.2f})">'
        f"{box.svg}</g></svg>"
    )
    return svg, box.depth + 1


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


class MathBudget:
    """How much drawing one document may do (see the module docstring); shared by all its
    cells and outputs, so splitting a document into parts cannot reset it."""

    def __init__(
        self,
        limits: Limits | None = None,
        report: RenderReport | None = None,
        tick: Callable[[], None] | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.report = report if report is not None else RenderReport()
        self.tick = tick
        self.drawn = 0
        self.seconds = 0.0
        self._noted: set[str] = set()

    def _note(self, key: str, message: str) -> None:
        if key not in self._noted:
            self._noted.add(key)
            self.report.truncated.append(message)

    def _allowed(self, tex: str) -> bool:
        limits = self.limits
        if len(tex) > limits.max_formula_chars:
            self._note(
                "long",
                f"Formulas longer than {limits.max_formula_chars:,} characters are shown as "
                "TeX source.",
            )
            return False
        if self.drawn >= limits.max_formulas:
            self._note(
                "count",
                f"Only the first {limits.max_formulas:,} drawn formulas were typeset; the rest "
                "are shown as TeX source.",
            )
            return False
        if self.seconds >= limits.max_math_seconds:
            self._note(
                "time",
                f"Typesetting formulas stopped after {limits.max_math_seconds:.0f} s; the rest "
                "are shown as TeX source.",
            )
            return False
        return True

    def draw(self, tex: str) -> tuple[str, float] | None:
        """The drawn formula (svg, depth) within the budget, or None (show the source)."""
        if not self._allowed(tex):
            return None
        if self.tick is not None:
            self.tick()
        started = time.monotonic()
        try:
            drawn = formula_svg(tex)
        finally:
            self.seconds += time.monotonic() - started
        self.drawn += 1
        return drawn


def math_html(tex: str, display: bool, budget: MathBudget) -> str:
    """HTML for one formula *tex* (plain TeX, no delimiters): text, a drawn image, or the
    escaped source when it cannot (or may not) be drawn."""
    tex = tex.strip()
    kind = "signoff-math-display" if display else "signoff-math-inline"
    fast = simple_tex_html(tex) if tex and len(tex) <= budget.limits.max_formula_chars else None
    if fast is not None:
        return f'<span class="{kind}">{fast}</span>'
    drawn = budget.draw(tex) if tex else None
    if drawn is None:
        source = html.escape(f"$${tex}$$" if display else f"${tex}$")
        return f'<code class="signoff-tex">{source}</code>'
    svg, depth = drawn
    style = "" if display else f' style="vertical-align: -{depth:.1f}px"'
    img = svg_to_img(svg).replace(
        'class="signoff-svg" alt="SVG figure"',
        f'class="signoff-math" alt="{html.escape(tex)}"{style}',
    )
    return f'<span class="signoff-math-display">{img}</span>' if display else img


def render_math_in_html(fragment: str, budget: MathBudget | None = None) -> str:
    """Replace ``$…$``/``$$…$$`` in the text of sanitized HTML *fragment* by drawn math.

    Text inside ``<pre>``, ``<code>`` and attribute values is never touched; one pass."""
    if "$" not in fragment:
        return fragment
    budget = budget or MathBudget()
    pieces = _TAG.split(fragment)
    protected = 0
    for index, piece in enumerate(pieces):
        if index % 2 == 1:  # a tag
            lowered = piece[:6].lower()
            if lowered.startswith(("<pre", "<code")):
                protected += 1
            elif lowered.startswith(("</pre", "</cod")):
                protected = max(0, protected - 1)
            continue
        if protected or "$" not in piece:
            continue
        piece = _DISPLAY.sub(lambda m: math_html(html.unescape(m.group(1)), True, budget), piece)
        pieces[index] = _INLINE.sub(
            lambda m: math_html(html.unescape(m.group(1)), False, budget), piece
        )
    return "".join(pieces)
