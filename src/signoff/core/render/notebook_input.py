"""Reading an untrusted notebook: clear errors for malformed files, a clean copy within limits.

:func:`load_notebook` checks structure (JSON, nbformat version, the keys every cell and output
needs) and names the first problem precisely. :func:`clean_notebook` builds a new notebook that
carries only what rendering needs — cell sources, tags reduced to safe words, image
attachments, the outputs nbconvert displays — so metadata, widget state, JavaScript outputs and
cell ids (places CVE-2021-32862 listed) never reach the template at all. The HTML sanitizer
still runs over the whole rendered result afterwards; this is the first of two walls.
"""

from __future__ import annotations

import json
import re
from typing import Any

from signoff.core.render.document import Limits, RenderError, RenderReport, human_size
from signoff.core.render.sanitize import svg_to_img

CELL_TYPES = ("code", "markdown", "raw")
OUTPUT_TYPES = ("stream", "display_data", "execute_result", "error")
IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif")
TEXT_MIMES = ("text/html", "text/markdown", "text/latex", "text/plain")
SCRIPT_MIMES = (
    "application/javascript",
    "text/javascript",
    "application/vnd.jupyter.widget-view+json",
)

_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")
_SAFE_WORD = re.compile(r"[^A-Za-z0-9_.+-]")


def _text(value: Any, where: str) -> str:
    """A notebook multiline string: a str or a list of str."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    raise RenderError(
        f"{where} must be text (a string or a list of strings), found {type(value).__name__}"
    )


def load_notebook(data: bytes | str, limits: Limits | None = None) -> dict[str, Any]:
    """Parse notebook JSON and check its structure; raise :class:`RenderError` naming the fault.

    Accepts nbformat 4 (and converts nbformat 3). Returns the parsed dict, unmodified.
    """
    limits = limits or Limits()
    if isinstance(data, bytes):
        if len(data) > limits.max_file_bytes:
            raise RenderError(
                f"notebook is {human_size(len(data))}, larger than the "
                f"{human_size(limits.max_file_bytes)} Signoff renders"
            )
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise RenderError(
                f"not a notebook: the file is not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from exc
    try:
        nb = json.loads(data)
    except json.JSONDecodeError as exc:
        raise RenderError(
            f"not a notebook: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    except RecursionError as exc:
        raise RenderError("not a notebook: the JSON is nested too deeply") from exc
    if not isinstance(nb, dict):
        raise RenderError(
            f"not a notebook: the top level is a JSON {type(nb).__name__}, not an object"
        )
    if "nbformat" not in nb:
        raise RenderError("not a notebook: missing key 'nbformat'")
    version = nb["nbformat"]
    if version == 3:
        nb = _upgrade_v3(data)
    elif version != 4:
        raise RenderError(
            f"unsupported notebook format {version!r}: Signoff renders "
            "nbformat 4 (and converts nbformat 3)"
        )
    _check_structure(nb)
    return nb


def _upgrade_v3(text: str) -> dict[str, Any]:
    import nbformat

    try:
        node = nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many types for bad input
        raise RenderError(f"nbformat 3 notebook could not be converted: {exc}") from exc
    return json.loads(json.dumps(node))


def _check_structure(nb: dict[str, Any]) -> None:
    if "cells" not in nb:
        raise RenderError("not a notebook: missing key 'cells'")
    if not isinstance(nb["cells"], list):
        raise RenderError("not a notebook: 'cells' must be a list")
    if not isinstance(nb.get("metadata", {}), dict):
        raise RenderError("not a notebook: 'metadata' must be an object")
    for index, cell in enumerate(nb["cells"], start=1):
        where = f"cell {index}"
        if not isinstance(cell, dict):
            raise RenderError(f"{where} is not an object")
        if "cell_type" not in cell:
            raise RenderError(f"{where}: missing key 'cell_type'")
        if cell["cell_type"] not in CELL_TYPES:
            raise RenderError(
                f"{where}: unknown cell_type {cell['cell_type']!r} "
                f"(expected one of {', '.join(CELL_TYPES)})"
            )
        if "source" not in cell:
            raise RenderError(f"{where} ({cell['cell_type']}): missing key 'source'")
        _text(cell["source"], f"{where} source")
        outputs = cell.get("outputs", [])
        if cell["cell_type"] == "code" and not isinstance(outputs, list):
            raise RenderError(f"{where}: 'outputs' must be a list")
        for number, output in enumerate(outputs if isinstance(outputs, list) else [], 1):
            if not isinstance(output, dict):
                raise RenderError(f"{where} output {number} is not an object")
            if "output_type" not in output:
                raise RenderError(f"{where} output {number}: missing key 'output_type'")
            if output["output_type"] not in OUTPUT_TYPES:
                raise RenderError(
                    f"{where} output {number}: unknown output_type {output['output_type']!r}"
                )
            if output["output_type"] in ("display_data", "execute_result") and not isinstance(
                output.get("data", {}), dict
            ):
                raise RenderError(f"{where} output {number}: 'data' must be an object")


def safe_word(value: Any, limit: int = 60) -> str:
    """*value* reduced to letters, digits and ``_.+-`` (for tags and language names)."""
    return _SAFE_WORD.sub("", str(value))[:limit]


def _known_lexer(name: str) -> str:
    """*name* if Pygments knows it (``ipython3`` for Python), else plain ``text``."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    if name in ("python", "python3", "ipython", "ipython3"):
        return "ipython3"
    try:
        get_lexer_by_name(name)
    except ClassNotFound:
        return "text"
    return name


