"""Notebook rendering: fidelity for every output type, clear errors, limits, progress, CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from signoff.core.render import Limits, RenderError, render_notebook, render_path

NOTEBOOKS = Path(__file__).parent.parent / "data" / "notebooks"
ALL_OUTPUTS = NOTEBOOKS / "all_outputs.ipynb"


@pytest.fixture(scope="module")
def all_outputs_page():
    return render_notebook(ALL_OUTPUTS.read_bytes(), title="all_outputs.ipynb")


def test_every_output_type_is_shown(all_outputs_page):
    page = all_outputs_page.html
    assert "rows: 1000" in page and "warning: demo data" in page  # stdout and stderr
    assert 'class="dataframe"' in page and "<td>0.91</td>" in page  # HTML table
    assert page.count('src="data:image/png;base64,') >= 2  # PNG output + attachment
    assert 'src="data:image/jpeg;base64,' in page
    assert 'class="signoff-svg"' in page  # SVG output, shown as an image
    assert "<h3" in page and "Markdown output" in page and "<em>emphasis</em>" in page
    assert "ZeroDivisionError" in page and 'class="ansi-red-fg"' in page  # coloured traceback
    assert "raw text cell" in page
    assert '<span class="nn">pandas</span>' in page  # syntax highlighting (Pygments classes)
    assert ".highlight .k {" in page  # and the shipped Pygments theme styles it
    assert all_outputs_page.report.cells == 12
    assert all_outputs_page.report.images >= 5


def test_markdown_tables_and_math_are_rendered(all_outputs_page):
    page = all_outputs_page.html
    assert "<th>feature</th>" in page and "<td>income</td>" in page
    # a plain formula becomes HTML text; one that needs typesetting becomes a drawn image
    assert '<span class="signoff-math-inline"><i>α</i> + <i>β</i><sup>2</sup></span>' in page
    assert re.search(
        r'<span class="signoff-math-display"><img class="signoff-math" '
        r'alt="\\frac\{TP\}\{TP\+FP\}"',
        page,
    )
    assert "$\\alpha" not in page  # no raw TeX left where mathtext could draw it


def test_table_of_contents_follows_the_headings(all_outputs_page):
    toc = [(e.level, e.text) for e in all_outputs_page.toc]
    assert toc[:3] == [(1, "Credit risk analysis"), (2, "Data"), (2, "Results")]
    assert (2, "Conclusion") in toc
    for entry in all_outputs_page.toc:
        assert f'id="{entry.anchor}"' in all_outputs_page.html


def test_page_is_self_contained(all_outputs_page):
    page = all_outputs_page.html
    assert page.startswith("<!DOCTYPE html>")
    assert "cdnjs" not in page and "unpkg" not in page and "require.js" not in page
    assert "MathJax" not in page
    assert ".jp-Notebook" in page  # the JupyterLab theme CSS is inline


@pytest.mark.parametrize(
    "tex, expected",
    [
        ("x^2", "<i>x</i><sup>2</sup>"),
        ("\\beta_{12} = 0.01", "<i>β</i><sub>12</sub> = 0.01"),
        ("\\text{AUC} \\geq 0.8", "AUC ≥ 0.8"),
        ("x^{2}_{ij}", "<i>x</i><sup>2</sup><sub><i>i</i><i>j</i></sub>"),
        ("\\frac{a}{b}", None),
        ("a^{b", None),
        ("\\sqrt{x}", None),
    ],
)
def test_plain_formulas_become_html(tex, expected):
    from signoff.core.render.mathtext import simple_tex_html

    assert simple_tex_html(tex) == expected


def test_unsupported_tex_stays_readable():
    nb = _notebook([_md(r"$\begin{tikzcd} a \arrow{r} & b \end{tikzcd}$ and $\sqrt{x}$")])
    page = render_notebook(json.dumps(nb)).html
    assert '<code class="signoff-tex">' in page and "begin{tikzcd}" in page
    assert 'alt="\\sqrt{x}"' in page


@pytest.mark.parametrize(
    "name, message",
    [
        ("malformed_json.ipynb", "invalid JSON at line 2"),
        ("missing_cells.ipynb", "missing key 'cells'"),
        ("missing_source.ipynb", "cell 1 (markdown): missing key 'source'"),
        ("missing_output_type.ipynb", "cell 1 output 1: missing key 'output_type'"),
        ("top_level_list.ipynb", "top level is a JSON list"),
        ("not_utf8.ipynb", "not UTF-8"),
    ],
)
def test_malformed_notebooks_raise_a_clear_render_error(name, message):
    with pytest.raises(RenderError, match=re.escape(message)):
        render_path(NOTEBOOKS / name)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "invalid JSON"),
        (b"{}", "missing key 'nbformat'"),
        (b'{"nbformat": "4", "cells": []}', "unsupported notebook format '4'"),
        (b'{"nbformat": 0, "cells": []}', "unsupported notebook format 0"),
        (b'{"nbformat": 4, "cells": {}}', "'cells' must be a list"),
        (b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}]}', "must be text"),
        (
            b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": "", "outputs": 3}]}',
            "'outputs' must be a list",
        ),
        (b"[" * 100_000, "nested too deeply"),
    ],
)
def test_more_malformed_inputs(data, message):
    with pytest.raises(RenderError, match=re.escape(message)):
        render_notebook(data)


def test_an_empty_nbformat_2_notebook_is_an_empty_page():
    document = render_path(NOTEBOOKS / "nbformat_2.ipynb")
    assert document.report.cells == 0 and "<main>" in document.html


def test_nbformat_3_is_converted():
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": "old"},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "heading", "level": 1, "source": "Old notebook", "metadata": {}},
                    {
                        "cell_type": "code",
                        "language": "python",
                        "input": "print(2)",
                        "outputs": [{"output_type": "stream", "stream": "stdout", "text": "2\n"}],
                        "metadata": {},
                        "prompt_number": 1,
                    },
                ],
                "metadata": {},
            }
        ],
    }
    document = render_notebook(json.dumps(v3))
    assert document.toc[0].text == "Old notebook"
    assert "print" in document.html


def test_a_50_mb_output_is_cut_with_a_visible_note():
    huge = "x" * 50_000_000
    nb = _notebook(
        [
            _md("# Big"),
            _code("print(huge)", [{"output_type": "stream", "name": "stdout", "text": huge}]),
            _md("## After"),
        ]
    )
    document = render_notebook(json.dumps(nb))
    assert 5_000_000 < len(document.html) < 6_000_000  # the first 5 MB, and no more
    assert "This stream output is 50.0 MB; the first 5.0 MB are shown." in document.html
    assert [e.text for e in document.toc] == ["Big", "After"]  # the rest still renders
    assert document.report.truncated


def test_10000_cells_are_truncated_with_a_note_and_progress_is_reported():
    cells = [_md(f"# Section {i}") if i % 100 == 0 else _code(f"x = {i}") for i in range(10_000)]
    seen: list[float] = []
    document = render_notebook(
        json.dumps(_notebook(cells)),
        progress=lambda f, _m: seen.append(f),
        limits=Limits(max_cells=600),
    )
    assert "The notebook has 10,000 cells; the first 600 are shown" in document.html
    assert len(document.toc) == 6
    assert seen[0] == 0.0 and seen[-1] == 1.0 and len(seen) > 10
    assert seen == sorted(seen)


def test_total_output_budget_is_enforced():
    nb = _notebook(
        [
            _code(f"p{i}", [{"output_type": "stream", "name": "stdout", "text": "y" * 400_000}])
            for i in range(5)
        ]
    )
    document = render_notebook(json.dumps(nb), limits=Limits(max_total_output_bytes=1_000_000))
    assert document.html.count("y" * 1000) > 0
    assert "the notebook's outputs exceed 1.0 MB" in document.html
    assert document.html.count('class="jp-OutputArea-child') == 5  # every output still there


def test_cli_writes_the_same_html_the_renderer_returns(tmp_path):
    out = tmp_path / "out.html"
    proc = subprocess.run(
        [sys.executable, "-m", "signoff", "render", str(ALL_OUTPUTS), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "12 cells" in proc.stderr
    assert out.read_text(encoding="utf-8") == render_path(ALL_OUTPUTS).html


@pytest.mark.parametrize(
    "name, message",
    [
        ("malformed_json.ipynb", "invalid JSON"),
        ("missing_cells.ipynb", "missing key 'cells'"),
        ("does_not_exist.ipynb", "no such file"),
        ("make_corpus.py", "expected a .ipynb notebook or a .md Markdown file"),
    ],
)
def test_cli_exits_2_with_a_clear_message(tmp_path, name, message):
    out = tmp_path / "out.html"
    out.write_text("previous export")
    proc = subprocess.run(
        [sys.executable, "-m", "signoff", "render", str(NOTEBOOKS / name), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    assert message in proc.stderr and name in proc.stderr
    assert out.read_text() == "previous export"  # nothing already there is lost


def _notebook(cells):
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


IPYTHON_CELLS = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {
        "kernelspec": {"name": "python3", "language": "python"},
        "language_info": {"name": "python", "pygments_lexer": "ipython3"},
    },
    "cells": [
        {
            "cell_type": "code",
            "id": "c1",
            "metadata": {},
            "execution_count": 1,
            "outputs": [],
            "source": "%timeit total(range(10))\ndef total(xs):\n    return sum(xs)\n",
        }
    ],
}


def test_ipython3_code_is_highlighted_with_the_ipython_lexer_and_no_warning():
    # filterwarnings = error: nbconvert's "IPython3 lexer unavailable" would fail this test
    html = render_notebook(json.dumps(IPYTHON_CELLS)).html
    assert '<span class="k">timeit</span>' in html  # a magic, as only the IPython lexer sees it
    assert '<span class="k">def</span>' in html and '<span class="nf">total</span>' in html


def test_rendering_never_needs_ipython():
    # a clean install has no IPython; prove the renderer does not reach for it even where it
    # happens to be installed, by rendering in a fresh interpreter and looking at sys.modules
    code = (
        "import json, sys, warnings\n"
        "warnings.simplefilter('error')\n"
        "from signoff.core.render import render_notebook\n"
        f"html = render_notebook(json.dumps({IPYTHON_CELLS!r})).html\n"
        "assert '<span class=\"k\">timeit</span>' in html\n"
        "print('IPython' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
