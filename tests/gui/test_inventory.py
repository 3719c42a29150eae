"""The inventory as a manager uses it: search, facets, sort, scroll, export, open a model."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from signoff.ui.inventory.inventory_model import InventoryModel
from signoff.ui.inventory.inventory_page import InventoryPage
from tests.helpers.qtwait import wait_idle

pytestmark = pytest.mark.gui


def names_shown(page: InventoryPage) -> list[str]:
    model = page.table.model()
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def tick(qtbot, box) -> None:
    """Click a check box on its indicator, where a person clicks."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def settle(qtbot, page: InventoryPage) -> None:
    """Wait until the query in flight has answered."""
    qtbot.waitUntil(lambda: not page.model.loading and not page.model._fetching, timeout=5000)
    wait_idle(qtbot, page.ctx)


@pytest.fixture
def page(qtbot, browse_registry, make_ctx):
    ctx = make_ctx(browse_registry)
    page = InventoryPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    settle(qtbot, page)
    return page


def test_all_models_listed_with_summary(page) -> None:
    assert names_shown(page) == ["churn-propensity", "credit-risk", "fraud-alert"]
    model = page.table.model()
    row = [model.index(1, c).data() for c in range(model.columnCount())]
    assert row[:8] == [
        "credit-risk",
        "Credit risk scorecard",
        "alice",
        "Retail credit",
        "high",
        "v2",
        "v3",
        "in review",
    ]
    assert "open review" in row[9]
    assert page.count_label.text() == "3 models"


def test_typing_in_search_narrows_rows(qtbot, page) -> None:
    qtbot.keyClicks(page.search, "fr")
    settle(qtbot, page)
    assert names_shown(page) == ["fraud-alert"]
    qtbot.keyClicks(page.search, "x")  # "frx" matches nothing
    settle(qtbot, page)
    assert names_shown(page) == []
    assert page.count_label.text() == "No models match"
    qtbot.keyClick(page.search, Qt.Key.Key_Backspace)
    qtbot.keyClick(page.search, Qt.Key.Key_Backspace)
    qtbot.keyClick(page.search, Qt.Key.Key_Backspace)
    qtbot.keyClicks(page.search, "carol")  # owner
    settle(qtbot, page)
    assert names_shown(page) == ["churn-propensity"]


def test_facets_combine(qtbot, page) -> None:
    qtbot.waitUntil(lambda: "high" in page.facets.boxes["risk_tier"], timeout=3000)
    tick(qtbot, page.facets.boxes["risk_tier"]["high"])
    settle(qtbot, page)
    assert names_shown(page) == ["credit-risk", "fraud-alert"]
    box = page.facets.boxes["business_unit"]["Fraud"]
    tick(qtbot, box)
    settle(qtbot, page)
    assert names_shown(page) == ["fraud-alert"]
    box = page.facets.boxes["business_unit"]["Retail credit"]
    tick(qtbot, box)
    settle(qtbot, page)
    assert names_shown(page) == ["credit-risk", "fraud-alert"]
    box = page.facets.boxes["flag"]["open_review"]
    tick(qtbot, box)
    settle(qtbot, page)
    assert names_shown(page) == ["credit-risk"]
    qtbot.mouseClick(page.facets.clear_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page)
    assert len(names_shown(page)) == 3


