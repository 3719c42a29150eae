"""Comparing two or more versions of one model: dimensions, side-by-side text diff, metrics.

The first chosen version is the baseline: every other version's dimensions are marked same /
changed / added / removed against it, and metric deltas are taken from it.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QColor, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from signoff.core.catalog import compare, model_page
from signoff.core.catalog.compare import Comparison, DimensionRow, MetricRow
from signoff.ui.services.context import AppContext
from signoff.ui.version.overview_tab import DIMENSION_TITLES
from signoff.ui.widgets.columns import fit_columns
from signoff.ui.widgets.common import format_size
from signoff.ui.widgets.component_view import monospace_font
from signoff.ui.widgets.table_models import INK_ON_TINT, Column, RecordTableModel

STATUS_BACKGROUND = {"changed": "#fdebd0", "added": "#d5f5e3", "removed": "#fadbd8"}
STATUS_WORD = {"same": "same", "changed": "changed", "added": "added", "removed": "removed"}


def _cell_text(row: DimensionRow, i: int) -> str:
    cell = row.cells[i]
    if cell is None:
        return "— absent"
    short = (cell.sha256 or "external")[:10]
    return short if i == 0 else f"{STATUS_WORD[cell.status]} · {short}"


def _cell_tip(row: DimensionRow, i: int) -> str:
    cell = row.cells[i]
    if cell is None:
        return "not in this version"
    return f"{cell.location}\n{format_size(cell.size)}\nsha256 {cell.sha256 or '—'}"


def _delta_text(row: MetricRow, i: int) -> str:
    value = row.values[i]
    if value is None:
        return "—"
    if i == 0:
        return f"{value:.4g}"
    delta = row.delta(i)
    return f"{value:.4g}" if delta is None else f"{value:.4g} ({delta:+.4g})"


class ComparePage(QWidget):
    """Choose versions of a model, then see what changed between them."""

    compared = Signal(object)  # the Comparison shown

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model_name = ""
        self.comparison: Comparison | None = None
        layout = QVBoxLayout(self)
        self.title = QLabel("Compare versions")
        self.title.setObjectName("pageTitle")
        layout.addWidget(self.title)

        chooser = QHBoxLayout()
        self.version_list = QListWidget()
        self.version_list.setObjectName("compareVersions")
        self.version_list.setFlow(QListWidget.Flow.LeftToRight)
        self.version_list.setMaximumHeight(34)
        self.compare_button = QPushButton("Compare")
        self.compare_button.clicked.connect(self.compare_checked)
        self.status = QLabel("")
        self.status.setObjectName("compareStatus")
        chooser.addWidget(QLabel("Versions:"))
        chooser.addWidget(self.version_list, 1)
        chooser.addWidget(self.compare_button)
        layout.addLayout(chooser)
        layout.addWidget(self.status)

        self.dimensions = RecordTableModel([], self)
        self.dim_table = QTableView()
        self.dim_table.setObjectName("compareDimensions")
        self.dim_table.setModel(self.dimensions)
        self.dim_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.dim_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.dim_table.verticalHeader().setVisible(False)
        self.dim_table.setWordWrap(False)
        fit_columns(self.dim_table, stretch=1)  # the component's name takes the room left
        self.dim_table.selectionModel().selectionChanged.connect(self._dimension_selected)
        self.metrics = RecordTableModel([], self)
        self.metric_table = QTableView()
        self.metric_table.setObjectName("compareMetrics")
        self.metric_table.setModel(self.metrics)
        self.metric_table.verticalHeader().setVisible(False)
        self.metric_table.setWordWrap(False)
        fit_columns(self.metric_table)

        top = QSplitter(Qt.Orientation.Horizontal)
        dim_box = QGroupBox("Versioning dimensions (against the first version)")
        QVBoxLayout(dim_box).addWidget(self.dim_table)
        metric_box = QGroupBox("Metrics (delta against the first version)")
        QVBoxLayout(metric_box).addWidget(self.metric_table)
        top.addWidget(dim_box)
        top.addWidget(metric_box)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)

        diff_box = QGroupBox("Side-by-side diff — select a dimension above")
        diff_layout = QVBoxLayout(diff_box)
        against = QHBoxLayout()
        self.left_label = QLabel("")
        self.against = QComboBox()
        self.against.setObjectName("compareAgainst")
        self.against.currentIndexChanged.connect(lambda _i: self._dimension_selected())
        against.addWidget(self.left_label)
        against.addStretch(1)
        against.addWidget(QLabel("against"))
        against.addWidget(self.against)
        diff_layout.addLayout(against)
        sides = QSplitter(Qt.Orientation.Horizontal)
        self.left_text = self._diff_editor("diffLeft")
        self.right_text = self._diff_editor("diffRight")
        sides.addWidget(self.left_text)
        sides.addWidget(self.right_text)
        self.left_text.verticalScrollBar().valueChanged.connect(
            self.right_text.verticalScrollBar().setValue
        )
        self.right_text.verticalScrollBar().valueChanged.connect(
            self.left_text.verticalScrollBar().setValue
        )
        diff_layout.addWidget(sides, 1)

        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(top)
        body.addWidget(diff_box)
        body.setSizes([320, 360])
        layout.addWidget(body, 1)
        ctx.registryChanged.connect(self._reload)

    @staticmethod
    def _diff_editor(name: str) -> QPlainTextEdit:
        editor = QPlainTextEdit()
        editor.setObjectName(name)
        editor.setReadOnly(True)
        editor.setFont(monospace_font())
        editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        return editor

    # -- choosing -----------------------------------------------------------------------------
    def show_model(
        self, name: str, numbers: list[int], all_numbers: list[int] | None = None
    ) -> None:
        """Offer the versions of *name*, tick *numbers* and compare them if two or more."""
        self.model_name = name
        self.title.setText(f"Compare versions of {name}")
        self.version_list.clear()
        for n in all_numbers or sorted(numbers):
            item = QListWidgetItem(f"v{n}")
            item.setData(Qt.ItemDataRole.UserRole, n)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if n in numbers else Qt.CheckState.Unchecked)
            self.version_list.addItem(item)
        if all_numbers is None:
            self.ctx.read(
                model_page.model_page,
                name,
                key="compare-versions",
                on_result=lambda page: self._offer_all(name, page),
            )
        if len(numbers) >= 2:
            self.compare(numbers)

    def _offer_all(self, name: str, page: model_page.ModelPage) -> None:
        if name != self.model_name:
            return
        ticked = set(self.checked_numbers())
        self.version_list.clear()
        for n in sorted(v.number for v in page.versions):
            item = QListWidgetItem(f"v{n}")
            item.setData(Qt.ItemDataRole.UserRole, n)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if n in ticked else Qt.CheckState.Unchecked)
            self.version_list.addItem(item)

    def checked_numbers(self) -> list[int]:
        return [
            self.version_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.version_list.count())
            if self.version_list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def compare_checked(self) -> None:
        numbers = self.checked_numbers()
        if len(numbers) < 2:
            self.status.setText("Tick at least two versions to compare.")
            return
        self.compare(numbers)

    def compare(self, numbers: list[int]) -> None:
        """Compare versions *numbers* of the current model (first = baseline) in a worker."""
        self.status.setText("Comparing…")
        self.ctx.read(
            compare.compare_versions,
            self.model_name,
            list(numbers),
            key="compare",
            on_result=self._show,
            on_error=self._failed,
        )

    def _reload(self) -> None:
        if self.comparison is not None:
            self.compare(self.comparison.numbers)

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(f"<span style='color:#c0392b'>{html.escape(str(exc))}</span>")

    # -- showing ------------------------------------------------------------------------------
    def _show(self, cmp: Comparison) -> None:
        if cmp.model != self.model_name:
            return
        self.comparison = cmp
        labels = [f"v{n}" for n in cmp.numbers]
        changed = cmp.changed()
        self.status.setText(
            f"{len(changed)} of {len(cmp.dimensions)} dimensions differ between "
            f"{', '.join(labels)} (baseline {labels[0]}, {cmp.states[0].replace('_', ' ')})"
        )
        dim_columns = [
            Column("Dimension", lambda r: DIMENSION_TITLES.get(r.kind, r.kind)),
            Column("Name", lambda r: r.name),
            Column(
                "Status", lambda r: r.status, background=lambda r: STATUS_BACKGROUND.get(r.status)
            ),
            *[
                Column(
                    label,
                    lambda r, i=i: _cell_text(r, i),
                    tooltip=lambda r, i=i: _cell_tip(r, i),
                    background=lambda r, i=i: (
                        STATUS_BACKGROUND.get(r.cells[i].status if r.cells[i] else "removed")
                        if i
                        else None
                    ),
                )
                for i, label in enumerate(labels)
            ],
        ]
        self.dimensions.columns = dim_columns
        self.dimensions.set_records(cmp.dimensions)
        self.metrics.columns = [
            Column("Metric", lambda m: m.name),
            Column("Dataset", lambda m: m.dataset),
            *[
                Column(label, lambda m, i=i: _delta_text(m, i), align_right=True)
                for i, label in enumerate(labels)
            ],
        ]
        self.metrics.set_records(cmp.metrics)
        self.left_label.setText(f"left: {labels[0]}")
        blocked = self.against.blockSignals(True)
        self.against.clear()
        for i, label in enumerate(labels[1:], start=1):
            self.against.addItem(label, i)
        self.against.blockSignals(blocked)
        # open on the change a reviewer reads first: configuration, scripts, environment
        preference = {"configuration": 0, "script": 1, "environment": 2}
        changed_rows = [i for i, r in enumerate(cmp.dimensions) if r.status != "same"]
        first_changed = min(
            changed_rows, default=0, key=lambda i: (preference.get(cmp.dimensions[i].kind, 9), i)
        )
        if cmp.dimensions:
            self.dim_table.selectRow(first_changed)
        self.compared.emit(cmp)

    def _dimension_selected(self, *_args: QItemSelection) -> None:
        rows = self.dim_table.selectionModel().selectedRows()
        if not rows or self.comparison is None:
            return
        row: DimensionRow = self.dimensions.record(rows[0].row())
        right = self.against.currentData() or 1
        self.left_text.setPlainText("Reading…")
        self.right_text.setPlainText("")
        self.ctx.run(
            compare.text_diff_inputs,
            row,
            0,
            right,
            key="compare-diff",
            on_result=lambda result: self._show_diff(row, result),
            on_error=lambda exc: self.left_text.setPlainText(
                f"This dimension could not be read:\n\n{exc}"
            ),
        )

    def _show_diff(self, row: DimensionRow, result: tuple[str | None, str | None, str]) -> None:
        left, right, _unified = result
        if left is None and right is None and row.status != "same":
            message = "Not text (or external data): compare the hashes in the table above."
            self.left_text.setPlainText(message)
            self.right_text.setPlainText(message)
            return
        lines = compare.side_by_side(left, right)
        self._fill(self.left_text, [(line.left, line.tag) for line in lines], "#fadbd8")
        self._fill(self.right_text, [(line.right, line.tag) for line in lines], "#d5f5e3")

    @staticmethod
    def _fill(editor: QPlainTextEdit, lines: list[tuple[str | None, str]], colour: str) -> None:
        editor.setPlainText("\n".join("" if text is None else text for text, _ in lines))
        selections = []
        doc = editor.document()
        for number, (text, tag) in enumerate(lines):
            if tag == "equal":
                continue
            sel = QTextEdit.ExtraSelection()
            sel.format.setBackground(QColor("#eeeeee" if text is None else colour))
            sel.format.setForeground(QColor(INK_ON_TINT))
            sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            cursor = QTextCursor(doc.findBlockByNumber(number))
            sel.cursor = cursor
            selections.append(sel)
        editor.setExtraSelections(selections)
