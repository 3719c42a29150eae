"""PostgreSQL roles and grants that make the governance rules hold inside the database.

``signoff db init-roles`` (run by an administrator, as the owner of the tables) creates five
group roles and grants each exactly what its people need:

* ``signoff_viewer``   — read everything, write nothing;
* ``signoff_author``   — publish versions, report runs, predictions and outcomes;
* ``signoff_reviewer`` — sign decisions, record evidence, go live (validators, business
  owners and release managers);
* ``signoff_auditor``  — record reproductions, their evidence and their sampled campaigns;
* ``signoff_admin``    — policies, people and roles, consumers, settings.

No application role may UPDATE or DELETE audit events or decisions (the append-only triggers
refuse even the owner), and none may UPDATE ``versions`` at all: a version's state changes only
through the SECURITY DEFINER function ``signoff_change_state``, which checks the caller's group
and the lifecycle graph. The acting user of audit events and decisions is stamped by the
database (migration 0002), so a modified client cannot sign as someone else.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

from signoff.core.common.errors import SignoffError

log = logging.getLogger(__name__)

GROUPS = (
    "signoff_viewer",
    "signoff_author",
    "signoff_reviewer",
    "signoff_auditor",
    "signoff_admin",
    "signoff_runner",
    "signoff_notifier",
)
# the registry's people roles (users/user_roles) and the database group each one needs
ROLE_TO_GROUP = {
    "viewer": "signoff_viewer",
    "author": "signoff_author",
    "validator": "signoff_reviewer",
    "business_owner": "signoff_reviewer",
    "release_manager": "signoff_reviewer",
    "auditor": "signoff_auditor",
    "admin": "signoff_admin",
    "runner": "signoff_runner",
    "notifier": "signoff_notifier",
}
LOGIN_RE = re.compile(r"^[a-z_][a-z0-9_.-]{0,62}$")

#: the outbox columns a deliverer updates (``claimed_by`` from migration 0010 on)
OUTBOX_COLUMNS = (
    "state",
    "attempts",
    "next_attempt_at",
    "last_error",
    "delivered_at",
    "claimed_by",
)
MODEL_METADATA = "title, description, owner, business_unit, tags, task, monitoring_rules"
#: tables no application login may read (webhook secrets; the chain's lock row; the key
#: signing acknowledgement links, which only the notifier and admins read)
PRIVATE_TABLES = ("consumer_secrets", "audit_head", "service_keys")
WRITERS = GROUPS[1:]

#: internal functions that write (an event, an outbox row): callable only from the others
WRITING_HELPERS = (
    "signoff__enqueue",
    "signoff__event",
    "signoff__audit_row",
    "signoff__raise_alert",
    "signoff__flag_dnu",
    "signoff__flag_dnu_at_commit",
    "signoff__note_dnu_use",
    "signoff__follow_ups",
)
#: the service's logins (and admins): leases, heartbeats, alerts
SERVICES = ("signoff_runner", "signoff_notifier", "signoff_admin")

# function -> the groups that may call it (everything else is revoked from PUBLIC)
FUNCTION_GRANTS = {
    "signoff_decide(integer, integer, text, text, text, text, integer, boolean, timestamp, "
    "jsonb)": (
        "signoff_author",
        "signoff_reviewer",
        "signoff_auditor",
        "signoff_admin",
    ),
    "signoff_mark_ready(integer)": (
        "signoff_reviewer",
        "signoff_auditor",
        "signoff_admin",
        "signoff_runner",
    ),
    "signoff_record_evidence(integer, text, boolean, text, jsonb)": (
        "signoff_reviewer",
        "signoff_auditor",
        "signoff_admin",
        "signoff_runner",
    ),
    "signoff_set_stale(integer, boolean, text, jsonb)": (
        "signoff_reviewer",
        "signoff_auditor",
        "signoff_admin",
        "signoff_runner",
    ),
    "signoff_set_risk_tier(integer, text, text)": ("signoff_reviewer", "signoff_admin"),
    "signoff_refresh_summary(integer)": WRITERS,
    # findings: validators and auditors raise and judge, authors and owners answer
    "signoff_finding(text, integer, integer, integer, jsonb, text, integer, timestamp)": (
        "signoff_author",
        "signoff_reviewer",
        "signoff_auditor",
        "signoff_admin",
    ),
    # the factory loop (migration 0011): whoever reports use has it flagged
    "signoff_flag_dnu_use(integer)": WRITERS,
    "signoff_raise_alert(text, text, integer, integer, text, text, text, jsonb, text, text[], "
    "boolean)": (*SERVICES, "signoff_reviewer"),
    "signoff_mark_alerts_read(integer[])": GROUPS,
    "signoff_record_ack(integer, integer, text, text, text)": ("signoff_notifier", "signoff_admin"),
    "signoff_remind_unacknowledged(double precision, timestamp)": SERVICES,
    # only the services take leases: anyone else could hold one to keep the service idle
    "signoff_claim_job(text, text, integer, boolean, timestamp)": SERVICES,
    "signoff_finish_job(text, text, text, bigint, boolean)": SERVICES,
    # attestations and model cards: the functions check who, as the Python does
    "signoff_attestation_period(text, text, date, integer, timestamp)": ("signoff_admin",),
    "signoff_attest(integer, integer, jsonb, text, timestamp)": (
        "signoff_author",
        "signoff_reviewer",
        "signoff_auditor",
        "signoff_admin",
    ),
    "signoff_edit_card(integer, text, text, text, timestamp)": (
        "signoff_author",
        "signoff_reviewer",
        "signoff_auditor",
        "signoff_admin",
    ),
}

#: heartbeats of ``signoff serve`` (not governance data: the service writes them directly)
SERVICE_GRANTS = {
    "service_instances": "INSERT, UPDATE ON service_instances",
    "service_keys": "SELECT ON service_keys",
}


#: an auditor's own campaigns (the triggers of :mod:`signoff.core.db.pgcampaigns` keep them theirs)
CAMPAIGN_GRANTS = {
    "audit_campaigns": "INSERT, UPDATE ON audit_campaigns",
    "audit_campaign_items": "INSERT ON audit_campaign_items",
}


def _present(tables: list[str], grants: dict[str, str]) -> list[str]:
    """The grants whose table exists (an older schema being upgraded may lack them)."""
    return [grant for table, grant in grants.items() if table in tables]


def _grants(tables: list[str], functions: list[str], outbox: list[str] | None = None) -> list[str]:
    """Every grant, after revoking everything: read (but not the private tables), and the
    few direct writes left; governance writes go through the functions. *outbox* names the
    outbox's columns as they are now (an older schema lacks some)."""
    delivery = ", ".join(c for c in OUTBOX_COLUMNS if outbox is None or c in outbox)
    readable = ", ".join(t for t in tables if t not in PRIVATE_TABLES)
    per_group = {
        "signoff_author": [
            "INSERT ON models, versions, components, metrics, executions, predictions, "
            "outcomes, audit_events",
            f"UPDATE ({MODEL_METADATA}) ON models",
        ],
        "signoff_reviewer": ["INSERT ON audit_events"],
        "signoff_auditor": [
            "INSERT ON audit_events",
            *_present(tables, CAMPAIGN_GRANTS),
        ],
        "signoff_runner": [
            "INSERT ON audit_events",
            *_present(tables, {"service_instances": SERVICE_GRANTS["service_instances"]}),
        ],
        "signoff_notifier": [
            "INSERT ON audit_events",
            *_present(tables, SERVICE_GRANTS),
            f"UPDATE ({delivery}) ON outbox",
            "SELECT ON consumer_secrets",
        ],
        "signoff_admin": [
            "INSERT ON audit_events",
            *_present(tables, SERVICE_GRANTS),
            "INSERT, UPDATE ON policies, users, user_roles, consumers, consumer_secrets, settings",
            "DELETE ON user_roles, consumer_secrets",
            f"UPDATE ({MODEL_METADATA}) ON models",
            f"UPDATE ({delivery}) ON outbox",
            "SELECT ON consumer_secrets",
        ],
    }
    out = [
        "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC, " + ", ".join(GROUPS),
        "GRANT USAGE ON SCHEMA public TO " + ", ".join(GROUPS),
        f"GRANT SELECT ON {readable} TO " + ", ".join(GROUPS),
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + ", ".join(WRITERS),
    ]
    for group, grants in per_group.items():
        out.extend(f"GRANT {grant} TO {group}" for grant in grants)
    for function in functions:  # signoff's own functions: none for PUBLIC
        out.append(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        # the read-only helpers (the guards call some of them as the inserting login)
        name = function.split("(", 1)[0]
        if name.startswith("signoff__") and name not in WRITING_HELPERS:
            out.append(f"GRANT EXECUTE ON FUNCTION {function} TO " + ", ".join(GROUPS))
    # by name, on the signatures that exist now: a migration part-way up the chain has some
    # functions not yet, or with fewer arguments than the newest declaration
    existing: dict[str, list[str]] = {}
    for function in functions:
        existing.setdefault(function.split("(", 1)[0], []).append(function)
    for function, groups in FUNCTION_GRANTS.items():
        for signature in existing.get(function.split("(", 1)[0], []):
            out.append(f"GRANT EXECUTE ON FUNCTION {signature} TO " + ", ".join(groups))
    return out


def install_rules(conn: Connection) -> int:
    """(Re)create the governance functions and guards; returns the statements run."""
    from signoff.core.db.pgfactory import TRIGGERS as FACTORY_TRIGGERS
    from signoff.core.db.pgguards import guards_sql
    from signoff.core.db.pgrules import rules_sql

    chain_body = _chain_body_sql("ev")
    statements = rules_sql() + guards_sql(chain_body)
    has_uses = conn.execute(text("SELECT to_regclass('public.dnu_uses') IS NOT NULL")).scalar_one()
    if has_uses:  # the factory loop's tables exist (migration 0010 on)
        statements += list(FACTORY_TRIGGERS)
    for statement in statements:
        conn.execute(text(statement))
    return len(statements)


def apply_grants(conn: Connection) -> list[str]:
    """Grant each group what it needs on the tables and functions that exist now."""
    tables = list(
        conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
    )
    functions = list(
        conn.execute(
            text(
                "SELECT p.oid::regprocedure::text FROM pg_proc p "
                "JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = 'public' AND p.proname LIKE 'signoff%'"
            )
        ).scalars()
    )
    outbox = list(
        conn.execute(
            text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = 'outbox'"
            )
        ).scalars()
    )
    statements = _grants(tables, functions, outbox)
    for statement in statements:
        conn.execute(text(statement))
    return statements


