"""Waits for GUI tests that end as soon as the screen shows an error, and fail with its text.

A tab that cannot load shows a message instead of emitting the signal a test waits for; waiting
for that signal alone would sit out the whole timeout and then fail without saying why. These
helpers watch for both outcomes, so a failure fails at once and names what the person saw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


def wait_for_result(
    qtbot,  # noqa: ANN001 - pytest-qt's fixture
    ready: Callable[[], bool],
    problem: Callable[[], str | None],
    *,
    timeout: int,
    what: str = "the result",
) -> None:
    """Wait until ``ready()``; fail at once, with its text, as soon as ``problem()`` reports one."""
    qtbot.waitUntil(lambda: ready() or problem() is not None, timeout=timeout)
    reported = problem()
    assert reported is None, f"{what} did not load; the screen says: {reported!r}"


def status_problem(label) -> Callable[[], str | None]:  # noqa: ANN001 - a QLabel
    """A ``problem`` for :func:`wait_for_result`: the label's text once it says "Could not …"."""

    def problem() -> str | None:
        text = label.text()
        return text if text.startswith("Could not") else None

    return problem


@dataclass
class DocumentOutcome:
    """How a Notebook or Release notes tab ended up: its page loaded, or a message shown."""

    page_loaded: bool | None = None  # the engine's load result; None if no page was shown
    message: str | None = None  # the message shown instead of the page


def _message_shown(tab) -> bool:  # noqa: ANN001 - a DocumentTab
    # the tab keeps its message panel up while it loads; it is the outcome only once the
    # progress bar has gone (the worker has answered)
    return tab.stack.currentWidget() is tab.message and tab.progress.isHidden()


@contextmanager
def document_outcome(qtbot, tab, *, timeout: int = 120_000) -> Iterator[DocumentOutcome]:  # noqa: ANN001
    """Run the block (which opens a document in *tab*), then wait for the page or a message.

    The outcome is filled in when the block's ``with`` ends: ``page_loaded`` once the view has
    loaded the rendered page, ``message`` as soon as the tab shows a message instead.
    """
    outcome = DocumentOutcome()
    loads: list[bool] = []

    def on_loaded(ok: bool) -> None:
        loads.append(ok)

    tab.view.loaded.connect(on_loaded)
    try:
        yield outcome
        qtbot.waitUntil(lambda: bool(loads) or _message_shown(tab), timeout=timeout)
    finally:
        tab.view.loaded.disconnect(on_loaded)
    if loads:
        outcome.page_loaded = loads[0]
    else:
        outcome.message = tab.message.text_label.text()


@contextmanager
def document_loaded(qtbot, tab, *, timeout: int = 120_000) -> Iterator[DocumentOutcome]:  # noqa: ANN001
    """Like :func:`document_outcome`, and fail (with the tab's message) unless the page loaded."""
    with document_outcome(qtbot, tab, timeout=timeout) as outcome:
        yield outcome
    assert outcome.message is None, (
        f"the {tab.what} tab shows a message instead of the page: {outcome.message!r}"
    )
    assert outcome.page_loaded is True, f"the {tab.what} page failed to load in the engine"


@contextmanager
def document_message(qtbot, tab, *, timeout: int = 60_000) -> Iterator[DocumentOutcome]:  # noqa: ANN001
    """Like :func:`document_outcome`, and fail at once if a page loads instead of a message."""
    with document_outcome(qtbot, tab, timeout=timeout) as outcome:
        yield outcome
    assert outcome.message is not None, (
        f"the {tab.what} tab showed a page where a message was expected: {tab.status.text()!r}"
    )


def wait_idle(qtbot, ctx, *, timeout: int = 5000) -> None:  # noqa: ANN001 - an AppContext
    """Wait until every background task of *ctx* (queries, renders, runs) has answered."""
    qtbot.waitUntil(lambda: ctx.runner.active_count == 0, timeout=timeout)


def click_and_wait(qtbot, panel, button, reload: bool = True) -> str:  # noqa: ANN001
    """Click *button* on a panel that says what happened (``acted``) and then reloads
    (``loaded``); returns what the person was told."""
    from PySide6.QtCore import Qt

    signals = [panel.acted, panel.loaded] if reload else [panel.acted]
    with (
        qtbot.waitSignal(panel.acted, timeout=20000) as said,
        qtbot.waitSignals(signals, timeout=20000),
    ):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    return said.args[0]
