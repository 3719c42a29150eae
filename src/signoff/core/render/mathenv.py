"""LaTeX environments drawn offline: ``align``, ``equation``, ``gather``, ``cases``, matrices.

matplotlib's mathtext draws one line of TeX and knows no ``\\begin{…}``. This module splits an
environment into rows (``\\\\``) and cells (``&``), draws every cell with mathtext, and lays the
cells out in a grid the way amsmath does — ``align`` columns alternately right- and left-
aligned, matrices centred between drawn delimiters, ``cases`` with a brace — as one SVG built
from glyph outlines. Environments nest (a ``pmatrix`` inside an ``align``), and a formula with
``\\\\`` but no environment is treated as ``gather``. Anything it cannot parse returns None and
the caller shows the TeX source instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

EM = 15.0  # px; the formula font size (kept equal to mathtext.FONT_SIZE)
AXIS = EM * 0.25  # the maths axis above the baseline, where fraction bars and matrices centre
ROW_GAP = EM * 0.45
STROKE = EM * 0.065


@dataclass(frozen=True)
class Box:
    """Drawn TeX: *svg* elements with the baseline at y = 0, x from 0 to *width* (px)."""

    width: float
    height: float  # above the baseline
    depth: float  # below the baseline
    svg: str


EMPTY = Box(0.0, 0.0, 0.0, "")

# columns by environment: a string of l/c/r repeated as needed, the gap between columns, and
# the delimiters drawn around the grid
ALIGNED = ("rl", (0.0, EM * 1.5), "", "")
ENVIRONMENTS: dict[str, tuple[str, tuple[float, float], str, str]] = {
    "align": ALIGNED,
    "align*": ALIGNED,
    "aligned": ALIGNED,
    "alignat": ALIGNED,
    "alignat*": ALIGNED,
    "alignedat": ALIGNED,
    "split": ALIGNED,
    "flalign": ALIGNED,
    "flalign*": ALIGNED,
    "eqnarray": ("rcl", (EM * 0.3, EM * 0.3), "", ""),
    "eqnarray*": ("rcl", (EM * 0.3, EM * 0.3), "", ""),
    "equation": ("c", (EM, EM), "", ""),
    "equation*": ("c", (EM, EM), "", ""),
    "displaymath": ("c", (EM, EM), "", ""),
    "math": ("c", (EM, EM), "", ""),
    "gather": ("c", (EM, EM), "", ""),
    "gather*": ("c", (EM, EM), "", ""),
    "gathered": ("c", (EM, EM), "", ""),
    "multline": ("c", (EM, EM), "", ""),
    "multline*": ("c", (EM, EM), "", ""),
    "cases": ("ll", (EM, EM), "{", ""),
    "dcases": ("ll", (EM, EM), "{", ""),
    "rcases": ("ll", (EM, EM), "", "}"),
    "matrix": ("c", (EM, EM), "", ""),
    "smallmatrix": ("c", (EM * 0.6, EM * 0.6), "", ""),
    "pmatrix": ("c", (EM, EM), "(", ")"),
    "bmatrix": ("c", (EM, EM), "[", "]"),
    "Bmatrix": ("c", (EM, EM), "{", "}"),
    "vmatrix": ("c", (EM, EM), "|", "|"),
    "Vmatrix": ("c", (EM, EM), "‖", "‖"),
    "array": ("c", (EM * 0.6, EM * 0.6), "", ""),
    "subarray": ("c", (EM * 0.3, EM * 0.3), "", ""),
}
_BEGIN_OR_END = re.compile(r"\\(begin|end)\s*\{([A-Za-z]+\*?)\}")
_LEFT = re.compile(r"\\left\s*(\\[{}|]|\\[lr]?[vV]ert|\\[lr]brace|[()\[\]|.])\s*$")
_RIGHT = re.compile(r"^\s*\\right\s*(\\[{}|]|\\[lr]?[vV]ert|\\[lr]brace|[()\[\]|.])")
_DELIMITERS = {"(": "(", ")": ")", "[": "[", "]": "]", "|": "|", ".": "", "\\{": "{", "\\}": "}"}
_DELIMITERS.update({"\\lbrace": "{", "\\rbrace": "}", "\\vert": "|", "\\Vert": "‖", "\\|": "‖"})
_DELIMITERS.update({"\\lvert": "|", "\\rvert": "|", "\\lVert": "‖", "\\rVert": "‖"})
_RELATION_START = re.compile(r"^\s*(?:[=<>+\-]|\\(?:leq?|geq?|neq?|approx|sim|equiv|to|in)\b)")
_DROPPED = re.compile(r"\\(?:nonumber|notag|hline)(?![A-Za-z])|\\(?:label|tag)\s*\{[^{}]*\}")
_SPACING_ARG = re.compile(r"^\s*\[[^\]]*\]")

RunDrawer = Callable[[str], "Box | None"]


def has_layout(tex: str) -> bool:
    """True when *tex* needs this module (an environment, or a ``\\\\`` line break)."""
    return "\\begin" in tex or "\\\\" in tex


def _split_top(body: str, separator: str) -> list[str]:
    """*body* split at *separator* where it is outside braces and nested environments."""
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    length = len(body)
    while i < length:
        char = body[i]
        if char == "\\":
            if depth == 0 and body.startswith(separator, i) and separator == "\\\\":
                parts.append(body[start:i])
                i += 2
                spacing = _SPACING_ARG.match(body, i)
                if spacing:
                    i = spacing.end()
                start = i
                continue
            if body.startswith("\\begin", i):
                depth += 1
            elif body.startswith("\\end", i):
                depth -= 1
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(body[start:i])
            start = i + 1
        i += 1
    parts.append(body[start:])
    return parts


def _segments(tex: str) -> list[tuple[str, str, str, str]] | None:
    """Top-level pieces of *tex*: ("text", tex, "", "") or ("env", name, argument, body)."""
    pieces: list[tuple[str, str, str, str]] = []
    position = 0
    for match in _BEGIN_OR_END.finditer(tex):
        if match.start() < position:
            continue
        if match.group(1) == "end":
            return None  # an \end with no \begin
        name = match.group(2)
        depth, cursor, end = 1, match.end(), None
        for inner in _BEGIN_OR_END.finditer(tex, match.end()):
            depth += 1 if inner.group(1) == "begin" else -1
            if depth == 0:
                if inner.group(2) != name:
                    return None
                end, cursor = inner, inner.end()
                break
        if end is None or name not in ENVIRONMENTS:
            return None
        pieces.append(("text", tex[position : match.start()], "", ""))
        body = tex[match.end() : end.start()]
        argument = ""
        if name in ("array", "subarray", "alignat", "alignat*", "alignedat"):
            arg = re.match(r"\s*(?:\[[^\]]*\])?\s*\{([^{}]*)\}", body)
            if arg:
                argument, body = arg.group(1), body[arg.end() :]
        pieces.append(("env", name, argument, body))
        position = cursor
    pieces.append(("text", tex[position:], "", ""))
    return pieces


def layout(tex: str, draw_run: RunDrawer, depth: int = 0) -> Box | None:
    """Draw *tex* (environments and line breaks included) with *draw_run* for plain runs."""
    if depth > 6:
        return None
    segments = _segments(tex)
    if segments is None:
        return None
    if len(segments) == 1 and "\\\\" in tex:  # lines without an environment: gather
        return _grid(tex, "gather", "", "", "", draw_run, depth)
    boxes: list[Box] = []
    left_delimiter = ""
    for index, (kind, text_or_name, argument, body) in enumerate(segments):
        if kind == "text":
            text = text_or_name
            if index + 1 < len(segments):  # "\left(" right before an environment
                left = _LEFT.search(text)
                if left:
                    left_delimiter = _DELIMITERS.get(left.group(1), "")
                    text = text[: left.start()]
            if index > 0:  # "\right)" right after one: drawn with it
                right = _RIGHT.match(text)
                if right:
                    text = text[right.end() :]
                    boxes[-1] = _with_delimiters(boxes[-1], "", _DELIMITERS.get(right.group(1), ""))
            if text.strip():
                run = draw_run(text)
                if run is None:
                    return None
                boxes.append(run)
            continue
        grid = _grid(body, text_or_name, argument, left_delimiter, "", draw_run, depth)
        if grid is None:
            return None
        left_delimiter = ""
        boxes.append(grid)
    return hbox(boxes)


def _grid(
    body: str,
    name: str,
    argument: str,
    extra_left: str,
    extra_right: str,
    draw_run: RunDrawer,
    depth: int,
) -> Box | None:
    columns, gaps, left, right = ENVIRONMENTS[name]
    if name in ("array", "subarray") and argument:
        columns = "".join(c for c in argument if c in "lcr") or "c"
    rows = [row for row in _split_top(_DROPPED.sub("", body), "\\\\")]
    if rows and not rows[-1].strip():
        rows.pop()
    grid: list[list[Box]] = []
    for row in rows:
        cells = []
        for number, cell in enumerate(_split_top(row, "&")):
            if not cell.strip():
                cells.append(EMPTY)
                continue
            if number % 2 == 1 and columns == "rl" and _RELATION_START.match(cell):
                cell = "{}" + cell  # "&= b" spaces the relation as amsmath does
            drawn = layout(cell, draw_run, depth + 1)
            if drawn is None:
                return None
            cells.append(drawn)
        grid.append(cells)
    if not grid:
        return EMPTY
    box = _arrange(grid, columns, gaps)
    return _with_delimiters(box, extra_left or left, extra_right or right)


def _arrange(grid: list[list[Box]], columns: str, gaps: tuple[float, float]) -> Box:
    count = max(len(row) for row in grid)
    widths = [
        max((row[c].width for row in grid if c < len(row)), default=0.0) for c in range(count)
    ]
    heights = [max((b.height for b in row), default=0.0) or EM * 0.7 for row in grid]
    depths = [max((b.depth for b in row), default=0.0) or EM * 0.2 for row in grid]
    offsets = [0.0]
    for c in range(1, count):
        offsets.append(offsets[-1] + widths[c - 1] + gaps[c % 2 == 0])
    total_width = offsets[-1] + widths[-1] if count else 0.0
    total_height = sum(heights) + sum(depths) + ROW_GAP * (len(grid) - 1)
    top = -(total_height / 2 + AXIS)  # the grid centres on the maths axis
    parts: list[str] = []
    y = top
    for row, height, row_depth in zip(grid, heights, depths, strict=True):
        baseline = y + height
        for c, cell in enumerate(row):
            if not cell.svg:
                continue
            align = columns[c % len(columns)]
            slack = widths[c] - cell.width
            x = offsets[c] + (slack if align == "r" else slack / 2 if align == "c" else 0.0)
            parts.append(f'<g transform="translate({x:.2f} {baseline:.2f})">{cell.svg}</g>')
        y = baseline + row_depth + ROW_GAP
    return Box(total_width, -top, total_height + top, "".join(parts))


def _delimiter_path(kind: str, x: float, width: float, top: float, bottom: float) -> str:
    middle = (top + bottom) / 2
    near, far = (x + width * 0.8, x + width * 0.2)
    if kind in (")", "]", "}"):
        near, far = x + width * 0.2, x + width * 0.8
    if kind in "()":
        bulge = far - (near - far) * 0.1
        d = f"M{near:.2f} {top:.2f}Q{bulge:.2f} {middle:.2f} {near:.2f} {bottom:.2f}"
    elif kind in "[]":
        d = f"M{near:.2f} {top:.2f}H{far:.2f}V{bottom:.2f}H{near:.2f}"
    elif kind in "{}":
        tip = x if kind == "{" else x + width
        mid_x = (near + far) / 2
        d = (
            f"M{near:.2f} {top:.2f}Q{mid_x:.2f} {top:.2f} {mid_x:.2f} {top + 4:.2f}"
            f"V{middle - 4:.2f}Q{mid_x:.2f} {middle:.2f} {tip:.2f} {middle:.2f}"
            f"Q{mid_x:.2f} {middle:.2f} {mid_x:.2f} {middle + 4:.2f}"
            f"V{bottom - 4:.2f}Q{mid_x:.2f} {bottom:.2f} {near:.2f} {bottom:.2f}"
        )
    elif kind == "|":
        d = f"M{x + width / 2:.2f} {top:.2f}V{bottom:.2f}"
    else:  # ‖
        d = (
            f"M{x + width * 0.3:.2f} {top:.2f}V{bottom:.2f}"
            f"M{x + width * 0.7:.2f} {top:.2f}V{bottom:.2f}"
        )
    return f'<path fill="none" stroke="#000" stroke-width="{STROKE:.2f}" d="{d}"/>'


def _with_delimiters(box: Box, left: str, right: str) -> Box:
    if not left and not right:
        return box
    width = EM * 0.45
    top, bottom = -box.height - 1, box.depth + 1
    parts = []
    x = 0.0
    if left:
        parts.append(_delimiter_path(left, 0.0, width, top, bottom))
        x = width + EM * 0.1
    parts.append(f'<g transform="translate({x:.2f} 0)">{box.svg}</g>')
    x += box.width
    if right:
        parts.append(_delimiter_path(right, x + EM * 0.1, width, top, bottom))
        x += width + EM * 0.1
    return Box(x, box.height + 1, box.depth + 1, "".join(parts))


def hbox(boxes: list[Box], gap: float = EM * 0.15) -> Box:
    """*boxes* side by side on one baseline."""
    boxes = [b for b in boxes if b.width or b.svg]
    if not boxes:
        return EMPTY
    if len(boxes) == 1:
        return boxes[0]
    parts = []
    x = 0.0
    for box in boxes:
        parts.append(f'<g transform="translate({x:.2f} 0)">{box.svg}</g>')
        x += box.width + gap
    return Box(x - gap, max(b.height for b in boxes), max(b.depth for b in boxes), "".join(parts))
