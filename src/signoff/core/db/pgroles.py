"""PostgreSQL roles and grants that make the governance rules hold inside the database.

``signoff db init-roles`` (run by an administrator, as the owner of the tables) creates five
group roles and grants each exactly what its people need:

* ``signoff_viewer``   — read everything, write nothing;
* ``signoff_author``   — publish versions, report runs, predictions and outcomes;
* ``signoff_reviewer`` — sign decisions, record evidence, go live (validators, business
  owners and release managers);
* ``signoff_auditor``  — record reproductions and their evidence;
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

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from signoff.core.common.errors import SignoffError

log = logging.getLogger(__name__)

GROUPS = (
    "signoff_viewer",
    "signoff_author",
    "signoff_reviewer",
    "signoff_auditor",
    "signoff_admin",
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
}
LOGIN_RE = re.compile(r"^[a-z_][a-z0-9_.-]{0,62}$")

SUMMARY_COLUMNS = (
    "latest_version, latest_state, live_version, version_count, "
    "last_activity_at, flag_stale, stale_reason, flag_open_review, "
    "flag_dnu_consumed, review_waiting_since, search_text"
)
OUTBOX_COLUMNS = "state, attempts, next_attempt_at, last_error, delivered_at"

# (target state, groups allowed to move a version there, states it may come from)
TRANSITIONS = {
    "in_review": ("signoff_author signoff_admin", "draft rejected"),
    # withdrawn by its author, or sent back by a reviewer asking for changes
    "draft": ("signoff_author signoff_reviewer signoff_admin", "in_review"),
    "approved": ("signoff_reviewer signoff_admin", "in_review"),
    "rejected": ("signoff_reviewer signoff_admin", "in_review approved ready"),
    "ready": ("signoff_reviewer signoff_auditor signoff_admin", "approved"),
    "live": ("signoff_reviewer signoff_admin", "ready superseded"),
    "superseded": ("signoff_reviewer signoff_admin", "live"),
    "retired": ("signoff_reviewer signoff_admin", "superseded live ready approved"),
    "do_not_use": (
        "signoff_reviewer signoff_admin",
        "draft in_review approved ready live superseded retired rejected",
    ),
}


def change_state_sql() -> str:
    """The SECURITY DEFINER function through which every state change goes on PostgreSQL."""
    cases = "\n".join(
        f"    WHEN '{target}' THEN allowed_groups := '{groups}'; allowed_from := '{sources}';"
        for target, (groups, sources) in TRANSITIONS.items()
    )
    return f"""
CREATE OR REPLACE FUNCTION signoff_change_state(p_version integer, p_expected integer,
                                                p_state text, p_at timestamp)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  allowed_groups text;
  allowed_from text;
  cur_state text;
  cur_row integer;
  g text;
  permitted boolean := false;
  is_owner boolean := false;
BEGIN
  CASE p_state
{cases}
    ELSE RAISE EXCEPTION 'unknown lifecycle state %', p_state USING ERRCODE = '22023';
  END CASE;
  -- the owner of the schema (an administrator running without group roles, or importing
  -- history from another registry) could change the table directly anyway: the graph and the
  -- groups bind the application roles, not the owner
  IF session_user = (SELECT tableowner FROM pg_tables
                      WHERE schemaname = 'public' AND tablename = 'versions')
     OR (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) THEN
    permitted := true;
    is_owner := true;
  END IF;
  FOREACH g IN ARRAY string_to_array(allowed_groups, ' ') LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = g)
       AND pg_has_role(session_user, g, 'MEMBER') THEN
      permitted := true;
    END IF;
  END LOOP;
  IF NOT permitted THEN
    RAISE EXCEPTION '% may not move a version to %', session_user, p_state
      USING ERRCODE = '42501';
  END IF;
  SELECT state, row_version INTO cur_state, cur_row FROM versions WHERE id = p_version FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'version % does not exist', p_version USING ERRCODE = '02000';
  END IF;
  IF cur_row <> p_expected THEN
    RAISE EXCEPTION 'version % was changed by someone else (row version % not %)',
      p_version, cur_row, p_expected USING ERRCODE = '40001';
  END IF;
  IF NOT is_owner AND NOT (cur_state = ANY (string_to_array(allowed_from, ' '))) THEN
    RAISE EXCEPTION 'a version in state % cannot become %', cur_state, p_state
      USING ERRCODE = '42501';
  END IF;
  UPDATE versions SET state = p_state, state_changed_at = coalesce(p_at, now() AT TIME ZONE 'UTC'),
         row_version = row_version + 1
   WHERE id = p_version;
  RETURN cur_row + 1;
