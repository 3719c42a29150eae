"""The version page's Release notes tab: the notes rendered, and compared with another version.

"Rendered" shows the Markdown under the same rules as notebooks (sanitized, offline; links are
shown, and following one asks first). "Compare" shows the notes' text side by side against any
other version of the model — by default the live one (or the previous version when this one is
live or nothing is) — with changed lines and the changed words inside them highlighted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from signoff.core.common.files import PRIVATE, atomic_write
from signoff.core.db.registry import Registry
from signoff.core.render import (
    RENDERER_VERSION,
    cache_dir_for,
    load_version_document,
    release_notes_of_versions,
)
from signoff.core.render.diff import DiffSummary, side_by_side_page
from signoff.core.render.versions import VersionChoice
from signoff.ui.version.document_tab import DocumentTab, write_private_copy
from signoff.ui.widgets.common import state_label
from signoff.ui.widgets.document_view import SafeDocumentView


@dataclass
class NotesDiff:
    """A computed comparison: the page file to show and the counts."""

    model: str
    number: int
    other: int
    path: Path
    summary: DiffSummary


def default_comparison(choices: list[VersionChoice], number: int) -> int | None:
    """The version to compare *number* with: live, else the one before, else any other."""
    others = [c for c in choices if c.number != number]
    if not others:
        return None
    live = next((c.number for c in others if c.is_live), None)
    if live is not None:
        return live
    older = [c.number for c in others if c.number < number]
    return max(older) if older else min(c.number for c in others)


def _notes_text(registry: Registry, model: str, number: int) -> str:
    document = load_version_document(registry, model, number, "release_notes")
    if document.data is None:
        return ""
    return document.data.decode("utf-8", errors="replace")


def compute_notes_diff(
    registry: Registry, model: str, number: int, other: int, other_label: str
) -> NotesDiff:
    """Worker: the side-by-side page of v*other*'s notes (left) against v*number*'s (right)."""
    this_text = _notes_text(registry, model, number)
    other_text = _notes_text(registry, model, other)
    page, summary = side_by_side_page(
        other_text, this_text, other_label, f"v{number} (this version)"
    )
    key = hashlib.sha256(f"{RENDERER_VERSION}\0{page}".encode()).hexdigest()[:32]
    folder = cache_dir_for(registry)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"diff-{key}.html"
        if not path.exists():
            atomic_write(path, page, mode=PRIVATE)
    except OSError:
        path = write_private_copy(page)
    return NotesDiff(model, number, other, path, summary)


class ReleaseNotesTab(DocumentTab):
    """The version's release notes (component role ``release_notes``) and their diff."""

    role = "release_notes"
    what = "release notes"
    missing_text = "This version has no release notes."

    def _document_area(self) -> QWidget:
        self.inner_tabs = QTabWidget()
        self.inner_tabs.setObjectName("releaseNotesModes")
        self.inner_tabs.setDocumentMode(True)
        self.inner_tabs.addTab(self.view, "Rendered")
        compare = QWidget()
        layout = QVBoxLayout(compare)
        layout.setContentsMargins(0, 4, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Compare with:"))
        self.compare_combo = QComboBox()
        self.compare_combo.setObjectName("compareWith")
        self.compare_combo.setMinimumWidth(220)
        self.compare_combo.activated.connect(lambda _i: self._load_diff())
        row.addWidget(self.compare_combo)
        self.diff_summary = QLabel("")
        self.diff_summary.setObjectName("diffSummary")
        row.addWidget(self.diff_summary, 1)
        layout.addLayout(row)
        self.diff_view = SafeDocumentView()
        self.diff_view.findResult.connect(self._show_matches)
        layout.addWidget(self.diff_view, 1)
        self.inner_tabs.addTab(compare, "Compare")
        self.inner_tabs.currentChanged.connect(self._mode_changed)
        self.diff: NotesDiff | None = None
        return self.inner_tabs

    def current_view(self) -> SafeDocumentView:
        """The rendered notes or, on the Compare page, the diff."""
        return self.diff_view if self.inner_tabs.currentIndex() == 1 else self.view

    def show_version(self, model: str, number: int) -> None:
        """Load the notes, then the list of versions to compare with (both in workers)."""
        super().show_version(model, number)
        self.diff = None
        self.compare_combo.clear()
        self.diff_summary.setText("")
        self.ctx.run(
            release_notes_of_versions,
            model,
            key=f"notes-versions-{id(self)}",
            on_result=lambda result: self._fill_choices(model, number, result),
            on_error=lambda exc: self.diff_summary.setText(str(exc)),
        )

    def _fill_choices(
        self, model: str, number: int, result: tuple[list[VersionChoice], int | None]
    ) -> None:
        if (model, number) != (self.model, self.number):
            return
        choices, _live = result
        self.compare_combo.clear()
        for choice in choices:
            if choice.number == number:
                continue
            label = f"v{choice.number} ({'live' if choice.is_live else state_label(choice.state)})"
            self.compare_combo.addItem(label, choice.number)
        default = default_comparison(choices, number)
        if default is None:
            self.compare_combo.setEnabled(False)
            self.diff_summary.setText("There is no other version to compare with.")
            return
        self.compare_combo.setEnabled(True)
        self.compare_combo.setCurrentIndex(self.compare_combo.findData(default))
        if self.inner_tabs.currentIndex() == 1:
            self._load_diff()

    def _mode_changed(self, index: int) -> None:
        if index == 1 and self.diff is None:
            self._load_diff()
        self.find(self.find_edit.text())

    def _load_diff(self) -> None:
        other = self.compare_combo.currentData()
        if other is None or self.model is None or self.number is None:
            return
        self.diff_summary.setText("Comparing…")
        model, number = self.model, self.number
        self.ctx.run(
            compute_notes_diff,
            model,
            number,
            int(other),
            self.compare_combo.currentText(),
            key=f"notes-diff-{id(self)}",
            on_result=self._on_diff,
            on_error=lambda exc: self.diff_summary.setText(f"Could not compare: {exc}"),
        )

    def _on_diff(self, diff: NotesDiff) -> None:
        if (diff.model, diff.number) != (self.model, self.number):
            return
        self.diff = diff
        self.diff_summary.setText(f"v{diff.other} → v{diff.number}: {diff.summary.describe()}")
        self.diff_view.show_file(diff.path)
