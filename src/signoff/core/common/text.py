"""What a name or a text field may hold, and what a number may be.

Names (a login, an author, a model's owner, a subject key, a component's name) and text fields
(a description, release notes) are shown to reviewers and auditors, printed beside signatures
and written into the audit trail. A control character can cut a name short on a terminal or in
a report ("bob" followed by NUL prints as "bob"); a bidirectional override makes text display
in another order than it is stored ("credit\u202eksir" looks like a different name); an unpaired
surrogate cannot be written as UTF-8 at all. So every name and text field the registry stores
is checked here first:

* a name is one line: no control character at all (tabs and line breaks included);
* free text may hold tabs and line breaks, and no other control character;
* neither may hold a bidirectional formatting character (embeddings, overrides, isolates and
  the invisible direction marks) or an unpaired surrogate.

Numbers stored as measurements (metrics, scores, tolerances) must be finite: NaN compares
unequal to itself and infinity passes every "at least" test, so either would quietly break a
comparison with a baseline.
"""

from __future__ import annotations

import math
import re
import unicodedata

# bidirectional embeddings and overrides (U+202A-U+202E), isolates (U+2066-U+2069) and the
# invisible marks (LRM, RLM, ALM) that change how the characters around them are ordered
#: the blanks trimmed from the ends of a name (str.strip() would also drop some control
#: characters, U+001C-U+001F and U+0085 among them, hiding them instead of refusing them)
BLANKS = " \t\r\n"

_BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
_SURROGATES = "\ud800-\udfff"
_NAME_BAD = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}{_SURROGATES}]")
_TEXT_BAD = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}{_SURROGATES}]")


def _describe(char: str) -> str:
    code = f"U+{ord(char):04X}"
    if "\ud800" <= char <= "\udfff":
        return f"an unpaired surrogate ({code}), which is not text"
    name = unicodedata.name(char, "")
    if re.match(f"[{_BIDI}]", char):
        return (
            f"a bidirectional formatting character ({code} {name}), which makes text "
            "display in another order than it is stored"
        )
    return f"a control character ({code}{' ' + name if name else ''})"


def name_problem(value: str, limit: int | None = None) -> str | None:
    """Why *value* cannot be stored as a one-line name, or None when it can.

    Refuses control characters (tabs and line breaks included), bidirectional formatting
    characters and unpaired surrogates, and text longer than *limit* characters.
    """
    found = _NAME_BAD.search(value)
    if found is not None:
        return f"contains {_describe(found.group())}"
    if limit is not None and len(value) > limit:
        return f"is longer than {limit} characters"
    return None


def text_problem(value: str, limit: int | None = None) -> str | None:
    """Why *value* cannot be stored as free text, or None when it can.

    Like :func:`name_problem`, but tabs and line breaks are allowed.
    """
    found = _TEXT_BAD.search(value)
    if found is not None:
        return f"contains {_describe(found.group())}"
    if limit is not None and len(value) > limit:
        return f"is longer than {limit} characters"
    return None


def number_problem(value: object) -> str | None:
    """Why *value* is not a finite number (booleans are not numbers), or None when it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{_short(value)} is not a number"
    try:
        number = float(value)
    except OverflowError:
        return f"{_short(value)} is too large for a number"
    if not math.isfinite(number):
        return f"{'NaN' if number != number else repr(value)} is not a finite number"
    return None


_POSITIVE = re.compile(r"[1-9][0-9]{0,8}")
MAX_VERSION_NUMBER = 2**31 - 1  # the versions table's integer column on PostgreSQL


def version_number(value: object) -> int | None:
    """*value* as a version number (a positive whole number in ASCII digits), or None.

    "3" and 3 are 3; "0", "03", "-1", "3.0", "²", Arabic-Indic digits, booleans and numbers
    beyond what the database stores are not version numbers.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= MAX_VERSION_NUMBER else None
    if not isinstance(value, str) or not _POSITIVE.fullmatch(value):
        return None
    number = int(value)
    return number if number <= MAX_VERSION_NUMBER else None


def _short(value: object) -> str:
    try:
        text = repr(value)
    except ValueError:  # an integer beyond Python's digit limit cannot even be printed
        return "a number with thousands of digits"
    return text if len(text) <= 60 else text[:57] + "..."
