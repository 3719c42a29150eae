"""Opening another registry without restarting: an SQLite file or a PostgreSQL URL, with its
artifacts in a folder or an S3-compatible bucket (``s3://bucket/prefix``).

Looking (:func:`signoff.core.db.opening.check_location`) and opening (connecting, running
migrations, reaching the bucket) happen in a worker; the dialog stays responsive. An existing
registry opens at once. A place where none exists yet is never turned into a registry
silently: the dialog asks "Create a new registry here?", naming the database and the artifact
folder beside it (never the previous registry's, whatever the field held before the path was
edited). A failure is said in words and the current registry stays open; only a registry that
opened joins the recent list. A bucket's credentials come from the AWS configuration, never
from here.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
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
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from signoff.core.artifacts.location import is_object_store_url, parse_bucket_url
from signoff.core.db.opening import (
    LocationCheck,
    RegistryLocationError,
    check_location,
    open_problem,
)
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


def default_artifacts(db_text: str) -> str:
    """The artifact folder a registry typed as *db_text* gets when none is named ('' for a URL)."""
    try:
        return str(location_from_text(db_text, "").artifacts) if "://" not in db_text else ""
    except ValueError:
        return ""


def _look_and_open(
    location: Location, password: str, remember: bool
) -> tuple[LocationCheck, Registry | None]:
    """Worker: look at *location*; open it when a registry is there (None: there is none yet).

    The password is the one typed, else the keyring's, else libpq's files.
    """
    try:
        db_url = with_password(location.db_url, password or None, remember=remember)
        check = check_location(Location(db_url, location.artifacts))
        return check, (_checked(Registry(check.location)) if check.exists else None)
    except RegistryLocationError:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure is shown in words
        raise RegistryLocationError(open_problem(exc)) from exc


def _create(location: Location) -> Registry:
    """Worker: create (and migrate) a new registry at *location*, which the person confirmed."""
    try:
        return _checked(Registry(location))
    except Exception as exc:  # noqa: BLE001 - every failure is shown in words
        raise RegistryLocationError(open_problem(exc)) from exc


def _checked(registry: Registry) -> Registry:
    """*registry*, its artifact store reached: an unreachable bucket is reported now, not at
    the first read."""
    try:
        registry.store.check()
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
        self.confirm_box: QMessageBox | None = None
        self._artifacts_typed = False
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
        # a list that gets the focus makes its first entry current by itself, which would
        # overwrite a path being typed: the first entry is current from the start (quietly),
        # and only a click or the arrow keys choose an entry
        if self.recent.count():
            blocked = self.recent.blockSignals(True)
            self.recent.setCurrentRow(0, QItemSelectionModel.SelectionFlag.NoUpdate)
            self.recent.blockSignals(blocked)
        self.recent.currentItemChanged.connect(self._recent_chosen)
        self.recent.itemClicked.connect(self._recent_chosen)
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
        # a new path means a new registry: the artifact folder shown for the old one must
        # not stay paired with it (unless the person typed a folder of their own)
        self.db_edit.textEdited.connect(self._database_edited)
        self.artifacts_edit.textEdited.connect(self._artifacts_edited)
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

    def _recent_chosen(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is None:
            return
        db, artifacts = item.data(Qt.ItemDataRole.UserRole)
        self.db_edit.setText(db)
        self.artifacts_edit.setText(artifacts)
        self._artifacts_typed = False

    def _database_edited(self, text: str) -> None:
        if not self._artifacts_typed:
            self.artifacts_edit.clear()
        beside = default_artifacts(text.strip())
        self.artifacts_edit.setPlaceholderText(
            f"default: {beside}" if beside else "artifact folder (default: beside the database)"
        )

    def _artifacts_edited(self, text: str) -> None:
        self._artifacts_typed = bool(text.strip())

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open SQLite registry", "", "Registry database (*.db *.sqlite);;All files (*)"
        )
        if path:
            self.db_edit.setText(path)
            self._database_edited(path)

    def try_open(self) -> None:
        """Look at the typed place in a worker: open a registry there, or offer to create one."""
        try:
            location = location_from_text(self.db_edit.text(), self.artifacts_edit.text())
        except ValueError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(f"Opening {location.db_url.split('@')[-1]}…")
        self.buttons.setEnabled(False)
        self.ctx.runner.submit(
            _look_and_open,
            location,
            self.password_edit.text(),
            self.remember_box.isChecked(),
            key="open-registry",
            on_result=self._looked,
            on_error=self._failed,
        )

    def _looked(self, result: tuple[LocationCheck, Registry | None]) -> None:
        check, registry = result
        if registry is not None:
            self._opened(registry)
            return
        self.buttons.setEnabled(True)
        self.message.setText("No registry exists there yet.")
        self.ask_to_create(check)

    def ask_to_create(self, check: LocationCheck) -> QMessageBox:
        """Ask before creating a registry where none exists (a typo must not make one)."""
        box = QMessageBox(self)
        box.setObjectName("createRegistryBox")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Create a new registry?")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(
            "<b>Create a new registry here?</b><br><br>"
            f"Database: <code>{html.escape(check.where)}</code><br>"
            f"Artifacts: <code>{html.escape(str(check.location.artifacts))}</code><br><br>"
            "No registry exists at this place yet. If you meant an existing one, check the "
            "path for a typo."
        )
        self.create_button = box.addButton("Create registry", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _r: self._create_answered(box, check))
        self.confirm_box = box
        box.open()
        return box

    def _create_answered(self, box: QMessageBox, check: LocationCheck) -> None:
        self.confirm_box = None
        if box.clickedButton() is not self.create_button:
            self.message.setText("Nothing was created; the current registry stays open.")
            return
        self.message.setText(f"Creating a registry at {check.where}…")
        self.buttons.setEnabled(False)
        self.ctx.runner.submit(
            _create,
            check.location,
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
        words = str(exc) if isinstance(exc, RegistryLocationError) else open_problem(exc)
        self.message.setText(
            "Could not open this registry; the current one stays open.\n"
            + words[:1].upper()
            + words[1:]
        )
