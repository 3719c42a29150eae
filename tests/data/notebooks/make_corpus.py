"""Regenerate the notebook test corpus: ``python tests/data/notebooks/make_corpus.py``.

The files are committed; this script documents exactly what is in them. The hostile notebook
puts a payload in every place CVE-2021-32862 (GHSA-9jmq-rx5f-8jwq) named, and a few more.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).parent
XSS = '<script>alert("XSS")</script>'
IMG_XSS = '<img src=x onerror=alert("XSS")>'
SVG_XSS = ('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)" width="10" height="10">'
           '<script>alert("XSS")</script><a href="javascript:alert(1)"><rect width="5" '
           'height="5"/></a><image href="https://evil.example/track.png"/></svg>')


def figure_bytes(fmt: str) -> bytes:
    fig, ax = plt.subplots(figsize=(4, 2.5), dpi=80)
    ax.plot([0, 1, 2, 3], [1, 3, 2, 4], color="#d62728", linewidth=3)
    ax.set_title("ROC-ish curve")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt)
    plt.close(fig)
    return buf.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def code(source, outputs=(), count=1, **extra):
    cell = {"cell_type": "code", "execution_count": count, "metadata": {}, "source": source,
            "outputs": list(outputs)}
    cell.update(extra)
    return cell


def md(source, **extra):
    cell = {"cell_type": "markdown", "metadata": {}, "source": source}
    cell.update(extra)
    return cell


def notebook(cells, metadata=None):
    meta = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python", "pygments_lexer": "ipython3"}}
    meta.update(metadata or {})
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": meta, "cells": cells}


def all_outputs() -> dict:
    png, jpeg = b64(figure_bytes("png")), b64(figure_bytes("jpeg"))
    svg = figure_bytes("svg").decode("utf-8")
    table = ('<table border="1" class="dataframe"><thead><tr><th></th><th>score</th></tr>'
             '</thead><tbody><tr><th>0</th><td>0.91</td></tr><tr><th>1</th><td>0.87</td></tr>'
             '</tbody></table>')
    return notebook([
        md("# Credit risk analysis\n\nThis notebook exercises **every output type**.\n\n"
           "## Data\n\n| feature | type |\n|---|---|\n| income | float |\n| age | int |\n\n"
           "Inline math $\\alpha + \\beta^2$ and display math $$\\frac{TP}{TP+FP}$$\n\n"
           "![attached chart](attachment:chart.png)",
           attachments={"chart.png": {"image/png": png}}),
        code("import pandas as pd\nprint('rows:', 1000)",
             [{"output_type": "stream", "name": "stdout", "text": "rows: 1000\n"},
              {"output_type": "stream", "name": "stderr", "text": "warning: demo data\n"}]),
        md("## Results"),
        code("df.head()", [{"output_type": "execute_result", "execution_count": 2,
                            "metadata": {}, "data": {"text/html": table,
                                                     "text/plain": "   score\n0  0.91"}}],
             count=2),
        code("plot_png()", [{"output_type": "display_data", "metadata": {},
                             "data": {"image/png": png, "text/plain": "<Figure>"}}], count=3),
        code("plot_jpeg()", [{"output_type": "display_data", "metadata": {},
                              "data": {"image/jpeg": jpeg, "text/plain": "<Figure>"}}], count=4),
        code("plot_svg()", [{"output_type": "display_data", "metadata": {},
                             "data": {"image/svg+xml": svg, "text/plain": "<Figure>"}}], count=5),
        code("show_md()", [{"output_type": "display_data", "metadata": {},
                            "data": {"text/markdown": "### Markdown output\n*emphasis*",
                                     "text/plain": "md"}}], count=6),
        code("show_latex()", [{"output_type": "display_data", "metadata": {},
                               "data": {"text/latex": "$E = mc^2$", "text/plain": "E=mc2"}}],
             count=7),
        code("1 / 0", [{"output_type": "error", "ename": "ZeroDivisionError",
                        "evalue": "division by zero",
                        "traceback": ["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"]}],
             count=8),
        {"cell_type": "raw", "metadata": {}, "source": "raw text cell"},
        md("## Conclusion\n\nThe model is fine."),
    ])


def hostile() -> dict:
    png = b64(figure_bytes("png"))
    return notebook([
        # 1 markdown source: script, event handlers, javascript: and data: links, remote media
        md(f"# Hostile {XSS}\n\n{IMG_XSS}\n\n[click](javascript:alert('XSS'))\n\n"
           '<a href="JaVaScRiPt:alert(1)">mixed case</a> <a href="data:text/html,<script>'
           'alert(1)</script>">data link</a> <a href=" javascript:alert(1)">spaced</a>\n\n'
           '![remote](https://evil.example/pixel.png) <img src="//evil.example/proto.png">\n\n'
           '<img srcset="https://evil.example/a.png 1x" src="http://evil.example/b.png">\n\n'
           '<iframe src="https://evil.example/frame"></iframe>'
           '<object data="https://evil.example/x.swf"></object>'
           '<embed src="https://evil.example/e.swf">'
           '<video src="https://evil.example/v.mp4" poster="https://evil.example/p.png"></video>'
           '<audio src="https://evil.example/a.mp3"></audio>'
           '<link rel="stylesheet" href="https://evil.example/s.css">'
           '<base href="https://evil.example/">'
           '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
           '<form action="https://evil.example/"><input name="q"></form>'
           '<div style="background-image: url(https://evil.example/bg.png)">bg</div>'
           '<div style="background: u\\72l(https://evil.example/esc.png)">escaped</div>'
           '<style>@import url(https://evil.example/i.css); body{background:url(//evil.example/'
           'x.png)}</style>'
           f"{SVG_XSS}\n\n<math><mtext><script>alert(1)</script></mtext></math>",
           attachments={
               '"><script>alert("attachment name")</script>': {"image/png": png},
               "evil.svg": {"image/svg+xml": SVG_XSS},
               "x.html": {"text/html": XSS},
           }),
        # 2 cell metadata and tags (class attribute injection), cell id
        code("x = 1", [], metadata={"tags": ['"><script>alert("tag")</script>', "ok-tag"],
                                    "onload": XSS}, id='"><script>alert("id")</script>'),
        # 3 execution count not an integer
        code("y = 2", [], count='"><script>alert("count")</script>'),
        # 4 outputs of every MIME type carrying script
        code("display()", [
            {"output_type": "display_data", "metadata": {}, "data": {"text/html": XSS + IMG_XSS}},
            {"output_type": "display_data", "metadata": {}, "data": {"image/svg+xml": SVG_XSS}},
            {"output_type": "display_data", "metadata": {},
             "data": {"text/markdown": f"{XSS}[md](javascript:alert(1))"}},
            {"output_type": "display_data", "metadata": {},
             "data": {"application/javascript": 'alert("XSS")'}},
            {"output_type": "display_data", "metadata": {},
             "data": {"text/latex": f"$x$ {XSS}"}},
            {"output_type": "display_data", "metadata": {},
             "data": {"application/vnd.jupyter.widget-view+json":
                      {"model_id": '"><script>alert("widget")</script>', "version_major": 2,
                       "version_minor": 0}}},
            # base64 that breaks out of the src attribute
            {"output_type": "display_data", "metadata": {},
             "data": {"image/png": '"><script>alert("png")</script>'}},
            {"output_type": "display_data", "metadata": {},
             "data": {"image/jpeg": '" onerror="alert(1)'}},
            # width / height metadata injection
            {"output_type": "display_data",
             "metadata": {"image/png": {"width": '"><script>alert("width")</script>',
                                        "height": '" onload="alert(1)'}},
             "data": {"image/png": png}},
            {"output_type": "execute_result", "execution_count": 9, "metadata": {},
             "data": {"text/html": '<a href="javascript:alert(1)">js</a><p onclick="alert(1)">'
                                   'p</p><img src="https://evil.example/o.png">',
                      "text/plain": "x"}},
            {"output_type": "stream", "name": '"><script>alert("stream")</script>',
             "text": XSS},
            {"output_type": "error", "ename": XSS, "evalue": IMG_XSS, "traceback": [XSS]},
        ], count=4),
        # 5 raw cell with an HTML format
        {"cell_type": "raw", "metadata": {"format": "text/html"}, "source": XSS + IMG_XSS},
        {"cell_type": "raw", "metadata": {"raw_mimetype": "text/html"}, "source": XSS},
    ], metadata={
        # notebook metadata: title (head injection), widget state, language (class injection)
        "title": f"</title>{XSS}",
        "widgets": {"application/vnd.jupyter.widget-state+json": {
            "state": {}, "version_major": 2, "version_minor": 0, "x": f"</script>{XSS}"}},
        "language_info": {"name": 'python"><script>alert("lang")</script>',
                          "pygments_lexer": 'ipython3"><script>alert(1)</script>',
                          "codemirror_mode": XSS},
    })


def main() -> None:
    write = lambda name, nb: (HERE / name).write_text(json.dumps(nb, indent=1) + "\n")  # noqa: E731
    write("all_outputs.ipynb", all_outputs())
    write("hostile_cve_2021_32862.ipynb", hostile())
    (HERE / "malformed_json.ipynb").write_text('{"nbformat": 4, "cells": [\n')
    (HERE / "nbformat_2.ipynb").write_text(json.dumps({"nbformat": 2, "worksheets": []}))
    write("missing_cells.ipynb", {"nbformat": 4, "nbformat_minor": 5, "metadata": {}})
    write("missing_source.ipynb", notebook([{"cell_type": "markdown", "metadata": {}}]))
    write("missing_output_type.ipynb", notebook([code("x", [{"text": "hi"}])]))
    write("unknown_cell_type.ipynb", notebook([{"cell_type": "widget", "source": ""}]))
    (HERE / "top_level_list.ipynb").write_text("[1, 2, 3]\n")
    (HERE / "not_utf8.ipynb").write_bytes(b'{"nbformat": 4, "cells": ["\xff\xfe"]}')


if __name__ == "__main__":
    main()