def _chain_body_sql(row: str) -> str:
    """The canonical JSON of an audit event row in SQL (the one migration 0002 defined)."""
    return (
        "'{\"action\":' || to_json(ROW.action)::text"
        " || ',\"actor\":' || to_json(ROW.actor)::text"
        " || ',\"at\":' || to_json(to_char(ROW.at, 'YYYY-MM-DD\"T\"HH24:MI:SS.US'))::text"
        " || ',\"entity_id\":' || to_json(ROW.entity_id)::text"
        " || ',\"entity_type\":' || to_json(ROW.entity_type)::text"
        " || ',\"model_id\":' || coalesce(ROW.model_id::text, 'null')"
        " || ',\"payload\":' || to_json(ROW.payload)::text"
        " || ',\"seq\":' || ROW.seq::text"
        " || ',\"version_id\":' || coalesce(ROW.version_id::text, 'null')"
        " || '}'"
    ).replace("ROW.", f"{row}.")


def init_roles(engine: Engine) -> list[str]:
    """Create the group roles, (re)install the governance functions and guards, and grant each
    group exactly what it needs; idempotent. Returns the grant statements executed."""
    if engine.dialect.name != "postgresql":
        raise SignoffError(
            "roles and grants exist only on PostgreSQL; the embedded SQLite "
            "registry is for a single workstation"
        )
    done: list[str] = []
    with engine.begin() as conn:
        for group in GROUPS:
            exists = conn.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": group}
            ).first()
            if not exists:
                conn.execute(text(f"CREATE ROLE {group} NOLOGIN"))
                done.append(f"CREATE ROLE {group} NOLOGIN")
        for group in WRITERS:
            conn.execute(text(f"GRANT signoff_viewer TO {group}"))
        install_rules(conn)
        done.extend(apply_grants(conn))
    log.info("initialised %d role statements", len(done))
    return done


