"""Documents rendered faithfully, offline and safely: notebooks and Markdown → sanitized HTML.

The public face of the renderer, shared by the GUI tabs, the ``signoff render`` command, reports
and tests::

    render_notebook(data, title=..., progress=...) -> RenderedDocument
    render_markdown(data, title=..., progress=...) -> RenderedDocument
    render_path(path) -> RenderedDocument             # by file extension
    RenderCache(folder).render(data, kind, title=...)  # cached by sha256 + renderer version
    version_document(registry, model, number, role)    # a version's notebook / release notes

Every page is complete HTML with CSS inline, no script, and nothing to fetch.
"""

from __future__ import annotations

from pathlib import Path

from signoff.core.common.progress import CancelCheck, ProgressCallback
from signoff.core.render.cache import RenderCache, cache_dir_for, render_document
from signoff.core.render.document import (
    RENDERER_VERSION,
    Limits,
    RenderedDocument,
    RenderError,
    RenderReport,
    TocEntry,
    TooLargeToShow,
)
from signoff.core.render.markdown import markdown_to_safe_html, render_markdown
from signoff.core.render.notebook import render_notebook
from signoff.core.render.sanitize import sanitize_html
from signoff.core.render.versions import (
    VersionDocument,
    load_version_document,
    release_notes_of_versions,
)

__all__ = [
    "RENDERER_VERSION",
    "Limits",
    "ProgressCallback",
    "RenderCache",
    "RenderError",
    "RenderReport",
    "RenderedDocument",
    "TocEntry",
    "TooLargeToShow",
    "VersionDocument",
    "cache_dir_for",
    "kind_for_path",
    "load_version_document",
    "markdown_to_safe_html",
    "release_notes_of_versions",
    "render_document",
    "render_markdown",
    "render_notebook",
    "render_path",
    "sanitize_html",
]

SUFFIX_KINDS = {
    ".ipynb": "notebook",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "markdown",
}


def kind_for_path(path: Path) -> str:
    """``notebook`` or ``markdown`` from a file name; RenderError for anything else."""
    kind = SUFFIX_KINDS.get(Path(path).suffix.lower())
    if kind is None:
        raise RenderError(
            f"expected a .ipynb notebook or a .md Markdown file, not "
            f"'{Path(path).suffix or Path(path).name}'"
        )
    return kind


def render_path(
    path: Path,
    progress: ProgressCallback | None = None,
    limits: Limits | None = None,
    cancelled: CancelCheck | None = None,
) -> RenderedDocument:
    """Render the notebook or Markdown file at *path* (kind chosen by its extension)."""
    path = Path(path)
    kind = kind_for_path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise RenderError("no such file") from exc
    except IsADirectoryError as exc:
        raise RenderError("it is a folder, not a file") from exc
    except OSError as exc:
        raise RenderError(f"cannot read it: {exc.strerror or exc}") from exc
    return render_document(
        data, kind, title=path.name, progress=progress, limits=limits, cancelled=cancelled
    )
