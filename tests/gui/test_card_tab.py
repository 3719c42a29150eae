"""The version page's Model card tab on the demo registry, driven as people would: the card
from the manifest is read-only; the validator edits a field with a reason and sees the edit
in its history; an auditor may not edit; two versions' cards side by side, the differing
fields tinted; the card exported as PDF and HTML."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from tests.helpers.pdftext import pdf_text

pytestmark = pytest.mark.gui


def open_tab(qtbot, make_ctx, registry, who: str, number: int = 4):
    from signoff.ui.version.card_tab import CardTab

    registry.set_actor_for_embedded(who)
    tab = CardTab(make_ctx(registry))
    qtbot.addWidget(tab)
    tab.resize(1100, 700)
    tab.show()
    with qtbot.waitSignal(tab.loaded, timeout=20000):
        tab.show_version("credit-risk", number)
    return tab


def test_the_validator_edits_a_field_and_sees_the_edit_recorded(
    qtbot, make_ctx, demo_registry
) -> None:
    tab = open_tab(qtbot, make_ctx, demo_registry, "bob")
    intended = tab.fields["intended_use"]
    assert intended.text.toPlainText().startswith("Probability that a retail loan applicant")
    assert intended.text.isReadOnly() and intended.source.text() == "manifest"
    assert tab.fields["ethical_considerations"].source.text() == "not given"
    assert "8 of 9" in tab.header.text() and "0 edit(s)" in tab.header.text()
    assert not tab.save_row.isVisibleTo(tab)
    qtbot.mouseClick(tab.edit_button, Qt.MouseButton.LeftButton)
    field = tab.fields["ethical_considerations"].text
    assert not field.isReadOnly() and tab.save_row.isVisibleTo(tab)
    field.setFocus()
    qtbot.keyClicks(field, "Age is used only to check eligibility (18 and over).")
    # no reason: refused in the core's words, nothing stored
    with qtbot.waitSignal(tab.acted, timeout=20000) as said:
        qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert said.args[0] == "Not saved: a reason is required to edit a model card"
    qtbot.keyClicks(tab.reason, "the validator's fairness review")
    with qtbot.waitSignals([tab.acted, tab.loaded], timeout=20000):
        qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert tab.message.text().startswith("Saved 1 field(s)")
    assert field.isReadOnly() and field.toPlainText().startswith("Age is used only")
    assert tab.fields["ethical_considerations"].source.text().startswith("edited by bob on ")
    assert "1 edit(s)" in tab.header.text()
    assert tab.history.rowCount() == 1
    assert [tab.history.index(0, c).data() for c in (0, 1, 3)] == [
        "Ethical considerations",
        "bob",
        "the validator's fairness review",
    ]
    with demo_registry.read() as s:
        from sqlalchemy import select

        from signoff.core.db.schema import AuditEvent

        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.actor == "bob")))
    assert "card.edited" in actions


def test_an_auditor_reads_the_card_but_may_not_edit_it(qtbot, make_ctx, demo_registry) -> None:
    tab = open_tab(qtbot, make_ctx, demo_registry, "erin")
    assert not tab.edit_button.isEnabled()
    assert "only the model's owner" in tab.edit_button.toolTip()
    assert all(editor.text.isReadOnly() for editor in tab.fields.values())


def test_two_versions_compared_side_by_side_with_the_differences_tinted(
    qtbot, make_ctx, demo_registry
) -> None:
    from signoff.ui.version.card_tab import DIFFERS_TINT

    tab = open_tab(qtbot, make_ctx, demo_registry, "carol")
    tab.other.setCurrentIndex(tab.other.findText("v3"))
    with qtbot.waitSignal(tab.compared, timeout=20000):
        qtbot.mouseClick(tab.compare_button, Qt.MouseButton.LeftButton)
    assert tab.stack.currentIndex() == 1
    model = tab.compare_model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(3)]
    assert headers == ["Field", "v3", "v4"]
    assert "3 field(s) differ" in tab.compare_header.text()
    rows = {model.index(r, 0).data().rstrip(" ≠"): r for r in range(model.rowCount())}
    data, intended = rows["Data"], rows["Intended use"]
    assert model.index(data, 1).data().startswith("2,000 generated records")
    assert model.index(data, 2).data().startswith("2,400 generated records")
    tint = model.index(data, 2).data(Qt.ItemDataRole.BackgroundRole)
    assert tint is not None and tint.color().name() == DIFFERS_TINT
    assert model.index(intended, 2).data(Qt.ItemDataRole.BackgroundRole) is None
    assert model.index(data, 0).data().endswith("≠")


def test_the_card_exported_as_pdf_and_html(
    qtbot, make_ctx, demo_registry, tmp_path, monkeypatch
) -> None:
    tab = open_tab(qtbot, make_ctx, demo_registry, "carol")
    target = tmp_path / "credit-risk-v4-card.pdf"
    asked = []

    def save_as(parent, caption, start, filters):  # noqa: ANN001, ANN202
        asked.append((caption, start, filters))
        return str(target), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    with qtbot.waitSignal(tab.acted, timeout=20000) as said:
        qtbot.mouseClick(tab.pdf_button, Qt.MouseButton.LeftButton)
    assert said.args[0] == f"Exported the card to {target}"
    assert asked[0][0] == "Export the model card as PDF" and asked[0][2] == "PDF (*.pdf)"
    data = target.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 2000
    text = pdf_text(target)
    assert "Model card: credit-risk v4" in text and "Intended use" in text
    assert "Probability that a retail loan applicant defaults" in text
    target = tmp_path / "credit-risk-v4-card.html"
    with qtbot.waitSignal(tab.acted, timeout=20000):
        qtbot.mouseClick(tab.html_button, Qt.MouseButton.LeftButton)
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<h2>Risk rationale</h2>" in page
