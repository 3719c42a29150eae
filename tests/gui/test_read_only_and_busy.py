"""The window on a registry it cannot write, and a write stuck behind another Signoff's lock.

The status bar says "read-only" (and why, in its tooltip); a change asked for is refused with
the message the core gives. A write waiting for another process's write lock ends as soon as
the person cancels it — long before the 30 s the wait would otherwise last.
"""

from __future__ import annotations

import sqlite3

import pytest

from signoff.core.common.errors import ReadOnlyRegistryError
from signoff.core.db.registry import open_registry
from signoff.core.governance.people import list_people, save_person
from signoff.ui.shell.app import build_window
from tests.helpers.qtwait import wait_idle

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
