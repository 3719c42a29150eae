"""The version page's Model card tab: the card's structured fields (intended use … risk
rationale), read-only until someone allowed to edit it presses *Edit*; saving records each
changed field as an audited decision with the reason (:func:`signoff.core.governance.cards.
edit_card`), and the edits are listed below the card. *Compare with* shows two versions' cards
side by side, the fields that differ tinted; *Export* writes the card as PDF or HTML. Every
read, write and render runs in the worker."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from signoff.core.db import model_risk as rk
from signoff.core.db.registry import Registry
from signoff.core.governance.cards import (
    ModelCard,
    card_of,
    edit_card,
    render_card_html,
    render_card_pdf,
)
from signoff.core.governance.dashboard import (
    CardComparison,
    CardPage,
    card_page,
    compare_version_cards,
)
from signoff.core.governance.workflow import in_write
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.columns import fit_columns
from signoff.ui.widgets.common import format_time, record_table
from signoff.ui.widgets.table_models import Column, RecordTableModel

Index = QModelIndex | QPersistentModelIndex
DIFFERS_TINT = "#fae5b0"
HISTORY_COLUMNS = [
    Column("Field", lambda e: e.title),
    Column("By", lambda e: e.actor),
    Column("On", lambda e: format_time(e.at)),
    Column("Reason", lambda e: e.reason, tooltip=lambda e: e.reason),
    Column("Value", lambda e: e.value.replace("\n", " "), tooltip=lambda e: e.value),
]


def _compare_columns(a: int, b: int) -> list[Column]:
    def tint(row: tuple[str, str, str, bool]) -> str | None:
        return None if row[3] else DIFFERS_TINT

    return [
        Column("Field", lambda r: r[0] + ("" if r[3] else "  ≠")),
        Column(f"v{a}", lambda r: r[1] or "not given", tooltip=lambda r: r[1], background=tint),
        Column(f"v{b}", lambda r: r[2] or "not given", tooltip=lambda r: r[2], background=tint),
    ]


def load_card(registry: Registry, model: str, number: int) -> CardPage:
    """Worker: the card as the acting person sees it."""
    with registry.read() as session:
        return card_page(session, model, number, registry.actor)


def save_card(
    registry: Registry, model: str, number: int, changes: dict[str, str], reason: str
) -> list[int]:
    """Worker: every changed field as one audited edit each, in one transaction."""

    def edit_all(session):  # noqa: ANN001, ANN202
        return [
            edit_card(session, model, number, field, value, reason=reason, actor=registry.actor)
            for field, value in changes.items()
        ]

    return in_write(registry, edit_all)


def export_card(registry: Registry, model: str, number: int, path: Path, kind: str) -> Path:
    """Worker: write the card to *path* as PDF or HTML."""
    with registry.read() as session:
        card = card_of(session, model, number)
    if kind == "pdf":
        path.write_bytes(render_card_pdf(card))
    else:
        path.write_text(render_card_html(card), encoding="utf-8")
    return path


class _RoomyRows(QStyledItemDelegate):
    """Rows of a wrapped comparison with a little air between the lines of two fields."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        size = super().sizeHint(option, index)
        return QSize(size.width(), size.height() + 8)


