"""A linear pre-pass over untrusted HTML, before the sanitizer parses it.

The sanitizer (html5ever, inside nh3) is exact but has two costs that grow with the square of
hostile input: every block-level start tag looks down the stack of open elements, so 100,000
nested ``<div>``s take minutes, and every attribute is compared with the ones before it on the
same tag. This pass walks the tags once, with a bounded stack, and before the parser sees them:

* flattens nesting deeper than ``max_depth`` (the tags go, their text stays) — browsers cap the
  depth of the tree too, so nothing readable is lost;
* keeps the first ``max_attributes`` attributes of a tag;
* turns inline ``<svg>`` into an ``<img>`` of that SVG (no script runs in an image);
* shows ``<textarea>``, ``<xmp>`` and ``<plaintext>`` content as the text a browser displays;
* removes ``<script>``, ``<style>``, ``<title>``, ``<template>``, ``<noembed>``, ``<noframes>``,
  ``<noscript>`` and ``<iframe>`` with their content, which a browser does not display either,
  and unwraps ``<select>``/``<option>`` so the choices read as text.

Most fragments need none of the tag-by-tag work: a few C-speed regex passes estimate the depth
(quotes respected, so ``title="</div>"`` cannot hide a level) and find over-long tags, and only
the special elements above are then rewritten. The full walk runs only for deep or odd markup.

It is not the security boundary — nh3 parses and cleans its output afterwards — so an edge case
it reads differently from a browser costs fidelity, never safety. What it changed is returned as
notes for the page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate

from signoff.core.render.svg import svg_to_img

_OPEN = re.compile(r"<(?:(/?)([A-Za-z][^\t\n\f\r />]*)|(!--)|([!?/]))")
_REST = re.compile(r"""(?:[^>"']+|"[^"]*"|'[^']*')*""")
# one whole tag, quotes respected; an unclosed quote or tag runs to the end (atomic: linear)
_BODY = r"""(?>[^>"']+|"[^"]*(?:"|\Z)|'[^']*(?:'|\Z))*+(?:>|\Z)"""
# a tag's kind for the depth estimate: end tag (group 1), void element (group 2), or start tag
_TAG_KIND = re.compile(
    r"<(/)?(?:(area|base|br|col|embed|hr|img|input|keygen|link|meta|param|source|track|wbr)"
    r"(?![A-Za-z0-9-])|[A-Za-z])" + _BODY,
    re.I,
)
_LONG_TAG = re.compile(r"<[A-Za-z][^>]{2048,}")
_SPECIAL = re.compile(
    r"<(/?)(script|style|title|template|noembed|noframes|noscript|iframe|textarea|xmp"
    r"|plaintext|svg|select|option|optgroup|datalist)(?=[\s/>])",
    re.I,
)
_ATTRIBUTE = re.compile(r"""[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?""")
_COMMENT_END = re.compile(r"--!?>")

VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
DROPPED = frozenset(
    ["script", "style", "title", "template", "noembed", "noframes", "noscript", "iframe"]
)
AS_TEXT = frozenset({"textarea", "xmp", "plaintext"})
UNWRAPPED = frozenset({"select", "option", "optgroup", "datalist"})
# elements whose end tag is optional: a new one closes a peer open right above it
SELF_CLOSING_PEERS = {
    "p": {"p"},
    "li": {"li"},
    "dt": {"dt", "dd"},
    "dd": {"dt", "dd"},
    "tr": {"tr", "td", "th"},
    "td": {"td", "th"},
    "th": {"td", "th"},
    "thead": {"tbody", "tfoot", "thead"},
    "tbody": {"tbody", "tfoot", "thead", "tr", "td", "th"},
    "tfoot": {"tbody", "thead", "tr", "td", "th"},
    "rt": {"rt", "rp"},
    "rp": {"rt", "rp"},
}
TICK_EVERY = 20_000  # tags between cancellation checks


@dataclass
class Confined:
    """The pre-passed markup and what was changed on the way."""

    markup: str
    notes: list[str] = field(default_factory=list)
    scripts: int = 0  # script elements removed


def _end_of(fragment: str, name: str, start: int, cache: dict[str, int]) -> tuple[int, int]:
    """(content end, after the end tag) of raw-text element *name*, or the fragment's end.

    *cache* remembers names with no end tag after some point, so a thousand unclosed
    ``<textarea>``s cost one search, not a thousand."""
    if cache.get(name, len(fragment) + 1) <= start:
        return len(fragment), len(fragment)
    match = re.compile(rf"</{re.escape(name)}[\s/>]", re.I).search(fragment, start)
    if match is None:
        cache[name] = start
        return len(fragment), len(fragment)
    close = fragment.find(">", match.end() - 1)
    return match.start(), (len(fragment) if close < 0 else close + 1)


def estimated_depth(fragment: str) -> int:
    """An upper estimate of how deep *fragment*'s elements nest (one C-speed regex pass).

    Optional end tags (``<p>``, ``<li>``) count as open, so the estimate errs high."""
    steps = [-1 if end else (0 if void else 1) for end, void in _TAG_KIND.findall(fragment)]
    return max(0, max(accumulate(steps), default=0))


def _needs_full_walk(fragment: str, max_depth: int, max_attributes: int) -> bool:
    if "<!--" in fragment:  # comments hide markup from the estimate: walk it properly
        return True
    if fragment.count("<") > max_depth and estimated_depth(fragment) >= max_depth:
        return True
    for long_tag in _LONG_TAG.finditer(fragment):
        tag = long_tag.group(0)
        if tag.count(" ") + tag.count("\n") + tag.count("\t") > max_attributes:
            return True
    return False


def _rewrite_special(fragment: str, result: Confined) -> str:
    """Only the special elements rewritten (the common case: shallow, ordinary markup)."""
    out: list[str] = []
    no_end: dict[str, int] = {}
    shown_as_text: set[str] = set()
    position = 0
    length = len(fragment)
    while True:
        match = _SPECIAL.search(fragment, position)
        if match is None:
            break
        out.append(fragment[position : match.start()])
        rest = _REST.match(fragment, match.end())
        assert rest is not None
        tag_end = rest.end() + 1 if rest.end() < length else length
        closing, name = match.group(1) == "/", match.group(2).lower()
        position = tag_end
        if closing:
            if name not in UNWRAPPED:
                out.append(fragment[match.start() : tag_end])
            continue
        position = _special_element(fragment, name, match.start(), tag_end, out, no_end, result)
        if name in AS_TEXT:
            shown_as_text.add(name)
    out.append(fragment[position:])
    for name in sorted(shown_as_text):
        result.notes.append(f"<{name}> content shown as plain text.")
    return "".join(out)


def _special_element(
    fragment: str,
    name: str,
    start: int,
    tag_end: int,
    out: list[str],
    no_end: dict[str, int],
    result: Confined,
) -> int:
    """Rewrite one special element starting at *start*; returns where scanning resumes."""
    length = len(fragment)
    if name in UNWRAPPED:
        return tag_end
    if name in DROPPED:
        if name == "script":
            result.scripts += 1
        if name == "iframe":  # the sanitizer's "not loaded" note needs the tag
            out.append(fragment[start:tag_end] + "</iframe>")
        return _end_of(fragment, name, tag_end, no_end)[1]
    if name in AS_TEXT:
        content_end, after = (
            (length, length) if name == "plaintext" else _end_of(fragment, name, tag_end, no_end)
        )
        text = fragment[tag_end:content_end]
        if name == "textarea":
            text = html.unescape(text)  # RCDATA: a browser decodes entities, parses no tags
        out.append(f"<pre>{html.escape(text, quote=False)}</pre>")
        return after
    after = _end_of(fragment, "svg", tag_end, no_end)[1]
    out.append(svg_to_img(fragment[start:after]))
    return after


def confine_markup(
    fragment: str,
    *,
    max_depth: int = 200,
    max_attributes: int = 64,
    tick: Callable[[], None] | None = None,
) -> Confined:
    """Pre-pass *fragment* (see the module docstring); linear in its length."""
    result = Confined("")
    if "<" not in fragment:
        result.markup = fragment
        return result
    if not _needs_full_walk(fragment, max_depth, max_attributes):
        special = _SPECIAL.search(fragment) is not None
        result.markup = _rewrite_special(fragment, result) if special else fragment
        return result
    out: list[str] = []
    stack: list[str] = []
    no_end: dict[str, int] = {}
    flattened = cut_attributes = unclosed = False
    shown_as_text: set[str] = set()
    position = 0
    tags = 0
    length = len(fragment)
    while position < length:
        match = _OPEN.search(fragment, position)
        if match is None:
            break
        out.append(fragment[position : match.start()])
        tags += 1
        if tick is not None and tags % TICK_EVERY == 0:
            tick()
        if match.group(3):  # a comment: dropped (the sanitizer drops them too)
            end = _COMMENT_END.search(fragment, match.end())
            position = length if end is None else end.end()
            continue
        rest = _REST.match(fragment, match.end())
        assert rest is not None  # the pattern matches the empty string
        if rest.end() >= length or fragment[rest.end()] != ">":
            unclosed = True  # a tag open to the end: a browser shows nothing after it either
            position = length
            break
        tag_end = rest.end() + 1
        if match.group(4):  # <!doctype>, <?xml?>, </ bogus>
            position = tag_end
            continue
        closing, name = match.group(1) == "/", match.group(2).lower()
        position = tag_end
        if closing:
            if name in stack:
                while stack:
                    if stack.pop() == name:
                        break
                out.append(f"</{name}>")
            continue  # an end tag with nothing to close, or of a flattened tag: dropped
        if name in DROPPED or name in AS_TEXT or name == "svg":
            position = _special_element(fragment, name, match.start(), tag_end, out, no_end, result)
            if name in AS_TEXT:
                shown_as_text.add(name)
            continue
        if name in UNWRAPPED:
            continue
        body = fragment[match.end() : rest.end()]
        if len(body) > 512:
            attributes = _ATTRIBUTE.findall(body)
            if len(attributes) > max_attributes:
                cut_attributes = True
                body = " " + " ".join(attributes[:max_attributes])
        if name in VOID:  # "<div/>" is an open <div> in HTML: only void elements close at once
            out.append(f"<{name}{body}>")
            continue
        peers = SELF_CLOSING_PEERS.get(name)
        if peers and stack and stack[-1] in peers:
            stack.pop()  # only right above: the count may err high (fidelity), never low
        if len(stack) >= max_depth:
            flattened = True
            continue
        if name == "tr" and stack and stack[-1] == "table":
            stack.append("tbody")  # the parser adds it: it is a level of the tree too
        stack.append(name)
        out.append(f"<{name}{body}>")
    if position < length:
        out.append(fragment[position:])
    result.markup = "".join(out)
    if flattened:
        result.notes.append(
            f"HTML nested deeper than {max_depth} levels was flattened (its text is kept)."
        )
    if cut_attributes:
        result.notes.append(f"Tags with more than {max_attributes} attributes were cut short.")
    if unclosed:
        result.notes.append("The HTML ends inside an unclosed tag; what follows it is not shown.")
    for name in sorted(shown_as_text):
        result.notes.append(f"<{name}> content shown as plain text.")
    return result
