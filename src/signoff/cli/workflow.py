"""Workflow subcommands: decisions on a version, policy, people and the review queue.

The acting user is the registry's (``SIGNOFF_USER`` or the OS login on the embedded
database; the database login on PostgreSQL). Every command goes through the same core
functions as the GUI; a refused action exits 2 with the reason.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from signoff.cli.common import print_json, registry_from_args
from signoff.cli.signing import add_password_options, signing_password
from signoff.core.catalog import lookup
from signoff.core.catalog.lookup import parse_ref
from signoff.core.catalog.words import (
    action_word,
    check_word,
    count,
    gate_word,
    listing,
    policy_words,
    role_word,
    roles_in_words,
    state_word,
)
from signoff.core.common.errors import NotFoundError, SignoffError
from signoff.core.db.schema import PRODUCTION, RISK_TIERS, ROLES
from signoff.core.governance.approvals import approval_status, my_reviews
from signoff.core.governance.finding_gates import ConditionRequest, parse_conditions
from signoff.core.governance.people import list_people, roles_of, save_person
from signoff.core.governance.policy import GATES, all_policies, set_policy
from signoff.core.governance.signing import DecisionRequest, sign_decision
from signoff.core.governance.tiers import set_risk_tier
from signoff.core.governance.workflow import in_write

DECISIONS = {
    "submit": ("submit", "submit a draft version for review"),
    "approve": ("approve", "sign the open gate (production use, or go-live) for one of your roles"),
    "reject": ("reject", "reject a version at the open gate (reason required)"),
    "request-changes": (
        "request_changes",
        "send a version in review back to draft (comment required)",
    ),
    "comment": ("comment", "add a comment to a version (no approval implied)"),
    "do-not-use": (
        "do_not_use",
        "mark a version do not use and notify consumers (reason required)",
    ),
    "withdraw": ("withdraw", "withdraw a version from review (author)"),
    "go-live": ("go_live", "put a ready version live (release manager)"),
    "retire": ("retire", "retire a live or superseded version (release manager)"),
    "revalidate": (
        "revalidate",
        "sign that a live version is still fit for use (validator; comment required)",
    ),
}


def parse_condition(text: str) -> ConditionRequest:
    """``3:2026-12-31`` (or ``#3:2026-12-31``) as a condition; SignoffError when malformed."""
    found = parse_conditions(text)
    if len(found) != 1:
        raise SignoffError(f"--condition '{text}': give FINDING:DATE, like 3:2026-12-31")
    return found[0]


def _ref(text: str) -> tuple[str, int]:
    name, number = parse_ref(text)
    if number is None:
        raise NotFoundError(f"'{text}': name the version, like {name}@3")
    return name, number


def register(sub: argparse._SubParsersAction) -> None:
    for command, (action, help_text) in DECISIONS.items():
        p = sub.add_parser(command, help=help_text)
        p.add_argument("ref", metavar="MODEL@VERSION")
        p.add_argument(
            "-m",
            "--comment",
            "--reason",
            dest="comment",
            default="",
            help="comment, or the reason for reject / do-not-use",
        )
        if action in ("approve", "reject", "request_changes"):
            p.add_argument("--role", help="the role you sign as (default: your missing one)")
        if action == "go_live":
            p.add_argument("--environment", default="production")
        if action in ("approve", "revalidate"):
            p.add_argument(
                "--condition",
                action="append",
                default=[],
                metavar="FINDING:DATE",
                help="sign on condition that finding FINDING is resolved by DATE (repeatable)",
            )
        add_password_options(p)
        p.set_defaults(handler=cmd_decide, action=action)

    p = sub.add_parser("approvals", help="show a version's gates, signatures and checks")
    p.add_argument("ref", metavar="MODEL@VERSION")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_approvals)

    p = sub.add_parser("reviews", help="versions waiting for your signature, oldest first")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_reviews)

    pol = sub.add_parser("policy", help="show or change the approval policy per risk tier")
    psub = pol.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    show = psub.add_parser("show", help="the policy in force for every tier")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_policy_show)
    put = psub.add_parser("set", help="store a new policy revision for a tier (admin)")
    put.add_argument("tier")
    put.add_argument("--file", type=Path, help="JSON rules {gates: {...}, checks: [...]}")
    put.add_argument("--production-use", help="comma-separated roles for the first gate")
    put.add_argument("--go-live", help="comma-separated roles for the go-live gate")
    put.add_argument("--checks", help="comma-separated deployment checks required to go live")
    put.set_defaults(handler=cmd_policy_set)

    users = sub.add_parser("users", help="people, printed names and roles")
    usub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    ls = usub.add_parser("ls", help="list people and roles")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=cmd_users_ls)
    add = usub.add_parser("add", help="add or update a person (admin)")
    add.add_argument("login")
    add.add_argument("--name", help="printed name shown with signatures")
    add.add_argument("--email")
    add.add_argument("--role", action="append", dest="roles", choices=ROLES)
    add.set_defaults(handler=cmd_users_add)
    roles = usub.add_parser("roles", help="replace a person's roles (admin)")
    roles.add_argument("login")
    roles.add_argument("roles", nargs="*", choices=ROLES, metavar="ROLE")
    roles.set_defaults(handler=cmd_users_roles)

    tier = sub.add_parser(
        "tier", help="change a model's risk tier (admin or business owner; audited, with a reason)"
    )
    tier.add_argument("model")
    tier.add_argument("tier", choices=RISK_TIERS)
    tier.add_argument("--reason", required=True, help="why the tier changes (recorded)")
    tier.set_defaults(handler=cmd_tier)


