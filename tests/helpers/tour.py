"""A tour of every page of the window on the demo registry, for the layout tests and shots.

Each stop shows one page as a person gets there (the side bar, a double-click, a tab) and
waits until the window has settled: no worker busy, no column fit pending, documents loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget

#: the demo model the tour visits, with the version in review and the live one
MODEL, IN_REVIEW, LIVE = "credit-risk", 4, 3


@dataclass(frozen=True)
class Stop:
    """One page of the tour: its screenshot name and how to get there."""

    name: str
    go: Callable[[QWidget], QWidget | None]  # returns the widget to grab (None: the window)
    documents: bool = False  # wait for a rendered document


def pause(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def settle(window, *, ms: int = 300, timeout_ms: int = 60000) -> None:  # noqa: ANN001
    """Wait until every worker of the window is idle twice in a row, then *ms* more."""
    waited, idle = 0, 0
    while waited < timeout_ms and idle < 3:
        pause(50)
        waited += 50
        QApplication.processEvents()
        idle = idle + 1 if window.ctx.runner.active_count == 0 else 0
    pause(ms)


def _version_tab(title: str, number: int = IN_REVIEW) -> Callable[[QWidget], QWidget | None]:
    def go(window):  # noqa: ANN001, ANN202
        window.open_version(MODEL, number, title)
        return None

    return go


def _area(key: str) -> Callable[[QWidget], QWidget | None]:
    def go(window):  # noqa: ANN001, ANN202
        window.show_area(key)
        return None

    return go


def _model(window) -> None:  # noqa: ANN001
    window.open_model(MODEL)


def _compare(window) -> None:  # noqa: ANN001
    window.open_compare(MODEL, [LIVE, IN_REVIEW])


def _search(window):  # noqa: ANN001, ANN202
    dialog = window.show_global_search()
    dialog.edit.setText("credit")
    dialog.search_now()
    return dialog


def _guide(window):  # noqa: ANN001, ANN202
    window.show_area("audit")
    return window.show_guide()


def _reproduce(window):  # noqa: ANN001, ANN202
    window.show_area("audit")
    audit = window.areas["audit"]
    audit.look_for(SUBJECT)
    settle(window)
    audit.select_row(0)
    return audit.reproduce_selected()


def _report(window):  # noqa: ANN001, ANN202
    audit = window.areas["audit"]
    view = audit.views[-1] if audit.views else _reproduce(window)
    settle(window)
    viewer = view.open_report()
    settle(window, ms=300)
    # the approvals, by printed name and role, are what a reader of the report looks for
    viewer.view.verticalScrollBar().setValue(REPORT_SCROLL)
    return viewer


def _risk_tab(title: str) -> Callable[[QWidget], QWidget | None]:
    def go(window):  # noqa: ANN001, ANN202
        window.show_area("risk")
        window.areas["risk"].show_tab(title)
        return None

    return go


def _card_compare(window) -> None:  # noqa: ANN001
    window.open_version(MODEL, IN_REVIEW, "Model card")
    settle(window)
    window.version_page.tab_widget("Model card").compare_with(LIVE)


def _people(window):  # noqa: ANN001, ANN202
    return window.show_people_dialog()


#: a customer whose recorded result the tour reproduces
SUBJECT = "APP-261025-00"
#: how far down the report the tour looks (to its approvals)
REPORT_SCROLL = 330


STOPS: tuple[Stop, ...] = (
    Stop("inventory", _area("inventory")),
    Stop("my_reviews", _area("reviews")),
    Stop("model", _model),
    Stop("version", _version_tab("Overview")),
    Stop("release-notes", _version_tab("Release notes"), documents=True),
    Stop("notebook", _version_tab("Notebook"), documents=True),
    Stop("metrics", _version_tab("Metrics")),
    Stop("approvals", _version_tab("Approvals")),
    Stop("runs", _version_tab("Runs & monitoring", LIVE)),
    Stop("audit_tab", _version_tab("Audit")),
    Stop("compare", _compare),
    Stop("monitoring", _area("monitoring")),
    Stop("audit_page", _area("audit")),
    Stop("reproduce_view", _reproduce),
    Stop("reproduction_report", _report),
    Stop("consumers", _area("consumers")),
    Stop("revalidation", _risk_tab("Revalidation")),
    Stop("attestations", _risk_tab("Attestations")),
    Stop("model_card", _version_tab("Model card")),
    Stop("card_compare", _card_compare),
    Stop("search", _search),
    Stop("guide", _guide),
    Stop("people", _people),
)


def visit(window, stops: tuple[Stop, ...] = STOPS) -> Iterator[tuple[Stop, QWidget]]:  # noqa: ANN001
    """Go to each stop in turn; yields the stop and the widget showing it, once settled."""
    for stop in stops:
        shown = stop.go(window) or window
        settle(window, ms=1500 if stop.documents else 300)
        yield stop, shown
        if shown is not window and stop.name != "reproduce_view":  # the report opens from it
            shown.close()
            settle(window, ms=50)
