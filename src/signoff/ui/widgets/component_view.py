"""Viewing one component: text read-only with highlighting, binaries and external data described.

The content is read from the artifact store (its hash re-checked) in a worker; a hash that no
longer matches is reported as such, never shown as if it were the approved content.
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from signoff.core.catalog import version_page
from signoff.core.catalog.component_ref import ComponentRef
from signoff.core.catalog.version_page import ComponentContent
from signoff.ui.services.context import AppContext
from signoff.ui.widgets.code_highlighter import CodeHighlighter
from signoff.ui.widgets.common import format_size


def monospace_font() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSize(max(9, font.pointSize()))
    return font


class ComponentView(QWidget):
    """A read-only view of one component's content."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.content: ComponentContent | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.header = QLabel("")
        self.header.setObjectName("componentHeader")
        self.header.setWordWrap(True)
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("componentText")
        self.editor.setReadOnly(True)
        self.editor.setFont(monospace_font())
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.highlighter: CodeHighlighter | None = None
        layout.addWidget(self.header)
        layout.addWidget(self.editor, 1)

    def show_component(self, component: ComponentRef) -> None:
        """Load *component*'s content in a worker and show it."""
        where = component.path or component.uri or component.name
        self.header.setText(
            f"<b>{component.kind.replace('_', ' ')}</b> · {where} · "
            f"{format_size(component.size)} · sha256 <code>{component.sha256 or '—'}</code>"
        )
        self.editor.setPlainText("Reading from the artifact store…")
        self.ctx.run(
            version_page.component_content,
            component,
            key=f"component-{id(self)}",
            on_result=self._show,
            on_error=self._failed,
        )

    def _show(self, content: ComponentContent) -> None:
        self.content = content
        if self.highlighter is not None:
            self.highlighter.setDocument(None)
            self.highlighter = None
        if content.text is None:
            self.editor.setPlainText(content.description)
            return
        self.highlighter = CodeHighlighter(self.editor.document(), content.language)
        self.editor.setPlainText(content.text)

    def _failed(self, exc: BaseException) -> None:
        self.editor.setPlainText(f"This component could not be shown:\n\n{exc}")


class ComponentDialog(QDialog):
    """A window showing one component (opened from the dimensions matrix)."""

    def __init__(
        self, ctx: AppContext, component: ComponentRef, title: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(860, 620)
        layout = QVBoxLayout(self)
        self.view = ComponentView(ctx)
        layout.addWidget(self.view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.view.show_component(component)
