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


def save_screenshot(widget, name: str) -> Path | None:  # noqa: ANN001 - any QWidget
    """Save *widget* as docs/screenshots/NAME when screenshots are wanted; returns the path."""
    if not wanted():
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    widget.grab().save(str(path))
    return path