def cmd_decide(args: argparse.Namespace) -> int:
    """One decision, signed as the desktop signs it: what the signer saw is what is decided on
    (a change by someone else meanwhile fails, saying what changed and who did it)."""
    name, number = _ref(args.ref)
    registry = registry_from_args(args)
    environment = getattr(args, "environment", PRODUCTION)
    with registry.read() as s:  # what the signer is looking at, before the password prompt
        version = lookup.get_version(s, name, number)
        seen_row = version.row_version
        seen_live = lookup.live_versions(s, version.model_id).get(environment)
    request = DecisionRequest(
        args.action,
        getattr(args, "role", None),
        args.comment,
        signing_password(registry, args),
        environment,
        tuple(parse_condition(c) for c in getattr(args, "condition", [])),
    )
    outcome = sign_decision(registry, name, number, request, seen_row, seen_live)
    print(outcome.describe())
    if outcome.notified:
        print(
            f"{count(outcome.notified, 'consumer notification')} queued; 'signoff notify' delivers"
        )
    return 0


def cmd_approvals(args: argparse.Namespace) -> int:
    name, number = _ref(args.ref)
    registry = registry_from_args(args)
    with registry.read() as s:
        st = approval_status(s, name, number, registry.actor)
    if args.json:
        print_json(
            {
                "model": st.model,
                "version": st.number,
                "state": st.state,
                "gates": [
                    {
                        "gate": g.gate,
                        "required": g.required,
                        "missing": g.missing,
                        "complete": g.complete,
                        "signed": {
                            r: {
                                "by": s.login,
                                "name": s.printed_name,
                                "at": s.at.isoformat(),
                                "meaning": s.meaning,
                            }
                            for r, s in g.signed.items()
                        },
                    }
                    for g in st.gates
                ],
                "checks": [
                    {"check": c.check, "required": c.required, "passed": c.passed}
                    for c in st.checks
                ],
                "allowed": st.allowed,
                "unverified": [
                    {"decision_id": d.decision_id, "by": d.login, "problem": d.problem}
                    for d in st.decisions
                    if not d.verified
                ],
            }
        )
        return 0
    print(
        f"{st.model} v{st.number}: {state_word(st.state)} (tier {st.risk_tier}, judged under "
        f"{policy_words(st.risk_tier, st.policy_revision)}, author {st.author})"
    )
    for g in st.gates:
        mark = "complete" if g.complete else ("open" if g.open else "waiting")
        print(f"  {g.title} [{mark}]")
        for role in g.required:
            sig = g.signed.get(role)
            print(
                f"    {role_word(role):16} "
                + (
                    f"{sig.printed_name} ({sig.login}) {sig.at:%Y-%m-%d %H:%M:%S} UTC — "
                    f"{sig.meaning}"
                    if sig
                    else "missing"
                )
            )
    for c in st.checks:
        verdict = {True: "passed", False: "FAILED", None: "no evidence"}[c.passed]
        print(
            f"  check {check_word(c.check):40} {verdict}{'' if c.required else ' (not required)'}"
        )
    for d in st.decisions:
        if not d.verified:
            print(
                f"  NOT VERIFIED, not counted: {action_word(d.action)} by {d.login} at "
                f"{d.at:%Y-%m-%d %H:%M:%S} UTC — {d.problem}"
            )
    print(
        "  you may: "
        + (
            ", ".join(action_word(a).lower() for a, why in st.allowed.items() if why is None)
            or "nothing now"
        )
    )
    return 0


