"""Opening a shared registry from the connection dialog with a password, as a person would."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy.engine import make_url

from signoff.core.db.pgroles import create_login, init_roles
from signoff.core.db.registry import open_registry
from signoff.core.governance.identity import without_password
from tests.helpers import memkeyring
from tests.helpers.pg_logins import drop_logins, unique_login

pytestmark = [pytest.mark.postgres, pytest.mark.gui]


def test_password_is_used_remembered_in_the_keyring_and_never_written_to_settings(
    qtbot, make_ctx, registry, pg_url: str, tmp_path: Path
) -> None:
    from signoff.ui.shell.connection_dialog import ConnectionDialog

    keys = memkeyring.install()
    admin = open_registry(db=pg_url, artifacts=tmp_path / "a")
    init_roles(admin.engine)
    login = unique_login("pat")
    create_login(admin.engine, login, "pat-secret", ["viewer"])
    url = without_password(
        make_url(pg_url).set(username=login).render_as_string(hide_password=False)
    )
    assert "signoff_ci@" not in url and f"{login}@" in url
    ctx = make_ctx(registry)
    try:
        dialog = ConnectionDialog(ctx)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        qtbot.keyClicks(dialog.db_edit, url)
        qtbot.keyClicks(dialog.artifacts_edit, str(tmp_path / "a"))
        qtbot.keyClicks(dialog.password_edit, "pat-secret")
        qtbot.mouseClick(dialog.remember_box, Qt.MouseButton.LeftButton)
        assert dialog.remember_box.isChecked()
        qtbot.mouseClick(
            dialog.buttons.button(dialog.buttons.StandardButton.Open), Qt.MouseButton.LeftButton
        )
        qtbot.waitUntil(
            lambda: (
                ctx.registry.location.db_url.startswith("postgresql")
                or dialog.message.text().startswith("Could not")
            ),
            timeout=20000,
        )
        assert ctx.registry.location.db_url.startswith("postgresql"), dialog.message.text()
        assert ctx.registry.actor == login
        assert list(keys.store.values()) == ["pat-secret"]
        settings_text = Path(ctx.settings.qsettings.fileName()).read_text()
        assert "pat-secret" not in settings_text
        assert ctx.settings.recent_registries()[0][0] == url

        # again, typing no password: the keyring supplies it
        again = ConnectionDialog(ctx)
        qtbot.addWidget(again)
        qtbot.keyClicks(again.db_edit, url)
        qtbot.keyClicks(again.artifacts_edit, str(tmp_path / "a"))
        with qtbot.waitSignal(again.opened, timeout=20000):
            again.try_open()
        assert ctx.registry.actor == login
    finally:
        ctx.registry.close()
        drop_logins(admin.engine, [login])
        admin.close()
