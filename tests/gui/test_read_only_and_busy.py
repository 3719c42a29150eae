"""The window on a registry it cannot write, and a write stuck behind another Signoff's lock.

The status bar says "read-only" (and why, in its tooltip) and the inventory still browses; a
change asked for — a reviewer pressing Approve and Sign — is refused on screen with the
message the core gives, as is a signature that waited too long for another Signoff's write
lock ("another Signoff is writing …; waited 1 s"). A write waiting for another process's write
lock ends as soon as the person cancels it — long before the 30 s the wait would otherwise last.
"""

from __future__ import annotations

import html
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from signoff.core.common.errors import ReadOnlyRegistryError
from signoff.core.db.registry import open_registry
from signoff.core.governance.people import list_people, save_person
from signoff.core.governance.workflow import run_transition
from signoff.ui.shell.app import build_window
from tests.helpers.bad_input import registry_state
from tests.helpers.qtwait import wait_idle
from tests.helpers.workflow import add_people, publish_version

pytestmark = pytest.mark.gui


@pytest.fixture
def read_only_window(qtbot, browse_registry, settings):
    home = browse_registry.location.artifacts.parent
    browse_registry.close()
    registry = open_registry(home=home, read_only=True)
    window = build_window(registry, settings)
    qtbot.addWidget(window)
    window.show()
    wait_idle(qtbot, window.ctx)
    yield window
    window.ctx.shutdown()
    registry.close()


def test_the_status_bar_says_read_only(read_only_window) -> None:
    label = read_only_window.db_label
    assert "read-only" in label.text() and label.text().startswith("embedded")
    assert "opened read-only; changes are refused" in label.toolTip()


def test_the_inventory_of_a_read_only_registry_is_browsed(qtbot, read_only_window) -> None:
    inventory = read_only_window.areas["inventory"]
    qtbot.waitUntil(lambda: inventory.model.rowCount() >= 3, timeout=10_000)
    names = {inventory.model.index(r, 0).data() for r in range(inventory.model.rowCount())}
    assert {"credit-risk", "fraud-alert", "churn-propensity"} <= names


@pytest.fixture
def review_home(registry, tmp_path) -> Path:
    """A closed registry home where credit v1 waits in review for the validator."""
    add_people(registry)
    publish_version(registry, tmp_path)
    run_transition(registry, "submit", "credit", 1, actor="alice")
    home = Path(registry.engine.url.database).parent
    registry.close()
    return home


def sign_approval(qtbot, make_ctx, registry) -> str:
    """As the validator, press Approve and Sign on credit v1; the text the tab shows after."""
    from signoff.ui.version.approvals_tab import ApprovalsTab

    registry.set_actor_for_embedded("val")
    tab = ApprovalsTab(make_ctx(registry))
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.loaded, timeout=10_000):
        tab.show_version("credit", 1)
    qtbot.mouseClick(tab.buttons["approve"], Qt.MouseButton.LeftButton)
    qtbot.keyClicks(tab.dialog.comment, "validation report reviewed")
    with qtbot.waitSignal(tab.decisionFailed, timeout=30_000) as failed:
        qtbot.mouseClick(
            tab.dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
            Qt.MouseButton.LeftButton,
        )
    assert failed.args[0] in html.unescape(tab.message.text())  # what the person reads
    return failed.args[0]


def test_a_signature_on_a_read_only_registry_is_refused_on_screen(
    qtbot, make_ctx, review_home
) -> None:
    registry = open_registry(home=review_home, read_only=True)
    try:
        before = registry_state(registry)
        shown = sign_approval(qtbot, make_ctx, registry)
        assert shown.startswith("Not signed:")
        assert "read-only" in shown and "nothing was changed" in shown
        assert "Traceback" not in shown
        assert registry_state(registry) == before
    finally:
        registry.close()


