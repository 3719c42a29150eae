"""Opening another registry without restarting: an SQLite file or a PostgreSQL URL, with its
artifacts in a folder or an S3-compatible bucket (``s3://bucket/prefix``).

Opening (connecting, running migrations, reaching the bucket) happens in a worker; the dialog
stays responsive and shows the error if the registry cannot be opened. The current registry
stays open until the new one has opened successfully, so a typo never leaves the window
without a registry. A bucket's credentials come from the AWS configuration, never from here.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from signoff.core.artifacts.location import is_object_store_url, parse_bucket_url
from signoff.core.db.registry import Location, Registry, resolve_location
from signoff.core.governance.identity import with_password
from signoff.ui.services.context import AppContext


def location_from_text(db_text: str, artifacts_text: str) -> Location:
    """Work out a registry location from what was typed (a file, a folder or a URL).

    A folder is a registry home (``registry.db`` + ``artifacts/``); a file path is an SQLite
    database; anything with ``://`` is a database URL. Raises ValueError for empty input or a
    URL without an artifacts folder.
    """
    db_text, artifacts_text = db_text.strip(), artifacts_text.strip()
    if is_object_store_url(artifacts_text):
        parse_bucket_url(artifacts_text)  # a malformed URL is refused here, with its reason
    elif "://" in artifacts_text:
        raise ValueError(
            f"'{artifacts_text.split('://')[0]}' artifact stores are not supported; use a "
            "folder or s3://bucket/prefix"
        )
    if not db_text:
        raise ValueError("Enter a registry folder, an SQLite file or a PostgreSQL URL.")
    if "://" in db_text:
        if not db_text.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError(
                f"'{db_text.split('://')[0]}' databases are not supported; use "
                "sqlite:///FILE or postgresql://USER@HOST/DB."
            )
        if not artifacts_text:
            raise ValueError(
                "A database URL needs an artifact folder or s3://bucket/prefix "
                "(where components are stored)."
            )
        return resolve_location(db=db_text, artifacts=artifacts_text)
    path = Path(db_text).expanduser()
    if path.is_dir() or not path.suffix:
        return resolve_location(home=path, artifacts=artifacts_text or None)
    return resolve_location(db=str(path), artifacts=artifacts_text or path.parent / "artifacts")


def _open(location: Location, password: str, remember: bool) -> Registry:
    """Connect (in a worker): the password typed, else the keyring's, else libpq's files."""
    db_url = with_password(location.db_url, password or None, remember=remember)
    registry = Registry(Location(db_url, location.artifacts))
    try:
        registry.store.check()  # an unreachable bucket is reported now, not at the first read
    except BaseException:
        registry.close()
        raise
    return registry


class ConnectionDialog(QDialog):
    """Pick a registry (recent ones listed) and open it."""

    opened = Signal(object)  # the Registry

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Open registry")
        self.resize(640, 420)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Recent registries"))
        self.recent = QListWidget()
        self.recent.setObjectName("recentRegistries")
        for db, artifacts in ctx.settings.recent_registries():
            item = QListWidgetItem(db)
            item.setData(Qt.ItemDataRole.UserRole, (db, artifacts))
            item.setToolTip(f"artifacts: {artifacts}")
            self.recent.addItem(item)
        self.recent.currentItemChanged.connect(self._recent_chosen)
        self.recent.itemDoubleClicked.connect(lambda _i: self.try_open())
        layout.addWidget(self.recent, 1)

        form = QFormLayout()
        db_row = QHBoxLayout()
        self.db_edit = QLineEdit()
        self.db_edit.setObjectName("databaseEdit")
        self.db_edit.setPlaceholderText(
            "registry folder, SQLite file, or postgresql://user@host/db"
        )
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        db_row.addWidget(self.db_edit, 1)
        db_row.addWidget(browse)
        form.addRow("Database", db_row)
        self.artifacts_edit = QLineEdit()
        self.artifacts_edit.setObjectName("artifactsEdit")
        self.artifacts_edit.setPlaceholderText(
            "artifact folder (default: beside the database) or s3://bucket/prefix"
        )
        self.artifacts_edit.setToolTip(
            "A bucket uses the AWS configuration for its credentials (AWS_PROFILE, "
            "~/.aws/credentials); options: ?profile=NAME&region=R&endpoint=https://host:9000"
        )
        form.addRow("Artifacts", self.artifacts_edit)
        self.password_edit = QLineEdit()
        self.password_edit.setObjectName("passwordEdit")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText(
            "PostgreSQL only; empty: use the keyring, ~/.pgpass or a service file"
        )
        form.addRow("Password", self.password_edit)
        self.remember_box = QCheckBox("Remember the password in the system keyring")
        self.remember_box.setObjectName("rememberPassword")
        form.addRow("", self.remember_box)
        layout.addLayout(form)
        self.message = QLabel("")
        self.message.setObjectName("connectionMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.try_open)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _recent_chosen(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        db, artifacts = item.data(Qt.ItemDataRole.UserRole)
        self.db_edit.setText(db)
        self.artifacts_edit.setText(artifacts)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open SQLite registry", "", "Registry database (*.db *.sqlite);;All files (*)"
        )
        if path:
            self.db_edit.setText(path)

    def try_open(self) -> None:
        """Open the typed registry in a worker; on success switch the window to it."""
        try:
            location = location_from_text(self.db_edit.text(), self.artifacts_edit.text())
        except ValueError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(f"Opening {location.db_url.split('@')[-1]}…")
        self.buttons.setEnabled(False)
        self.ctx.runner.submit(
            _open,
            location,
            self.password_edit.text(),
            self.remember_box.isChecked(),
            key="open-registry",
            on_result=self._opened,
            on_error=self._failed,
        )

    def _opened(self, registry: Registry) -> None:
        self.buttons.setEnabled(True)
        self.ctx.set_registry(registry)
        self.opened.emit(registry)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        self.message.setText(
            "Could not open this registry; the current one stays open.\n"
            + (first[0] if first else type(exc).__name__)
        )
