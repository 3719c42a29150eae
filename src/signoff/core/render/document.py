"""What a render produces: a self-contained, sanitized, offline HTML page plus its outline.

The renderer's output is the unit the cache stores, the command line writes and the GUI shows,
so all three agree byte for byte. ``RENDERER_VERSION`` is part of every cache key: bump it
whenever the output of the same input changes (sanitizer rules, template, CSS).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from signoff.core.common.errors import SignoffError
from signoff.core.common.progress import CancelCheck, ProgressCallback

__all__ = ["CancelCheck", "ProgressCallback"]  # the render package's callbacks, from one place

RENDERER_VERSION = "signoff-render-3"


class RenderError(SignoffError):
    """A document cannot be rendered (bad JSON, unsupported format, missing keys, too big)."""


class TooLargeToShow(RenderError):
    """A render ran past its time or memory budget; the page says so instead of hanging."""


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile or huge document from hanging the renderer.

    Content beyond a limit is dropped with a visible note in the page, never silently.
    """

    max_cells: int = 10_000  # cells rendered; the rest are summarised in a note
    max_output_bytes: int = 5_000_000  # one output larger is cut (text) or replaced (images)
    max_total_output_bytes: int = 60_000_000  # all outputs together
    max_file_bytes: int = 300_000_000  # refuse to even parse a file larger than this
    max_markdown_bytes: int = 5_000_000  # release notes larger are truncated
    max_markdown_cell_bytes: int = 1_000_000  # one Markdown cell; the rest is cut with a note
    max_depth: int = 200  # HTML nesting kept in one output; deeper tags are flattened
    max_attributes: int = 64  # attributes kept on one HTML tag
    max_highlighted_bytes: int = 1_000_000  # code coloured per document; the rest is plain
    max_formulas: int = 400  # formulas drawn per document; the rest stay TeX source
    max_formula_chars: int = 1500  # a longer formula stays TeX source
    max_math_seconds: float = 20.0  # drawing formulas, per document
    max_seconds: float = 120.0  # one whole render; past it the page says "too large to show"
    memory_factor: float = 4.0  # peak memory allowed: factor x file size + memory_base_bytes
    memory_base_bytes: int = 300_000_000


@dataclass(frozen=True)
class TocEntry:
    """One heading of the document: its level (1-6), text, and the anchor id in the page."""

    level: int
    text: str
    anchor: str


@dataclass
class RenderReport:
    """What the sanitizer and the limits did, for the notice at the top of the page and tests."""

    blocked_remote: list[str] = field(default_factory=list)  # remote URLs not loaded
    removed_scripts: int = 0  # script elements / JavaScript outputs dropped
    truncated: list[str] = field(default_factory=list)  # human-readable truncation notes
    images: int = 0  # embedded images kept
    cells: int = 0  # cells in the source notebook (0 for Markdown)
    outputs: int = 0  # outputs in the source notebook
    not_shown: int = 0  # outputs, attachments or cells replaced by a visible notice
    too_large: str = ""  # set when the page says "too large to show" instead of the document

    def note_remote(self, url: str) -> None:
        """Record a remote URL that was replaced by a placeholder."""
        if len(self.blocked_remote) < 1000:
            self.blocked_remote.append(url[:300])


@dataclass
class RenderedDocument:
    """A rendered page: ``html`` is a complete document needing nothing from the network."""

    html: str
    title: str
    toc: list[TocEntry]
    report: RenderReport
    source_sha256: str
    kind: str  # "notebook" or "markdown"
    renderer_version: str = RENDERER_VERSION

    def meta_json(self) -> dict[str, Any]:
        """Everything except the HTML, as JSON-friendly data (stored next to a cached page)."""
        return {
            "title": self.title,
            "toc": [asdict(t) for t in self.toc],
            "report": asdict(self.report),
            "source_sha256": self.source_sha256,
            "kind": self.kind,
            "renderer_version": self.renderer_version,
        }

    @classmethod
    def from_meta(cls, html: str, meta: dict[str, Any]) -> RenderedDocument:
        """Rebuild a document from :meth:`meta_json` output and its HTML."""
        return cls(
            html=html,
            title=str(meta.get("title", "")),
            toc=[
                TocEntry(int(t["level"]), str(t["text"]), str(t["anchor"]))
                for t in meta.get("toc", [])
            ],
            report=RenderReport(**meta.get("report", {})),
            source_sha256=str(meta["source_sha256"]),
            kind=str(meta["kind"]),
            renderer_version=str(meta.get("renderer_version", "")),
        )


def human_size(size: float) -> str:
    """``1.2 GB`` / ``2.0 MB`` / ``100 kB`` / ``12 bytes`` for notes a person reads."""
    if size >= 1_000_000_000:
        return f"{size / 1e9:.1f} GB"
    if size >= 1_000_000:
        return f"{size / 1e6:.1f} MB"
    if size >= 1000:
        return f"{size / 1e3:.0f} kB"
    return f"{int(size)} bytes"
