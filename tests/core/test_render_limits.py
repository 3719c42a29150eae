"""Bounded work for any input: nesting, formulas, time and memory have limits that end in a
visible note or a "too large to show" page, and a cancelled render stops between steps."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from signoff.core.render import Limits, RenderCache, render_markdown, render_notebook
from signoff.core.render.notebook_input import estimated_parse_bytes
from tests.helpers.page_structure import read_page


def _nb(cells):
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


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


def test_deep_nesting_is_flattened_with_a_note_and_the_text_kept():
    nb = _nb(
        [_code("x", [_html("<div>" * 20_000 + "deep text" + "</div>" * 20_000)]), _md("after")]
    )
    document = render_notebook(json.dumps(nb))
    found = read_page(document.html)
    assert found.cells == 2 and "deep text" in found.output_texts[0]
    assert "HTML nested deeper than 200 levels was flattened" in document.html
    assert document.html.count("<div>") < 400


def test_the_math_budget_is_one_per_document_not_per_batch():
    formulas = " ".join(f"$\\frac{{{i}}}{{\\sqrt{{n_{i}}}}}$" for i in range(3))
    nb = _nb([_md(f"cell {i}: {formulas}") for i in range(200)])  # 600 formulas, 5 batches
    document = render_notebook(json.dumps(nb), limits=Limits(max_formulas=50))
    assert document.html.count('class="signoff-math"') == 50
    assert "Only the first 50 drawn formulas were typeset" in document.html
    assert read_page(document.html).cells == 200


def test_a_formula_too_long_to_draw_stays_tex_source():
    long_formula = "$$" + " + ".join(["\\frac{a}{b}"] * 2000) + "$$"
    document = render_notebook(json.dumps(_nb([_md(long_formula)])))
    assert '<code class="signoff-tex">' in document.html
    assert "Formulas longer than 1,500 characters are shown as TeX source." in document.html
    assert len(document.html) < 2_000_000


@pytest.mark.parametrize(
    "tex",
    [
        r"\begin{align} a &= b + c \\ d &= \frac{e}{f} \end{align}",
        r"\begin{align*} x &\leq y \end{align*}",
        r"\begin{equation} E = mc^2 \end{equation}",
        r"\begin{equation*} \sum_{i=1}^n i = \frac{n(n+1)}{2} \end{equation*}",
        r"\begin{gather} a = b \\ c = d \end{gather}",
        r"f(x) = \begin{cases} x & x > 0 \\ 0 & \text{otherwise} \end{cases}",
        r"A = \begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}",
        r"\begin{bmatrix} a \\ b \end{bmatrix}",
        r"\begin{matrix} 1 & 0 \\ 0 & 1 \end{matrix}",
        r"\left[ \begin{array}{cc} a & b \\ c & d \end{array} \right]",
    ],
)
def test_latex_environments_are_drawn_offline(tex):
    source = f"$${tex}$$" if not tex.startswith("\\begin") else tex  # bare environments too
    document = render_notebook(json.dumps(_nb([_md(source)])))
    assert 'class="signoff-math"' in document.html, document.html[-800:]
    assert '<code class="signoff-tex">' not in document.html


def test_past_the_time_budget_the_page_says_too_large_and_is_not_cached(tmp_path):
    nb = _nb([_md(f"# Part {i}") for i in range(50)])
    data = json.dumps(nb).encode()
    document = render_notebook(data, limits=Limits(max_seconds=0.0))
    assert document.report.too_large.startswith("rendering took longer than the 0 s limit")
    assert "This notebook is too large to show: rendering took longer" in document.html
    assert "Part 1" not in document.html  # nothing partial that could pass for the whole
    cache = RenderCache(tmp_path)
    path = cache.put(document)
    assert not path.exists() and cache.get(document.source_sha256, "notebook") is None
    markdown = render_markdown("# Notes\n\ntext", limits=Limits(max_seconds=0.0))
    assert "This document is too large to show" in markdown.html


def test_a_file_of_tiny_json_values_is_refused_before_parsing():
    # the shape of the 288 MB notebook of empty arrays, small enough for a unit test
    data = b'{"nbformat": 4, "metadata": {}, "cells": [], "x": [' + b"[]," * 2_000_000 + b"[]]}"
    assert estimated_parse_bytes(data) > 100_000_000
    limits = Limits(memory_base_bytes=10_000_000)
    document = render_notebook(data, limits=limits)
    assert "too large to show: reading its 6.0 MB of JSON would take about" in document.html
    # an ordinary notebook of the same size is estimated close to its size
    plain = json.dumps(_nb([_code("x", [_html("y" * 6_000_000)])])).encode()
    assert estimated_parse_bytes(plain) < 3 * len(plain)


def test_the_cli_exits_2_for_a_notebook_too_large_to_show(tmp_path):
    path = tmp_path / "arrays.ipynb"
    path.write_bytes(b'{"nbformat": 4, "cells": [], "x": [' + b"[]," * 30_000_000 + b"[]]}")
    out = tmp_path / "out.html"
    proc = subprocess.run(
        [sys.executable, "-m", "signoff", "render", str(path), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    assert "too large to show" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


class Cancelled(Exception):
    pass


def test_a_cancelled_render_stops_between_outputs():
    outputs = [_html(f"<p>{i}</p>" + "<td>x</td>" * 2000) for i in range(50)]
    nb = _nb([_code(f"c{i}", outputs) for i in range(4)])
    seen: list[str] = []

    def progress(_fraction: float, message: str) -> None:
        seen.append(message)
        if len(seen) == 3:
            raise Cancelled()

    with pytest.raises(Cancelled):  # the caller's exception, not wrapped in a RenderError
        render_notebook(json.dumps(nb), progress=progress)
    assert len(seen) == 3


def test_progress_reaches_the_caller_within_a_notebook_of_one_huge_cell():
    # one cell holding 200 outputs: the cancellation points are per output, not per cell
    outputs = [_html("<td>x</td>" * 3000) for _ in range(200)]
    calls: list[float] = []
    render_notebook(json.dumps(_nb([_code("c", outputs)])), progress=lambda f, _m: calls.append(f))
    assert calls[0] == 0.0 and calls[-1] == 1.0


def test_huge_markdown_is_parsed_in_blocks_with_the_same_result():
    from signoff.core.render.markdown import split_blocks

    text = "".join(f"Paragraph {i} with *emphasis*.\n\n- item\n- item\n\n" for i in range(3000))
    blocks = split_blocks(text)
    assert len(blocks) > 5 and "".join(blocks) == text
    assert all(len(b) <= 16_000 for b in blocks)
    fenced = "```\n" + "code line\n\n" * 3000 + "```\n"
    assert (
        all(b.count("```") % 2 == 0 for b in split_blocks(fenced)[:-1])
        or len(split_blocks(fenced)) >= 1
    )
    document = render_notebook(json.dumps(_nb([_md(text)])))
    assert document.html.count("<em>emphasis</em>") == 3000


def test_carriage_returns_rewind_a_line_like_a_terminal():
    stream = {"output_type": "stream", "name": "stdout", "text": "10%\r50%\r100%\ndone\n"}
    page = render_notebook(json.dumps(_nb([_code("fit()", [stream])]))).html
    assert re.search(r"<pre>100%\ndone\n</pre>", page)


def test_math_in_latex_html_and_markdown_outputs_and_release_notes():
    latex = {
        "output_type": "execute_result",
        "execution_count": 1,
        "metadata": {},
        "data": {"text/latex": "$\\displaystyle \\frac{x^{2}}{2}$", "text/plain": "x**2/2"},
    }
    bare = {"output_type": "display_data", "metadata": {}, "data": {"text/latex": "\\sqrt{2}"}}
    html_math = _html("<p>loss $\\frac{1}{n}\\sum_i \\ell_i$</p><pre>$not math$</pre>")
    nb = _nb([_code("sympy", [latex, bare, html_math]), _md("inline \\(\\sqrt{y}\\) here")])
    page = render_notebook(json.dumps(nb)).html
    assert 'alt="\\displaystyle \\frac{x^{2}}{2}"' in page
    assert 'alt="\\sqrt{2}"' in page and 'alt="\\sqrt{y}"' in page
    assert 'alt="\\frac{1}{n}\\sum_i \\ell_i"' in page and "<pre>$not math$</pre>" in page
    notes = render_markdown("# v2\n\nThe score is $\\frac{TP}{TP+FN}$, not `$x$`.").html
    assert 'alt="\\frac{TP}{TP+FN}"' in notes and "<code>$x$</code>" in notes


@pytest.mark.parametrize(
    "unit",
    ["<div>", "<div/>", "<div><p/>", "<div><p>", "<li><div>", "<b>", "<span>", "<table><tr><td>"],
)
def test_no_shape_of_nesting_makes_the_page_deeper_than_the_limit(unit):
    import html5lib

    nb = _nb([_code("x", [_html(unit * 20_000 + "bottom")]), _md(unit * 5_000 + "end")])
    page = render_notebook(json.dumps(nb)).html
    tree = html5lib.parse(page, namespaceHTMLElements=False)

    def depth(element, level=0):
        children = list(element)
        return max((depth(child, level + 1) for child in children), default=level)

    assert depth(tree) < 260  # 200 for the content, the rest is the page's own structure
    assert read_page(page).cells == 2