def test_header_click_sorts_in_database(qtbot, page) -> None:
    header = page.table.horizontalHeader()
    pos = header.rect().topLeft()
    x = header.sectionViewportPosition(2) + 10  # Owner
    pos.setX(x)
    pos.setY(header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    settle(qtbot, page)
    owners = [page.table.model().index(r, 2).data() for r in range(3)]
    assert owners in (["alice", "bob", "carol"], ["carol", "bob", "alice"])
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    settle(qtbot, page)
    owners2 = [page.table.model().index(r, 2).data() for r in range(3)]
    assert owners2 == list(reversed(owners))


def test_scrolling_loads_more_pages(qtbot, big_registry, make_ctx) -> None:
    ctx = make_ctx(big_registry)
    ctx.settings.set("inventory/page_size", 50)
    page = InventoryPage(ctx)
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    settle(qtbot, page)
    assert page.model.rowCount() == 50
    assert page.count_label.text() == "303 models (showing 50)"
    bar = page.table.verticalScrollBar()
    for _ in range(20):
        bar.setValue(bar.maximum())
        settle(qtbot, page)
        if page.model.rowCount() == 303:
            break
    assert page.model.rowCount() == 303
    names = names_shown(page)
    assert names == sorted(names) and len(set(names)) == 303
    assert page.count_label.text() == "303 models"


def test_export_csv_of_current_view(
    qtbot, big_registry, make_ctx, tmp_path: Path, monkeypatch
) -> None:
    ctx = make_ctx(big_registry)
    ctx.settings.set("inventory/page_size", 50)
    page = InventoryPage(ctx)
    qtbot.addWidget(page)
    page.show()
    settle(qtbot, page)
    qtbot.keyClicks(page.search, "bulk")
    settle(qtbot, page)
    box = page.facets.boxes["flag"]["stale"]
    tick(qtbot, box)
    settle(qtbot, page)
    target = tmp_path / "out" / "stale.csv"
    target.parent.mkdir()
    monkeypatch.setattr(
        "PySide6.QtWidgets.QFileDialog.getSaveFileName",
        lambda *a, **k: (str(target), "CSV files (*.csv)"),
    )
    with qtbot.waitSignal(page.exported, timeout=5000) as blocker:
        qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [str(target), 30]
    with target.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 30  # all pages, not just the 50 loaded... of 30 matches
    assert all(r["flags"].startswith("stale") for r in rows)
    assert [r["name"] for r in rows] == sorted(r["name"] for r in rows)
    assert [p.name for p in target.parent.iterdir()] == ["stale.csv"]  # no partial file left


def test_export_to_unwritable_place_says_so(qtbot, page, tmp_path: Path, monkeypatch) -> None:
    shown = []
    monkeypatch.setattr(
        "PySide6.QtWidgets.QMessageBox.warning", lambda _p, title, text: shown.append((title, text))
    )
    page.export_csv(str(tmp_path / "no-such-dir" / "x.csv"))
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert shown[0][0] == "Export failed" and "no-such-dir" in shown[0][1]
    assert page.export_button.isEnabled()


def test_enter_or_double_click_opens_model(qtbot, page) -> None:
    page.table.setFocus()
    page.table.selectRow(1)
    with qtbot.waitSignal(page.ctx.openModelRequested, timeout=2000) as blocker:
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert blocker.args == ["credit-risk"]
    rect = page.table.visualRect(page.table.model().index(2, 0))
    with qtbot.waitSignal(page.ctx.openModelRequested, timeout=2000) as blocker:
        qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == ["fraud-alert"]


def test_dashboard_figures_and_click_filters(qtbot, page) -> None:
    qtbot.waitUntil(lambda: page.dashboard.data is not None, timeout=3000)
    assert page.dashboard.cards["total"].value == "3"
    assert page.dashboard.cards["live"].value == "1"
    assert page.dashboard.cards["in_review"].value == "1"
    assert "By tier: high 2 · low 1" in page.dashboard.breakdown.text()
    qtbot.mouseClick(page.dashboard.cards["in_review"], Qt.MouseButton.LeftButton)
    settle(qtbot, page)
    assert names_shown(page) == ["credit-risk"]


def test_inventory_model_passes_modeltester(qtbot, qtmodeltester, big_registry, make_ctx) -> None:
    ctx = make_ctx(big_registry)
    model = InventoryModel(ctx, page_size=40)
    model.reload()
    qtbot.waitUntil(lambda: not model.loading, timeout=5000)
    assert model.rowCount() == 40 and model.canFetchMore()
    qtmodeltester.check(model)
    wait_idle(qtbot, ctx)


def test_unsortable_flags_column_keeps_the_database_order(qtbot, page) -> None:
    header = page.table.horizontalHeader()
    before = names_shown(page)
    x = header.sectionViewportPosition(9) + 10  # Flags
    qtbot.mouseClick(
        header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2)
    )
    settle(qtbot, page)
    assert names_shown(page) == before
    assert header.sortIndicatorSection() == 0
