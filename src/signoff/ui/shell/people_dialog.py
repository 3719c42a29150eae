"""People and roles: the first launch on an empty registry walks its first admin through them.

A brand-new embedded registry knows nobody, so nobody could sign anything. The first person to
open it becomes its admin (the bootstrap the core records in the audit trail) and adds the
people who review, each with a printed name (shown beside their signatures) and the roles they
sign as. Later an admin opens the same dialog from *File › People and roles*. Everything is
saved in one transaction through :func:`signoff.core.governance.people.save_person`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from signoff.core.catalog.words import ROLE_PURPOSE, role_word, roles_in_words
from signoff.core.db.registry import Registry
from signoff.core.governance.people import ADMIN, Person, save_person
from signoff.ui.services.context import AppContext

#: the roles a person may be given here (service logins are set up on the command line)
PERSON_ROLES = ("author", "validator", "business_owner", "release_manager", "auditor", "viewer")


@dataclass(frozen=True)
class PersonEntry:
    """One row of the dialog as typed."""

    login: str
    printed_name: str
    email: str
    roles: tuple[str, ...]


def save_people(registry: Registry, me: PersonEntry, others: list[PersonEntry]) -> list[Person]:
    """Worker: save the acting admin and the people typed, in one audited transaction."""
    actor = registry.actor
    with registry.write() as session:
        saved = [
            save_person(
                session,
                actor,
                actor=actor,
                display_name=me.printed_name,
                email=me.email,
                roles=sorted({ADMIN, *me.roles}),
            )
        ]
        for entry in others:
            saved.append(
                save_person(
                    session,
                    entry.login,
                    actor=actor,
                    display_name=entry.printed_name,
                    email=entry.email,
                    roles=list(entry.roles),
                )
            )
    return saved


class RolesButton(QToolButton):
    """A drop-down of check boxes for a person's roles; its text lists the roles ticked."""

    def __init__(self, roles: tuple[str, ...] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # roles not given here (admin, service logins) are kept as they are and listed, so
        # saving the dialog never takes them away
        self.kept = tuple(r for r in roles if r not in PERSON_ROLES)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        menu = QMenu(self)
        self.actions_by_role: dict[str, QAction] = {}
        for role in PERSON_ROLES:
            action = menu.addAction(role_word(role))
            action.setCheckable(True)
            action.setChecked(role in roles)
            action.setToolTip(ROLE_PURPOSE.get(role, ""))
            action.toggled.connect(self._update)
            self.actions_by_role[role] = action
        menu.setToolTipsVisible(True)
        self.setMenu(menu)
        self._update()

    def roles(self) -> tuple[str, ...]:
        """The roles ticked, and those this dialog does not offer (kept as they were)."""
        return self.kept + tuple(r for r, a in self.actions_by_role.items() if a.isChecked())

    def set_role(self, role: str, on: bool = True) -> None:
        self.actions_by_role[role].setChecked(on)

    def _update(self) -> None:
        self.setText(roles_in_words(self.roles()) or "choose roles…")


class PeopleDialog(QDialog):
    """Add the people of a registry with their roles (the first admin, or an admin later)."""

    saved = Signal(list)  # the saved Person records

    def __init__(
        self,
        ctx: AppContext,
        login: str,
        people: tuple[Person, ...] = (),
        *,
        first_admin: bool = False,
        may_change: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.login = login
        self.setObjectName("peopleDialog")
        self.setWindowTitle("Set up people" if first_admin else "People and roles")
        self.resize(760, 460)
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"<b>This registry has no people yet.</b> You, <b>{html.escape(login)}</b>, "
            "become its first admin. Add the people who will work with it: each signs "
            "with a printed name, and only as the roles given here. You can change this "
            "later in <i>File › People and roles</i>."
            if first_admin
            else "People and the roles they sign as (only an admin may change them)."
        )
        intro.setWordWrap(True)
        intro.setObjectName("peopleIntro")
        layout.addWidget(intro)
        form = QFormLayout()
        me = next((p for p in people if p.login == login), None)
        self.my_name = QLineEdit(me.display_name if me else "")
        self.my_name.setObjectName("myPrintedName")
        self.my_name.setPlaceholderText("your name as printed beside your signatures")
        self.my_email = QLineEdit(me.email if me else "")
        self.my_roles = RolesButton(tuple(r for r in (me.roles if me else ()) if r != ADMIN))
        self.my_roles.setObjectName("myRoles")
        form.addRow("Your printed name", self.my_name)
        form.addRow("Your email", self.my_email)
        form.addRow("Your roles besides admin" if may_change else "Your roles", self.my_roles)
        layout.addLayout(form)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("peopleTable")
        self.table.setHorizontalHeaderLabels(["Login", "Printed name", "Email", "Roles"])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table, 1)
        for person in people:
            if person.login != login:
                self.add_row(person.login, person.display_name, person.email, person.roles)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add person")
        self.add_button.setObjectName("addPerson")
        self.add_button.clicked.connect(lambda: self.add_row())
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._remove_selected)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.message = QLabel("")
        self.message.setObjectName("peopleMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(
            "Later" if first_admin else "Cancel"
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.may_change = may_change
        if not may_change:
            self._read_only(me.roles if me else ())

    def _read_only(self, my_roles: tuple[str, ...]) -> None:
        """A person who is not an admin sees who signs as what, and why they cannot edit."""
        self.my_roles.kept = tuple(my_roles)
        self.my_roles.setText(roles_in_words(my_roles) or "no roles")
        for editor in (self.my_name, self.my_email):
            editor.setReadOnly(True)
        self.my_roles.setEnabled(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row in range(self.table.rowCount()):
            self.roles_button(row).setEnabled(False)
        self.add_button.setEnabled(False)
        self.remove_button.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Close")
        self.message.setText(
            "Only an admin may change people and roles. Ask an admin (for example with "
            "<code>signoff users roles LOGIN ROLE…</code>) to give you a role."
        )

    def add_row(
        self, login: str = "", name: str = "", email: str = "", roles: tuple[str, ...] = ()
    ) -> int:
        """Append a person's row (empty for a new person); returns its index."""
        row = self.table.rowCount()
        self.table.insertRow(row)
        for col, text in enumerate((login, name, email)):
            self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.setCellWidget(row, 3, RolesButton(roles))
        if not login:
            self.table.setCurrentCell(row, 0)
        return row

    def roles_button(self, row: int) -> RolesButton:
        widget = self.table.cellWidget(row, 3)
        assert isinstance(widget, RolesButton)
        return widget

    def set_row(self, row: int, login: str, name: str, email: str = "") -> None:
        """Fill a row's text cells (as typing into them would)."""
        for col, text in enumerate((login, name, email)):
            self.table.setItem(row, col, QTableWidgetItem(text))

    def _remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for row in rows:
            self.table.removeRow(row)

    def entries(self) -> tuple[PersonEntry, list[PersonEntry]]:
        """The acting admin's entry and the others', as typed (empty rows skipped)."""
        me = PersonEntry(
            self.login,
            self.my_name.text().strip(),
            self.my_email.text().strip(),
            self.my_roles.roles(),
        )
        others = []
        for row in range(self.table.rowCount()):
            cells = [self._cell(row, c) for c in range(3)]
            if not any(cells):
                continue
            others.append(PersonEntry(cells[0], cells[1], cells[2], self.roles_button(row).roles()))
        return me, others

    def _cell(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text().strip() if item is not None else ""

    def problem(self) -> str:
        """Why the people typed cannot be saved ('' when they can)."""
        me, others = self.entries()
        if not me.printed_name:
            return "Enter your printed name: it is shown beside every signature you make."
        logins = [o.login for o in others]
        if any(not o.login for o in others):
            return "Every person needs a login (the name they sign in with)."
        if len(set(logins)) != len(logins) or self.login in logins:
            return "A login is listed twice."
        nameless = [o.login for o in others if not o.printed_name]
        if nameless:
            return f"Enter a printed name for {', '.join(nameless)}."
        return ""

    def save(self) -> None:
        """Save everyone in a worker; the dialog closes when it is done."""
        problem = self.problem()
        if problem:
            self.message.setText(f"<span style='color:#c0392b'>{html.escape(problem)}</span>")
            return
        me, others = self.entries()
        self.buttons.setEnabled(False)
        self.message.setText("Saving…")
        self.ctx.run(
            save_people,
            me,
            others,
            key="people-save",
            on_result=self._saved,
            on_error=self._failed,
        )

    def _saved(self, people: list[Person]) -> None:
        self.buttons.setEnabled(True)
        self.saved.emit(people)
        self.ctx.registryChanged.emit()
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.message.setText(
            f"<span style='color:#c0392b'>Not saved: {html.escape(str(exc))}</span>"
        )
