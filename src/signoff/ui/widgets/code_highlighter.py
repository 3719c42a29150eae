"""A small regex syntax highlighter for the text components a reviewer reads.

Python, JSON, TOML/INI, Markdown, YAML and requirements files; anything else is plain.
"""

from __future__ import annotations

import keyword as keyword_module
import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument


def _fmt(colour: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


KEYWORD = _fmt("#8e44ad", bold=True)
STRING = _fmt("#b03a2e")
NUMBER = _fmt("#1f618d")
COMMENT = _fmt("#7f8c8d", italic=True)
NAME = _fmt("#117864", bold=True)
HEADING = _fmt("#1a5276", bold=True)

PY_KEYWORDS = [keyword for keyword in keyword_module.kwlist if keyword.isidentifier()]

RULES: dict[str, list[tuple[re.Pattern[str], QTextCharFormat]]] = {
    "python": [
        (re.compile(r"\b(" + "|".join(PY_KEYWORDS) + r")\b"), KEYWORD),
        (re.compile(r"\b\d+(\.\d+)?\b"), NUMBER),
        (re.compile(r"(?<=\bdef )\w+|(?<=\bclass )\w+"), NAME),
        (re.compile(r"'[^'\n]*'|\"[^\"\n]*\""), STRING),
        (re.compile(r"#[^\n]*"), COMMENT),
    ],
    "json": [
        (re.compile(r"-?\b\d+(\.\d+)?([eE][-+]?\d+)?\b|\b(true|false|null)\b"), NUMBER),
        (re.compile(r"\"(\\.|[^\"\\])*\""), STRING),
        (re.compile(r"\"(\\.|[^\"\\])*\"(?=\s*:)"), NAME),
    ],
    "toml": [
        (re.compile(r"^\s*\[{1,2}[^\]]+\]{1,2}"), HEADING),
        (re.compile(r"^\s*[\w.\-\"]+(?=\s*=)"), NAME),
        (re.compile(r"\b\d+(\.\d+)?\b|\b(true|false)\b"), NUMBER),
        (re.compile(r"'[^'\n]*'|\"[^\"\n]*\""), STRING),
        (re.compile(r"[#;][^\n]*"), COMMENT),
    ],
    "yaml": [
        (re.compile(r"^\s*[\w.\-]+(?=\s*:)"), NAME),
        (re.compile(r"\b\d+(\.\d+)?\b|\b(true|false|null)\b"), NUMBER),
        (re.compile(r"'[^'\n]*'|\"[^\"\n]*\""), STRING),
        (re.compile(r"#[^\n]*"), COMMENT),
    ],
    "markdown": [
        (re.compile(r"^#{1,6} .*"), HEADING),
        (re.compile(r"\*\*[^*]+\*\*"), KEYWORD),
        (re.compile(r"`[^`]+`"), STRING),
    ],
    "requirements": [
        (re.compile(r"^[A-Za-z0-9_.\-\[\]]+"), NAME),
        (re.compile(r"[=<>!~]=?\s*[\w.*]+"), NUMBER),
        (re.compile(r"#[^\n]*"), COMMENT),
    ],
}


class CodeHighlighter(QSyntaxHighlighter):
    """Highlights a document line by line with the rules for *language*."""

    def __init__(self, document: QTextDocument, language: str) -> None:
        super().__init__(document)
        self.language = language
        self.rules = RULES.get(language, [])

    def highlightBlock(self, text: str) -> None:  # noqa: N802
        for pattern, fmt in self.rules:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), fmt)
