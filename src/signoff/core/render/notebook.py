"""Notebook → sanitized, offline HTML: every cell accounted for, in bounded time and memory.

Pipeline: :func:`~signoff.core.render.notebook_input.load_notebook` (clear errors, a memory
estimate before parsing, nbformat 2/3 upgraded) → each cell and each output rendered and
sanitized on its own (:mod:`signoff.core.render.cells`, :mod:`signoff.core.render.outputs`), so
nothing one output leaves open can reach the next → nbconvert's JupyterLab template places the
pieces in JupyterLab's structure (``resources/render/templates/signoff``: no ``<head>``, so no
require.js, MathJax, widget or mermaid scripts from a CDN) → the sanitizer once more over the
assembled markup, as a second wall → the trusted page shell with shipped CSS.

The page has one ``jp-Cell`` per cell and one ``jp-OutputArea-child`` per output, whatever the
content; what cannot be shown is a visible note in its place. One :class:`RenderClock` per
render gives progress, cancellation between bounded steps and the time budget; past it, or past
the memory estimate, the page says "too large to show" rather than hanging.

``embed_images`` stays off on purpose: it would read image files named by the notebook's
Markdown from the reviewer's disk. Attachments (``attachment:name``) are still embedded.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from importlib.resources import as_file, files
from typing import Any

from markupsafe import Markup

from signoff.core.render.budget import RenderClock
from signoff.core.render.cells import CellRenderer
from signoff.core.render.document import (
    CancelCheck,
    Limits,
    ProgressCallback,
    RenderedDocument,
    RenderError,
    RenderReport,
    TooLargeToShow,
)
from signoff.core.render.markdown import MarkdownRenderer
from signoff.core.render.mathtext import MathBudget
from signoff.core.render.notebook_input import load_notebook, notebook_language
from signoff.core.render.outputs import SHOWN, OutputRenderer
from signoff.core.render.page import (
    add_heading_anchors,
    build_page,
    notebook_css,
    too_large_page,
)
from signoff.core.render.sanitize import Sanitizer, notice_html

log = logging.getLogger(__name__)

CHUNK_CELLS = 40  # cells placed by one template call ...
CHUNK_BYTES = 2_000_000  # ... or fewer, once their rendered pieces reach this size
_local = threading.local()
BODY_ATTRS = 'data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light"'


def _template_dir() -> str:
    resource = files("signoff") / "resources" / "render" / "templates"
    with as_file(resource) as path:  # a real folder in both checkouts and wheels
        return str(path)


def _passthrough(value: Any, *_args: Any, **_kwargs: Any) -> Any:
    """Filters the template applies to content: already rendered here, so kept as is."""
    if isinstance(value, Markup):
        return value
    from html import escape

    return Markup(escape(str(value), quote=False))


def _first_shown(data: dict[str, Any]) -> list[str]:
    return [mime for mime in SHOWN if mime in data][:1]


class _Template:
    """nbconvert's exporter reduced to its template: one per thread (building one ~0.1 s)."""

    def __init__(self) -> None:
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(
            template_name="signoff",
            extra_template_basedirs=[_template_dir()],
            exclude_anchor_links=True,
            embed_images=False,
            sanitize_html=False,  # each piece was sanitized on its own; the wall runs after
        )
        exporter.log.setLevel(logging.ERROR)
        for name in ("highlight_code", "ansi2html", "markdown2html", "strip_files_prefix"):
            exporter.register_filter(name, _passthrough)
        exporter.register_filter("clean_html", lambda text: text)
        exporter.register_filter("filter_data_type", _first_shown)
        resources = exporter._init_resources({})
        resources["raw_mimetypes"] = exporter.raw_mimetypes
        resources["output_mimetype"] = exporter.output_mimetype
        resources["global_content_filter"] = {
            "include_code": True,
            "include_markdown": True,
            "include_raw": True,
            "include_unknown": True,
            "include_input": True,
            "include_output": True,
            "include_output_stdin": True,
            "include_input_prompt": True,
            "include_output_prompt": True,
            "no_prompt": False,
        }
        self.resources = resources
        self.template = exporter.template

    def render(self, cells: list[dict[str, Any]]) -> str:
        nb = {"cells": cells, "metadata": {}}
        return self.template.render(nb=nb, resources=self.resources)


