"""Real notebooks from public projects (tests/data/notebooks/corpus, licences beside them):
every cell and every output is in the page, shown or marked by a note, and nothing that runs
or fetches survives."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from signoff.core.render import RenderError, render_notebook
from tests.core.test_render_safety import audit
from tests.helpers.page_structure import read_page

CORPUS = Path(__file__).parent.parent / "data" / "notebooks" / "corpus"
NOTEBOOKS = sorted(CORPUS.glob("*.ipynb"))
# invalid on purpose in their own project: a clear message, not a page
REFUSED = {
    "nbformat_tests_invalid.ipynb": "cell 1 (markdown): missing key 'source'",
}


def _expected(data: bytes) -> tuple[int, list[bool]]:
    """The cells and, per output, whether it holds anything, read from the JSON directly
    (nbformat 2/3 keep their cells in worksheets)."""
    nb = json.loads(data)
    cells = (
        nb["cells"]
        if "cells" in nb
        else [c for w in nb.get("worksheets") or [] for c in w.get("cells") or []]
    )
    holds = []
    for cell in cells:
        if cell.get("cell_type") == "code":
            holds += [_holds_something(output) for output in cell.get("outputs") or []]
    return len(cells), holds


def _holds_something(output: dict) -> bool:
    extras = {k: v for k, v in output.items() if k not in ("output_type", "metadata", "name")}
    content = output.get("text", output.get("traceback", output.get("data", extras)))
    if isinstance(content, list):
        content = "".join(str(part) for part in content)
    if isinstance(content, dict):
        return any(str(value).strip() for value in content.values())
    return bool(str(content or "").strip())


def test_the_corpus_is_real_and_documented():
    with open(CORPUS / "SOURCES.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["file"] for r in rows) == [p.name for p in NOTEBOOKS]  # one row each
    assert len(NOTEBOOKS) >= 120
    for row in rows:
        assert row["repository"] and row["path"] and len(row["commit"]) == 40 and row["licence"]
        assert int(row["bytes"]) == (CORPUS / row["file"]).stat().st_size  # copied unchanged
        licence = CORPUS / "licenses" / f"{row['repository'].replace('/', '__')}.txt"
        assert licence.stat().st_size > 0
    assert sum(p.stat().st_size for p in NOTEBOOKS) < 8_000_000


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_cell_and_output_of_a_real_notebook_is_accounted_for(path):
    data = path.read_bytes()
    if path.name in REFUSED:
        with pytest.raises(RenderError, match=re.escape(REFUSED[path.name])):
            render_notebook(data)
        return
    document = render_notebook(data, title=path.name)
    assert not document.report.too_large
    found = read_page(document.html)
    cells, holds = _expected(data)
    assert (found.cells, found.inputs, found.outputs) == (cells, cells, len(holds))
    shown = zip(holds, found.output_texts, found.output_images, strict=True)
    for number, (has_content, text, images) in enumerate(shown, start=1):
        if has_content:
            assert text.strip() or images, f"output {number} holds data but shows nothing"
    checker = audit(document.html)
    assert checker.problems == []
    assert "<script" not in document.html.lower()


def test_the_typesetting_tutorial_draws_every_formula():
    # jupyter/notebook's "Typesetting Equations": align, equation*, vmatrix, array, eqnarray
    path = CORPUS / "notebook_Notebook_Typesetting_Equations.ipynb"
    page = render_notebook(path.read_bytes()).html
    assert page.count('class="signoff-math"') >= 11
    assert '<code class="signoff-tex">' not in page
