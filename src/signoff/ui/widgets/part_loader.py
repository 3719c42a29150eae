"""Building one part of the window (a side-bar area, a version tab) without risking the rest.

Each part is registered with a factory that imports its module with a plain ``import``
statement, so import-linter, type checkers and the bundle's analysis all see it. A part whose
construction fails is replaced by a panel naming the failure, and the failure is logged at
ERROR with its traceback: the window stays usable and the fault is visible, never hidden.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from signoff.ui.widgets.common import EmptyState

if TYPE_CHECKING:
    from signoff.ui.services.context import AppContext

log = logging.getLogger(__name__)

#: ``factory(ctx, parent) -> widget``
PartFactory = Callable[["AppContext", "QWidget | None"], QWidget]


class FailedPart(EmptyState):
    """Stands where a part could not be built; says why, and obeys the tab contract."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(title, text, parent)

    def show_version(self, model: str, number: int) -> None:
        """Nothing to load."""


def build_part(
    ctx: AppContext, title: str, factory: PartFactory, parent: QWidget | None = None
) -> QWidget:
    """The part's widget, or a :class:`FailedPart` naming the error (which is logged)."""
    try:
        return factory(ctx, parent)
    except Exception as exc:  # noqa: BLE001 - a broken part must not take the window down
        log.exception("the %s part could not be built", title)
        return FailedPart(title, f"This part failed to load: {exc}", parent)
