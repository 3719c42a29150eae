"""README screenshots taken by GUI tests, only when asked (``SIGNOFF_SCREENSHOTS=1``).

A test run must not rewrite files in the checkout, so by default nothing is saved; a developer
refreshing the README runs the GUI tests with ``SIGNOFF_SCREENSHOTS=1``.
"""

from __future__ import annotations

import os
from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def wanted() -> bool:
    """True when this test run should refresh the README screenshots."""
    return os.environ.get("SIGNOFF_SCREENSHOTS") == "1"


def save_screenshot(widget, name: str, *, settle_ms: int = 0) -> Path | None:  # noqa: ANN001
    """Save *widget* (any QWidget) as docs/screenshots/NAME when screenshots are wanted.

    *settle_ms* lets the web engine finish painting first (it paints on its own schedule, and
    no signal says when); the wait happens only when a screenshot is taken. Returns the path.
    """
    if not wanted():
        return None
    if settle_ms:
        from PySide6.QtTest import QTest

        QTest.qWait(settle_ms)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    widget.grab().save(str(path))
    return path
