"""A lost database connection is shown in the status bar and recovered, never a crash."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from signoff.ui.shell.app import build_window
from tests.helpers.qtwait import wait_idle

pytestmark = [pytest.mark.gui, pytest.mark.postgres]


def _admin(pg_url: str):
    base = make_url(pg_url).set(drivername="postgresql", database="postgres")
    return psycopg.connect(base.render_as_string(hide_password=False), autocommit=True)


def _block(pg_url: str, allow: bool) -> None:
    name = make_url(pg_url).database
    with _admin(pg_url) as conn:
        conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(allow).lower()}')
        if not allow:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )


def test_lost_connection_shown_then_recovered(
    qtbot, pg_registry, pg_url, settings, tmp_path
) -> None:
    from tests.helpers.browse import publish_variant

    publish_variant(pg_registry, tmp_path / "f1", name="pg-model")
    settings.set("connection/check_interval_ms", 200)
    window = build_window(pg_registry, settings)
    qtbot.addWidget(window)
    window.show()
    inventory = window.areas["inventory"]
    qtbot.waitUntil(lambda: inventory.model.rowCount() == 1, timeout=10000)
    assert window.db_label.text().startswith("shared: postgresql")
    assert "connected" in window.health_label.text()

    _block(pg_url, allow=False)
    try:
        qtbot.waitUntil(lambda: "connection lost" in window.health_label.text(), timeout=15000)
        # the pages keep working on what they show; a search now fails politely
        qtbot.keyClicks(inventory.search, "pg")
        qtbot.waitUntil(lambda: not inventory.model.loading, timeout=15000)
        assert window.isVisible()
    finally:
        _block(pg_url, allow=True)
    qtbot.waitUntil(
        lambda: (
            "connected" in window.health_label.text() and "lost" not in window.health_label.text()
        ),
        timeout=15000,
    )
    # recovery reloads the pages
    qtbot.waitUntil(
        lambda: inventory.model.rowCount() == 1 and inventory.count_label.text() == "1 model",
        timeout=15000,
    )
    wait_idle(qtbot, window.ctx, timeout=15000)
    window.close()
