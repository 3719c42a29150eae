"""The Model risk area and the Model card tab on a shared PostgreSQL registry, each person in
their own login, driven as people would: what the database allows shows as done, what it
refuses shows in its words, and what is stored is stamped with the login that did it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from signoff.core.db.schema import Attestation, CardEntry
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder
from tests.helpers.qtwait import click_and_wait

pytestmark = [pytest.mark.postgres, pytest.mark.gui]

CARD = '\n[card]\nintended_use = "Approve or refer retail loan applications."\n'


@pytest.fixture
def ctx_for(team, qtbot, tmp_path: Path) -> Iterator[Callable]:
    """An application context on *who*'s own login (their registry, their settings)."""
    from signoff.ui.services.context import AppContext
    from signoff.ui.services.settings import Settings

    made = []

    def make(who: str):
        ctx = AppContext(team.regs[who], Settings(tmp_path / f"settings-{who}.ini"))
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.shutdown()


@pytest.fixture
def credit(team, tmp_path: Path) -> None:
    folder = write_model_folder(
        tmp_path / "m", name="credit", author=team.logins["ann"], extra_toml=CARD
    )
    publish(team.regs["ann"], folder)


def _panel(qtbot, ctx):
    from signoff.ui.risk.attestation_panel import AttestationPanel

    panel = AttestationPanel(ctx)
    qtbot.addWidget(panel)
    panel.resize(1100, 650)
    panel.show()
    with qtbot.waitSignal(panel.loaded, timeout=20000):
        panel.reload()
    return panel


def test_an_attestation_period_through_the_window_on_postgresql(
    qtbot, team, credit, ctx_for
) -> None:
    owner = _panel(qtbot, ctx_for("ann"))
    qtbot.keyClicks(owner.new_name, "2027-Q1")
    said = click_and_wait(qtbot, owner, owner.open_button, reload=False)
    assert said.startswith("Refused:") and "admins only" in said

    admin = _panel(qtbot, ctx_for("adm"))
    qtbot.keyClicks(admin.new_name, "2027-Q1")
    assert (
        click_and_wait(qtbot, admin, admin.open_button)
        == "Opened the attestation period '2027-Q1'."
    )
    assert "0 of 1" in admin.summary.text()

    validator = _panel(qtbot, ctx_for("vic"))
    assert validator.select_model("credit")
    said = click_and_wait(qtbot, validator, validator.attest_button, reload=False)
    assert said.startswith("Refused:") and "owner" in said

    with qtbot.waitSignal(owner.loaded, timeout=20000):
        owner.reload("2027-Q1")
    assert owner.select_model("credit")
    qtbot.keyClicks(owner.comment, "checked against the runbook")
    assert click_and_wait(qtbot, owner, owner.attest_button) == "Attested credit for 2027-Q1."
    assert "1 of 1" in owner.summary.text()
    with team.admin.read() as s:
        assert s.scalars(select(Attestation.actor)).one() == team.logins["ann"]


def test_a_model_card_edited_through_the_window_on_postgresql(qtbot, team, credit, ctx_for) -> None:
    from signoff.ui.version.card_tab import CardTab

    def open_tab(who: str) -> CardTab:
        tab = CardTab(ctx_for(who))
        qtbot.addWidget(tab)
        tab.resize(1100, 700)
        tab.show()
        with qtbot.waitSignal(tab.loaded, timeout=20000):
            tab.show_version("credit", 1)
        return tab

    viewer = open_tab("viv")
    assert viewer.fields["intended_use"].text.toPlainText().startswith("Approve or refer")
    assert not viewer.edit_button.isEnabled()

    tab = open_tab("vic")
    qtbot.mouseClick(tab.edit_button, Qt.MouseButton.LeftButton)
    field = tab.fields["limitations"].text
    field.setFocus()
    qtbot.keyClicks(field, "Not for small-business loans.")
    qtbot.keyClicks(tab.reason, "validation review")
    with qtbot.waitSignals([tab.acted, tab.loaded], timeout=20000):
        qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert tab.message.text().startswith("Saved 1 field(s)"), tab.message.text()
    assert tab.fields["limitations"].text.toPlainText() == "Not for small-business loans."
    assert tab.history.rowCount() == 1
    with team.admin.read() as s:
        stored = s.execute(select(CardEntry.actor, CardEntry.field)).one()
    assert tuple(stored) == (team.logins["vic"], "limitations")
