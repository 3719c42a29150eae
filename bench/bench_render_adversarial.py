"""Benchmark: a ladder of adversarial documents, Signoff's renderer next to nbconvert's.

Each input is rendered in a fresh child process by Signoff (``render_notebook`` /
``render_markdown``) and by nbconvert (``HTMLExporter().from_notebook_node``; for Markdown,
nbconvert's ``markdown2html`` filter), both warmed up on a small notebook first. The child
reports wall time and its peak memory above the warmed-up baseline (``VmHWM`` after resetting
it through ``/proc/self/clear_refs``). A peer still running after ``--timeout`` seconds is
stopped and recorded as such.

Targets (issue 17): no input over 3x nbconvert's time or 30 s, whichever is larger; peak
memory within 4x the file size + 300 MB. Also measured: how long a cancelled render takes to
stop after the cancellation is requested.

    python bench/bench_render_adversarial.py [--timeout 300] [--skip-huge]

Writes bench/results/render_adversarial.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

CHILD = r"""
import json, sys, time, threading
sys.path.insert(0, {src!r})
kind, engine, path = sys.argv[1], sys.argv[2], sys.argv[3]

def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
    return 0

small = json.dumps({{"nbformat": 4, "nbformat_minor": 5, "metadata": {{}}, "cells": [
    {{"cell_type": "markdown", "metadata": {{}}, "source": "# warm $x^2$ $$\\frac{{a}}{{b}}$$"}},
    {{"cell_type": "code", "metadata": {{}}, "execution_count": 1, "source": "print(1)",
      "outputs": [{{"output_type": "stream", "name": "stdout", "text": "1"}}]}}]}})
if engine == "signoff":
    from signoff.core.render import render_notebook, render_markdown
    render_notebook(small); render_markdown("# warm")
    run = render_notebook if kind == "notebook" else render_markdown
else:
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    exporter = HTMLExporter(); exporter.log.setLevel("ERROR")
    exporter.from_notebook_node(nbformat.reads(small, as_version=4))
    if kind == "notebook":
        run = lambda data: exporter.from_notebook_node(nbformat.reads(data.decode(), as_version=4))
    else:
        run = lambda data: markdown2html_mistune(data.decode())
data = open(path, "rb").read()
baseline = rss("VmRSS:")
open("/proc/self/clear_refs", "w").write("5")
started = time.perf_counter()
result = run(data)
elapsed = time.perf_counter() - started
peak = max(rss("VmHWM:"), rss("VmRSS:"))
html = getattr(result, "html", None) or (result[0] if isinstance(result, tuple) else result)
note = getattr(getattr(result, "report", None), "too_large", "") or ""
print(json.dumps({{"seconds": elapsed, "peak": max(0, peak - baseline), "page": len(html),
                  "too_large": note}}))
"""

CANCEL = r"""
import json, sys, threading, time
sys.path.insert(0, {src!r})
from signoff.core.render import render_notebook
data = open(sys.argv[1], "rb").read()
render_notebook(json.dumps({{"nbformat": 4, "metadata": {{}}, "cells": []}}))
stop = threading.Event()
class Cancelled(Exception):
    pass
def progress(fraction, message):
    if stop.is_set():
        raise Cancelled()
timer = threading.Timer(float(sys.argv[2]), stop.set)
timer.start()
asked = None
started = time.perf_counter()
try:
    render_notebook(data, progress=progress)
    print(json.dumps({{"stopped_after": None}}))
except Cancelled:
    print(json.dumps({{"stopped_after": time.perf_counter() - started - float(sys.argv[2])}}))
