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
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from signoff.core.render.document import (
    RENDERER_VERSION,
    Limits,
    ProgressCallback,
    RenderedDocument,
    report_progress,
)

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

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

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
        """Store *document*; returns the path of its HTML file."""
        self.root.mkdir(parents=True, exist_ok=True)
        html_path = self.html_path(document.source_sha256, document.kind)
        _atomic_write(html_path, document.html)
        _atomic_write(html_path.with_suffix(".json"), json.dumps(document.meta_json()))
        return html_path

    def render(
        self,
        data: bytes,
        kind: str,
        *,
        title: str,
        progress: ProgressCallback | None = None,
        limits: Limits | None = None,
    ) -> RenderedDocument:
        """The page for *data*: from the cache when present, else rendered and stored."""
        if kind not in KINDS:
            raise ValueError(f"unknown document kind {kind!r}")
        digest = hashlib.sha256(data).hexdigest()
        cached = self.get(digest, kind)
        if cached is not None:
            report_progress(progress, 1.0, "Loaded from cache")
            return cached
        document = render_document(data, kind, title=title, progress=progress, limits=limits)
        try:
            self.put(document)
        except OSError as exc:  # a read-only or full disk must not stop a reviewer reading
            log.warning("could not write render cache: %s", exc)
        return document


def render_document(
    data: bytes,
    kind: str,
    *,
    title: str,
    progress: ProgressCallback | None = None,
    limits: Limits | None = None,
) -> RenderedDocument:
    """Render *data* as a notebook or Markdown document (no cache)."""
    if kind == "notebook":
        from signoff.core.render.notebook import render_notebook

        return render_notebook(data, title=title, progress=progress, limits=limits)
    from signoff.core.render.markdown import render_markdown

    return render_markdown(data, title=title, progress=progress, limits=limits)


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