def test_a_signature_behind_another_signoffs_lock_says_so_on_screen(
    qtbot, make_ctx, review_home, monkeypatch
) -> None:
    monkeypatch.setenv("SIGNOFF_LOCK_WAIT", "1")
    registry = open_registry(home=review_home)
    other = sqlite3.connect(review_home / "registry.db", isolation_level=None, timeout=0.1)
    try:
        before = registry_state(registry)
        other.execute("BEGIN IMMEDIATE")  # another Signoff writing, for longer than anyone waits
        try:
            shown = sign_approval(qtbot, make_ctx, registry)
        finally:
            other.execute("ROLLBACK")
        assert "another Signoff is writing to" in shown and "waited 1 s" in shown
        assert "database is locked" not in shown
        assert registry_state(registry) == before
    finally:
        other.close()
        registry.close()


def test_a_change_on_a_read_only_registry_is_refused_in_words(qtbot, read_only_window) -> None:
    def add_person(registry):  # noqa: ANN001, ANN202
        with registry.write() as session:
            save_person(session, "bob", actor="alice", roles=["validator"])

    errors: list[BaseException] = []
    ctx = read_only_window.ctx
    handle = ctx.runner.submit(add_person, ctx.registry, on_error=errors.append)
    qtbot.waitUntil(lambda: handle.is_done, timeout=10000)
    assert isinstance(errors[0], ReadOnlyRegistryError)
    assert "read-only" in str(errors[0]) and "nothing was changed" in str(errors[0])


def test_cancel_ends_a_wait_for_another_signoffs_write_lock(qtbot, make_ctx, registry) -> None:
    ctx = make_ctx(registry)
    other = sqlite3.connect(registry.engine.url.database, isolation_level=None, timeout=0.1)
    other.execute("BEGIN IMMEDIATE")  # another Signoff writing, for longer than anyone waits
    try:

        def add_person(reg):  # noqa: ANN001, ANN202
            with reg.write() as session:
                save_person(session, "bob", actor="alice", roles=["validator"])

        handle = ctx.runner.submit(add_person, registry, description="Add bob")
        qtbot.wait(300)  # the write is waiting for the lock now
        assert not handle.is_done
        with qtbot.waitSignal(handle.cancelled, timeout=10_000):  # well inside the 30 s wait
            handle.cancel()
    finally:
        other.execute("ROLLBACK")
        other.close()
    with registry.read() as session:
        assert [p.login for p in list_people(session)] == []


def test_a_reviewer_stops_waiting_for_another_signoffs_lock(qtbot, make_ctx, review_home) -> None:
    from signoff.ui.version.approvals_tab import ApprovalsTab

    registry = open_registry(home=review_home)  # the lock wait is the default 30 s
    other = sqlite3.connect(review_home / "registry.db", isolation_level=None, timeout=0.1)
    try:
        before = registry_state(registry)
        registry.set_actor_for_embedded("val")
        tab = ApprovalsTab(make_ctx(registry))
        qtbot.addWidget(tab)
        tab.show()
        with qtbot.waitSignal(tab.loaded, timeout=10_000):
            tab.show_version("credit", 1)
        assert not tab.cancel_sign_button.isVisible()
        other.execute("BEGIN IMMEDIATE")  # another Signoff writing, for longer than anyone waits
        try:
            qtbot.mouseClick(tab.buttons["approve"], Qt.MouseButton.LeftButton)
            qtbot.mouseClick(
                tab.dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                Qt.MouseButton.LeftButton,
            )
            assert tab.cancel_sign_button.isVisible() and tab.cancel_sign_button.isEnabled()
            qtbot.wait(300)  # the signature is waiting for the lock now
            with qtbot.waitSignal(tab.decisionFailed, timeout=10_000) as stopped:  # not 30 s
                qtbot.mouseClick(tab.cancel_sign_button, Qt.MouseButton.LeftButton)
        finally:
            other.execute("ROLLBACK")
        assert stopped.args[0].startswith("Stopped waiting")
        assert "Stopped waiting" in html.unescape(tab.message.text())
        qtbot.waitUntil(lambda: not tab.cancel_sign_button.isVisible(), timeout=10_000)
        qtbot.waitUntil(lambda: tab.buttons["approve"].isEnabled(), timeout=10_000)
        assert registry_state(registry) == before
    finally:
        other.close()
        registry.close()
