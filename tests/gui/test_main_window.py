"""The main window as a reviewer uses it: inventory → model → version → compare, and back."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QItemSelectionModel, Qt
from PySide6.QtGui import QTextDocument

from signoff.ui.shell.app import build_window
from signoff.ui.version.version_tabs import VERSION_TABS
from tests.helpers.qtwait import wait_idle

pytestmark = pytest.mark.gui


def shown_text(label) -> str:
    """What a rich-text label reads as on screen."""
    doc = QTextDocument()
    doc.setHtml(label.text())
    return doc.toPlainText()


def idle(qtbot, window) -> None:
    wait_idle(qtbot, window.ctx)


@pytest.fixture
def window(qtbot, browse_registry, settings):
    w = build_window(browse_registry, settings)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    idle(qtbot, w)
    yield w
    w.ctx.shutdown()


def double_click_row(qtbot, view, row: int, column: int = 0) -> None:
    rect = view.visualRect(view.model().index(row, column))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def row_of(view, text: str, column: int = 0) -> int:
    model = view.model()
    return next(r for r in range(model.rowCount()) if model.index(r, column).data() == text)


def test_status_bar_says_who_and_where(window) -> None:
    assert "alice" in window.user_label.text()
    assert window.db_label.text().startswith("embedded: single workstation")
    assert "connected" in window.health_label.text()
    assert window.windowTitle().startswith("Signoff — sqlite:///")


def test_open_model_then_version_then_compare(qtbot, window) -> None:
    inventory = window.areas["inventory"]
    double_click_row(qtbot, inventory.table, row_of(inventory.table, "credit-risk"))
    idle(qtbot, window)
    page = window.model_page
    assert window.stack.currentWidget() is page
    assert "Credit risk scorecard" in page.title.text()
    assert "production: v2" in page.meta.text() and "loan-origination" in page.meta.text()
    versions = [page.table.model().index(r, 0).data() for r in range(3)]
    assert versions == ["v3", "v2", "v1"]
    assert [page.table.model().index(r, 1).data() for r in range(3)] == [
        "in review",
        "live",
        "superseded",
    ]
    assert "Inventory" in window.breadcrumb.text() and "credit-risk" in window.breadcrumb.text()

    # choose v1 and v2 with ctrl+click, then Compare
    for label in ("v2", "v1"):
        rect = page.table.visualRect(page.table.model().index(row_of(page.table, label), 0))
        qtbot.mouseClick(
            page.table.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.ControlModifier,
            rect.center(),
        )
    assert page.selected_numbers() == [1, 2]
    assert page.compare_button.isEnabled() and not page.open_button.isEnabled()
    with qtbot.waitSignal(window.compare_page.compared, timeout=5000) as blocker:
        qtbot.mouseClick(page.compare_button, Qt.MouseButton.LeftButton)
    cmp = blocker.args[0]
    compare = window.compare_page
    assert window.stack.currentWidget() is compare
    shown = {
        (compare.dim_table.model().index(r, 1).data(), compare.dim_table.model().index(r, 2).data())
        for r in range(compare.dim_table.model().rowCount())
    }
    assert {
        ("config.json", "changed"),
        ("model.json", "changed"),
        ("features", "added"),
        ("score.py", "same"),
    } <= shown
    assert compare.status.text().startswith("3 of 10 dimensions differ between v1, v2")
    metrics = compare.metric_table.model()
    assert [metrics.index(0, c).data() for c in range(4)] == [
        "auc",
        "validation",
        "0.8",
        "0.83 (+0.03)",
    ]
    assert cmp.numbers == [1, 2]

    # click the configuration row: the side-by-side diff shows both texts
    config_row = row_of(compare.dim_table, "config.json", 1)
    rect = compare.dim_table.visualRect(compare.dim_table.model().index(config_row, 1))
    qtbot.mouseClick(compare.dim_table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: "0.55" in compare.right_text.toPlainText(), timeout=5000)
    assert compare.left_text.toPlainText() == '{"threshold": 0.5}'
    assert len(compare.left_text.extraSelections()) == 1  # the changed line is marked

    # back (Alt+Left) returns to the model page, then to the inventory
    qtbot.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert window.stack.currentWidget() is page
    window.back_action.trigger()
    assert window.stack.currentWidget() is window.areas["inventory"]


def test_version_page_overview_and_opening_a_component(qtbot, window) -> None:
    window.open_model("credit-risk")
    idle(qtbot, window)
    page = window.model_page
    double_click_row(qtbot, page.table, row_of(page.table, "v2"))
    idle(qtbot, window)
    vp = window.version_page
    assert window.stack.currentWidget() is vp
    assert "v2" in vp.title.text()
    overview = vp.tab_widget("Overview")
    qtbot.waitUntil(lambda: overview.overview is not None, timeout=5000)
    assert overview.fields["state"].text() == "<b>live</b>"
    assert len(overview.overview.manifest_hash) == 64
    assert overview.overview.manifest_hash in overview.fields["hash"].text()
    table = overview.table
    dims = [table.model().index(r, 0).data() for r in range(table.model().rowCount())]
    assert dims[0] == "Data" and "Model object" in dims and dims[-1] == "Tests"
    assert (
        table.model().index(row_of(table, "s3://bucket/bureau/2026-10.parquet", 2), 4).data() == "—"
    )
    double_click_row(qtbot, table, row_of(table, "score.py", 2), 2)
    qtbot.waitUntil(lambda: bool(overview.dialogs), timeout=3000)
    dialog = overview.dialogs[-1]
    qtbot.waitUntil(lambda: dialog.view.content is not None, timeout=5000)
    assert "def predict(records):" in dialog.view.editor.toPlainText()
    assert dialog.view.editor.isReadOnly()
    assert dialog.view.highlighter is not None and dialog.view.highlighter.language == "python"
    assert dialog.windowTitle() == "credit-risk v2 — score.py"
    dialog.close()


def test_every_tab_and_area_builds_and_a_broken_part_says_so(qtbot, window, caplog) -> None:
    from signoff.ui.shell.areas import AREAS
    from signoff.ui.widgets.part_loader import FailedPart, build_part

    window.open_version("credit-risk", 1)
    vp = window.version_page
    titles = [vp.tabs.tabText(i).replace("&&", "&") for i in range(vp.tabs.count())]
    assert titles == [spec.title for spec in VERSION_TABS]
    for spec in VERSION_TABS:
        assert not isinstance(vp.show_tab(spec.title), FailedPart), spec.title
    for area in AREAS:
        assert not isinstance(window.area(area.key), FailedPart), area.key

    def broken(ctx, parent):
        raise ImportError("No module named 'signoff.ui.not_in_the_bundle'")

    with caplog.at_level("ERROR"):
        part = build_part(window.ctx, "Broken", broken)
    assert isinstance(part, FailedPart)
    assert part.text_label.text() == (
        "This part failed to load: No module named 'signoff.ui.not_in_the_bundle'"
    )
    assert any(r.levelname == "ERROR" and r.exc_info for r in caplog.records)
    part.show_version("credit-risk", 1)  # obeys the tab contract
    idle(qtbot, window)


def test_which_version_was_live_on_a_date(qtbot, window) -> None:
    window.open_model("credit-risk")
    idle(qtbot, window)
    page = window.model_page
    page.date.setFocus()
    page.date.setDate(QDate(2026, 2, 1))
    qtbot.waitUntil(lambda: "2026-02-01" in page.live_answer.text(), timeout=5000)
    assert page.live_answer.text() == "On 2026-02-01, v1 was live in production."
    page.date.setDate(QDate(2025, 12, 31))
    qtbot.waitUntil(lambda: "2025-12-31" in page.live_answer.text(), timeout=5000)
    assert page.live_answer.text() == "On 2025-12-31 no version was live in production."
    assert page.timeline.periods[0].version == 1 and page.timeline.periods[1].live_to is None


def test_unknown_model_is_reported_not_crashing(qtbot, window) -> None:
    window.open_model("no-such-model")
    idle(qtbot, window)
    assert shown_text(window.model_page.meta) == "no model called 'no-such-model'"


def test_geometry_and_last_place_remembered(qtbot, browse_registry, settings) -> None:
    first = build_window(browse_registry, settings)
    qtbot.addWidget(first)
    first.show()
    first.resize(760, 530)  # within the offscreen screen (800x600) so nothing clamps it
    first.open_version("credit-risk", 3)
    first.close()
    second = build_window(browse_registry, settings)
    qtbot.addWidget(second)
    second.show()
    assert (second.place.kind, second.place.key, second.place.number) == (
        "version",
        "credit-risk",
        3,
    )
    assert second.stack.currentWidget() is second.version_page
    assert (second.size().width(), second.size().height()) == (760, 530)
    idle(qtbot, second)
    second.close()


def test_side_bar_and_shortcuts_switch_areas(qtbot, window) -> None:
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    reviews = window.areas["reviews"]
    assert window.stack.currentWidget() is reviews
    assert window.side_bar.currentItem().text() == "My reviews"
    item = window.side_bar.item(0)
    rect = window.side_bar.visualItemRect(item)
    qtbot.mouseClick(window.side_bar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.stack.currentWidget() is window.areas["inventory"]
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.areas["inventory"].search.hasFocus()


def test_about_box_names_version_and_database(qtbot, window, monkeypatch) -> None:
    shown = []
    monkeypatch.setattr(
        "PySide6.QtWidgets.QMessageBox.about",
        lambda _parent, title, text: shown.append((title, text)),
    )
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    next(a for a in help_menu.actions() if a.text() == "&About Signoff").trigger()
    title, text = shown[0]
    assert title == "About Signoff" and "Signoff 0.1.0" in text and "registry.db" in text
    assert "single workstation" in text


def test_open_another_registry_without_restart(qtbot, window, tmp_path: Path) -> None:
    from signoff.core.db.registry import open_registry
    from tests.helpers.browse import publish_variant

    other_home = tmp_path / "other"
    other = open_registry(home=other_home)
    publish_variant(other, tmp_path / "o1", name="other-model", unit="Treasury")
    other.close()

    dialog = window.show_connection_dialog()
    qtbot.keyClicks(dialog.db_edit, "postgresql://nobody@127.0.0.1:1/none")
    qtbot.keyClicks(dialog.artifacts_edit, str(tmp_path / "pg-artifacts"))
    qtbot.mouseClick(
        dialog.buttons.button(dialog.buttons.StandardButton.Open), Qt.MouseButton.LeftButton
    )
    qtbot.waitUntil(lambda: "Could not open" in dialog.message.text(), timeout=15000)
    assert dialog.isVisible()
    assert window.ctx.registry.location.db_url.endswith("home/registry.db")

    dialog.db_edit.clear()
    dialog.artifacts_edit.clear()
    qtbot.keyClicks(dialog.db_edit, str(other_home))
    with qtbot.waitSignal(dialog.opened, timeout=10000):
        qtbot.mouseClick(
            dialog.buttons.button(dialog.buttons.StandardButton.Open), Qt.MouseButton.LeftButton
        )
    inventory = window.areas["inventory"]
    qtbot.waitUntil(lambda: inventory.model.rowCount() == 1, timeout=5000)
    assert inventory.model.index(0, 0).data() == "other-model"
    assert "other/registry.db" in window.db_label.text()
    recent = [db for db, _ in window.ctx.settings.recent_registries()]
    assert recent[0].endswith("other/registry.db") and len(recent) == 2
    idle(qtbot, window)


def test_connection_dialog_refuses_empty_and_unknown_input(qtbot, window) -> None:
    dialog = window.show_connection_dialog()
    dialog.try_open()
    assert "Enter a registry folder" in dialog.message.text()
    qtbot.keyClicks(dialog.db_edit, "mysql://x@y/z")
    dialog.try_open()
    assert "'mysql' databases are not supported" in dialog.message.text()
    dialog.db_edit.clear()
    qtbot.keyClicks(dialog.db_edit, "postgresql://u@h/db")
    dialog.try_open()
    assert "needs an artifact folder" in dialog.message.text()
    dialog.reject()


def test_small_table_models_pass_modeltester(qtbot, qtmodeltester, window) -> None:
    window.open_compare("credit-risk", [1, 2, 3])
    qtbot.waitUntil(lambda: window.compare_page.comparison is not None, timeout=5000)
    qtmodeltester.check(window.compare_page.dimensions)
    qtmodeltester.check(window.compare_page.metrics)
    window.open_model("credit-risk")
    idle(qtbot, window)
    qtmodeltester.check(window.model_page.versions)
    window.open_version("credit-risk", 1)
    overview = window.version_page.tab_widget("Overview")
    qtbot.waitUntil(lambda: overview.overview is not None, timeout=5000)
    qtmodeltester.check(overview.components)
    idle(qtbot, window)


def test_three_way_compare_marks_removed(qtbot, window) -> None:
    window.open_compare("credit-risk", [2, 1])
    compare = window.compare_page
    qtbot.waitUntil(lambda: compare.comparison is not None, timeout=5000)
    row = row_of(compare.dim_table, "features", 1)
    assert compare.dim_table.model().index(row, 2).data() == "removed"
    assert compare.dim_table.model().index(row, 4).data() == "— absent"
    selection = compare.version_list.selectionModel()
    assert selection is not None and isinstance(selection, QItemSelectionModel)
    idle(qtbot, window)


def test_tampered_component_is_reported_not_shown(qtbot, window) -> None:
    window.open_version("credit-risk", 1)
    overview = window.version_page.tab_widget("Overview")
    qtbot.waitUntil(lambda: overview.overview is not None, timeout=5000)
    config = next(c for c in overview.overview.components if c.path == "config.json")
    blob = window.ctx.registry.store.path_for(config.sha256)
    blob.chmod(0o644)
    blob.write_text('{"threshold": 0.01}\n')
    dialog = overview.open_component(config)
    qtbot.waitUntil(lambda: "could not be shown" in dialog.view.editor.toPlainText(), timeout=5000)
    text = dialog.view.editor.toPlainText()
    assert "hash mismatch" in text and "config.json" in text and "0.01" not in text
    dialog.close()
    idle(qtbot, window)


def test_version_page_offers_compare_with_live(qtbot, window) -> None:
    window.open_version("credit-risk", 3)
    vp = window.version_page
    qtbot.waitUntil(lambda: vp.compare_button.isEnabled(), timeout=5000)
    assert vp.compare_button.text() == "Compare with live v2"
    assert "in review · Credit risk scorecard" in shown_text(vp.title)
    with qtbot.waitSignal(window.compare_page.compared, timeout=5000) as blocker:
        qtbot.mouseClick(vp.compare_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].numbers == [2, 3]
    assert window.stack.currentWidget() is window.compare_page
    idle(qtbot, window)


def test_file_menu_opens_the_mlflow_import(qtbot, window) -> None:
    from signoff.ui.importing.mlflow_dialog import MlflowImportDialog

    file_menu = window.menuBar().actions()[0].menu()
    texts = [a.text() for a in file_menu.actions()]
    assert "&Import from MLflow…" in texts
    window.import_action.trigger()
    dialogs = [w for w in window.findChildren(MlflowImportDialog) if w.isVisible()]
    assert len(dialogs) == 1
    dialogs[0].reject()


def test_inventory_report_from_the_file_menu(qtbot, window, tmp_path) -> None:
    """File › Inventory report: the person picks a folder, clicks Generate, sees where the PDF
    and CSV went; a date in the future is refused with the reason."""
    from PySide6.QtCore import QDate

    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    (item,) = [a for a in menu.actions() if a.text().startswith("Inventory &report")]
    item.trigger()
    dialog = window.report_dialog
    assert dialog.isVisible()
    dialog.folder.clear()
    qtbot.keyClicks(dialog.folder, str(tmp_path / "reports"))
    with qtbot.waitSignal(dialog.finished_report, timeout=30000) as done:
        qtbot.mouseClick(dialog.generate, Qt.MouseButton.LeftButton)
    assert "models as of" in done.args[0] and "inventory-" in dialog.message.text()
    assert len(list((tmp_path / "reports").glob("inventory-*.pdf"))) == 1
    assert len(list((tmp_path / "reports").glob("inventory-*.csv"))) == 1
    dialog.as_of.setDate(QDate.currentDate().addDays(3))
    with qtbot.waitSignal(dialog.finished_report, timeout=30000) as refused:
        qtbot.mouseClick(dialog.generate, Qt.MouseButton.LeftButton)
    assert "Not written" in refused.args[0] and "in the future" in refused.args[0]
