"""Side-by-side diff of two documents' text (release notes between versions), as safe HTML.

Lines are aligned with :mod:`difflib`; inside a changed line the changed words are marked too,
so a reviewer sees "0.81 → 0.84" at a glance. Every piece of document text is HTML-escaped:
the diff page contains no markup from the documents at all.
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass

from signoff.core.render.document import RenderReport
from signoff.core.render.page import build_page, markdown_css

_WORDS = re.compile(r"\d+(?:[.,]\d+)*%?|\s+|\w+|[^\w\s]")

DIFF_CSS = """
table.signoff-diff { border-collapse: collapse; width: 100%; table-layout: fixed;
  font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
table.signoff-diff th { background: #f6f8fa; text-align: left; padding: 6px 8px; }
table.signoff-diff td { border: 0; padding: 1px 8px; vertical-align: top;
  white-space: pre-wrap; word-break: break-word; }
table.signoff-diff td.num { width: 3.2em; color: #8c959f; text-align: right;
  user-select: none; }
tr.same td { background: #ffffff; }
td.del { background: #ffebe9; } td.add { background: #e6ffec; }
td.del span.w { background: #ff8182; border-radius: 2px; }
td.add span.w { background: #4ac26b; color: #fff; border-radius: 2px; }
td.empty { background: #f6f8fa; }
p.signoff-diff-summary { font-family: system-ui, sans-serif; }
"""


@dataclass(frozen=True)
class DiffSummary:
    """How many lines were added, removed and changed going from the left to the right text."""

    added: int
    removed: int
    changed: int

    @property
    def identical(self) -> bool:
        """True when the two texts have the same lines."""
        return not (self.added or self.removed or self.changed)

    def describe(self) -> str:
        """A short sentence for a status label."""
        if self.identical:
            return "No differences."
        return (
            f"{self.changed} changed, {self.added} added, {self.removed} removed "
            f"line{'s' if self.added + self.removed + self.changed != 1 else ''}."
        )


def _words_marked(old: str, new: str) -> tuple[str, str]:
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    left: list[str] = []
    right: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old_part, new_part = html.escape("".join(a[i1:i2])), html.escape("".join(b[j1:j2]))
        if tag == "equal":
            left.append(old_part)
            right.append(new_part)
            continue
        if old_part:
            left.append(f'<span class="w">{old_part}</span>')
        if new_part:
            right.append(f'<span class="w">{new_part}</span>')
    return "".join(left), "".join(right)


def _row(kind: str, ln: int | None, left: str | None, rn: int | None, right: str | None) -> str:
    def cells(number: int | None, text: str | None, side_class: str) -> str:
        if text is None:
            return '<td class="num"></td><td class="empty"></td>'
        return f'<td class="num">{number}</td><td class="{side_class}">{text}</td>'

    left_class = "del" if kind in ("del", "chg") else ""
    right_class = "add" if kind in ("add", "chg") else ""
    return f'<tr class="{kind}">{cells(ln, left, left_class)}{cells(rn, right, right_class)}</tr>'


def diff_rows(old_text: str, new_text: str) -> tuple[list[str], DiffSummary]:
    """The table rows (HTML) of a side-by-side diff, and the summary counts."""
    old_lines, new_lines = old_text.splitlines(), new_text.splitlines()
    rows: list[str] = []
    added = removed = changed = 0
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(
                _row("same", i + 1, html.escape(old_lines[i]), j + 1, html.escape(new_lines[j]))
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
            continue
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(pairs):
            left, right = _words_marked(old_lines[i1 + k], new_lines[j1 + k])
            rows.append(_row("chg", i1 + k + 1, left, j1 + k + 1, right))
            changed += 1
        for i in range(i1 + pairs, i2):
            rows.append(_row("del", i + 1, html.escape(old_lines[i]), None, None))
            removed += 1
        for j in range(j1 + pairs, j2):
            rows.append(_row("add", None, None, j + 1, html.escape(new_lines[j])))
            added += 1
    return rows, DiffSummary(added, removed, changed)


def side_by_side_page(
    old_text: str, new_text: str, old_label: str, new_label: str
) -> tuple[str, DiffSummary]:
    """A complete offline HTML page showing *old_text* (left) against *new_text* (right)."""
    rows, summary = diff_rows(old_text, new_text)
    body = (
        f'<p class="signoff-diff-summary">{html.escape(summary.describe())}</p>'
        '<table class="signoff-diff"><colgroup><col style="width:3.2em"><col>'
        '<col style="width:3.2em"><col></colgroup>'
        f"<thead><tr><th></th><th>{html.escape(old_label)}</th><th></th>"
        f"<th>{html.escape(new_label)}</th></tr></thead><tbody>{''.join(rows)}"
        "</tbody></table>"
    )
    page = build_page(
        f"{old_label} ↔ {new_label}",
        body,
        markdown_css() + DIFF_CSS,
        RenderReport(),
        body_class="signoff-markdown",
    )
    return page, summary
