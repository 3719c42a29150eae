"""The application object and main window start-up (placeholder until the browser lands)."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from signoff.core.db import Registry


def run_app(registry: Registry) -> int:
    """Show the main window on *registry* and run the event loop."""
    app = QApplication.instance() or QApplication(sys.argv)
    window = QMainWindow()
    window.setWindowTitle(f"Signoff — {registry.display_url}")
    window.setCentralWidget(QLabel("Signoff"))
    window.resize(1200, 800)
    window.show()
    return app.exec()