"""


def _nb(cells: list[dict]) -> bytes:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}).encode()


def _md(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def _code(source: str, outputs: list[dict]) -> dict:
    return {
        "cell_type": "code",
        "metadata": {},
        "source": source,
        "execution_count": 1,
        "outputs": outputs,
    }


def _html(value: str) -> dict:
    return {"output_type": "display_data", "metadata": {}, "data": {"text/html": value}}


def ladder(skip_huge: bool) -> list[tuple[str, str, bytes, bytes | None]]:
    """(label, kind, input for Signoff, input for nbconvert or None = the same)."""
    formulas = " ".join(f"$\\frac{{{i}}}{{\\sqrt{{x_{i}}}}}$" for i in range(10))
    rows = "".join(f"<tr><th>{i}</th><td>{i * 0.5}</td><td>v{i}</td></tr>" for i in range(60_000))
    colour = "\x1b[31mred\x1b[0m text \x1b[1;32mgreen\x1b[0m\n" * 25_000
    items = [
        (
            "text/html of `<svg ` x 100,000 (500 kB)",
            "notebook",
            _nb([_code("x", [_html("<svg " * 100_000)])]),
            None,
        ),
        (
            "100,000 nested `<div>`s",
            "notebook",
            _nb([_code("x", [_html("<div>" * 100_000 + "deep")])]),
            None,
        ),
        (
            "2,000 cells x 10 formulas",
            "notebook",
            _nb([_md(f"cell {i} {formulas}") for i in range(2000)]),
            None,
        ),
        (
            "one 110 kB `$$...$$` formula",
            "notebook",
            _nb([_md("$$" + "x^2 + \\frac{a}{b} " * 5800 + "$$")]),
            None,
        ),
        (
            "unclosed `<textarea>` then 200 cells",
            "notebook",
            _nb([_code("x", [_html("<textarea>")])] + [_md(f"## cell {i}") for i in range(200)]),
            None,
        ),
        (
            "100,000 attributes on one tag",
            "notebook",
            _nb(
                [
                    _code(
                        "x",
                        [_html("<div " + " ".join(f"a{i}=1" for i in range(100_000)) + ">x</div>")],
                    )
                ]
            ),
            None,
        ),
        (
            "4 MB pandas-style HTML table",
            "notebook",
            _nb([_code("df", [_html(f"<table>{rows}</table>")])]),
            None,
        ),
        (
            "1 MB of ANSI-coloured stdout",
            "notebook",
            _nb([_code("log()", [{"output_type": "stream", "name": "stdout", "text": colour}])]),
            None,
        ),
        (
            "5,000-digit integer in the JSON",
            "notebook",
            _nb([_code("n", [])]).replace(
                b'"execution_count": 1', b'"execution_count": ' + b"7" * 5000
            ),
            None,
        ),
        (
            "release notes: `<svg>` x 20,000",
            "markdown",
            ("# Notes\n\n" + "<svg>" * 20_000).encode(),
            None,
        ),
        (
            "release notes: 20,000 list items",
            "markdown",
            ("# Notes\n\n" + "- item *x*\n" * 20_000).encode(),
            None,
        ),
        ("generated: 200 cells, 50 figures", "notebook", _figures(), None),
        ("100 MB notebook of 100 PNG outputs", "notebook", _pngs(100, 1_000_000), None),
    ]
    arrays = 96_000_000 if not skip_huge else 9_600_000
    huge = (
        b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [], "x": ['
        + b"[]," * arrays
        + b"[]]}"
    )
    small = (
        b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [], "x": ['
        + b"[]," * (arrays // 10)
        + b"[]]}"
    )
    items.append(
        (f"{len(huge) / 1e6:.0f} MB notebook of empty JSON arrays", "notebook", huge, small)
    )
    return items


def _pngs(count: int, size: int) -> bytes:
    """*count* outputs of *size* bytes of base64 each (PNG-shaped data: real base64)."""
    import base64

    blob = base64.b64encode(os.urandom(size * 3 // 4)).decode()
    png = {"output_type": "display_data", "metadata": {}, "data": {"image/png": blob}}
    return _nb([_code(f"plot({i})", [png]) for i in range(count)])


def _figures() -> bytes:
    from bench_render import large_notebook

    return large_notebook()


def measure(kind: str, engine: str, data: bytes, timeout: float) -> dict:
    with tempfile.NamedTemporaryFile(
        suffix=".ipynb" if kind == "notebook" else ".md", delete=False
    ) as handle:
        handle.write(data)
        path = handle.name
    script = CHILD.format(src=str(ROOT / "src"))
    try:
        proc = subprocess.run(
            [sys.executable, "-c", script, kind, engine, path],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"seconds": None, "timeout": timeout}
    finally:
        os.unlink(path)
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "exit code"
        return {"seconds": None, "error": last.split(":")[0].rsplit(".", 1)[-1][:60]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cancellation(timeout: float) -> float | None:
    """Seconds from a cancellation request to the render stopping, on a heavy notebook."""
    formulas = " ".join(f"$\\frac{{{i}}}{{\\sqrt{{y_{i}}}}}$" for i in range(10))
    data = _nb([_md(f"cell {i} {formulas}") for i in range(3000)])
    with tempfile.NamedTemporaryFile(suffix=".ipynb", delete=False) as handle:
        handle.write(data)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", CANCEL.format(src=str(ROOT / "src")), handle.name, "3"],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    finally:
        os.unlink(handle.name)
    return json.loads(proc.stdout.strip().splitlines()[-1])["stopped_after"]


def _fmt_time(result: dict) -> str:
    if result.get("seconds") is None:
        if "timeout" in result:
            return f"> {result['timeout']:.0f} s (stopped)"
        return f"failed: {result.get('error', '?')}"
    return f"{result['seconds']:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--skip-huge", action="store_true", help="29 MB instead of 288 MB")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results" / "render_adversarial.md"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    rows = []
    for label, kind, data, peer_data in ladder(args.skip_huge):
        ours = measure(kind, "signoff", data, args.timeout)
        theirs = measure(kind, "nbconvert", peer_data or data, args.timeout)
        rows.append(
            (label, kind, len(data), ours, theirs, peer_data is not None, len(peer_data or data))
        )
        print(
            f"{label}: signoff {_fmt_time(ours)} / {ours.get('peak', 0) / 1e6:.0f} MB; "
            f"nbconvert {_fmt_time(theirs)} / {theirs.get('peak', 0) / 1e6:.0f} MB",
            flush=True,
        )
    stop = cancellation(args.timeout)
    write_results(args.out, rows, stop, args.timeout)


def write_results(out: Path, rows: list, stop: float | None, timeout: float) -> None:
    lines = [
        "# Adversarial rendering ladder: Signoff next to nbconvert",
        "",
        f"Recorded {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
        "`python bench/bench_render_adversarial.py` on "
        f"{platform.machine()} ({os.cpu_count()} cores shared with other work, load average "
        f"{os.getloadavg()[0]:.1f}), Python {platform.python_version()}.",
        "",
        "Each cell is one run in a fresh, warmed-up child process; memory is the peak above the "
        "warmed-up baseline. nbconvert is `HTMLExporter().from_notebook_node` (for Markdown, its "
        f"`markdown2html` filter); a run past {timeout:.0f} s was stopped.",
        "",
        "| input | size | Signoff time | Signoff peak memory | nbconvert time "
        "| nbconvert peak memory | time target | memory bound (4x + 300 MB) |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    all_met = True
    for label, _kind, size, ours, theirs, scaled, peer_size in rows:
        peer_time = theirs.get("seconds")
        if peer_time is None and "timeout" in theirs:
            peer_time = theirs["timeout"]
        limit = max(30.0, 3 * peer_time) if peer_time is not None else 30.0
        if scaled and peer_time is not None:
            limit = max(30.0, 3 * peer_time * size / peer_size)  # nbconvert ran on a tenth
        seconds = ours.get("seconds")
        time_ok = seconds is not None and seconds <= limit
        bound = 4 * size + 300e6
        memory_ok = ours.get("peak", float("inf")) <= bound
        all_met &= time_ok and memory_ok
        peer = _fmt_time(theirs) + (f" (on a {peer_size / 1e6:.0f} MB tenth)" if scaled else "")
        peer_mem = f"{theirs['peak'] / 1e6:.0f} MB" if "peak" in theirs else "—"
        note = f" — *{ours['too_large'][:70]}…*" if ours.get("too_large") else ""
        lines.append(
            f"| {label}{note} | {size / 1e6:.2f} MB | {_fmt_time(ours)} | "
            f"{ours.get('peak', 0) / 1e6:.0f} MB | {peer} | {peer_mem} | "
            f"{'met' if time_ok else 'NOT met'} (≤ {limit:.0f} s) | "
            f"{'met' if memory_ok else 'NOT met'} (≤ {bound / 1e6:.0f} MB) |"
        )
    lines += [
        "",
        f"- All targets: {'met' if all_met else 'NOT all met'}.",
        "- Cancellation: a render of 3,000 cells x 10 formulas cancelled 3 s in stopped "
        + (
            f"{stop:.2f} s after the request." if stop is not None else "only at its end (NOT met)."
        ),
        "- The empty-arrays notebook is refused before parsing from a memory estimate (the "
        'page says "too large to show"); nbconvert parses it whole, so it ran on a tenth of '
        "the file and its time target is scaled up by ten.",
        "",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
