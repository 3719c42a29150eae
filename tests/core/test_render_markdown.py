"""Release notes: Markdown rendering, the render cache, the version documents and the diff."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from signoff.core.common.errors import HashMismatchError
from signoff.core.render import (
    RenderCache,
    RenderError,
    cache_dir_for,
    load_version_document,
    release_notes_of_versions,
    render_markdown,
)
from signoff.core.render.diff import side_by_side_page

DATA = Path(__file__).parent.parent / "data"
V1 = DATA / "markdown" / "release_notes_v1.md"
V2 = DATA / "markdown" / "release_notes_v2.md"
NOTEBOOK = DATA / "notebooks" / "all_outputs.ipynb"


def test_release_notes_render_tables_code_links_and_outline():
    document = render_markdown(V1.read_bytes(), title="release_notes.md")
    page = document.html
    assert "<th>metric</th>" in page and "<td>0.81</td>" in page
    assert '<span class="n">threshold</span>' in page  # fenced code highlighted
    assert 'href="https://example.com/card"' in page
    assert 'rel="noopener noreferrer nofollow"' in page
    assert [(e.level, e.text) for e in document.toc] == [
        (1, "Credit risk scorecard v1"),
        (2, "Changes"),
        (2, "Metrics"),
    ]


def test_markdown_errors_are_clear():
    with pytest.raises(RenderError, match="not UTF-8"):
        render_markdown(b"# notes \xff\xfe")
    with pytest.raises(RenderError, match="NUL bytes"):
        render_markdown(b"\x00\x01binary")


def test_huge_markdown_is_truncated_with_a_note():
    from signoff.core.render import Limits

    document = render_markdown(
        "# Big\n\n" + "word " * 400_000, limits=Limits(max_markdown_bytes=100_000)
    )
    assert "The document is 2.0 MB; only the first 100 kB are shown." in document.html
    assert len(document.html) < 400_000


def test_cache_second_render_is_a_hit_that_renders_nothing(tmp_path, monkeypatch):
    import signoff.core.render.notebook as notebook_renderer

    cache = RenderCache(tmp_path / "cache")
    data = NOTEBOOK.read_bytes()
    first = cache.render(data, "notebook", title="nb")
    assert cache.html_path(first.source_sha256, "notebook").exists()

    def must_not_render(*_args, **_kwargs):
        raise AssertionError("a cache hit ran the notebook renderer")

    # a hit is one file read: the renderer (nbconvert) is never entered; how fast that read
    # is belongs to bench/bench_render.py (recorded in bench/results/render.md)
    monkeypatch.setattr(notebook_renderer, "render_notebook", must_not_render)
    second = cache.render(data, "notebook", title="nb")
    assert second.html == first.html and second.toc == first.toc
    assert second.report == first.report
    with pytest.raises(AssertionError, match="ran the notebook renderer"):
        cache.render(data + b" ", "notebook", title="nb")  # other bytes: a miss, which renders


def test_cache_key_includes_renderer_version_and_content(tmp_path, monkeypatch):
    cache = RenderCache(tmp_path)
    a = RenderCache.key("ab" * 32, "notebook")
    monkeypatch.setattr("signoff.core.render.cache.RENDERER_VERSION", "signoff-render-999")
    assert RenderCache.key("ab" * 32, "notebook") != a
    assert cache.get("cd" * 32, "markdown") is None


def test_a_broken_cache_entry_is_a_miss_and_gets_rewritten(tmp_path):
    cache = RenderCache(tmp_path)
    data = V1.read_bytes()
    document = cache.render(data, "markdown", title="v1")
    meta = cache.html_path(document.source_sha256, "markdown").with_suffix(".json")
    meta.write_text("{not json")
    again = cache.render(data, "markdown", title="v1")
    assert again.html == document.html
    assert json.loads(meta.read_text())["kind"] == "markdown"


def test_cache_write_failure_still_returns_the_page(tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    document = RenderCache(blocked / "cache").render(V1.read_bytes(), "markdown", title="v1")
    assert "<td>0.81</td>" in document.html


def test_render_errors_are_not_cached(tmp_path):
    cache = RenderCache(tmp_path)
    with pytest.raises(RenderError):
        cache.render(b"{", "notebook", title="bad")
    assert list(tmp_path.iterdir()) == []


def test_diff_marks_changed_words_side_by_side():
    page, summary = side_by_side_page(V1.read_text(), V2.read_text(), "v1", "v2 (this)")
    assert summary.changed >= 4 and not summary.identical
    assert re.search(r'<td class="del">.*<span class="w">0\.81</span>', page)
    assert re.search(r'<td class="add">.*<span class="w">0\.84</span>', page)
    assert "<th>v1</th>" in page and "<th>v2 (this)</th>" in page


def test_diff_escapes_document_markup():
    page, _ = side_by_side_page(
        "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "a", "b"
    )
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;" in page and "alert(1)" in page  # shown as text
    from tests.core.test_render_safety import audit

    assert audit(page).problems == []


def test_identical_notes_say_so():
    _, summary = side_by_side_page("same\ntext", "same\ntext", "a", "b")
    assert summary.identical and summary.describe() == "No differences."


@pytest.fixture
def published(registry, tmp_path):
    """A model with two published versions whose folders carry notes and a notebook."""
    from signoff.core.publishing.publisher import publish

    folders = []
    for number, notes in ((1, V1), (2, V2)):
        folder = publishable_folder(tmp_path / f"m{number}", notes.read_text(), number)
        folders.append(folder)
        publish(registry, folder)
    return registry, folders


def publishable_folder(folder: Path, notes: str, seed: int) -> Path:
    """A test model folder with *notes* as release notes and the all-outputs notebook."""
    from tests.helpers.folders import write_model_folder

    write_model_folder(
        folder, name="credit-risk", notes=notes, weights=f'{{"a": 0.{seed}, "b": 0.2}}'
    )
    shutil.copy(NOTEBOOK, folder / "analysis.ipynb")
    manifest = folder / "signoff.toml"
    manifest.write_text(
        manifest.read_text().replace(
            'python = "3.11"', 'python = "3.11"\nnotebook = "analysis.ipynb"', 1
        )
    )
    return folder


def test_version_documents_come_from_the_store(published):
    registry, _ = published
    notes = load_version_document(registry, "credit-risk", 2, "release_notes")
    assert notes.present and notes.kind == "markdown"
    assert notes.data == V2.read_bytes()
    notebook = load_version_document(registry, "credit-risk", 1, "notebook")
    assert notebook.data == NOTEBOOK.read_bytes() and notebook.name == "analysis.ipynb"
    choices, live = release_notes_of_versions(registry, "credit-risk")
    assert [c.number for c in choices] == [2, 1] and live is None
    assert cache_dir_for(registry).parts[-2:] == ("cache", "render")


def test_tampered_store_file_is_reported_not_rendered(published):
    registry, _ = published
    doc = load_version_document(registry, "credit-risk", 1, "notebook")
    path = registry.store.path_for(doc.sha256)
    os.chmod(path, 0o644)
    path.write_bytes(b'{"nbformat": 4, "cells": []}')
    with pytest.raises(HashMismatchError):
        load_version_document(registry, "credit-risk", 1, "notebook")


def test_a_cache_that_must_not_be_written_renders_and_stores_nothing(tmp_path):
    cache = RenderCache(tmp_path / "cache", writable=False)  # a registry opened read-only
    document, from_cache = cache.get_or_render(V1.read_bytes(), "markdown", title="v1")
    assert "<td>0.81</td>" in document.html and not from_cache
    assert not (tmp_path / "cache").exists()
