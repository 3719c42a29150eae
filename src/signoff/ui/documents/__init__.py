"""The version page's document tabs: the notebook and the release notes, rendered safely.

Rendering is :mod:`signoff.core.render`'s job; these widgets run it in a worker and show the
result in :class:`~signoff.ui.documents.view.SafeDocumentView` (see its docstring for why a
locked-down QWebEngineView was chosen over QTextBrowser).
"""