def _omitted(message: str) -> dict[str, Any]:
    from html import escape

    return {
        "output_type": "display_data",
        "metadata": {},
        "data": {"text/html": f'<div class="signoff-omitted">{escape(message)}</div>'},
    }


class _Budget:
    def __init__(self, limits: Limits, report: RenderReport) -> None:
        self.limits, self.report, self.used, self.exhausted = limits, report, 0, False

    def admit(self, size: int, what: str, where: str) -> str | None:
        """None if the content fits, else the note to show instead."""
        if size > self.limits.max_output_bytes:
            note = (
                f"{where}: {what} output of {human_size(size)} not shown (larger than "
                f"the {human_size(self.limits.max_output_bytes)} limit for one output)."
            )
            self.report.truncated.append(note)
            return note
        if self.used + size > self.limits.max_total_output_bytes:
            total = human_size(self.limits.max_total_output_bytes)
            note = f"{where}: output not shown: the notebook's outputs exceed {total} in total."
            if not self.exhausted:
                self.report.truncated.append(
                    f"Outputs beyond the {total} total limit were not shown."
                )
            self.exhausted = True
            return note
        self.used += size
        return None


def clean_notebook(nb: dict[str, Any], limits: Limits, report: RenderReport) -> dict[str, Any]:
    """A new nbformat-4 dict holding only what rendering needs (see the module docstring)."""
    cells = nb["cells"]
    report.cells = len(cells)
    budget = _Budget(limits, report)
    language = nb.get("metadata", {}).get("language_info", {})
    language = language if isinstance(language, dict) else {}
    name = safe_word(language.get("name", "python")) or "python"
    lexer = _known_lexer(safe_word(language.get("pygments_lexer", "")) or name)
    clean_meta: dict[str, Any] = {"language_info": {"name": name, "pygments_lexer": lexer}}
    clean_cells = [
        _clean_cell(cell, index, budget, report)
        for index, cell in enumerate(cells[: limits.max_cells], start=1)
    ]
    if len(cells) > limits.max_cells:
        note = (
            f"The notebook has {len(cells):,} cells; the first {limits.max_cells:,} are "
            f"shown and {len(cells) - limits.max_cells:,} were left out."
        )
        report.truncated.append(note)
        clean_cells.append(
            {
                "cell_type": "raw",
                "metadata": {"format": "text/html"},
                "source": f'<div class="signoff-omitted">{note}</div>',
            }
        )
    return {"nbformat": 4, "nbformat_minor": 4, "metadata": clean_meta, "cells": clean_cells}


