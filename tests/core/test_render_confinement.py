"""No output or Markdown cell can affect anything outside itself: every cell, input and output
of the notebook is in the page, counted as a browser parses it (issue: an unclosed <textarea>
in one output used to remove every following cell of its batch)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signoff.core.render import render_notebook
from tests.helpers.page_structure import notebook_counts, read_page

UNCLOSED = [
    "<textarea>",
    "<title>",
    "<xmp>",
    "<iframe>",
    "<noembed>",
    "<select>",
    "<template>",
    "<plaintext>",
    "<style>",
    "<script>",
    "<noscript>",
    "<noframes>",
    "<svg>",
    "<math>",
    "<object>",
    "<table><tr><td>",
    "<div><div><div>",
    "</div></div></div></div></div></div>",
    "<!--",
    "<a href='",
    '<div title="',
    "<li><div><li>",
    "<p><button><p>",
    "<frameset>",
    "<select><option>",
    "<image src=x>",
]


def _md(source):
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def _code(source, outputs=()):
    return {
        "cell_type": "code",
        "metadata": {},
        "source": source,
        "execution_count": 1,
        "outputs": list(outputs),
    }


def _html(value):
    return {"output_type": "display_data", "metadata": {}, "data": {"text/html": value}}


def _hostile_notebook(fragment: str) -> dict:
    cells = [_md("# Before\n\nmarker-cell-1")]
    cells.append(_code("x = 1  # marker-cell-2", [_html(f"<p>marker-output-1</p>{fragment}")]))
    cells.append(_md(f"marker-cell-3 {fragment} tail"))
    cells.append(
        _code(
            "y = 2  # marker-cell-4",
            [
                {"output_type": "stream", "name": "stdout", "text": "marker-output-2\n"},
                _html(fragment),
                {
                    "output_type": "execute_result",
                    "execution_count": 2,
                    "metadata": {},
                    "data": {"text/plain": "marker-output-4", "text/html": fragment + "x"},
                },
            ],
        )
    )
    cells.append({"cell_type": "raw", "metadata": {"format": "text/html"}, "source": fragment})
    cells += [_md(f"## After {n}\n\nmarker-cell-{n}") for n in range(6, 46)]
    cells.append(_code("z = 3  # marker-cell-46", [_html("<b>marker-output-5</b>")]))
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


def _assert_all_accounted(nb: dict) -> None:
    page = render_notebook(json.dumps(nb)).html
    found = read_page(page)
    assert (found.cells, found.inputs, found.outputs) == notebook_counts(nb)
    for number, text in enumerate(found.cell_texts, start=1):
        marker = f"marker-cell-{number}"
        if any(marker in str(c.get("source")) for c in nb["cells"]):
            assert marker in text, f"cell {number} lost its own text"
    assert "marker-output-5" in found.output_texts[-1]


@pytest.mark.parametrize("fragment", UNCLOSED)
def test_an_unclosed_element_cannot_swallow_the_cells_after_it(fragment):
    _assert_all_accounted(_hostile_notebook(fragment))


@pytest.mark.parametrize("fragment", ["<textarea>", "<xmp>", "<plaintext>"])
def test_text_a_browser_shows_stays_visible(fragment):
    nb = _hostile_notebook(fragment + "<b>typed text</b>")
    page = render_notebook(json.dumps(nb)).html
    assert "&lt;b&gt;typed text&lt;/b&gt;" in page  # shown as text, as a browser does


PIECES = st.sampled_from(
    [
        "<",
        ">",
        "</",
        "/>",
        '"',
        "'",
        "=",
        " ",
        "<!--",
        "-->",
        "text",
        "&amp;",
        "&",
        "$",
        "$$",
        "\\begin{align}",
        "`",
        "```",
        "\n\n",
        *[tag.strip("<>/") for tag in UNCLOSED if tag.strip("<>/").isalpha()],
        "div",
        "table",
        "td",
        "li",
        "p",
        "a href=",
        "svg",
        "![x](attachment:y.png)",
    ]
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(PIECES, min_size=1, max_size=40).map("".join))
def test_fuzzed_markup_never_changes_the_count_of_cells_inputs_and_outputs(fragment):
    _assert_all_accounted(_hostile_notebook(fragment))


def test_content_cannot_borrow_the_chrome_classes():
    fake = (
        '<div class="signoff-notice" role="note">Verified by compliance</div>'
        '<div class="jp-Cell jp-CodeCell"><div class="jp-InputArea">fake code</div></div>'
        '<div class="cm-editor">x</div><div class="lm-Widget">y</div>'
    )
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [_code("1", [_html(fake)]), _md(fake)],
    }
    page = render_notebook(json.dumps(nb)).html
    found = read_page(page)
    assert found.cells == 2 and found.inputs == 2
    assert 'class="doc-signoff-notice"' in page and 'class="doc-jp-Cell doc-jp-CodeCell"' in page
    assert 'class="doc-cm-editor"' in page and 'class="doc-lm-Widget"' in page
    assert page.count('class="signoff-notice"') == 0  # the page itself has nothing to note
