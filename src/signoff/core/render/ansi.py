"""Terminal colours (tracebacks, coloured logs) → HTML, in one linear pass.

Stream outputs and tracebacks carry ANSI SGR escapes (``ESC[31m`` …). They become ``<span>``s
with the class names JupyterLab's stylesheet colours (``ansi-red-fg``, ``ansi-green-intense-bg``,
``ansi-bold``, ``ansi-underline``); 256-colour and 24-bit colours become an inline ``color``.
Every other control sequence is dropped. Text is HTML-escaped, so the result is safe as it is.
One regex scan and one list join: the cost grows with the text, never with its square.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

_CSI = re.compile(r"\x1b\[([0-9;:?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?")
_COLOURS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")
_CUBE = (0, 95, 135, 175, 215, 255)


def _xterm_rgb(index: int) -> str:
    """CSS colour of xterm-256 colour *index* (16-255; 0-15 use the class names)."""
    if index >= 232:
        level = 8 + (index - 232) * 10
        return f"rgb({level},{level},{level})"
    index -= 16
    red, green, blue = _CUBE[index // 36], _CUBE[(index // 6) % 6], _CUBE[index % 6]
    return f"rgb({red},{green},{blue})"


class _Style:
    """The current SGR state: colours are ints 0-15 (named) or CSS strings (extended)."""

    __slots__ = ("fg", "bg", "bold", "underline", "inverse")

    def __init__(self) -> None:
        self.fg: int | str | None = None
        self.bg: int | str | None = None
        self.bold = self.underline = self.inverse = False

    def reset(self) -> None:
        self.fg = self.bg = None
        self.bold = self.underline = self.inverse = False

    def key(self) -> tuple[object, ...]:
        return (self.fg, self.bg, self.bold, self.underline, self.inverse)

    def apply(self, params: str) -> None:
        codes = [int(c) if c.isdigit() else 0 for c in re.split("[;:]", params)] if params else [0]
        i = 0
        while i < len(codes):
            code = codes[i]
            i += 1
            if code == 0:
                self.reset()
            elif code == 1:
                self.bold = True
            elif code == 22:
                self.bold = False
            elif code == 4:
                self.underline = True
            elif code == 24:
                self.underline = False
            elif code == 7:
                self.inverse = True
            elif code == 27:
                self.inverse = False
            elif 30 <= code <= 37:
                self.fg = code - 30
            elif 90 <= code <= 97:
                self.fg = code - 90 + 8
            elif code == 39:
                self.fg = None
            elif 40 <= code <= 47:
                self.bg = code - 40
            elif 100 <= code <= 107:
                self.bg = code - 100 + 8
            elif code == 49:
                self.bg = None
            elif code in (38, 48) and i < len(codes):
                colour, i = _extended(codes, i)
                if code == 38:
                    self.fg = colour
                else:
                    self.bg = colour

    def open_tag(self) -> str:
        fg, bg = (self.bg, self.fg) if self.inverse else (self.fg, self.bg)
        classes: list[str] = []
        styles: list[str] = []
        for value, kind, prop in ((fg, "fg", "color"), (bg, "bg", "background-color")):
            if isinstance(value, int):
                name = _COLOURS[value % 8] + ("-intense" if value >= 8 else "")
                classes.append(f"ansi-{name}-{kind}")
            elif isinstance(value, str):
                styles.append(f"{prop}: {value}")
            elif self.inverse:
                classes.append(f"ansi-default-inverse-{kind}")
        if self.bold:
            classes.append("ansi-bold")
        if self.underline:
            classes.append("ansi-underline")
        if not classes and not styles:
            return ""
        attrs = f' class="{" ".join(classes)}"' if classes else ""
        attrs += f' style="{"; ".join(styles)}"' if styles else ""
        return f"<span{attrs}>"


def _extended(codes: list[int], i: int) -> tuple[str | int | None, int]:
    """``5;n`` (xterm-256) or ``2;r;g;b`` (24-bit) after a 38/48 code."""
    mode = codes[i]
    if mode == 5 and i + 1 < len(codes):
        index = max(0, min(255, codes[i + 1]))
        return (index if index < 16 else _xterm_rgb(index)), i + 2
    if mode == 2 and i + 3 < len(codes):
        red, green, blue = (max(0, min(255, c)) for c in codes[i + 1 : i + 4])
        return f"rgb({red},{green},{blue})", i + 4
    return None, i + 1


def _transition(state: tuple[object, ...], params: str) -> tuple[tuple[object, ...], str]:
    """The state after SGR *params* and the span that opens it ("" for plain text)."""
    style = _Style()
    style.fg, style.bg, style.bold, style.underline, style.inverse = state  # type: ignore[assignment]
    style.apply(params)
    return style.key(), style.open_tag()


_PLAIN = _Style().key()


def ansi_to_html(text: str, tick: Callable[[], None] | None = None) -> str:
    """*text* with ANSI colour escapes as escaped HTML with coloured spans (see module doc).

    *tick* is called every few ten thousand escapes (a render's cancellation point)."""
    if "\x1b" not in text:
        return html.escape(text, quote=False)
    parts: list[str] = []
    transitions: dict[tuple[object, str], tuple[tuple[object, ...], str]] = {}
    state = _PLAIN
    current = ""
    position = 0
    for count, match in enumerate(_CSI.finditer(text), 1):
        if tick is not None and count % 50_000 == 0:
            tick()
        if match.start() > position:
            parts.append(html.escape(text[position : match.start()], quote=False))
        position = match.end()
        if match.group(2) != "m":
            continue
        key = (state, match.group(1))
        step = transitions.get(key)
        if step is None:
            step = transitions[key] = _transition(state, match.group(1))
        if step[0] == state:
            continue
        state = step[0]
        if current:
            parts.append("</span>")
        current = step[1]
        parts.append(current)
    if position < len(text):
        parts.append(html.escape(text[position:], quote=False))
    if current:
        parts.append("</span>")
    return "".join(parts)


def apply_carriage_returns(text: str) -> str:
    """Stream text as a terminal shows it: a bare ``\\r`` rewinds its line (progress bars)."""
    if "\r" not in text:
        return text
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(line[line.rfind("\r") + 1 :] if "\r" in line else line for line in lines)
