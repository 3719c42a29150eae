"""A rendered page read the way a browser reads it (html5lib builds the HTML5 tree), to count
what a reviewer sees: cells, inputs, outputs, and the text inside each cell."""

from __future__ import annotations

from dataclasses import dataclass, field

import html5lib

NS = "{http://www.w3.org/1999/xhtml}"


@dataclass
class PageStructure:
    cells: int = 0
    inputs: int = 0
    outputs: int = 0
    cell_texts: list[str] = field(default_factory=list)
    output_texts: list[str] = field(default_factory=list)
    output_images: list[int] = field(default_factory=list)
    notices_in_outputs: int = 0


def _classes(element) -> set[str]:  # noqa: ANN001 - an ElementTree element
    return set((element.get("class") or "").split())


def _text(element) -> str:  # noqa: ANN001
    return "".join(element.itertext())


def read_page(page: str) -> PageStructure:
    """Counts of the page's cells (direct children of <main>), inputs and outputs."""
    tree = html5lib.parse(page, namespaceHTMLElements=True)
    main = tree.find(f".//{NS}main")
    assert main is not None, "the page has a <main>"
    found = PageStructure()
    for cell in main:
        if "jp-Cell" not in _classes(cell):
            continue
        found.cells += 1
        found.cell_texts.append(_text(cell))
        for element in cell.iter():
            classes = _classes(element)
            if "jp-InputArea" in classes:
                found.inputs += 1
            if "jp-OutputArea-child" in classes:
                found.outputs += 1
                found.output_texts.append(_text(element))
                found.output_images.append(sum(1 for e in element.iter(f"{NS}img")))
                if any("signoff-notice" in _classes(e) for e in element.iter()):
                    found.notices_in_outputs += 1
    # nothing that looks like a cell may sit anywhere but directly in <main>
    nested = sum(1 for e in main.iter() if "jp-Cell" in _classes(e))
    assert nested == found.cells, "a cell element nested inside content"
    return found


def notebook_counts(nb: dict) -> tuple[int, int, int]:
    """(cells, inputs, outputs) of a parsed nbformat-4 notebook."""
    cells = nb["cells"]
    outputs = sum(len(c.get("outputs") or []) for c in cells if c.get("cell_type") == "code")
    return len(cells), len(cells), outputs
