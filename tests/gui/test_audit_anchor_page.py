"""The Audit area and the version's Audit tab say what the audit chain was verified against."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from signoff.core.audit.anchor_store import save_anchor_setting
from signoff.core.audit.chain import append_event
from signoff.ui.audit.audit_page import AuditPage
from tests.helpers import shots
from tests.helpers.chain_tamper import drop, rechain, sqlite_owner
from tests.helpers.workflow import publish_version

pytestmark = pytest.mark.gui


def plain(label) -> str:  # noqa: ANN001 - a QLabel showing rich text
    return re.sub(r"<[^>]+>", "", label.text())


def checked(qtbot, page: AuditPage, click=None) -> str:  # noqa: ANN001
    """Wait for the trail's verdict (after *click*, if given); returns the anchor's status."""
    with qtbot.waitSignal(page.trailChecked, timeout=10000) as blocker:
        if click is not None:
            qtbot.mouseClick(click, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def add_events(registry, count: int) -> None:
    with registry.write() as s:
        for i in range(count):
            append_event(s, actor="alice", action="test.event", entity_type="test", entity_id=i)


def test_the_audit_area_verifies_against_the_anchor_every_time(
    qtbot, registry, make_ctx, home: Path, tmp_path: Path
) -> None:
    add_events(registry, 5)
    ctx = make_ctx(registry)
    page = AuditPage(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 500)
    page.show()
    qtbot.waitUntil(lambda: not page.checking, timeout=10000)
    said = plain(page.trail_verdict)
    assert "Audit chain intact (5 events, head #5)." in said
    assert "No anchor: a rewrite of the whole chain would not be detected" in said
    assert "signoff audit anchor set LOCATION" in said
    assert not page.anchor_button.isEnabled()

    # a person sets the anchor (as 'signoff audit anchor set' does) and writes the head there
    anchor = tmp_path / "other-share" / "anchor.json"
    save_anchor_setting(registry.location.db_url, str(anchor))
    assert checked(qtbot, page, page.verify_button) == "missing"
    assert "holds no head of this registry" in plain(page.trail_verdict)
    assert page.anchor_button.isEnabled()
    told: list[str] = []
    ctx.statusMessage.connect(told.append)
    assert checked(qtbot, page, page.anchor_button) == "verified"  # written, then checked
    assert told == [f"Head #5 written to {anchor}."]
    said = plain(page.trail_verdict)
    assert re.search(r"Verified against the head exported at \S+ \S+ UTC \(seq 5\) in ", said)
    shots.save_screenshot(page, "audit_anchor_verified.png")

    # showing the area again checks again: new events are noticed, then a cut tail
    add_events(registry, 2)
    with qtbot.waitSignal(page.trailChecked, timeout=10000):
        page.activate()
    assert "2 later event(s) not anchored yet" in plain(page.trail_verdict)
    with sqlite_owner(home / "registry.db") as conn:
        rechain(conn, drop(6, 7, 5))
    with qtbot.waitSignal(page.trailChecked, timeout=10000) as blocker:
        page.activate()
    assert blocker.args == ["failed"]
    said = plain(page.trail_verdict)
    assert "Truncated: the chain ends at #4" in said and "event(s) #5 were removed" in said
    assert "#b3261e" in page.trail_verdict.text()  # in red
    assert not page.anchor_button.isEnabled()  # a cut chain is never anchored
    grab = page.grab()
    assert not grab.isNull() and grab.width() >= 1000


def test_the_audit_tab_names_the_anchor_too(qtbot, registry, make_ctx, tmp_path: Path) -> None:
    from signoff.core.audit.anchor import write_anchor
    from signoff.ui.version.audit_tab import AuditTab

    publish_version(registry, tmp_path)
    tab = AuditTab(make_ctx(registry))
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.loaded, timeout=10000):
        tab.show_version("credit", 1)
    assert "No anchor: a rewrite of the whole chain would not be detected" in plain(tab.verdict)
    anchor = f"sqlite:///{tmp_path / 'anchors' / 'anchors.db'}"
    save_anchor_setting(registry.location.db_url, anchor)
    with registry.read() as s:
        anchored, _store = write_anchor(s, registry.location.db_url)
    with qtbot.waitSignal(tab.loaded, timeout=10000):
        tab.reload()
    said = plain(tab.verdict)
    assert "Audit chain intact" in said
    assert f"(seq {anchored.seq}) in sqlite:///" in said and "Verified against the head" in said
