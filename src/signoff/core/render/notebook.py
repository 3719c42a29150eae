"""Notebook → sanitized, offline HTML with nbconvert's HTMLExporter.

Pipeline: :func:`~signoff.core.render.notebook_input.load_notebook` (clear errors) →
:func:`~signoff.core.render.notebook_input.clean_notebook` (limits, only renderable parts) →
nbconvert's JupyterLab template, restricted to the cells (``resources/render/templates/signoff``:
no ``<head>``, so no require.js, MathJax, widget or mermaid scripts from a CDN) → the nh3
sanitizer over every rendered chunk → the trusted page shell with shipped CSS.

``embed_images`` stays off on purpose: it would read image files named by the notebook's
Markdown from the reviewer's disk. Attachments (``attachment:name``) are still embedded.

Large notebooks are converted in chunks of cells so progress can be reported and a cancelled
worker stops between chunks.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from functools import lru_cache
from importlib.resources import as_file, files
from typing import TYPE_CHECKING, Any

from signoff.core.common.errors import Cancelled
from signoff.core.common.progress import (
    CancelCheck,
    ProgressCallback,
    check_cancelled,
    report_progress,
)
from signoff.core.render.document import Limits, RenderedDocument, RenderError, RenderReport
from signoff.core.render.mathtext import render_math_in_html
from signoff.core.render.notebook_input import clean_notebook, load_notebook
from signoff.core.render.page import add_heading_anchors, build_page, notebook_css
from signoff.core.render.sanitize import Sanitizer

if TYPE_CHECKING:  # nbconvert is imported when the first notebook is rendered
    from nbconvert import HTMLExporter
    from nbformat import NotebookNode

log = logging.getLogger(__name__)

CHUNK_CELLS = 40
_local = threading.local()


def _template_dir() -> str:
    resource = files("signoff") / "resources" / "render" / "templates"
    with as_file(resource) as path:  # a real folder in both checkouts and wheels
        return str(path)


class CodeHighlighter:
    """The ``highlight_code`` filter: Pygments HTML for a code cell, never a warning.

    nbconvert's own filter imports IPython for the ``ipython3`` lexer and warns when it is
    missing; Signoff takes the IPython lexers from the small ``ipython-pygments-lexers``
    package (a declared dependency, registered with Pygments under ``ipython3``), so a clean
    install highlights magics and shell escapes as Jupyter does without pulling in IPython.
    A name Pygments does not know (a cell's ``magics_language``, say) falls back to plain text.
    """

    def __init__(self, default_language: str | None) -> None:
        self.default_language = default_language or "ipython3"

    def __call__(
        self, source: str, language: str | None = None, metadata: dict[str, Any] | None = None
    ) -> str:
        from html import escape

        from pygments import highlight
        from pygments.formatters import HtmlFormatter

        language = language or self.default_language
        if language.startswith("ipython") and metadata and "magics_language" in metadata:
            language = str(metadata["magics_language"])
        formatter = HtmlFormatter(cssclass=escape(f" highlight hl-{language}"))
        return highlight(source or " ", _lexer(language), formatter)


@lru_cache(maxsize=64)
def _lexer(language: str) -> Any:
    from pygments.lexers import get_lexer_by_name
    from pygments.lexers.special import TextLexer
    from pygments.util import ClassNotFound

    if language == "ipython2":  # Python 2 is gone; its notebooks read fine as IPython 3
        language = "ipython3"
    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return TextLexer()


def _make_exporter() -> HTMLExporter:
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class SignoffExporter(HTMLExporter):
        """HTMLExporter minus the work our own pipeline makes redundant.

        * ``clean_html`` (bleach over every highlighted cell) becomes the identity: nh3
          sanitizes the whole rendered chunk afterwards, stricter and ~100x faster.
        * The BeautifulSoup pass HTMLExporter adds (alt text, tabindex) is skipped.
        * Re-validating the notebook with jsonschema after each preprocessor is skipped:
          the notebook was rebuilt by :func:`clean_notebook` and has a known-good shape.
        Together these take a 200-cell notebook from slower than plain nbconvert to faster.
        """

        # nbconvert's template exporters return the HTML text where Exporter returns a
        # notebook, and nbconvert silences the same override check on its own classes
        def from_notebook_node(  # type: ignore[override]
            self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
        ) -> tuple[str, dict[str, Any]]:
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            resources = self._init_resources(resources)
            self.register_filter("highlight_code", CodeHighlighter(lexer))
            self.register_filter(
                "filter_data_type",
                WidgetsDataTypeFilter(
                    notebook_metadata=self._nb_metadata, parent=self, resources=resources
                ),
            )
            self.register_filter("clean_html", lambda text: text)
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

        def _validate_preprocessor(self, nbc: NotebookNode, preprocessor: object) -> None:
            return None

    return SignoffExporter(
        template_name="signoff",
        extra_template_basedirs=[_template_dir()],
        exclude_anchor_links=True,
        embed_images=False,
        sanitize_html=False,  # our sanitizer runs over all of it afterwards
    )


def _exporter() -> HTMLExporter:
    """One exporter per thread (building one costs ~0.1 s; they are not shared)."""
    exporter = getattr(_local, "exporter", None)
    if exporter is None:
        exporter = _make_exporter()
        exporter.log.setLevel(logging.ERROR)
        _local.exporter = exporter
    return exporter


def _convert_cells(nb: dict[str, Any]) -> str:
    import nbformat

    body, _resources = _exporter().from_notebook_node(nbformat.from_dict(nb))
    return body


def render_notebook(
    data: bytes | str,
    *,
    title: str = "Notebook",
    progress: ProgressCallback | None = None,
    limits: Limits | None = None,
    cancelled: CancelCheck | None = None,
) -> RenderedDocument:
    """Render notebook JSON to a complete, sanitized, offline HTML page.

    Promises: the page contains no script, no event handler, no ``javascript:``/``data:``
    link and nothing the view would fetch (remote images become visible placeholders); a
    malformed notebook raises :class:`RenderError` naming the problem; content beyond
    *limits* is replaced by a visible note. *progress* is called with fractions in [0, 1];
    *cancelled* is asked between chunks of cells, and raises Cancelled when it says to stop.
    """
    limits = limits or Limits()
    raw = data.encode("utf-8") if isinstance(data, str) else data
    digest = hashlib.sha256(raw).hexdigest()
    report_progress(progress, 0.0, "Reading notebook")
    nb = load_notebook(raw, limits)
    report = RenderReport()
    clean = clean_notebook(nb, limits, report)
    cells = clean["cells"]
    sanitizer = Sanitizer(report)
    parts: list[str] = []
    total = max(1, len(cells))
    try:
        for start in range(0, len(cells), CHUNK_CELLS):
            check_cancelled(cancelled, "the render")
            chunk = dict(clean, cells=cells[start : start + CHUNK_CELLS])
            report_progress(
                progress,
                0.05 + 0.9 * start / total,
                f"Rendering cells {start + 1}-{min(start + CHUNK_CELLS, total)} of {len(cells)}",
            )
            parts.append(sanitizer.clean(render_math_in_html(_convert_cells(chunk))))
    except (RenderError, Cancelled):
        raise
    except Exception as exc:  # nbconvert/Jinja failing on odd input: a message, not a crash
        log.warning("nbconvert failed: %s", exc, exc_info=True)
        raise RenderError(f"the notebook could not be converted: {exc}") from exc
    body, toc = add_heading_anchors("".join(parts))
    page = build_page(
        title,
        body,
        notebook_css(),
        report,
        body_class="jp-Notebook",
        body_attrs='data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light"',
    )
    report_progress(progress, 1.0, "Rendered")
    return RenderedDocument(
        html=page, title=title, toc=toc, report=report, source_sha256=digest, kind="notebook"
    )
