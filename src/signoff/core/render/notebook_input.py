"""Reading an untrusted notebook: clear errors for malformed files, bounded time and memory.

:func:`load_notebook` checks the size, estimates the memory parsing will take before it parses
(a file of empty JSON arrays takes ~25 bytes of memory per byte of file), parses cell by cell
(each cell is a cancellation point), upgrades nbformat 2 and 3 with nbformat's own converter,
and checks the structure every cell and output needs, naming the first problem precisely.
Cell and output *types* it does not know are not errors: the renderer shows them as notes.
"""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

from signoff.core.render.budget import RenderClock
from signoff.core.render.document import Limits, RenderError, TooLargeToShow, human_size

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# bytes of memory one parsed JSON container / value costs in CPython (measured, rounded up)
CONTAINER_BYTES = 72
VALUE_BYTES = 40


def _safe_int(digits: str) -> int | str:
    """JSON integers as Python ints, except ones too long to convert (kept as text)."""
    return int(digits) if len(digits) <= 4000 else digits


def estimated_parse_bytes(raw: bytes) -> int:
    """Memory parsing *raw* is expected to take: the text itself plus every array, object
    and value it holds. Brackets inside strings are left out when the first count is high."""
    containers = raw.count(b"[") + raw.count(b"{")
    values = raw.count(b",")
    estimate = 2 * len(raw) + CONTAINER_BYTES * containers + VALUE_BYTES * values
    if estimate <= 4 * len(raw) + 100_000_000:
        return estimate
    skeleton, strings = _STRING.subn(b'""', raw)
    containers = skeleton.count(b"[") + skeleton.count(b"{")
    values = skeleton.count(b",")
    return 2 * len(raw) + CONTAINER_BYTES * containers + VALUE_BYTES * (values + strings)


def _parse(text: str, clock: RenderClock | None) -> Any:
    """``json.loads`` for a notebook, parsing its ``cells`` one by one (cancellable)."""
    decoder = json.JSONDecoder(parse_int=_safe_int)
    position = _WHITESPACE.match(text, 0).end()  # type: ignore[union-attr]
    if not text.startswith("{", position):
        return decoder.decode(text)
    result: dict[str, Any] = {}
    position = _WHITESPACE.match(text, position + 1).end()  # type: ignore[union-attr]
    if text.startswith("}", position):
        return result
    while True:
        key, position = decoder.raw_decode(text, position)
        position = _WHITESPACE.match(text, position).end()  # type: ignore[union-attr]
        if not text.startswith(":", position) or not isinstance(key, str):
            return decoder.decode(text)  # malformed: the standard error message
        position = _WHITESPACE.match(text, position + 1).end()  # type: ignore[union-attr]
        if key == "cells" and text.startswith("[", position):
            value, position = _parse_cells(decoder, text, position, clock)
        else:
            value, position = decoder.raw_decode(text, position)
        result[key] = value
        position = _WHITESPACE.match(text, position).end()  # type: ignore[union-attr]
        if text.startswith(",", position):
            position = _WHITESPACE.match(text, position + 1).end()  # type: ignore[union-attr]
            continue
        if text.startswith("}", position) and not text[position + 1 :].strip():
            return result
        return decoder.decode(text)


def _parse_cells(
    decoder: json.JSONDecoder, text: str, position: int, clock: RenderClock | None
) -> tuple[list[Any], int]:
    cells: list[Any] = []
    position = _WHITESPACE.match(text, position + 1).end()  # type: ignore[union-attr]
    if text.startswith("]", position):
        return cells, position + 1
    while True:
        cell, position = decoder.raw_decode(text, position)
        cells.append(cell)
        if clock is not None:
            clock.tick(0.05 * position / len(text), "Reading the notebook")
        position = _WHITESPACE.match(text, position).end()  # type: ignore[union-attr]
        if text.startswith(",", position):
            position = _WHITESPACE.match(text, position + 1).end()  # type: ignore[union-attr]
            continue
        if text.startswith("]", position):
            return cells, position + 1
        decoder.decode(text)  # raises the standard error for the malformed array
        raise RenderError("not a notebook: the cells list is malformed")


