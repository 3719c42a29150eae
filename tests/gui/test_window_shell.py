"""The window around the pages: who acts, setting up people, opening registries safely,
help, the global search, the review badge, the side bar, and themes that leave no trace."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from signoff.core.db.registry import open_registry
from signoff.core.governance.people import list_people, save_person
from signoff.core.governance.workflow import run_transition
from signoff.ui.shell.app import build_window
from tests.helpers.qtwait import wait_idle
from tests.helpers.workflow import add_people, publish_version

pytestmark = pytest.mark.gui


def idle(qtbot, window) -> None:  # noqa: ANN001
    wait_idle(qtbot, window.ctx, timeout=15000)


@pytest.fixture
def window(qtbot, browse_registry, settings):
    w = build_window(browse_registry, settings)
    qtbot.addWidget(w)
    w.resize(1024, 700)
    w.show()
    idle(qtbot, w)
    yield w
    w.ctx.shutdown()


# -- who acts -----------------------------------------------------------------------------
def test_outside_the_demo_the_status_bar_names_the_person_roles_and_how_to_get_them(
    qtbot, registry, settings, tmp_path: Path
) -> None:
    add_people(registry)
    publish_version(registry, tmp_path)
    registry.set_actor_for_embedded("nobody")
    w = build_window(registry, settings)
    qtbot.addWidget(w)
    w.show()
    idle(qtbot, w)
    qtbot.waitUntil(lambda: w.identity is not None)
    assert w.user_label.text() == (
        "Signed in as <b>nobody</b> · no roles: an admin gives them with "
        "signoff users roles nobody ROLE"
    )
    assert not w.act_as_action.isVisible() and w.banner.isHidden()  # not the demo
    registry.set_actor_for_embedded("multi")
    w.reload()
    qtbot.waitUntil(lambda: w.identity is not None and w.identity.login == "multi")
    assert w.user_label.text() == "Signed in as <b>multi</b> · business owner and validator"
    assert "validator: signs the production-use gate" in w.user_label.toolTip()
    w.ctx.shutdown()


def test_the_first_launch_on_an_empty_registry_sets_up_its_people(
    qtbot, registry, settings
) -> None:
    w = build_window(registry, settings)  # a brand-new registry: nobody, no models
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: any(d.objectName() == "peopleDialog" for d in w.dialogs), timeout=5000)
    dialog = next(d for d in w.dialogs if d.objectName() == "peopleDialog")
    assert "This registry has no people yet" in dialog.findChild(QLabel, "peopleIntro").text()
    assert "set up people" in w.banner.text.text()
    dialog.save()
    assert "Enter your printed name" in dialog.message.text()  # nothing saved yet
    qtbot.keyClicks(dialog.my_name, "Alice Admin")
    row = dialog.add_row()
    dialog.set_row(row, "bob", "Bob Validator", "bob@example.org")
    dialog.roles_button(row).set_role("validator")
    assert dialog.roles_button(row).text() == "validator"
    with qtbot.waitSignal(dialog.saved, timeout=10000) as saved:
        qtbot.mouseClick(
            dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton
        )
    assert sorted(p.login for p in saved.args[0]) == ["alice", "bob"]
    with registry.read() as s:
        people = {p.login: p for p in list_people(s)}
    assert people["alice"].roles == ("admin",) and people["alice"].display_name == "Alice Admin"
    assert people["bob"].roles == ("validator",)
    qtbot.waitUntil(lambda: w.identity is not None and w.identity.admins, timeout=10000)
    assert w.user_label.text() == "Signed in as <b>alice</b> · admin"
    assert w.banner.isHidden()
    idle(qtbot, w)
    w.ctx.shutdown()


def test_a_registry_with_models_but_nobody_offers_the_set_up_without_interrupting(
    qtbot, window
) -> None:
    assert window.identity is not None and window.identity.needs_people
    assert window.banner.isVisible() and "no people yet" in window.banner.text.text()
    assert not any(d.objectName() == "peopleDialog" for d in window.dialogs)


def _open_people(qtbot, w):  # noqa: ANN001, ANN202
    w.people_action.trigger()  # File › People and roles…
    qtbot.waitUntil(lambda: any(d.objectName() == "peopleDialog" for d in w.dialogs), timeout=5000)
    return next(d for d in w.dialogs if d.objectName() == "peopleDialog" and d.isVisible())


def test_an_admin_changes_roles_without_taking_another_admins_away(
    qtbot, registry, settings, tmp_path: Path
) -> None:
    add_people(registry)
    with registry.write() as s:
        save_person(s, "ada", actor="root", display_name="Ada Admin", roles=["admin", "auditor"])
    publish_version(registry, tmp_path)
    registry.set_actor_for_embedded("root")
    w = build_window(registry, settings)
    qtbot.addWidget(w)
    w.show()
    idle(qtbot, w)
    qtbot.waitUntil(lambda: w.identity is not None and w.identity.login == "root")
    dialog = _open_people(qtbot, w)
    rows = {dialog.table.item(r, 0).text(): r for r in range(dialog.table.rowCount())}
    assert dialog.roles_button(rows["ada"]).text() == "admin and auditor"  # not "choose roles…"
    assert dialog.roles_button(rows["runner"]).text() == "check runner (service)"
    dialog.roles_button(rows["val"]).set_role("auditor")
    with qtbot.waitSignal(dialog.saved, timeout=10000):
        qtbot.mouseClick(
            dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton
        )
    with registry.read() as s:
        people = {p.login: p for p in list_people(s)}
    assert people["ada"].roles == ("admin", "auditor")
    assert people["runner"].roles == ("runner",)
    assert people["val"].roles == ("auditor", "validator")
    idle(qtbot, w)

    # a validator sees who signs as what, cannot change it, and is told who can
    registry.set_actor_for_embedded("biz")
    w.reload()
    qtbot.waitUntil(lambda: w.identity is not None and w.identity.login == "biz")
    idle(qtbot, w)
    dialog = _open_people(qtbot, w)
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Save).isEnabled()
    assert not dialog.add_button.isEnabled() and dialog.my_name.isReadOnly()
    assert "Only an admin may change people and roles" in dialog.message.text()
    assert dialog.my_roles.text() == "business owner"
    dialog.reject()
    w.ctx.shutdown()


# -- opening registries safely --------------------------------------------------------------
def _answer(qtbot, dialog, create: bool) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: dialog.confirm_box is not None, timeout=15000)
    box = dialog.confirm_box
    assert "Create a new registry here?" in box.text()
    button = dialog.create_button if create else box.button(QMessageBox.StandardButton.Cancel)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=5000)


def test_a_mistyped_registry_is_not_created_unless_asked(qtbot, window, tmp_path: Path) -> None:
    before = window.ctx.registry.location.db_url
    recent_before = window.ctx.settings.recent_registries()
    typo = tmp_path / "registyr"
    dialog = window.show_connection_dialog()
    qtbot.keyClicks(dialog.db_edit, str(typo))
    assert dialog.artifacts_edit.placeholderText() == f"default: {typo / 'artifacts'}"
    qtbot.mouseClick(
        dialog.buttons.button(dialog.buttons.StandardButton.Open), Qt.MouseButton.LeftButton
    )
    _answer(qtbot, dialog, create=False)
    assert "Nothing was created" in dialog.message.text()
    assert not typo.exists()
    assert window.ctx.registry.location.db_url == before
    assert window.ctx.settings.recent_registries() == recent_before

    # asked again, and this time agreed: a new registry with its artifacts beside it
    qtbot.mouseClick(
        dialog.buttons.button(dialog.buttons.StandardButton.Open), Qt.MouseButton.LeftButton
    )
    box_text = ""

    def agree() -> None:
        nonlocal box_text
        box_text = dialog.confirm_box.text()
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: dialog.confirm_box is not None, timeout=15000)
    with qtbot.waitSignal(dialog.opened, timeout=15000):
        agree()
    assert str(typo / "artifacts") in box_text
    assert window.ctx.registry.location.artifacts == typo / "artifacts"
    assert (typo / "registry.db").is_file()
    assert window.ctx.settings.recent_registries()[0][1] == str(typo / "artifacts")
    idle(qtbot, window)


def test_a_new_path_never_keeps_the_previous_registrys_artifacts(
    qtbot, window, tmp_path: Path
) -> None:
    other = open_registry(home=tmp_path / "other")
    other.close()
    window.ctx.settings.remember_registry(other.location.db_url, str(other.location.artifacts))
    dialog = window.show_connection_dialog()
    first = dialog.recent.item(0)
    rect = dialog.recent.visualItemRect(first)
    # a person picks the other registry from the list...
    qtbot.mouseClick(dialog.recent.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialog.artifacts_edit.text() == str(tmp_path / "other" / "artifacts")
    dialog.db_edit.selectAll()
    qtbot.keyClicks(dialog.db_edit, str(tmp_path / "third"))  # ...then types another path
    assert dialog.artifacts_edit.text() == ""
    assert dialog.artifacts_edit.placeholderText().endswith(str(tmp_path / "third" / "artifacts"))
    dialog.reject()


def test_a_registry_that_cannot_be_made_is_refused_in_words(qtbot, window, tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    dialog = window.show_connection_dialog()
    qtbot.keyClicks(dialog.db_edit, str(blocker / "registry"))
    dialog.try_open()
    qtbot.waitUntil(lambda: dialog.message.text().startswith("Could not open"), timeout=15000)
    assert "is a file, so no folder can be made inside it" in dialog.message.text()
    assert "Errno" not in dialog.message.text() and dialog.confirm_box is None
    assert all(str(blocker) not in db for db, _ in window.ctx.settings.recent_registries())
    dialog.reject()


# -- navigation ----------------------------------------------------------------------------
def test_the_highlighted_side_bar_entry_goes_back_to_its_list(qtbot, window) -> None:
    window.open_model("credit-risk")
    idle(qtbot, window)
    assert window.side_bar.currentItem().text() == "Inventory"
    item = window.side_bar.item_of("inventory")
    rect = window.side_bar.visualItemRect(item)
    qtbot.mouseClick(window.side_bar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.stack.currentWidget() is window.areas["inventory"]


def test_help_has_a_guide_for_the_page_and_every_shortcut(qtbot, window) -> None:
    window.show_area("audit")
    qtbot.keyClick(window, Qt.Key.Key_F1)
    guide = next(d for d in window.dialogs if d.objectName() == "guideDialog")
    assert guide.current_title() == "Audit"
    assert "Reproduce" in guide.text.toPlainText()
    assert [p.title for p in guide.pages][:2] == ["Your first hour", "Inventory"]
    guide.close()
    shortcuts = window.show_shortcuts()
    rows = dict(shortcuts.rows())
    assert rows["Search everything"] == "Ctrl+K" and rows["Guide"] == "F1"
    assert rows["Print"] == "Ctrl+P" and "Find in a notebook or release notes" in rows
    shortcuts.close()


def test_ctrl_k_searches_everything_and_opens_what_is_chosen(qtbot, window) -> None:
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    search = next(d for d in window.dialogs if d.objectName() == "globalSearch")
    with qtbot.waitSignal(search.searched, timeout=10000):
        qtbot.keyClicks(search.edit, "credit-risk v2")
    assert search.hit_titles() == ["credit-risk v2"]  # every word must match a model
    with qtbot.waitSignal(search.chosen, timeout=5000):
        qtbot.keyClick(search.edit, Qt.Key.Key_Return)
    idle(qtbot, window)
    assert window.stack.currentWidget() is window.version_page
    assert window.version_page.number == 2

    search = window.show_global_search()
    with qtbot.waitSignal(search.searched, timeout=10000):
        qtbot.keyClicks(search.edit, "credit")
    assert search.hit_titles()[:2] == ["credit-risk", "credit-risk v3"]
    qtbot.keyClick(search.edit, Qt.Key.Key_Down)  # from the model to its newest version
    assert search.results.currentItem().text().startswith("credit-risk v3")
    search.edit.clear()
    with qtbot.waitSignal(search.searched, timeout=10000):
        qtbot.keyClicks(search.edit, "loan")
    hit = next(h for h in search.hits if h.kind == "consumer")
    search.open_hit(hit)
    idle(qtbot, window)
    consumers = window.areas["consumers"]
    assert window.stack.currentWidget() is consumers
    table = consumers.findChild(type(window.areas["inventory"].table), "consumersTable")
    qtbot.waitUntil(lambda: bool(table.selectionModel().selectedRows()), timeout=10000)
    row = table.selectionModel().selectedRows()[0].row()
    assert consumers.consumers.record(row)["name"] == "loan-origination"


def test_the_review_badge_counts_and_refreshes(qtbot, registry, settings, tmp_path) -> None:
    add_people(registry)
    publish_version(registry, tmp_path)
    registry.set_actor_for_embedded("val")
    w = build_window(registry, settings)
    qtbot.addWidget(w)
    w.show()
    idle(qtbot, w)
    assert w.side_bar.badge("reviews") == 0
    run_transition(registry, "submit", "credit", 1, actor="alice")  # someone else submits
    w.review_timer.setInterval(50)  # the window checks by itself every minute; sooner here
    qtbot.waitUntil(lambda: w.side_bar.badge("reviews") == 1, timeout=10000)
    assert "1 review waiting for you" in w.side_bar.item_of("reviews").toolTip()
    w.ctx.shutdown()


# -- themes --------------------------------------------------------------------------------
def link_colour(label: QLabel) -> str:
    """The most common saturated colour of a label's pixels: its link's."""
    image = label.grab().toImage()
    colours: dict[str, int] = {}
    for x in range(image.width()):
        for y in range(image.height()):
            colour = image.pixelColor(x, y)
            if colour.saturation() > 120 and colour.value() > 80:
                colours[colour.name()] = colours.get(colour.name(), 0) + 1
    return max(colours, key=colours.__getitem__)


def test_switching_themes_back_and_forth_leaves_no_trace(qtbot, window) -> None:
    app = QApplication.instance()
    label = window.breadcrumb
    window.open_model("credit-risk")  # the breadcrumb now holds links
    idle(qtbot, window)
    light_link = app.palette().color(QPalette.ColorRole.Link).name()
    window.set_theme("light")
    before = link_colour(label)
    window.set_theme("dark")
    dark = app.palette().color(QPalette.ColorRole.Link).name()
    assert link_colour(label) != before and dark != light_link
    assert "QCheckBox::indicator" in app.styleSheet()  # unticked boxes get a visible edge
    window.set_theme("light")
    assert link_colour(label) == before
    assert "QCheckBox::indicator" not in app.styleSheet()
    assert settings_theme(window) == "light"


def settings_theme(window) -> str:  # noqa: ANN001
    return window.ctx.settings.get("ui/theme")
