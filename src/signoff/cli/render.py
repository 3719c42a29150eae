"""``signoff render``: a notebook or Markdown file → the sanitized offline HTML the app shows.

Exit codes: 0 written; 2 the file cannot be rendered (the message says why) or the output
cannot be written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from signoff.core.common.errors import SignoffError
from signoff.core.common.files import atomic_write


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "render",
        help="render a notebook (.ipynb) or Markdown (.md) file to safe, offline HTML",
        description="Render FILE exactly as the Notebook / Release notes tabs show it: "
        "sanitized (no script, no event handlers, no javascript: links), offline "
        "(remote images become placeholders), CSS inline.",
    )
    p.add_argument("file", metavar="FILE", help="a .ipynb notebook or a .md Markdown file")
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT.html",
        default="-",
        help="where to write the HTML (default: standard output)",
    )
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="do not print the summary (headings, blocked content) to stderr",
    )
    p.set_defaults(handler=cmd_render)


def cmd_render(args: argparse.Namespace) -> int:
    """Render args.file to args.output; returns the exit code."""
    from signoff.core.render import render_path

    try:
        document = render_path(Path(args.file))
    except SignoffError as exc:
        print(f"signoff render: cannot render {args.file}: {exc}", file=sys.stderr)
        return 2
    if document.report.too_large:
        print(
            f"signoff render: cannot render {args.file}: too large to show: "
            f"{document.report.too_large}",
            file=sys.stderr,
        )
        return 2
    if args.output == "-":
        sys.stdout.write(document.html)
        sys.stdout.flush()
    else:
        try:
            atomic_write(Path(args.output).expanduser(), document.html)
        except OSError as exc:
            print(
                f"signoff render: cannot write {args.output}: {exc.strerror or exc}",
                file=sys.stderr,
            )
            return 2
    if not args.quiet:
        report = document.report
        parts = [f"{len(document.toc)} headings", f"{report.images} images"]
        if report.cells:
            parts.insert(0, f"{report.cells} cells")
        if report.blocked_remote:
            parts.append(f"{len(report.blocked_remote)} remote references blocked")
        if report.removed_scripts:
            parts.append(f"{report.removed_scripts} scripts removed")
        if report.not_shown:
            parts.append(f"{report.not_shown} not shown (marked in the page)")
        if report.truncated:
            parts.append(f"{len(report.truncated)} truncation notes")
        where = "" if args.output == "-" else f" -> {args.output}"
        print(f"rendered {args.file}{where}: {', '.join(parts)}", file=sys.stderr)
    return 0
