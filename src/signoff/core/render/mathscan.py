"""Finding the math in Markdown and LaTeX text before anything else reads it.

Jupyter takes formulas out of a Markdown cell before the Markdown parser sees it, so
``$a_1 * b_2$`` is not turned into emphasis; :func:`extract_math` does the same: ``$…$``,
``$$…$$``, ``\\(…\\)``, ``\\[…\\]`` and ``\\begin{env}…\\end{env}`` (for the environments
:mod:`signoff.core.render.mathenv` draws) are replaced by placeholder words, skipping fenced code
blocks and code spans. After the Markdown has been rendered and sanitized, :func:`restore_math`
puts the drawn formulas back, in text only (a placeholder that ended up in an attribute value
gets the escaped source). One left-to-right scan: a delimiter without a closing partner is
remembered, so a thousand unclosed ``$$`` cost one search each, not one search per pair.
"""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass, field

from signoff.core.render.mathenv import ENVIRONMENTS
from signoff.core.render.mathtext import MathBudget, math_html

_ENV_NAMES = "|".join(re.escape(name) for name in sorted(ENVIRONMENTS, key=len, reverse=True))
_START = re.compile(
    r"(?P<fence>^[ \t]{0,3}(?:```|~~~))|(?P<ticks>`+)|(?P<escaped>\\\$)"
    r"|(?P<display>\$\$)|(?P<inline>\$)|(?P<bracket>\\\[)|(?P<paren>\\\()"
    rf"|(?P<env>\\begin\{{(?P<name>{_ENV_NAMES})\}})",
    re.M,
)
_TAG = re.compile(r"""(<(?>[^>"']+|"[^"]*"|'[^']*')*+>)""")


@dataclass
class ExtractedMath:
    """Text with placeholders, and the formulas they stand for: (tex, display)."""

    text: str
    formulas: list[tuple[str, bool]] = field(default_factory=list)
    marker: str = ""

    def placeholder(self, index: int) -> str:
        return f"{self.marker}{index}Z"


def extract_math(text: str, *, markdown: bool = True) -> ExtractedMath:
    """Replace every formula in *text* by a placeholder word (see the module docstring)."""
    result = ExtractedMath("", marker="MATH" + secrets.token_hex(4).upper() + "X")
    if "$" not in text and "\\" not in text:
        result.text = text
        return result
    out: list[str] = []
    missing: dict[str, int] = {}  # closing delimiter -> a position after which it never occurs
    position = 0
    length = len(text)
    while position < length:
        match = _START.search(text, position)
        if match is None:
            break
        kind = match.lastgroup if match.lastgroup != "name" else "env"
        start, end = match.start(), match.end()
        if kind == "escaped":
            out.append(text[position:end])
            position = end
            continue
        if kind == "fence" or kind == "ticks":
            if not markdown:
                out.append(text[position:end])
                position = end
                continue
            closer = match.group(0).strip() if kind == "fence" else match.group("ticks")
            close = _find(text, ("\n" if kind == "fence" else "") + closer, end, missing)
            stop = length if close < 0 else close + len(closer) + (kind == "fence")
            out.append(text[position:stop])
            position = stop
            continue
        if kind == "inline":
            close = _inline_end(text, end)
            if close < 0:
                out.append(text[position:end])
                position = end
                continue
            tex, display, stop = text[end:close], False, close + 1
        else:
            closer = {
                "display": "$$",
                "bracket": "\\]",
                "paren": "\\)",
                "env": f"\\end{{{match.group('name')}}}",
            }[str(kind)]
            close = _find(text, closer, end, missing)
            if close < 0:
                out.append(text[position:end])
                position = end
                continue
            if kind == "env":
                tex, stop = text[start : close + len(closer)], close + len(closer)
            else:
                tex, stop = text[end:close], close + len(closer)
            display = kind != "paren"
        out.append(text[position:start])
        out.append(result.placeholder(len(result.formulas)))
        result.formulas.append((tex, display))
        position = stop
    out.append(text[position:])
    result.text = "".join(out)
    return result


def _find(text: str, closer: str, start: int, missing: dict[str, int]) -> int:
    if missing.get(closer, len(text) + 1) <= start:
        return -1
    found = text.find(closer, start)
    if found < 0:
        missing[closer] = start
    return found


def _inline_end(text: str, start: int) -> int:
    """The closing ``$`` of inline math opened just before *start*, on the same line, or -1."""
    if start >= len(text) or text[start] in " \t\n$":
        return -1
    stop = min(len(text), start + 1000)
    line_end = text.find("\n\n", start, stop)
    if line_end >= 0:
        stop = line_end
    close = start
    while True:
        close = text.find("$", close + 1, stop)
        if close < 0:
            return -1
        if text[close - 1] not in " \t\\" and not text[close + 1 : close + 2].isdigit():
            return close


def restore_math(markup: str, extracted: ExtractedMath, budget: MathBudget) -> str:
    """*markup* (rendered, sanitized) with every placeholder replaced by its drawn formula."""
    if not extracted.formulas or extracted.marker not in markup:
        return markup
    pattern = re.compile(re.escape(extracted.marker) + r"(\d+)Z")
    pieces = _TAG.split(markup)
    for index, piece in enumerate(pieces):
        if extracted.marker not in piece:
            continue
        if index % 2 == 1:  # inside a tag: the source, escaped, never markup
            pieces[index] = pattern.sub(
                lambda m: html.escape(extracted.formulas[int(m.group(1))][0], quote=True),
                piece,
            )
            continue
        pieces[index] = pattern.sub(
            lambda m: _formula(extracted.formulas[int(m.group(1))], budget), piece
        )
    return "".join(pieces)


def _formula(formula: tuple[str, bool], budget: MathBudget) -> str:
    tex, display = formula
    return math_html(tex, display, budget)


def latex_to_html(text: str, budget: MathBudget) -> str:
    """A ``text/latex`` output as HTML: its formulas drawn, the rest as escaped text."""
    extracted = extract_math(text, markdown=False)
    if not extracted.formulas and text.strip():
        extracted = extract_math(f"$${text}$$", markdown=False)  # bare TeX: one formula
    escaped = html.escape(extracted.text, quote=False)
    return restore_math(escaped, extracted, budget)
