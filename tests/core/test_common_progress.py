"""One progress callback and one cancel check at the core's boundary, and what a stop does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from signoff.core.common.errors import Cancelled, SignoffError
from signoff.core.common.progress import check_cancelled, report_progress
from signoff.core.render import RenderCache, render_markdown, render_notebook


def notebook(cells: int) -> bytes:
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
            "cells": [
                {"cell_type": "markdown", "id": f"c{i}", "metadata": {}, "source": f"# Part {i}"}
                for i in range(cells)
            ],
        }
    ).encode()


class StopAfter:
    """A cancel check that says stop once it has been asked *n* times."""

    def __init__(self, n: int) -> None:
        self.n, self.asked = n, 0

    def __call__(self) -> bool:
        self.asked += 1
        return self.asked > self.n


def test_progress_is_clamped_and_optional() -> None:
    seen: list[tuple[float, str]] = []
    report_progress(lambda f, m: seen.append((f, m)), 1.2, "done")
    report_progress(lambda f, m: seen.append((f, m)), -0.1, "start")
    report_progress(None, 0.5, "nobody listens")
    assert seen == [(1.0, "done"), (0.0, "start")]


def test_a_cancel_check_that_fires_raises_the_one_cancelled_error() -> None:
    check_cancelled(None)
    check_cancelled(lambda: False)
    with pytest.raises(Cancelled, match="the import was cancelled") as raised:
        check_cancelled(lambda: True, "the import")
    assert isinstance(raised.value, SignoffError)


def test_a_render_stops_between_chunks_when_cancelled() -> None:
    seen: list[float] = []
    stop = StopAfter(1)
    with pytest.raises(Cancelled, match="the render was cancelled"):
        render_notebook(
            notebook(120), progress=lambda f, _m: seen.append(f), cancelled=stop, title="nb"
        )
    assert stop.asked == 2  # the first chunk of 40 cells ran, the second did not start
    assert seen and all(0.0 <= f < 1.0 for f in seen)
    with pytest.raises(Cancelled):
        render_markdown(b"# Notes", cancelled=lambda: True)


def test_a_cancelled_render_is_not_cached(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path / "cache")
    with pytest.raises(Cancelled):
        cache.render(notebook(3), "notebook", title="nb", cancelled=lambda: True)
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())
    document, from_cache = cache.get_or_render(notebook(3), "notebook", title="nb")
    assert not from_cache and "Part 2" in document.html
    again, from_cache = cache.get_or_render(
        notebook(3), "notebook", title="nb", cancelled=lambda: True
    )
    assert from_cache and again.html == document.html  # a cache hit has nothing to cancel
