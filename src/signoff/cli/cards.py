"""``signoff card``: show, edit, compare and export a version's model card."""

from __future__ import annotations

import argparse
from pathlib import Path

from signoff.cli.common import print_json, registry_from_args
from signoff.cli.workflow import _ref
from signoff.core.common.errors import SignoffError
from signoff.core.common.files import atomic_write
from signoff.core.db import model_risk as rk
from signoff.core.governance.cards import (
    card_of,
    compare_cards,
    edit_card,
    render_card_html,
    render_card_pdf,
)
from signoff.core.governance.workflow import in_write


def register(sub: argparse._SubParsersAction) -> None:
    card = sub.add_parser("card", help="a version's model card: show, edit, compare, export")
    csub = card.add_subparsers(dest="card_command", metavar="ACTION", required=True)
    show = csub.add_parser("show", help="the card of a version")
    show.add_argument("ref", metavar="MODEL@VERSION")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_card_show)
    edit = csub.add_parser("edit", help="set one field (owner, author, validator, admin)")
    edit.add_argument("ref", metavar="MODEL@VERSION")
    edit.add_argument("field", choices=rk.CARD_FIELDS)
    edit.add_argument("value")
    edit.add_argument("--reason", required=True, help="why it changes (recorded)")
    edit.set_defaults(handler=cmd_card_edit)
    cmp = csub.add_parser("compare", help="two versions' cards field by field")
    cmp.add_argument("ref_a", metavar="MODEL@A")
    cmp.add_argument("ref_b", metavar="MODEL@B")
    cmp.set_defaults(handler=cmd_card_compare)
    exp = csub.add_parser("export", help="write the card as HTML or PDF")
    exp.add_argument("ref", metavar="MODEL@VERSION")
    exp.add_argument("-o", "--output", type=Path, required=True, help="FILE.html or FILE.pdf")
    exp.set_defaults(handler=cmd_card_export)


def cmd_card_show(args: argparse.Namespace) -> int:
    name, number = _ref(args.ref)
    with registry_from_args(args).read() as s:
        card = card_of(s, name, number)
    if args.json:
        print_json({f.name: {"value": f.value, "source": f.source} for f in card.fields})
        return 0
    print(f"Model card: {name} v{number}")
    for f in card.fields:
        print(f"  {f.title}: {f.value or '(not given)'}" + (f"  [{f.source}]" if f.source else ""))
    return 0


def cmd_card_edit(args: argparse.Namespace) -> int:
    name, number = _ref(args.ref)
    registry = registry_from_args(args)
    in_write(
        registry,
        edit_card,
        name,
        number,
        args.field,
        args.value,
        reason=args.reason,
        actor=registry.actor,
    )
    print(f"{name} v{number}: {rk.CARD_TITLES[args.field].lower()} updated")
    return 0


def cmd_card_compare(args: argparse.Namespace) -> int:
    (name_a, a), (name_b, b) = _ref(args.ref_a), _ref(args.ref_b)
    with registry_from_args(args).read() as s:
        rows = compare_cards(card_of(s, name_a, a), card_of(s, name_b, b))
    for title, left, right, same in rows:
        print(
            f"{'  ' if same else '≠ '}{title}: {left or '-'}"
            + ("" if same else f" → {right or '-'}")
        )
    return 0


def cmd_card_export(args: argparse.Namespace) -> int:
    name, number = _ref(args.ref)
    suffix = args.output.suffix.lower()
    if suffix not in (".html", ".pdf"):
        raise SignoffError(f"{args.output}: the card is exported as .html or .pdf")
    with registry_from_args(args).read() as s:
        card = card_of(s, name, number)
    data = render_card_html(card).encode() if suffix == ".html" else render_card_pdf(card)
    atomic_write(args.output, data)
    print(f"{name} v{number}: model card written to {args.output}")
    return 0
