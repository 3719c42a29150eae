"""The facet panel of the inventory: business unit, tier, state and flag check boxes.

Within a facet the ticked values are alternatives (OR); across facets they combine (AND),
which is what :class:`signoff.core.catalog.inventory.InventoryQuery` means.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QGroupBox, QPushButton, QVBoxLayout, QWidget

from signoff.core.catalog.inventory import FLAGS
from signoff.ui.widgets.common import state_label

FLAG_TITLES = {
    "stale": "Stale",
    "open_review": "Open review",
    "dnu_consumed": "Do-not-use still consumed",
    "dnu_used": "Do-not-use still used",
}
FACETS = (
    ("business_unit", "Business unit"),
    ("risk_tier", "Risk tier"),
    ("state", "State"),
    ("flag", "Flags"),
)


class FacetPanel(QWidget):
    """Check boxes per facet value; emits ``changed`` whenever a tick changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("facetPanel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.groups: dict[str, QGroupBox] = {}
        self.boxes: dict[str, dict[str, QCheckBox]] = {}
        for key, title in FACETS:
            group = QGroupBox(title)
            QVBoxLayout(group).setContentsMargins(6, 4, 6, 4)
            layout.addWidget(group)
            self.groups[key] = group
            self.boxes[key] = {}
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.clicked.connect(self.clear)
        layout.addWidget(self.clear_button)
        layout.addStretch(1)
        self.set_values({"flag": list(FLAGS)})

    def set_values(self, values: dict[str, list[str]]) -> None:
        """Offer these values per facet, keeping the ticks of values still offered."""
        blocked = self.blockSignals(True)
        try:
            for key, options in values.items():
                group = self.groups[key].layout()
                assert group is not None  # each group box got its layout in __init__
                old = self.boxes[key]
                ticked = {v for v, box in old.items() if box.isChecked()}
                for box in old.values():
                    group.removeWidget(box)
                    box.deleteLater()
                self.boxes[key] = {}
                for value in options:
                    text = (
                        FLAG_TITLES.get(value, value)
                        if key == "flag"
                        else (state_label(value) if key == "state" else value)
                    )
                    box = QCheckBox(text)
                    box.setChecked(value in ticked)
                    box.toggled.connect(self.changed)
                    group.addWidget(box)
                    self.boxes[key][value] = box
        finally:
            self.blockSignals(blocked)

    def selected(self, key: str) -> list[str]:
        return [v for v, box in self.boxes[key].items() if box.isChecked()]

    def tick(self, key: str, value: str, on: bool = True) -> None:
        """Tick (or untick) one value, as a click would."""
        box = self.boxes[key].get(value)
        if box is not None:
            box.setChecked(on)

    def clear(self) -> None:
        """Untick everything (one ``changed`` signal)."""
        blocked = self.blockSignals(True)
        for boxes in self.boxes.values():
            for box in boxes.values():
                box.setChecked(False)
        self.blockSignals(blocked)
        self.changed.emit()
