"""The application shell: the QApplication, the main window, its areas and dialogs."""