END $$
"""


def _grants() -> list[str]:
    read_all = "SELECT ON ALL TABLES IN SCHEMA public"
    writer_common = [
        "INSERT ON audit_events TO {g}",
        f"UPDATE ({SUMMARY_COLUMNS}) ON models TO {{g}}",
        f"UPDATE ({OUTBOX_COLUMNS}) ON outbox TO {{g}}",
        "USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {g}",
    ]
    per_group = {
        "signoff_author": [
            "INSERT ON models, versions, components, metrics, executions, predictions, "
            "outcomes TO {g}",
            # authors sign their own submit / withdraw / comment decisions
            "INSERT ON decisions, outbox TO {g}",
            "UPDATE (title, description, owner, business_unit, risk_tier, tags, task, "
            "monitoring_rules) ON models TO {g}",
        ],
        "signoff_reviewer": [
            "INSERT ON decisions, evidence, deployments, outbox TO {g}",
            "UPDATE (live_to) ON deployments TO {g}",
        ],
        "signoff_auditor": ["INSERT ON evidence TO {g}"],
        "signoff_admin": [
            "INSERT, UPDATE ON policies, users, user_roles, consumers, settings TO {g}",
            "DELETE ON user_roles TO {g}",
            "INSERT ON decisions, evidence, deployments, outbox TO {g}",
            "UPDATE (live_to) ON deployments TO {g}",
            "UPDATE (title, description, owner, business_unit, risk_tier, tags, task, "
            "monitoring_rules) ON models TO {g}",
        ],
    }
    statements = [
        "GRANT USAGE ON SCHEMA public TO " + ", ".join(GROUPS),
        f"GRANT {read_all} TO " + ", ".join(GROUPS),
    ]
    for group, grants in per_group.items():
        for template in writer_common + grants:
            statements.append("GRANT " + template.format(g=group))
    statements.append(
        "REVOKE ALL ON FUNCTION signoff_change_state(integer, integer, text, timestamp) FROM PUBLIC"
    )
    statements.append(
        "GRANT EXECUTE ON FUNCTION signoff_change_state(integer, integer, text, "
        "timestamp) TO " + ", ".join(GROUPS[1:])
    )
    return statements


def init_roles(engine: Engine) -> list[str]:
    """Create the group roles, the state-change function and the grants; idempotent.

    Returns the statements executed, for the administrator's record.
    """
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
        for group in GROUPS[1:]:
            conn.execute(text(f"GRANT signoff_viewer TO {group}"))
        conn.execute(text(change_state_sql()))  # refresh it: the migration created it
        conn.execute(text("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC"))
        for statement in _grants():
            conn.execute(text(statement))
            done.append(statement)
    log.info("initialised %d role statements", len(done))
    return done


def create_login(engine: Engine, login: str, password: str, roles: list[str]) -> None:
    """Create (or update) a person's own database login and put it in the groups for *roles*."""
    if not LOGIN_RE.match(login):
        raise SignoffError(
            f"'{login}' is not a valid login: lower-case letters, digits, '_', '.', '-'"
        )
    unknown = [r for r in roles if r not in ROLE_TO_GROUP]
    if unknown:
        raise SignoffError(
            f"unknown role(s) {', '.join(unknown)}; choose from {', '.join(ROLE_TO_GROUP)}"
        )
    with engine.begin() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": login}
        ).first()
        verb = "ALTER" if exists else "CREATE"
        # identifiers cannot be bound parameters; LOGIN_RE has vetted the name
        quoted = conn.execute(text("SELECT quote_literal(:p)"), {"p": password}).scalar_one()
        conn.execute(text(f'{verb} ROLE "{login}" LOGIN PASSWORD {quoted}'))
        for group in sorted({ROLE_TO_GROUP[r] for r in roles}):
            conn.execute(text(f'GRANT {group} TO "{login}"'))


def url_for_login(admin_url: str, login: str, password: str) -> str:
    """The database URL *login* uses: the same server and database, their own credentials."""
    return (
        make_url(admin_url)
        .set(username=login, password=password)
        .render_as_string(hide_password=False)
    )
