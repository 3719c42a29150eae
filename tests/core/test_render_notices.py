"""Anything the page cannot show is a visible note naming it, in its place; a static copy the
notebook carries is shown under the note. Attachments and cell types are judged one by one."""

from __future__ import annotations

import base64
import json

from signoff.core.render import render_notebook
from tests.helpers.page_structure import notebook_counts, read_page

PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8ffff3f0005fe02fea7d6a4b40000000049454e44ae426082"
    )
).decode()
PLOTLY_HTML = (
    '<div>  <div id="f1" class="plotly-graph-div" style="height:525px; width:100%;"></div>'
    '<script type="text/javascript">Plotly.newPlot("f1", [])</script></div>'
)


def _nb(*cells):
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells)}


def _code(*outputs):
    return {
        "cell_type": "code",
        "metadata": {},
        "source": "show()",
        "execution_count": 1,
        "outputs": list(outputs),
    }


def _display(data, metadata=None):
    return {"output_type": "display_data", "metadata": metadata or {}, "data": data}


def _render(nb):
    document = render_notebook(json.dumps(nb))
    found = read_page(document.html)
    assert (found.cells, found.inputs, found.outputs) == notebook_counts(nb)
    return document, found


def test_plotly_without_a_static_copy_is_a_note_naming_its_mime_type():
    nb = _nb(
        _code(_display({"application/vnd.plotly.v1+json": {"data": []}, "text/html": PLOTLY_HTML}))
    )
    document, found = _render(nb)
    assert found.notices_in_outputs == 1
    text = found.output_texts[0]
    assert "Interactive output not shown (application/vnd.plotly.v1+json" in text
    assert "carries no static copy" in text
    assert "Plotly.newPlot" not in document.html
    assert document.report.not_shown == 1


def test_plotly_with_a_png_shows_the_png_under_the_note():
    nb = _nb(
        _code(
            _display(
                {
                    "application/vnd.plotly.v1+json": {"data": []},
                    "text/html": PLOTLY_HTML,
                    "image/png": PNG,
                }
            )
        )
    )
    document, found = _render(nb)
    assert "Shown instead: the notebook's static image/png copy" in found.output_texts[0]
    assert f'src="data:image/png;base64,{PNG}"' in document.html


def test_bokeh_widget_and_javascript_outputs_each_get_a_note():
    nb = _nb(
        _code(
            _display(
                {
                    "application/vnd.bokehjs_exec.v0+json": "",
                    "text/html": '<div class="bk-root"></div><script>Bokeh.embed()</script>',
                }
            ),
            _display(
                {
                    "application/vnd.jupyter.widget-view+json": {"model_id": "m"},
                    "text/plain": "IntSlider(value=3)",
                }
            ),
            _display({"application/javascript": "alert(1)"}),
        )
    )
    document, found = _render(nb)
    assert found.notices_in_outputs == 3
    assert "application/vnd.bokehjs_exec.v0+json" in found.output_texts[0]
    assert "static text/plain copy" in found.output_texts[1]
    assert "IntSlider(value=3)" in found.output_texts[1]
    assert "JavaScript output not shown" in found.output_texts[2]
    assert "alert(1)" not in document.html


def test_html_with_a_script_keeps_its_visible_part_and_says_so():
    table = "<table><tr><td>42</td></tr></table><script>makeSortable()</script>"
    document, found = _render(_nb(_code(_display({"text/html": table}))))
    assert "<td>42</td>" in document.html and "makeSortable" not in document.html
    assert "its scripts were removed" in found.output_texts[0]


def test_an_unknown_mime_type_falls_back_to_text_with_a_note():
    nb = _nb(
        _code(
            _display({"application/pdf": "JVBERi0=", "text/plain": "<Figure>"}),
            _display({"application/x-unheard-of": "?"}),
        )
    )
    document, found = _render(nb)
    assert "Shown as text/plain: this view cannot display application/pdf" in found.output_texts[0]
    assert "cannot display application/x-unheard-of" in found.output_texts[1]


def test_unknown_cell_and_output_types_are_notes_not_refusals():
    nb = _nb(
        {"cell_type": "widget", "metadata": {}, "source": "slider state"},
        _code({"output_type": "hologram", "data": {}}),
        {"cell_type": "markdown", "metadata": {}, "source": "still here"},
    )
    document, found = _render(nb)
    assert "Cell 1 is of unknown type 'widget' and is not rendered." in found.cell_texts[0]
    assert "slider state" in found.cell_texts[0]
    assert "unknown type 'hologram'" in found.output_texts[0]
    assert "still here" in found.cell_texts[2]


def test_attachments_are_judged_one_by_one():
    cell = {
        "cell_type": "markdown",
        "metadata": {},
        "source": "![a](attachment:a.webp) ![b](attachment:b.tiff) ![c](attachment:c.png) "
        "![d](attachment:missing.png)",
        "attachments": {
            "a.webp": {"image/webp": "UklGRg=="},
            "b.tiff": {"image/tiff": "SUkqAA=="},
            "c.png": {"image/png": "not base64 at all!"},
        },
    }
    document, found = _render(_nb(cell))
    assert 'src="data:image/webp;base64,UklGRg=="' in document.html
    text = found.cell_texts[0]
    assert "Attachment 'b.tiff' not shown: image/tiff is not an image type this view shows" in text
    assert "Attachment 'c.png' not shown: its image/png data is not valid base64" in text
    assert "Attachment 'missing.png' not shown: the notebook has no attachment" in text
    assert document.report.not_shown == 3


def test_nbformat_2_and_3_are_upgraded():
    v2 = {
        "nbformat": 2,
        "nbformat_minor": 0,
        "metadata": {"name": "old"},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "markdown", "source": "# Two"},
                    {
                        "cell_type": "code",
                        "input": "print(2)",
                        "language": "python",
                        "outputs": [{"output_type": "stream", "stream": "stdout", "text": "2\n"}],
                        "prompt_number": 1,
                    },
                ]
            }
        ],
    }
    document = render_notebook(json.dumps(v2))
    found = read_page(document.html)
    assert (found.cells, found.outputs) == (2, 1)
    assert document.toc[0].text == "Two" and "print" in document.html


def test_a_5000_digit_integer_is_not_a_crash():
    nb = _nb(_code(_display({"text/plain": "big"})))
    text = json.dumps(nb).replace('"execution_count": 1', '"execution_count": ' + "7" * 5000)
    document = render_notebook(text)
    assert "big" in document.html and "In&nbsp;[&nbsp;]" in document.html
