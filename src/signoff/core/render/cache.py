"""Rendered pages cached on disk, keyed by the source's sha256 and the renderer version.

A component never changes after publish, so a page rendered once is valid forever for the same
renderer; opening a version's notebook a second time reads one file. Entries are written
atomically (temporary file + rename, the metadata file last), so a crash mid-write leaves no
half entry that would be served later. Bumping ``RENDERER_VERSION`` orphans old entries.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from signoff.core.common.files import PRIVATE, atomic_write
from signoff.core.common.progress import CancelCheck, ProgressCallback, report_progress
from signoff.core.render.document import RENDERER_VERSION, Limits, RenderedDocument

if TYPE_CHECKING:
    from signoff.core.db.registry import Registry

log = logging.getLogger(__name__)

KINDS = ("notebook", "markdown")


def cache_dir_for(registry: Registry) -> Path:
    """The render cache folder of a registry: ``<home>/cache/render`` (next to artifacts), or
    the user cache folder's for a bucket."""
    return registry.store.cache_home / "render"


class RenderCache:
    """A folder of rendered pages: ``<key>.html`` plus ``<key>.json`` (outline, report)."""

    def __init__(self, root: Path, *, writable: bool = True) -> None:
        self.root = Path(root)
        # a registry opened read-only keeps its home as it was: pages are read, never stored
        self.writable = writable

    @staticmethod
    def key(source_sha256: str, kind: str) -> str:
        """The cache key of a source: its sha256, its kind and the renderer version."""
        version = hashlib.sha256(RENDERER_VERSION.encode()).hexdigest()[:12]
        return f"{source_sha256}-{kind}-{version}"

    def html_path(self, source_sha256: str, kind: str) -> Path:
        """Where the page for this source is (or would be) stored."""
        return self.root / f"{self.key(source_sha256, kind)}.html"

    def get(self, source_sha256: str, kind: str) -> RenderedDocument | None:
        """The cached page, or None if absent or unreadable (a broken entry is a miss)."""
        html_path = self.html_path(source_sha256, kind)
        meta_path = html_path.with_suffix(".json")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            html = html_path.read_text(encoding="utf-8")
            return RenderedDocument.from_meta(html, meta)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable render cache entry %s: %s", html_path.name, exc)
            return None

    def put(self, document: RenderedDocument) -> Path:
        """Store *document*; returns the path of its HTML file.

        A "too large to show" page is not stored: it depends on the time the render had,
        and the next open should try again."""
        html_path = self.html_path(document.source_sha256, document.kind)
        if document.report.too_large:
            return html_path
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write(html_path, document.html, mode=PRIVATE)
        atomic_write(html_path.with_suffix(".json"), json.dumps(document.meta_json()), mode=PRIVATE)
        return html_path

    def render(
        self,
        data: bytes,
        kind: str,
        *,
        title: str,
        progress: ProgressCallback | None = None,
        limits: Limits | None = None,
        cancelled: CancelCheck | None = None,
    ) -> RenderedDocument:
        """The page for *data*: from the cache when present, else rendered and stored."""
        document, _from_cache = self.get_or_render(
            data, kind, title=title, progress=progress, limits=limits, cancelled=cancelled
        )
        return document

    def get_or_render(
        self,
        data: bytes,
        kind: str,
        *,
        title: str,
        progress: ProgressCallback | None = None,
        limits: Limits | None = None,
        cancelled: CancelCheck | None = None,
    ) -> tuple[RenderedDocument, bool]:
        """The page for *data* and whether it came from the cache.

        A page rendered now is stored for next time; a cache that cannot be written (a
        read-only or full disk) is logged and the page returned all the same.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown document kind {kind!r}")
        digest = hashlib.sha256(data).hexdigest()
        cached = self.get(digest, kind)
        if cached is not None:
            report_progress(progress, 1.0, "Loaded from cache")
            return cached, True
        document = render_document(
            data, kind, title=title, progress=progress, limits=limits, cancelled=cancelled
        )
        if not self.writable:
            return document, False
        try:
            self.put(document)
        except OSError as exc:  # a read-only or full disk must not stop a reviewer reading
            log.warning("could not write render cache: %s", exc)
        return document, False


def render_document(
    data: bytes,
    kind: str,
    *,
    title: str,
    progress: ProgressCallback | None = None,
    limits: Limits | None = None,
    cancelled: CancelCheck | None = None,
) -> RenderedDocument:
    """Render *data* as a notebook or Markdown document (no cache)."""
    if kind == "notebook":
        from signoff.core.render.notebook import render_notebook

        return render_notebook(
            data, title=title, progress=progress, limits=limits, cancelled=cancelled
        )
    from signoff.core.render.markdown import render_markdown

    return render_markdown(data, title=title, progress=progress, limits=limits, cancelled=cancelled)