def check_login(login: str, roles: list[str]) -> None:
    """Raise SignoffError unless *login* is a valid login name and every role is known."""
    if not LOGIN_RE.match(login):
        raise SignoffError(
            f"'{login}' is not a valid login: lower-case letters, digits, '_', '.', '-'"
        )
    unknown = [r for r in roles if r not in ROLE_TO_GROUP]
    if unknown:
        raise SignoffError(
            f"unknown role(s) {', '.join(unknown)}; choose from {', '.join(ROLE_TO_GROUP)}"
        )


def grant_login(conn: Connection, login: str, password: str, roles: list[str]) -> None:
    """Create (or update) *login* with *password* and put it in the groups for *roles*, inside
    the caller's transaction: PostgreSQL's role DDL is transactional, so a rollback leaves no
    login behind (and an existing login keeps its old password)."""
    check_login(login, roles)
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": login}).first()
    verb = "ALTER" if exists else "CREATE"
    # identifiers cannot be bound parameters; LOGIN_RE has vetted the name
    quoted = conn.execute(text("SELECT quote_literal(:p)"), {"p": password}).scalar_one()
    conn.execute(text(f'{verb} ROLE "{login}" LOGIN PASSWORD {quoted}'))
    for group in sorted({ROLE_TO_GROUP[r] for r in roles}):
        conn.execute(text(f'GRANT {group} TO "{login}"'))


def create_login(engine: Engine, login: str, password: str, roles: list[str]) -> None:
    """Create (or update) a person's own database login and put it in the groups for *roles*.

    This makes the login only; ``signoff db add-user`` uses
    :func:`signoff.core.governance.people.enrol_person`, which makes the login and the person
    in one transaction.
    """
    check_login(login, roles)
    with engine.begin() as conn:
        grant_login(conn, login, password, roles)


def url_for_login(admin_url: str, login: str, password: str) -> str:
    """The database URL *login* uses: the same server and database, their own credentials."""
    return (
        make_url(admin_url)
        .set(username=login, password=password)
        .render_as_string(hide_password=False)
    )
