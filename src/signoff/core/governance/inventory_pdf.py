"""The inventory report as a PDF (A4 landscape), written with fpdf2 and matplotlib's DejaVu
fonts like the reproduction report, so any name prints and the core needs no Qt."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from signoff.core.common.errors import SignoffError
from signoff.core.common.files import atomic_write
from signoff.core.db.registry import Registry, db_now
from signoff.core.governance.inventory_report import InventoryReport, build_report, render_csv
from signoff.core.reproduction.pdfdoc import fonts_dir

_COLUMNS = (
    ("Model", 26),
    ("Tier (rationale)", 34),
    ("Owner / unit", 28),
    ("Latest version, live", 30),
    ("Validated / next due", 28),
    ("Open findings", 22),
    ("Limitations and exceptions", 50),
    ("Consumers", 28),
    ("Monitoring", 31),
)


def render_inventory_pdf(report: InventoryReport) -> bytes:
    """*report* as a PDF: a title with the moment and the audit head, one row per model."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_creator("Signoff")
    title = f"Model inventory as of {report.as_of:%Y-%m-%d %H:%M} UTC"
    pdf.set_title(title)
    fonts = fonts_dir()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(width, 8, title, new_x="LMARGIN", new_y="NEXT")
    head = (
        f"Signed with the audit chain's head at that moment: event #{report.head_seq}, hash "
        f"{report.head_hash}."
        if report.head_seq
        else "No audit event had been written by that moment (the history was recorded later)."
    )
    pdf.set_font("DejaVu", "", 8.5)
    pdf.multi_cell(
        width,
        4.5,
        f"{len(report.entries)} models, reconstructed from the history. {head} Generated "
        f"{report.generated_at:%Y-%m-%d %H:%M} UTC by {report.generated_by}.",
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    heading = FontFace(emphasis="BOLD", fill_color=(228, 233, 240))
    flagged = FontFace(fill_color=(253, 236, 232))
    pdf.set_font("DejaVu", "", 7)
    with pdf.table(
        col_widths=tuple(w for _, w in _COLUMNS),
        headings_style=heading,
        line_height=3.6,
        text_align="LEFT",
    ) as table:
        table.row([name for name, _ in _COLUMNS])
        for e in report.entries:
            overdue = e.next_validation_due == "never validated" or (
                bool(e.next_validation_due) and e.next_validation_due < f"{report.as_of:%Y-%m-%d}"
            )
            live = f"v{e.live_version} since {e.live_since}" if e.live_version else "not live"
            table.row(
                [
                    f"{e.model}\n{e.title}",
                    f"{e.risk_tier}\n{e.tier_rationale}",
                    f"{e.owner}\n{e.business_unit}",
                    f"{e.state.replace('_', ' ')}\n{live}",
                    f"{e.last_validated or '-'}\nnext {e.next_validation_due or '-'}"
                    + ("\nOVERDUE" if overdue else ""),
                    e.open_findings_words(),
                    "\n".join(e.limitations + e.exceptions) or "-",
                    "\n".join(e.consumers) or "-",
                    e.monitoring,
                ],
                style=flagged if overdue or e.open_findings.get("high") else None,
            )
    return bytes(pdf.output())


def write_inventory_report(
    registry: Registry, as_of: datetime | None, folder: Path
) -> tuple[Path, Path, InventoryReport]:
    """Build the report as of *as_of* (None: now) as the registry's person and write
    ``inventory-DATE.pdf`` and ``.csv`` into *folder*; SignoffError for a moment in the future."""
    with registry.read() as session:
        now = db_now(session)
        moment = as_of or now
        if moment.date() > now.date():
            raise SignoffError(f"{moment:%Y-%m-%d} is in the future; the history ends now")
        # the end of today is now: the history has nothing later
        report = build_report(
            session, min(moment, now), generated_by=registry.actor, generated_at=now
        )
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"inventory-{report.as_of:%Y-%m-%d}"
    pdf_path, csv_path = folder / f"{stem}.pdf", folder / f"{stem}.csv"
    atomic_write(csv_path, render_csv(report).encode())
    atomic_write(pdf_path, render_inventory_pdf(report))
    return pdf_path, csv_path, report


__all__ = ["render_inventory_pdf", "write_inventory_report"]
