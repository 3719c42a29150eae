"""File → Import from MLflow, driven as a person would, against the fake MLflow server."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from signoff.core.db.schema import Version
from tests.helpers.fake_mlflow import ART, js
from tests.helpers.shots import save_screenshot

pytestmark = pytest.mark.gui


@pytest.fixture
def dialog(qtbot, registry, tmp_path):
    from signoff.ui.importing.mlflow_dialog import MlflowImportDialog
    from signoff.ui.services.context import AppContext
    from signoff.ui.services.settings import Settings

    ctx = AppContext(registry, Settings(tmp_path / "settings.ini"))
    dlg = MlflowImportDialog(ctx)
    qtbot.addWidget(dlg)
    dlg.show()
    yield dlg
    ctx.runner.shutdown()


def test_import_shows_progress_and_the_report(qtbot, dialog, fake, registry):
    qtbot.keyClicks(dialog.url_edit, fake.url)
    seen = []
    dialog.handle = None
    with qtbot.waitSignal(dialog.importFinished, timeout=30000) as blocker:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
        assert not dialog.import_button.isEnabled() and dialog.cancel_button.text() == "Cancel"
        dialog.handle.progressed.connect(lambda f, m: seen.append(m))
    report = blocker.args[0]
    assert report.versions_imported == ["m v1"]
    assert "versions imported: 1" in dialog.report_view.toPlainText()
    assert dialog.status.text() == "Done." and dialog.progress.value() == 1000
    assert dialog.import_button.isEnabled() and dialog.cancel_button.text() == "Close"
    with registry.read() as session:
        assert session.scalar(select(func.count()).select_from(Version)) == 1
    save_screenshot(dialog, "mlflow-import.png")

    with qtbot.waitSignal(dialog.importFinished, timeout=30000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.status.text() == "Done. Nothing new since the last import."


def test_a_url_that_is_not_http_is_refused_before_anything_runs(qtbot, dialog):
    qtbot.keyClicks(dialog.url_edit, "mlflow.example.com")
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.handle is None
    assert "http(s) address" in dialog.status.text()


def test_a_refusing_server_shows_a_clear_error(qtbot, dialog, fake):
    fake.routes["/api/2.0/mlflow/registered-models/search"] = lambda q, h: js({}, 401)
    qtbot.keyClicks(dialog.url_edit, fake.url)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.handle is not None and dialog.handle.is_done, timeout=30000)
    assert "refused the credentials (HTTP 401)" in dialog.status.text()
    assert "MLFLOW_TRACKING_USERNAME" in dialog.status.text()
    assert dialog.import_button.isEnabled()


def test_cancel_stops_the_import_and_keeps_nothing_partial(qtbot, dialog, fake, registry):
    def slow(q, h):
        def body():
            for _ in range(5):
                time.sleep(0.4)
                yield b"h"

        return 200, {"Content-Length": "5"}, body()

    fake.routes[f"{ART}/1/models/m-1/artifacts/model.pkl"] = slow
    qtbot.keyClicks(dialog.url_edit, fake.url)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "model/model.pkl" in dialog.status.text(), timeout=30000)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert dialog.status.text().startswith("Cancelling")
    qtbot.waitUntil(lambda: dialog.handle.is_done, timeout=30000)
    assert dialog.status.text().startswith("Cancelled.")
    assert dialog.cancel_button.text() == "Close" and dialog.import_button.isEnabled()
    with registry.read() as session:
        assert session.scalar(select(func.count()).select_from(Version)) == 0
    assert dialog.ctx.runner.wait_for_done(10000)
    assert [p for p in registry.store.root.rglob("*") if p.is_file()] == []


def test_the_request_deadline_typed_in_stops_a_server_that_drips(qtbot, dialog, fake, registry):
    def drip(q, h):
        def body():
            for byte in b"hello":
                time.sleep(0.8)  # each byte well inside the read timeout; 4 s in all
                yield bytes([byte])

        return 200, {"Content-Length": "5"}, body()

    fake.routes[f"{ART}/1/models/m-1/artifacts/model.pkl"] = drip
    qtbot.keyClicks(dialog.url_edit, fake.url)
    dialog.request_box.selectAll()
    qtbot.keyClicks(dialog.request_box, "1")
    assert dialog.request_box.value() == 1
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.handle is not None and dialog.handle.is_done, timeout=30000)
    shown = dialog.status.text()
    assert shown.startswith("Import stopped: the server took more than 1 s to send artifact")
    assert "nothing of the model it stopped on was written" in shown
    assert dialog.import_button.isEnabled() and dialog.request_box.isEnabled()
    with registry.read() as session:
        assert session.scalar(select(func.count()).select_from(Version)) == 0


def test_the_report_shows_what_was_skipped_and_what_was_read_differently(
    qtbot, dialog, fake, registry
):
    fake.routes["/api/2.0/mlflow/registered-models/search"] = lambda q, h: js(
        {
            "registered_models": [
                {"name": "credit@2"},
                {"name": "m", "tags": [{"key": "risk_tier", "value": "HIGH"}]},
            ]
        }
    )
    qtbot.keyClicks(dialog.url_edit, fake.url)
    with qtbot.waitSignal(dialog.importFinished, timeout=30000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    shown = dialog.report_view.toPlainText()
    assert "'credit@2': not imported: a model name must be" in shown
    assert "the risk_tier tag 'HIGH' was read as 'high'" in shown
    assert "versions imported: 1" in shown
