"""A small A4 document writer for Signoff's reports, on fpdf2 (pure Python, no Qt).

Sections, key/value facts, tables with flagged rows and paragraphs, in matplotlib's bundled
DejaVu fonts so any printed name (any Unicode) shows. Both the reproduction report and the
campaign report are written with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

HEADING = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
BAD_ROW = FontFace(fill_color=(253, 232, 230))


def fonts_dir() -> Path:
    """matplotlib's DejaVu fonts (installed with the core's dependencies), found without
    importing matplotlib, which would cost a report most of a second."""
    import importlib.util

    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.submodule_search_locations:
        folder = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
        if (folder / "DejaVuSans.ttf").is_file():
            return folder
    import matplotlib  # an unusual layout: ask matplotlib itself

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def rgb(colour: str) -> tuple[int, int, int]:
    """``#1b7f3b`` as (27, 127, 59)."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


class PdfReport:
    """One report being written; :meth:`output` returns the PDF's bytes."""

    def __init__(self, title: str, *, keywords: str = "") -> None:
        pdf = FPDF(format="A4")
        pdf.set_creator("Signoff")
        pdf.set_title(title)
        if keywords:
            pdf.set_keywords(keywords)
        fonts = fonts_dir()
        pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
        self._mono = False  # the fixed-width font is read only by a report that uses it
        pdf.set_auto_page_break(True, margin=15)
        pdf.add_page()
        self.pdf = pdf
        self.width = pdf.w - pdf.l_margin - pdf.r_margin
        pdf.set_font("DejaVu", "B", 16)
        pdf.multi_cell(self.width, 8, title, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    def banner(self, text: str, colour: str) -> None:
        """A coloured band with white bold text (the verdict)."""
        pdf = self.pdf
        pdf.set_fill_color(*rgb(colour))
        pdf.set_text_color(255, 255, 255)
        pdf.set_font("DejaVu", "B", 12)
        pdf.multi_cell(self.width, 9, f" {text}", fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.set_fill_color(255, 255, 255)

    def section(self, title: str) -> None:
        pdf = self.pdf
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(self.width, 7, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 8)

    def subsection(self, title: str) -> None:
        pdf = self.pdf
        pdf.ln(1)
        pdf.set_font("DejaVu", "B", 9)
        pdf.cell(self.width, 5.5, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 8)

    def table(
        self,
        headers: list[str] | None,
        rows: list[list[Any]],
        widths: tuple[int, ...],
        bad: list[bool] | None = None,
    ) -> None:
        """A table; rows flagged in *bad* are shaded red. *widths* are relative."""
        with self.pdf.table(
            col_widths=widths,
            headings_style=HEADING,
            line_height=4.2,
            first_row_as_headings=headers is not None,
            text_align="LEFT",
        ) as tab:
            if headers is not None:
                tab.row(headers)
            for i, row in enumerate(rows):
                tab.row([str(c) for c in row], style=BAD_ROW if bad and bad[i] else None)

    def listing(
        self,
        headers: list[str],
        rows: list[list[Any]],
        widths: tuple[int, ...],
        bad: list[bool] | None = None,
    ) -> None:
        """A long table of one-line rows (an appendix): cells are cut to their width rather
        than wrapped, which keeps hundreds of rows cheap to lay out; the header row repeats
        on every page."""
        pdf = self.pdf
        scale = self.width / sum(widths)
        mm = [w * scale for w in widths]
        height = 4.0

        def header() -> None:
            pdf.set_font("DejaVu", "B", 7)
            pdf.set_fill_color(*HEADING.fill_color.colors255)  # type: ignore[union-attr]
            for text, w in zip(headers, mm, strict=True):
                pdf.cell(w, height + 0.6, text, border=1, fill=True)
            pdf.ln(height + 0.6)
            pdf.set_font("DejaVu", "", 7)

        header()
        for i, row in enumerate(rows):
            if pdf.will_page_break(height):
                pdf.add_page()
                header()
            flagged = bool(bad and bad[i])
            pdf.set_fill_color(*(BAD_ROW.fill_color.colors255 if flagged else (255, 255, 255)))  # type: ignore[union-attr]
            for value, w in zip(row, mm, strict=True):
                text = str(value)
                while text and pdf.get_string_width(text) > w - 1.5:
                    text = text[:-2] + "…"
                pdf.cell(w, height, text, border=1, fill=True)
            pdf.ln(height)
        pdf.set_fill_color(255, 255, 255)
        pdf.set_font("DejaVu", "", 8)

    def facts(self, rows: list[tuple[str, Any]]) -> None:
        """Label / value pairs as a two-column table."""
        self.table(None, [[label, value] for label, value in rows], (30, 70))

    def para(self, text: str, *, size: float = 8, mono: bool = False) -> None:
        pdf = self.pdf
        if mono and not self._mono:
            pdf.add_font("DejaVuMono", "", str(fonts_dir() / "DejaVuSansMono.ttf"))
            self._mono = True
        pdf.set_font("DejaVuMono" if mono else "DejaVu", "", size)
        pdf.multi_cell(self.width, 4.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 8)

    def bullets(self, items: list[str]) -> None:
        for item in items:
            self.para(f"- {item}")

    def output(self) -> bytes:
        return bytes(self.pdf.output())
