"""The version page's Overview tab: metadata, state, manifest hash, the dimensions matrix."""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from signoff.core.catalog import version_page
from signoff.core.catalog.component_ref import ComponentRef
from signoff.core.catalog.version_page import VersionOverview
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.common import format_size, format_time, record_table, state_label
from signoff.ui.widgets.component_view import ComponentDialog
from signoff.ui.widgets.table_models import Column, RecordTableModel

DIMENSION_TITLES = {
    "data": "Data",
    "script": "Scripts",
    "configuration": "Configuration",
    "model_object": "Model object",
    "documentation": "Documentation",
    "environment": "Environment",
    "tests": "Tests",
}

COMPONENT_COLUMNS = [
    Column("Dimension", lambda c: DIMENSION_TITLES.get(c.kind, c.kind)),
    Column("Name", lambda c: c.name),
    Column(
        "Path / URI",
        lambda c: c.location,
        tooltip=lambda c: "" if c.stored else "external: referenced, not stored",
    ),
    Column("Size", lambda c: format_size(c.size), sort_key=lambda c: c.size or 0, align_right=True),
    Column("sha256", lambda c: c.sha256 or "—", tooltip=lambda c: c.sha256 or ""),
]


class OverviewTab(QWidget):
    """Metadata and the versioning-dimensions matrix; a row opens the component."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.overview: VersionOverview | None = None
        self.dialogs: list[ComponentDialog] = []
        layout = QVBoxLayout(self)
        meta_box = QGroupBox("Version")
        form = QFormLayout(meta_box)
        self.fields: dict[str, QLabel] = {}
        for key, title in (
            ("state", "State"),
            ("author", "Author"),
            ("created", "Published (UTC)"),
            ("changed", "State since (UTC)"),
            ("entry", "Entry point"),
            ("python", "Python"),
            ("hash", "Manifest hash"),
            ("metrics", "Metrics"),
        ):
            label = QLabel("—")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setObjectName(f"overview_{key}")
            form.addRow(title, label)
            self.fields[key] = label
        layout.addWidget(meta_box)
        matrix_box = QGroupBox("Versioning dimensions — double-click a row to open it")
        matrix_layout = QVBoxLayout(matrix_box)
        self.components = RecordTableModel(COMPONENT_COLUMNS, self)
        self.table = record_table(self.components, "dimensionsTable")
        self.table.activated.connect(self.open_index)
        matrix_layout.addWidget(self.table)
        layout.addWidget(matrix_box, 1)

    def show_version(self, model: str, number: int) -> None:
        """Load the version's overview in a worker."""
        self.fields["state"].setText("Loading…")
        self.ctx.read(
            version_page.version_overview,
            model,
            number,
            key=f"overview-{id(self)}",
            on_result=self._show,
            on_error=self._failed,
        )

    def _failed(self, exc: BaseException) -> None:
        self.fields["state"].setText(f"Could not load: {exc}")
        self.components.set_records([])

    def _show(self, ov: VersionOverview) -> None:
        self.overview = ov
        self.fields["state"].setText(f"<b>{html.escape(state_label(ov.state))}</b>")
        self.fields["author"].setText(html.escape(ov.author))
        self.fields["created"].setText(format_time(ov.created_at, seconds=True))
        self.fields["changed"].setText(format_time(ov.state_changed_at, seconds=True))
        self.fields["entry"].setText(html.escape(ov.entry_point or "—"))
        self.fields["python"].setText(html.escape(ov.python_version or "—"))
        self.fields["hash"].setText(f"<code>{ov.manifest_hash}</code>")
        self.fields["metrics"].setText(
            ", ".join(
                f"{name} = {value:.4g}" + ("" if dataset == "validation" else f" ({dataset})")
                for name, dataset, value in ov.metrics
            )
            or "—"
        )
        self.components.set_records(ov.components)
        self.table.resizeColumnsToContents()

    def open_index(self, index: QModelIndex) -> None:
        """Open the component on *index*'s row in its own window."""
        component: ComponentRef = self.components.record(index.row())
        self.open_component(component)

    def open_component(self, component: ComponentRef) -> ComponentDialog:
        where = component.location or component.name
        title = (
            f"{self.overview.model} v{self.overview.number} — {where}" if self.overview else where
        )
        dialog = ComponentDialog(self.ctx, component, title, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(
            lambda _r, d=dialog: self.dialogs.remove(d) if d in self.dialogs else None
        )
        self.dialogs.append(dialog)
        dialog.show()
        return dialog
