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
    assert "2 consumers not yet moved off a do-not-use version" in page.summary.text()
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
    assert bell.text() == str(count) and not bell.icon().isNull()
    assert bell.toolTip() == f"{count} unread alert(s)"
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
    assert bell.text() == "" and not dialog.list.item(0).font().bold()
    dialog.close()


def _select(view, model, predicate) -> None:  # noqa: ANN001
    row = next(i for i in range(model.rowCount()) if predicate(model.record(i)))
    view.selectRow(row)


def test_admin_edits_a_consumer_and_records_an_acknowledgement(
    qtbot, make_ctx, demo_registry
) -> None:
    from signoff.core.notifications.consumers import consumer_records
    from signoff.ui.consumers.consumers_page import ConsumersPage

    demo_registry.set_actor_for_embedded("frank")  # the demo's administrator
    page = ConsumersPage(make_ctx(demo_registry), interval_ms=0)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.migration.rowCount() == 3, timeout=15000)
    assert not page.edit_button.isEnabled()
    _select(page.views["consumersTable"], page.consumers, lambda c: c["name"] == "churn-dashboard")
    assert page.edit_button.isEnabled()
    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert dialog.email.text() == "bi-team@bank.example"
    dialog.email.setText("bi team at bank")
    with qtbot.waitSignal(page.refused, timeout=15000):
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert "not an e-mail address" in dialog.error.text() and dialog.isVisible()
    dialog.email.setText("bi-oncall@bank.example")
    dialog.pin.setValue(3)
    with qtbot.waitSignal(page.changed, timeout=15000):
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    with demo_registry.read() as s:
        [record] = consumer_records(s, name="churn-dashboard")
        [use] = record.models
        assert (use.email, use.pinned, use.contact) == (
            "bi-oncall@bank.example",
            3,
            "BI team, Ines",
        )

    qtbot.waitUntil(lambda: page.migration.rowCount() == 3, timeout=15000)
    _select(
        page.views["migrationTable"],
        page.migration,
        lambda r: r.consumer == "retention-campaigns",
    )
    assert page.ack_button.isEnabled()
    qtbot.mouseClick(page.ack_button, Qt.MouseButton.LeftButton)
    ack = page.dialog
    qtbot.keyClicks(ack.note, "phone call with CRM ops")
    with qtbot.waitSignal(page.loaded, timeout=15000):
        ack.buttons.button(ack.buttons.StandardButton.Ok).click()
    qtbot.waitUntil(
        lambda: any(
            page.migration.record(i).consumer == "retention-campaigns"
            and page.migration.record(i).acknowledged
            for i in range(page.migration.rowCount())
        ),
        timeout=15000,
    )


def test_someone_who_is_not_an_admin_is_refused(qtbot, make_ctx, demo_registry) -> None:
    from signoff.ui.consumers.consumers_page import ConsumersPage

    demo_registry.set_actor_for_embedded("alice")
    page = ConsumersPage(make_ctx(demo_registry), interval_ms=0)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.consumers.rowCount() > 0, timeout=15000)
    page.views["consumersTable"].selectRow(0)
    with qtbot.waitSignal(page.refused, timeout=15000) as refused:
        qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    assert "not an admin" in refused.args[0]
    assert "Not changed" in page.summary.text()


def test_model_page_shows_each_consumers_move_off_the_do_not_use_version(
    qtbot, make_ctx, demo_registry
) -> None:
    from signoff.ui.model.model_page import ModelPage

    page = ModelPage(make_ctx(demo_registry))
    qtbot.addWidget(page)
    page.show_model("customer-churn")
    qtbot.waitUntil(lambda: "migration" in page.migration.text(), timeout=15000)
    text = page.migration.text()
    assert "churn-dashboard: <b style='color:#b3261e'>still using</b>" in text
    assert "retention-campaigns" in text and "pins v2" in text and "not acknowledged" in text
    assert "call-centre-desktop" in text and "acknowledged (admin)" in text
    assert "do-not-use still used" in page.meta.text()
    page.show_model("credit-risk")
    qtbot.waitUntil(lambda: not page.migration.isVisibleTo(page), timeout=15000)