class _FieldEditor(QWidget):
    """One card field: its title, where the value came from, and the text."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(2)
        self.title = QLabel(f"<b>{html.escape(rk.CARD_TITLES[name])}</b>")
        self.source = QLabel("")
        self.source.setObjectName("cardFieldSource")
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.source)
        layout.addLayout(head)
        self.text = QPlainTextEdit()
        self.text.setObjectName(f"card_{name}")
        self.text.setReadOnly(True)
        self.text.setFixedHeight(self.text.fontMetrics().lineSpacing() * 3 + 14)
        layout.addWidget(self.text)
        self.original = ""

    def show_value(self, value: str, source: str) -> None:
        self.original = value
        self.text.setPlainText(value)
        self.text.setPlaceholderText("not given")
        self.source.setText(html.escape(source or "not given"))

    def changed(self) -> str | None:
        value = self.text.toPlainText().strip()
        return value if value != self.original.strip() else None


class CardTab(QWidget):
    """A version's model card: read, edit (when allowed), compare, export."""

    loaded = Signal()
    compared = Signal()
    acted = Signal(str)  # what the person was told (saved, refused, exported)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model_name, self.number = "", 0
        self.page: CardPage | None = None
        self.comparison: CardComparison | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.header = QLabel("Select a version.")
        self.header.setObjectName("cardHeader")
        self.header.setWordWrap(True)
        top.addWidget(self.header, 1)
        self.edit_button = QPushButton("Edit")
        self.edit_button.setObjectName("editCard")
        self.edit_button.setCheckable(True)
        self.edit_button.toggled.connect(self._set_editing)
        top.addWidget(self.edit_button)
        top.addWidget(QLabel("Compare with"))
        self.other = QComboBox()
        self.other.setObjectName("compareCardWith")
        top.addWidget(self.other)
        self.compare_button = QPushButton("Compare")
        self.compare_button.clicked.connect(lambda: self.compare_with(self.other.currentData()))
        top.addWidget(self.compare_button)
        self.pdf_button = QPushButton("Export PDF…")
        self.pdf_button.clicked.connect(lambda: self.choose_export("pdf"))
        self.html_button = QPushButton("Export HTML…")
        self.html_button.clicked.connect(lambda: self.choose_export("html"))
        top.addWidget(self.pdf_button)
        top.addWidget(self.html_button)
        layout.addLayout(top)
        self.stack = QStackedWidget()
        self.stack.addWidget(self._card_view())
        self.stack.addWidget(self._compare_view())
        layout.addWidget(self.stack, 1)
        self.message = QLabel("")
        self.message.setObjectName("cardMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)

    def _card_view(self) -> QWidget:
        scroll = QScrollArea()
        scroll.setObjectName("cardScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget()
        grid = QGridLayout(content)
        grid.setContentsMargins(0, 0, 8, 0)
        self.fields: dict[str, _FieldEditor] = {}
        for i, name in enumerate(rk.CARD_FIELDS):
            editor = _FieldEditor(name)
            self.fields[name] = editor
            grid.addWidget(editor, i // 2, i % 2)
        row = len(rk.CARD_FIELDS) // 2 + 1
        save = QHBoxLayout()
        self.reason = QLineEdit()
        self.reason.setObjectName("cardReason")
        self.reason.setPlaceholderText("Why the card changes (required, recorded with each edit)")
        save.addWidget(self.reason, 1)
        self.save_button = QPushButton("Save changes")
        self.save_button.setObjectName("saveCard")
        self.save_button.clicked.connect(self.save)
        save.addWidget(self.save_button)
        self.save_row = QWidget()
        self.save_row.setLayout(save)
        self.save_row.hide()
        grid.addWidget(self.save_row, row, 0, 1, 2)
        self.history_label = QLabel("<b>Edits</b>")
        grid.addWidget(self.history_label, row + 1, 0, 1, 2)
        self.history = RecordTableModel(HISTORY_COLUMNS, self)
        self.history_table = record_table(self.history, "cardHistory", wrap=False)
        fit_columns(self.history_table)
        self.history_table.setMinimumHeight(110)
        grid.addWidget(self.history_table, row + 2, 0, 1, 2)
        scroll.setWidget(content)
        return scroll

    def _compare_view(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.compare_header = QLabel("")
        self.compare_header.setObjectName("cardCompareHeader")
        self.compare_header.setWordWrap(True)
        top.addWidget(self.compare_header, 1)
        back = QPushButton("Back to the card")
        back.clicked.connect(lambda: self.stack.setCurrentIndex(0))
        top.addWidget(back)
        layout.addLayout(top)
        self.compare_model = RecordTableModel(_compare_columns(0, 0), self)
        self.compare_table = record_table(self.compare_model, "cardCompare", wrap=True)
        self.compare_table.setItemDelegate(_RoomyRows(self.compare_table))
        header = self.compare_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.compare_table.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        layout.addWidget(self.compare_table, 1)
        return box

    # -- loading --------------------------------------------------------------------------
    def show_version(self, model: str, number: int) -> None:
        """Load ``model vNUMBER``'s card in the worker (and show the card, not a comparison)."""
        self.model_name, self.number = model, number
        self.stack.setCurrentIndex(0)
        self.edit_button.setChecked(False)
        self.reload()

    def reload(self) -> None:
        if not self.model_name:
            return
        self.ctx.run(
            load_card,
            self.model_name,
            self.number,
            key=f"card-tab-{id(self)}",
            on_result=self._show,
            on_error=lambda exc: self.header.setText(
                f"Could not load the model card: {html.escape(str(exc))}"
            ),
        )

    def _show(self, page: CardPage) -> None:
        if (page.card.model, page.card.number) != (self.model_name, self.number):
            return
        self.page = page
        given = sum(1 for f in page.card.fields if f.value)
        self.header.setText(
            f"<b>{given} of {len(page.card.fields)}</b> fields given · {len(page.history)} edit(s)"
        )
        for f in page.card.fields:
            self.fields[f.name].show_value(f.value, f.source)
        self.edit_button.setEnabled(not page.refusal)
        self.edit_button.setToolTip(page.refusal or "Edit the card (each change is audited)")
        self.other.clear()
        for n in page.versions:
            self.other.addItem(f"v{n}", n)
        self.compare_button.setEnabled(bool(page.versions))
        self.history.set_records(page.history)
        self.history_label.setText(
            "<b>Edits</b>" + ("" if page.history else ": none yet (every field is as published)")
        )
        self.loaded.emit()

    def card(self) -> ModelCard | None:
        return self.page.card if self.page else None

    # -- editing --------------------------------------------------------------------------
    def _set_editing(self, on: bool) -> None:
        for editor in self.fields.values():
            editor.text.setReadOnly(not on)
            if not on and self.page is not None:
                editor.text.setPlainText(editor.original)
        self.save_row.setVisible(on)
        self.edit_button.setText("Cancel editing" if on else "Edit")

    def save(self) -> None:
        """Save every changed field with the reason, in the worker."""
        changes = {
            name: value for name, editor in self.fields.items() if (value := editor.changed())
        }
        if not changes:
            self._said("Nothing changed: edit a field first.")
            return
        self.ctx.run(
            save_card,
            self.model_name,
            self.number,
            changes,
            self.reason.text(),
            key=f"card-save-{id(self)}",
            on_result=lambda ids: self._saved(len(ids)),
            on_error=lambda exc: self._said(f"Not saved: {exc}"),
        )

    def _saved(self, count: int) -> None:
        self.reason.clear()
        self.edit_button.setChecked(False)
        self._said(f"Saved {count} field(s); each edit is in the audit trail.")
        self.reload()

    # -- comparing ------------------------------------------------------------------------
    def compare_with(self, other: int | None) -> None:
        """Show this version's card beside version *other*'s (the older one on the left)."""
        if other is None:
            self._said("This model has no other version to compare with.")
            return
        a, b = sorted((int(other), self.number))
        self.ctx.read(
            compare_version_cards,
            self.model_name,
            a,
            b,
            key=f"card-compare-{id(self)}",
            on_result=self._show_comparison,
            on_error=lambda exc: self._said(f"Could not compare: {exc}"),
        )

    def _show_comparison(self, comparison: CardComparison) -> None:
        self.comparison = comparison
        self.compare_model.columns = _compare_columns(comparison.a, comparison.b)
        self.compare_model.set_records(comparison.rows)
        differing = comparison.differing
        self.compare_header.setText(
            f"<b>{html.escape(comparison.model)}</b>: v{comparison.a} and v{comparison.b}, "
            + (
                f"{len(differing)} field(s) differ (tinted, marked ≠)"
                if differing
                else "the cards are the same"
            )
        )
        self.stack.setCurrentIndex(1)
        self.compared.emit()

    # -- exporting ------------------------------------------------------------------------
    def choose_export(self, kind: str) -> None:
        """Ask where to save the card as *kind* (pdf or html), then write it in the worker."""
        name = f"{self.model_name}-v{self.number}-card.{kind}"
        chosen, _filter = QFileDialog.getSaveFileName(
            self,
            f"Export the model card as {kind.upper()}",
            str(Path.home() / name),
            "PDF (*.pdf)" if kind == "pdf" else "HTML (*.html)",
        )
        if chosen:
            self.export_to(Path(chosen), kind)

    def export_to(self, path: Path, kind: str) -> None:
        self.ctx.run(
            export_card,
            self.model_name,
            self.number,
            path,
            kind,
            key=f"card-export-{id(self)}",
            on_result=lambda p: self._said(f"Exported the card to {p}"),
            on_error=lambda exc: self._said(f"Not exported: {exc}"),
        )

    def _said(self, text: str) -> None:
        self.message.setText(html.escape(text))
        self.acted.emit(text)
