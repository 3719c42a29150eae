"""The application on a registry whose artifacts are in a bucket, driven offscreen.

A reviewer opens such a registry from File › Open registry (the bucket is reached before the
window switches, and the recent list keeps the URL but no secret), reads a notebook that comes
down from the bucket with its progress shown, and an auditor cancels a reproduction while a
large model object is still downloading: nothing half-downloaded is left in the cache.
"""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

# QtWebEngine wants to be imported before the QApplication exists
from PySide6.QtWebEngineWidgets import QWebEngineView  # noqa: F401

from signoff.core.db.registry import open_registry
from signoff.core.publishing.publisher import publish
from tests.helpers.qtwait import document_loaded, wait_idle
from tests.helpers.reproduction import publish_scored_customers
from tests.s3.conftest import Bucket

pytestmark = pytest.mark.gui

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "credit-risk"


@pytest.fixture
def settings(tmp_path: Path):
    from signoff.ui.services.settings import Settings

    return Settings(tmp_path / "settings.ini")


@pytest.fixture
def bucket_registry(bucket: Bucket, tmp_path: Path):
    registry = open_registry(home=tmp_path / "home", artifacts=bucket.url("team"))
    registry.set_actor_for_embedded("alice")
    yield registry
    registry.close()


def test_open_a_registry_on_a_bucket_from_the_dialog(
    qtbot, registry, bucket: Bucket, settings, tmp_path: Path
) -> None:
    from signoff.ui.shell.app import build_window

    team_home = tmp_path / "team"
    first = open_registry(home=team_home, artifacts=bucket.url("team"))
    first.set_actor_for_embedded("alice")
    publish(first, EXAMPLE)
    first.close()
    window = build_window(registry, settings)
    qtbot.addWidget(window)
    window.show()
    wait_idle(qtbot, window.ctx)

    dialog = window.show_connection_dialog()
    qtbot.waitExposed(dialog)  # the recent list takes the focus and offers its first entry
    dialog.db_edit.clear()  # type another registry instead
    dialog.artifacts_edit.clear()
    qtbot.keyClicks(dialog.db_edit, str(team_home / "registry.db"))
    qtbot.keyClicks(dialog.artifacts_edit, "s3://no-such-bucket-anywhere/team")
    open_button = dialog.buttons.button(dialog.buttons.StandardButton.Open)
    qtbot.mouseClick(open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Could not open" in dialog.message.text(), timeout=20_000)
    assert "does not exist" in dialog.message.text()
    assert window.ctx.registry is registry  # the current registry stays open

    dialog.artifacts_edit.clear()
    qtbot.keyClicks(dialog.artifacts_edit, "s3://bucket/x?aws_secret_access_key=oops")
    qtbot.mouseClick(open_button, Qt.MouseButton.LeftButton)
    assert "credentials never go in the artifacts URL" in dialog.message.text()

    # the recent list took the focus back and offered its entry: type the registry again
    dialog.db_edit.clear()
    qtbot.keyClicks(dialog.db_edit, str(team_home / "registry.db"))
    dialog.artifacts_edit.clear()
    qtbot.keyClicks(dialog.artifacts_edit, bucket.url("team"))
    with qtbot.waitSignal(dialog.opened, timeout=20_000):
        qtbot.mouseClick(open_button, Qt.MouseButton.LeftButton)
    assert window.ctx.registry.store.url == bucket.url("team")
    assert bucket.url("team") in window.db_label.toolTip()
    recent = window.ctx.settings.recent_registries()
    assert recent[0] == (f"sqlite:///{(team_home / 'registry.db').resolve()}", bucket.url("team"))
    settings.sync()
    saved = (tmp_path / "settings.ini").read_text()
    assert bucket.url("team") in saved and "signoff-test" not in saved  # no credential kept
    again = window.show_connection_dialog()
    first = again.recent.item(0)
    qtbot.mouseClick(
        again.recent.viewport(),
        Qt.MouseButton.LeftButton,
        pos=again.recent.visualItemRect(first).center(),
    )  # the person clicks the registry they opened last
    assert again.artifacts_edit.text() == bucket.url("team")
    again.reject()
    wait_idle(qtbot, window.ctx)
    window.ctx.shutdown()


def test_the_notebook_comes_down_from_the_bucket_with_progress(
    qtbot, bucket_registry, settings
) -> None:
    from signoff.ui.services.context import AppContext
    from signoff.ui.version.version_page import VersionPage

    publish(bucket_registry, EXAMPLE)
    ctx = AppContext(bucket_registry, settings)
    page = VersionPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    tab = page.show_tab("Notebook")
    shown: list[str] = []
    original = tab.status.setText

    def remember(text: str) -> None:
        shown.append(text)
        original(text)

    tab.status.setText = remember  # type: ignore[method-assign]
    with document_loaded(qtbot, tab):
        page.show_version("credit-risk", 1, tab="Notebook")
    assert any(t.startswith("downloading credit-risk v1 notebook") for t in shown), shown
    store = bucket_registry.store
    assert store.cache.total_bytes() > 0  # the next reviewer on this machine reads it locally
    # the rendered page is cached beside the download cache, not in the person's own folders
    assert list((store.cache.root.parent / "render").glob("*.html"))
    wait_idle(qtbot, ctx)
    ctx.shutdown()


def test_cancel_a_reproduction_while_the_model_downloads(
    qtbot, bucket: Bucket, settings, tmp_path: Path
) -> None:
    from signoff.core.reproduction.reproduce import CANCELLED
    from signoff.ui.audit.reproduce_panel import ReproduceView
    from signoff.ui.services.context import AppContext

    # small parts, one at a time: the download takes a while, and reports each part
    url = bucket.url("team", part_size_mb="5", workers="1")
    registry = open_registry(home=tmp_path / "home", artifacts=url)
    registry.set_actor_for_embedded("alice")
    # the scoring code reads w and b; the rest of the pickle makes a 60 MB model object
    heavy = pickle.dumps({"w": 0.9, "b": 0.05, "lookup": os.urandom(60 * 1024 * 1024)})
    _folder, published = publish_scored_customers(registry, tmp_path, pickled=heavy)
    from sqlalchemy import select

    from signoff.core.db.schema import Prediction

    with registry.read() as session:
        prediction = session.scalars(
            select(Prediction.id).where(Prediction.version_id == published.version_id)
        ).first()
    ctx = AppContext(registry, settings)
    view = ReproduceView(ctx, prediction)
    qtbot.addWidget(view)
    view.show()
    view.start()
    # the verify step follows the download of the model object, part by part
    qtbot.waitUntil(
        lambda: view.step_details["verify"].text().startswith("downloading model_object"),
        timeout=60_000,
    )
    assert "model.pkl" in view.step_details["verify"].text()
    with qtbot.waitSignal(view.verdictShown, timeout=60_000) as shown:
        qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    assert shown.args == [CANCELLED]
    assert "Cancelled" in view.verdict.text()
    wait_idle(qtbot, ctx, timeout=30_000)
    cache = registry.store.cache
    staging = cache.root / ".incoming"
    assert not staging.exists() or list(staging.iterdir()) == []
    assert [p for _u, _s, p in cache.entries() if p.stat().st_size > 50_000_000] == []
    ctx.shutdown()
    registry.close()
    shutil.rmtree(tmp_path / "reports", ignore_errors=True)