def _clean_cell(
    cell: dict[str, Any], index: int, budget: _Budget, report: RenderReport
) -> dict[str, Any]:
    where = f"cell {index}"
    metadata = found if isinstance(found := cell.get("metadata"), dict) else {}
    tags = metadata.get("tags", [])
    tags = [safe_word(t, 40) for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
    clean: dict[str, Any] = {
        "cell_type": cell["cell_type"],
        "metadata": {"tags": tags[:20]},
        "source": _text(cell["source"], f"{where} source"),
    }
    source_size = len(clean["source"])
    if (note := budget.admit(source_size, "source", where)) is not None:
        clean["source"] = f"# {note}" if cell["cell_type"] == "code" else note
    if cell["cell_type"] == "raw":
        fmt = metadata.get("format") or metadata.get("raw_mimetype") or ""
        clean["metadata"]["format"] = fmt if fmt in ("text/html", "text/markdown") else ""
    if cell["cell_type"] == "markdown":
        clean["attachments"] = _clean_attachments(cell.get("attachments"))
    if cell["cell_type"] == "code":
        count = cell.get("execution_count")
        clean["execution_count"] = count if isinstance(count, int) else None
        clean["outputs"] = [
            o
            for number, output in enumerate(cell.get("outputs") or [], 1)
            if (o := _clean_output(output, f"{where} output {number}", budget, report)) is not None
        ]
    return clean


def _clean_attachments(attachments: Any) -> dict[str, Any]:
    if not isinstance(attachments, dict):
        return {}
    clean: dict[str, Any] = {}
    for name, bundle in attachments.items():
        if not isinstance(bundle, dict):
            continue
        for mime in (*IMAGE_MIMES, "image/svg+xml"):
            value = bundle.get(mime)
            if isinstance(value, list):
                value = "".join(v for v in value if isinstance(v, str))
            if isinstance(value, str) and (mime == "image/svg+xml" or _BASE64.match(value)):
                clean[str(name)] = {mime: value}
                break
    return clean


def _clean_output(
    output: dict[str, Any], where: str, budget: _Budget, report: RenderReport
) -> dict[str, Any] | None:
    kind = output["output_type"]
    if kind == "stream":
        text = _text(output.get("text", ""), f"{where} text")
        if (note := budget.admit(len(text), "stream", where)) is not None:
            return _omitted(note)
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return {"output_type": "stream", "name": name, "text": text}
    if kind == "error":
        traceback = output.get("traceback", [])
        lines = [t for t in traceback if isinstance(t, str)] if isinstance(traceback, list) else []
        size = sum(len(t) for t in lines)
        if (note := budget.admit(size, "traceback", where)) is not None:
            lines = [note]
        return {
            "output_type": "error",
            "ename": str(output.get("ename", ""))[:200],
            "evalue": str(output.get("evalue", ""))[:2000],
            "traceback": lines,
        }
    data = _clean_bundle(output.get("data", {}), output.get("metadata"), where, budget, report)
    if data is None:
        return None
    bundle, metadata = data
    clean = {"output_type": kind, "data": bundle, "metadata": metadata}
    if kind == "execute_result":
        count = output.get("execution_count")
        clean["execution_count"] = count if isinstance(count, int) else None
    return clean


def _clean_bundle(
    data: dict[str, Any], metadata: Any, where: str, budget: _Budget, report: RenderReport
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    bundle: dict[str, Any] = {}
    out_meta: dict[str, Any] = {}
    had_script = False
    for mime, raw in data.items():
        if mime in SCRIPT_MIMES:
            had_script = True
            continue
        if mime not in (*IMAGE_MIMES, *TEXT_MIMES, "image/svg+xml"):
            continue
        try:
            value = _text(raw, f"{where} {mime}")
        except RenderError:
            continue
        if (note := budget.admit(len(value), mime, where)) is not None:
            return {"text/html": f'<div class="signoff-omitted">{_esc(note)}</div>'}, {}
        if mime in IMAGE_MIMES:
            if not _BASE64.match(value):
                continue
            bundle[mime] = "".join(value.split())
            size = metadata.get(mime, {}) if isinstance(metadata, dict) else {}
            if isinstance(size, dict):
                dims = {
                    k: size[k]
                    for k in ("width", "height")
                    if isinstance(size.get(k), int) and not isinstance(size[k], bool)
                }
                if dims:
                    out_meta[mime] = dims
        else:
            bundle[mime] = value
    if "image/svg+xml" in bundle:
        svg = bundle.pop("image/svg+xml")
        # shown as an image, never inline: an SVG <img> runs no script and fetches nothing
        bundle.setdefault("text/html", svg_to_img(svg))
    if had_script:
        report.removed_scripts += 1
        if not bundle:
            return {
                "text/html": '<div class="signoff-omitted">JavaScript output not shown '
                "(documents run no script).</div>"
            }, {}
    if not bundle:
        return None
    return bundle, out_meta


def _esc(text: str) -> str:
    from html import escape

    return escape(text)