def load_notebook(
    data: bytes | str, limits: Limits | None = None, clock: RenderClock | None = None
) -> dict[str, Any]:
    """Parse notebook JSON and check its structure; raise :class:`RenderError` naming the fault
    (:class:`TooLargeToShow` when it would not fit the memory budget).

    Accepts nbformat 4 (newer minor versions too), upgrades nbformat 2 and 3, and reads a
    newer major version as nbformat 4 when its shape allows. Returns a parsed nbformat-4 dict.
    """
    limits = limits or Limits()
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > limits.max_file_bytes:
        raise RenderError(
            f"notebook is {human_size(len(raw))}, larger than the "
            f"{human_size(limits.max_file_bytes)} Signoff renders"
        )
    allowed = limits.memory_factor * len(raw) + limits.memory_base_bytes
    needed = estimated_parse_bytes(raw)
    if needed > allowed:
        raise TooLargeToShow(
            f"reading its {human_size(len(raw))} of JSON would take about "
            f"{human_size(needed)} of memory (it holds millions of tiny arrays, objects or "
            f"values), more than the {human_size(allowed)} allowed for a file of its size"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RenderError(
            f"not a notebook: the file is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from exc
    try:
        nb = _parse(text, clock)
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
    if type(version) is not int:
        raise RenderError(f"unsupported notebook format {version!r}: expected a number")
    if version in (1, 2, 3):
        nb = _upgrade(nb, version)
    elif version < 1:
        raise RenderError(f"unsupported notebook format {version!r}")
    elif version > 4:
        nb.setdefault("metadata", {})
        nb["signoff_newer_format"] = version
    _check_structure(nb)
    return nb


def _upgrade(nb: dict[str, Any], version: int) -> dict[str, Any]:
    """An nbformat 1-3 notebook as nbformat 4, by nbformat's own converter."""
    import nbformat

    # keys nbformat's converter insists on but old notebooks in the wild leave out
    nb.setdefault("metadata", {})
    nb.setdefault("worksheets", [])
    for worksheet in nb.get("worksheets", []) if isinstance(nb.get("worksheets"), list) else []:
        if isinstance(worksheet, dict):
            worksheet.setdefault("cells", [])
            worksheet.setdefault("metadata", {})
    try:
        with warnings.catch_warnings():  # its advice on cell ids is for authors, not readers
            warnings.simplefilter("ignore")
            node = nbformat.reads(json.dumps(nb), as_version=4, capture_validation_error={})
    except Exception as exc:  # noqa: BLE001 - nbformat raises many types for bad input
        raise RenderError(f"nbformat {version} notebook could not be converted: {exc}") from exc
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
        if cell["cell_type"] not in ("code", "markdown", "raw"):
            continue  # shown as a note naming its type, whatever else it holds
        if "source" not in cell:
            raise RenderError(f"{where} ({cell['cell_type']}): missing key 'source'")
        source = cell["source"]
        if not isinstance(source, str) and not (
            isinstance(source, list) and all(isinstance(s, str) for s in source)
        ):
            raise RenderError(
                f"{where} source must be text (a string or a list of strings), "
                f"found {type(source).__name__}"
            )
        outputs = cell.get("outputs", [])
        if cell["cell_type"] == "code" and not isinstance(outputs, list):
            raise RenderError(f"{where}: 'outputs' must be a list")
        for number, output in enumerate(outputs if isinstance(outputs, list) else [], 1):
            if not isinstance(output, dict):
                raise RenderError(f"{where} output {number} is not an object")
            if "output_type" not in output:
                raise RenderError(f"{where} output {number}: missing key 'output_type'")
            if output["output_type"] in ("display_data", "execute_result") and not isinstance(
                output.get("data", {}), dict
            ):
                raise RenderError(f"{where} output {number}: 'data' must be an object")


def notebook_language(nb: dict[str, Any]) -> str:
    """The Pygments lexer name for the notebook's code cells (``ipython3`` for Python)."""
    from signoff.core.render.cells import safe_word

    info = nb.get("metadata", {}).get("language_info", {})
    info = info if isinstance(info, dict) else {}
    kernel = nb.get("metadata", {}).get("kernelspec", {})
    kernel = kernel if isinstance(kernel, dict) else {}
    name = safe_word(info.get("pygments_lexer") or info.get("name") or kernel.get("language") or "")
    return name or "ipython3"
