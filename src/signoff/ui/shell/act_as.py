"""Who is acting: the demo's person picker, its welcome banner, and the status-bar line.

In the demo anyone may be acted as, so a reviewer, an auditor and a manager each find their
first hour: the tool bar holds an "Act as" picker and, until it is closed, a banner says
"You are looking at the demo as bob (validator). Act as: alice · bob · …". Outside the demo
the acting person is the operating-system login (embedded) or the database login (shared);
the status bar names them and their roles and says how roles are given.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QWidget,
)
from sqlalchemy import func, select

from signoff.core.catalog.words import ROLE_PURPOSE, role_word, roles_in_words
from signoff.core.db.registry import Registry
from signoff.core.db.schema import Model
from signoff.core.governance.people import Person, admins_exist, list_people, roles_of
from signoff.ui.services.context import AppContext

#: who the demo is looked at as when nobody was chosen yet: a reviewer with something to sign
DEMO_DEFAULT = "bob"
#: service logins are not people one looks at the registry as
_SERVICE_ROLES = {"runner", "notifier"}


@dataclass(frozen=True)
class Identity:
    """The acting person as the window shows them, with everyone they could act as."""

    login: str
    printed_name: str
    roles: tuple[str, ...]
    people: tuple[Person, ...]  # everyone known (the demo's picker lists them)
    admins: bool  # whether the registry has an admin yet
    embedded: bool
    models: int = 0  # how many models the registry holds (0: a brand-new registry)

    @property
    def needs_people(self) -> bool:
        """True for an embedded registry nobody has been set up in (nobody could sign)."""
        return self.embedded and not self.people and not self.admins

    @property
    def known(self) -> bool:
        return any(p.login == self.login for p in self.people)


def load_identity(registry: Registry) -> Identity:
    """Worker: the acting login, their printed name and roles, and the people of the registry."""
    login = registry.actor  # on PostgreSQL this asks the database
    with registry.read() as session:
        people = tuple(list_people(session))
        held = tuple(sorted(roles_of(session, login)))
        admins = admins_exist(session)
        models = session.scalar(select(func.count(Model.id))) or 0
    me = next((p for p in people if p.login == login), None)
    return Identity(
        login,
        me.printed_name if me else login,
        held,
        people,
        admins,
        registry.is_embedded,
        models,
    )


def short_name(person: Person) -> str:
    """``bob (validator)``: the login and the roles that matter to a reviewer."""
    roles = [r for r in person.roles if r != "viewer"] or list(person.roles)
    return f"{person.login} ({roles_in_words(roles) or 'no roles'})"


def demo_people(people: tuple[Person, ...]) -> list[Person]:
    """The people of the demo one may act as: active, and not a service login."""
    return [p for p in people if p.active and not set(p.roles) <= _SERVICE_ROLES]


def status_text(identity: Identity, demo: bool) -> tuple[str, str]:
    """The status bar's line about the acting person, and its tooltip (what roles allow)."""
    who = html.escape(identity.login)
    roles = roles_in_words(identity.roles)
    purposes = (
        "\n".join(f"{role_word(r)}: {ROLE_PURPOSE.get(r, '')}" for r in identity.roles)
        or "No roles: you can read, but not sign or decide."
    )
    if demo:
        return f"Acting as <b>{who}</b> ({html.escape(roles or 'no roles')}) in the demo", purposes
    if identity.roles:
        return f"Signed in as <b>{who}</b> · {html.escape(roles)}", purposes
    if not identity.admins:
        hint = "no roles yet: set up people with File › People and roles"
    elif identity.embedded:
        hint = f"no roles: an admin gives them with signoff users roles {who} ROLE"
    else:
        hint = f"no roles: an admin grants them with signoff users roles {who} ROLE"
    return f"Signed in as <b>{who}</b> · {html.escape(hint)}", purposes


class ActAsPicker(QWidget):
    """The tool bar's "Act as" picker of the demo: choosing a person acts as them."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        label = QLabel("Act as:")
        self.combo = QComboBox()
        self.combo.setObjectName("actAsPicker")
        self.combo.setToolTip(
            "In the demo you may look at the registry as anyone: pick a person to see "
            "their reviews and sign as them"
        )
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        label.setBuddy(self.combo)
        layout.addWidget(label)
        layout.addWidget(self.combo)
        self.combo.activated.connect(self._chosen)

    def set_identity(self, identity: Identity) -> None:
        """List the demo's people and select the acting one."""
        blocked = self.combo.blockSignals(True)
        self.combo.clear()
        for person in demo_people(identity.people):
            self.combo.addItem(short_name(person), person.login)
            self.combo.setItemData(
                self.combo.count() - 1, person.printed_name, Qt.ItemDataRole.ToolTipRole
            )
        self.combo.setCurrentIndex(self.combo.findData(identity.login))
        self.combo.blockSignals(blocked)

    def _chosen(self, index: int) -> None:
        login = self.combo.itemData(index)
        if login and login != self.ctx.registry.actor:
            self.ctx.act_as(str(login))


class WelcomeBanner(QFrame):
    """The first-run welcome: in the demo, who you are looking as and everyone you could be;
    on a registry nobody was set up in, the way to set up its people."""

    dismissed = Signal()
    setupRequested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("welcomeBanner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.text = QLabel("")
        self.text.setObjectName("welcomeText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.linkActivated.connect(self._link)
        layout.addWidget(self.text, 1)
        close = QToolButton()
        close.setObjectName("welcomeClose")
        close.setText("✕")
        close.setToolTip("Close this welcome (the Act as picker stays in the tool bar)")
        close.setAutoRaise(True)
        close.clicked.connect(self.dismiss)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)

    def set_identity(self, identity: Identity) -> None:
        """Say who the demo is looked at as, and link every other person."""
        me = next((p for p in identity.people if p.login == identity.login), None)
        shown = short_name(me) if me else identity.login
        links = " · ".join(
            f"<b>{html.escape(p.login)}</b>"
            if p.login == identity.login
            else f"<a href='act:{html.escape(p.login)}'>{html.escape(p.login)}</a>"
            for p in demo_people(identity.people)
        )
        self.text.setText(
            f"You are looking at the demo as <b>{html.escape(shown)}</b>. Act as: {links}"
            "<br><span style='font-size:small'>Each person sees their own reviews and may "
            "sign only what their roles allow. Help › Guide explains each area.</span>"
        )

    def people_links(self) -> list[str]:
        """The logins the banner offers to act as (in order)."""
        text = self.text.text()
        return [part.split("'")[0] for part in text.split("href='act:")[1:]]

    def _link(self, link: str) -> None:
        kind, _, login = link.partition(":")
        if kind == "act" and login:
            self.ctx.act_as(login)
        elif kind == "setup":
            self.setupRequested.emit()

    def set_setup(self, identity: Identity) -> None:
        """Say that nobody can sign yet, and offer to set up the registry's people."""
        self.text.setText(
            f"<b>This registry has no people yet</b>, so nobody can sign. You, "
            f"<b>{html.escape(identity.login)}</b>, become its first admin: "
            "<a href='setup:'>set up people and their roles…</a>"
        )

    def dismiss(self) -> None:
        """Close the banner (for good in the demo: that is remembered)."""
        if self.ctx.is_demo:
            self.ctx.settings.set("demo/banner_dismissed", True)
        self.hide()
        self.dismissed.emit()