def _template() -> _Template:
    template = getattr(_local, "template", None)
    if template is None:
        template = _local.template = _Template()
    return template


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
    link and nothing the view would fetch (remote images become visible placeholders); it has
    one cell element per cell of the notebook and one output element per output, each showing
    the content or a note saying what is not shown and why; a malformed notebook raises
    :class:`RenderError` naming the problem; a notebook past the time or memory budget gives a
    "too large to show" page. *progress* is called with fractions in [0, 1] at least every
    0.1 s of work, and may raise to cancel the render.
    """
    limits = limits or Limits()
    raw = data.encode("utf-8") if isinstance(data, str) else data
    digest = hashlib.sha256(raw).hexdigest()
    report = RenderReport()
    clock = RenderClock(limits, progress, cancelled)
    try:
        clock.report(0.0, "Reading notebook")
        nb = load_notebook(raw, limits, clock)
        body = _render_cells(nb, limits, report, clock)
    except TooLargeToShow as exc:
        report.too_large = str(exc)
        page = too_large_page(title, str(exc), notebook_css())
        clock.finish("Too large to show")
        return RenderedDocument(
            html=page, title=title, toc=[], report=report, source_sha256=digest, kind="notebook"
        )
    body, toc = add_heading_anchors(body)
    page = build_page(
        title, body, notebook_css(), report, body_class="jp-Notebook", body_attrs=BODY_ATTRS
    )
    clock.finish("Rendered")
    return RenderedDocument(
        html=page, title=title, toc=toc, report=report, source_sha256=digest, kind="notebook"
    )


def _render_cells(
    nb: dict[str, Any], limits: Limits, report: RenderReport, clock: RenderClock
) -> str:
    cells = nb["cells"]
    report.cells = len(cells)
    sanitizer = Sanitizer(report, limits)
    sanitizer.tick = clock.tick
    math = MathBudget(limits, report, clock.tick)
    markdown = MarkdownRenderer(sanitizer, math, clock)
    outputs = OutputRenderer(limits, report, clock, sanitizer, math, markdown)
    renderer = CellRenderer(
        limits, report, clock, sanitizer, markdown, outputs, notebook_language(nb)
    )
    template = _template()
    parts: list[str] = []
    if "signoff_newer_format" in nb:
        parts.append(
            notice_html(
                f"This notebook is nbformat {nb['signoff_newer_format']}, newer than the "
                "format 4 Signoff knows; it is shown as format 4."
            )
        )
    shown = cells[: limits.max_cells]
    total = max(1, len(shown))
    chunk: list[dict[str, Any]] = []
    chunk_size = 0
    for index, cell in enumerate(shown, start=1):
        clock.tick(0.05 + 0.9 * index / total, f"Rendering cell {index:,} of {len(shown):,}")
        rendered = renderer.render(cell, index)
        cells[index - 1] = None  # the parsed cell is no longer needed: keep memory flat
        chunk.append(rendered)
        chunk_size += _size(rendered)
        if len(chunk) >= CHUNK_CELLS or chunk_size >= CHUNK_BYTES:
            parts.append(_place(template, chunk, sanitizer))
            chunk, chunk_size = [], 0
    if chunk:
        parts.append(_place(template, chunk, sanitizer))
    if len(cells) > limits.max_cells:
        note = (
            f"The notebook has {len(cells):,} cells; the first {limits.max_cells:,} are "
            f"shown and {len(cells) - limits.max_cells:,} were left out."
        )
        report.truncated.append(note)
        parts.append(notice_html(note))
    return "".join(parts)


def _size(cell: dict[str, Any]) -> int:
    size = len(cell.get("source", ""))
    for output in cell.get("outputs", ()):
        for value in output.get("data", {}).values():
            size += len(value)
        size += len(output.get("text", "")) + sum(len(t) for t in output.get("traceback", ()))
    return size


def _place(template: _Template, cells: list[dict[str, Any]], sanitizer: Sanitizer) -> str:
    try:
        markup = template.render(cells)
    except Exception as exc:  # Jinja failing on odd input: a message, not a crash
        log.warning("the notebook template failed: %s", exc, exc_info=True)
        raise RenderError(f"the notebook could not be converted: {exc}") from exc
    return sanitizer.wall(markup)