def cmd_reviews(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    with registry.read() as s:
        items = my_reviews(s, registry.actor)
    if args.json:
        print_json(
            [
                {
                    "model": i.model,
                    "version": i.number,
                    "gate": i.gate,
                    "roles": i.my_roles,
                    "waiting_since": i.waiting_since.isoformat(),
                    "age_hours": round(i.age.total_seconds() / 3600, 1),
                }
                for i in items
            ]
        )
        return 0
    if not items:
        print("nothing waiting for you")
    for i in items:
        print(
            f"{i.model}@{i.number}  {i.gate_title.lower()} as {roles_in_words(i.my_roles, 'or')}"
            f"  waiting {i.age.days}d {i.age.seconds // 3600}h"
        )
    return 0


def cmd_policy_show(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    with registry.read() as s:
        policies = all_policies(s)
    if args.json:
        print_json([p.to_json() for p in policies])
        return 0
    for p in policies:
        print(f"{p.risk_tier}: {policy_words(p.risk_tier, p.revision)}, by {p.created_by or '—'}")
        for gate in GATES:
            print(f"  {gate_word(gate):28} {roles_in_words(p.roles_for(gate))}")
        checks = listing(check_word(c) for c in p.checks)
        print(f"  {'Deployment checks':28} {checks or 'none'}")
    return 0


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [t.strip() for t in text.split(",") if t.strip()]


def cmd_policy_set(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    if args.file:
        try:
            rules = json.loads(args.file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SignoffError(f"cannot read policy file {args.file}: {exc}") from exc
    else:
        with registry.read() as s:
            current = {p.risk_tier: p for p in all_policies(s)}.get(args.tier)
        if current is None:
            raise SignoffError(f"unknown risk tier '{args.tier}'")
        rules = {
            "gates": {
                "production_use": _split(args.production_use)
                or current.roles_for("production_use"),
                "go_live": _split(args.go_live) or current.roles_for("go_live"),
            },
            "checks": _split(args.checks) if args.checks is not None else current.checks,
        }
    policy = in_write(registry, set_policy, args.tier, rules, actor=registry.actor)
    print(f"policy for {policy.risk_tier} is now revision {policy.revision}")
    return 0


def cmd_users_ls(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    with registry.read() as s:
        people = list_people(s)
    if args.json:
        print_json(
            [
                {
                    "login": p.login,
                    "name": p.display_name,
                    "email": p.email,
                    "roles": list(p.roles),
                    "active": p.active,
                }
                for p in people
            ]
        )
        return 0
    for p in people:
        print(f"{p.login:16} {p.printed_name:28} {roles_in_words(p.roles) or '—'}")
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    person = in_write(
        registry,
        save_person,
        args.login,
        actor=registry.actor,
        display_name=args.name,
        email=args.email,
        roles=args.roles,
    )
    print(f"{person.login} ({person.printed_name}): {roles_in_words(person.roles) or 'no roles'}")
    return 0


def cmd_users_roles(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    person = in_write(registry, save_person, args.login, actor=registry.actor, roles=args.roles)
    with registry.read() as s:
        held = sorted(roles_of(s, person.login))
    print(f"{person.login}: {roles_in_words(held) or 'no roles'}")
    return 0


def cmd_tier(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    before = in_write(
        registry, set_risk_tier, args.model, args.tier, actor=registry.actor, reason=args.reason
    )
    if before == args.tier:
        print(f"{args.model} is already {args.tier}")
    else:
        print(f"{args.model}: risk tier {before} → {args.tier} (reason recorded)")
    return 0
