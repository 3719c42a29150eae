"""The version page's Notebook tab: the development notebook as its author saw it, safely.

Rendered offline with nbconvert and sanitized (:mod:`signoff.core.render`), cached by the
notebook's sha256, shown in the locked-down view with a table of contents, find and zoom.
"""

from __future__ import annotations

from signoff.ui.version.document_tab import DocumentTab


class NotebookTab(DocumentTab):
    """The version's notebook (component role ``notebook``)."""

    role = "notebook"
    what = "notebook"
    missing_text = (
        "This version has no notebook. A notebook is published with "
        "'notebook = \"analysis.ipynb\"' in the manifest's [version] table."
    )
