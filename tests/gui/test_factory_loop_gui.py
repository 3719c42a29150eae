"""The factory loop as a person sees it, on the demo registry: the Migration table on the
Consumers page, and the bell with the signed-in person's unread alerts and their list."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.helpers import shots


def test_migration_table_shows_who_moved_off_customer_churn_v2(
    qtbot, make_ctx, demo_registry
) -> None:
    from signoff.ui.consumers.consumers_page import ConsumersPage

    page = ConsumersPage(make_ctx(demo_registry), interval_ms=0)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.migration.rowCount() == 3, timeout=15000)
    shown = {}
    for row in range(page.migration.rowCount()):
        cells = [
            page.migration.data(page.migration.index(row, col), Qt.ItemDataRole.DisplayRole)
            for col in range(page.migration.columnCount())
        ]
        shown[cells[3]] = cells
    assert shown["call-centre-desktop"][8] == "moved"
    assert shown["call-centre-desktop"][6].endswith("(admin)")
    assert shown["retention-campaigns"][4:6] == ["v2", "v3"]
    assert shown["retention-campaigns"][8] == "still pinned"
    assert shown["churn-dashboard"][5] == "v2" and shown["churn-dashboard"][8] == "still using"
    assert all(cells[2] == "v3" for cells in shown.values())  # the replacement
    assert "2 consumer(s) not yet moved off a do-not-use version" in page.summary.text()
    page.resize(1200, 640)
    shots.save_screenshot(page, "migration.png")


def test_bell_counts_unread_alerts_lists_them_and_marks_them_read(
    qtbot, make_ctx, demo_registry
) -> None:
    from signoff.ui.widgets.alerts_bell import AlertsBell

    demo_registry.set_actor_for_embedded("carol")  # the owner of most demo models
    bell = AlertsBell(make_ctx(demo_registry))
    qtbot.addWidget(bell)
    qtbot.waitUntil(lambda: bell.unread > 0, timeout=15000)
    count = bell.unread
    assert bell.text() == f"🔔 {count}"
    qtbot.mouseClick(bell, Qt.MouseButton.LeftButton)
    dialog = bell.dialog
    assert dialog is not None and dialog.isVisible()
    titles = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert any("churn-dashboard still uses it" in t for t in titles)
    assert any("card-fraud is stale" in t for t in titles)
    assert dialog.list.item(0).font().bold()  # unread
    dialog.resize(760, 440)
    shots.save_screenshot(dialog, "alerts.png")
    with qtbot.waitSignal(dialog.marked, timeout=15000) as marked:
        qtbot.mouseClick(dialog.mark_button, Qt.MouseButton.LeftButton)
    assert marked.args == [count]
    qtbot.waitUntil(lambda: bell.unread == 0, timeout=15000)
    assert bell.text() == "🔔" and not dialog.list.item(0).font().bold()
    dialog.close()
