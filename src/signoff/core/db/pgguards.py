"""PostgreSQL triggers that close every door the governance functions do not stand in.

Grants (:mod:`signoff.core.db.pgroles`) take away every direct write to the governance tables;
what application logins may still insert is checked here, whatever SQL they send:

* a version is inserted only as a draft authored by ``session_user``, and components and
  metrics only into one's own draft;
* a new model starts with empty inventory flags (``signoff_refresh_summary`` fills them);
* governance events (decisions, evidence, go-lives, tiers, policy and people changes) are
  written only by the database's own functions and triggers, never by a client;
* a policy revision is stamped with who made it, numbered by the database, validated, and never
  edited; every change to policies, people, roles and consumers writes an audit event;
* the audit chain is serialised on a row no application login can lock (it used to be an
  advisory lock, which any login could take and hold).

The table owner (the administrator who runs migrations) is not bound by these; what the owner
does is caught by ``signoff audit verify`` against an anchored head.
"""

from __future__ import annotations

from signoff.core.db import lifecycle as lc
from signoff.core.db.pgrules import DEFINER

OWNER_TEST = (
    "(current_user = (SELECT tableowner FROM pg_tables WHERE schemaname = 'public' "
    "AND tablename = 'versions') OR coalesce((SELECT rolsuper FROM pg_roles "
    "WHERE rolname = current_user), false))"
)
SESSION_OWNER = OWNER_TEST.replace("current_user", "session_user")

#: event actions only the database's own functions and triggers may write
RESERVED_ACTIONS = (
    "decision.%",
    "evidence.recorded",
    "version.went_live",
    "version.ready",
    "monitoring.flagged_stale",
    "monitoring.stale_cleared",
    "monitoring.stale_reason_changed",
    "model.risk_tier_changed",
    "policies.%",
    "users.%",
    "user_roles.%",
    "consumers.%",
    "consumer_secrets.%",
    "settings.%",
    "finding.%",
    "attestation.%",
    "card.edited",
    "monitoring.do_not_use_used",
    "consumer.acknowledged",
)
AUDITED_TABLES = ("policies", "users", "user_roles", "consumers", "consumer_secrets", "settings")

_SUMMARY_RESET = (
    "NEW.latest_version := NULL; NEW.latest_state := NULL; NEW.live_version := NULL; "
    "NEW.version_count := 0; NEW.flag_stale := false; NEW.stale_reason := ''; "
    "NEW.flag_open_review := false; NEW.flag_dnu_consumed := false; "
    "NEW.review_waiting_since := NULL; NEW.last_validated_at := NULL; "
    "NEW.condition_due := NULL; NEW.flag_dnu_used := false;"
)


def _gates() -> str:
    return "ARRAY[" + ", ".join(f"'{g}'" for g in lc.GATES) + "]::text[]"


def _signing_roles() -> str:
    return "ARRAY[" + ", ".join(f"'{r}'" for r in lc.SIGNING_ROLES) + "]::text[]"


def _checks() -> str:
    return "ARRAY[" + ", ".join(f"'{c}'" for c in lc.CHECKS) + "]::text[]"


GUARDS = f"""
CREATE OR REPLACE FUNCTION signoff__guard_version() RETURNS trigger LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  IF {SESSION_OWNER} THEN
    RETURN NEW;  -- the owner imports history from other registries
  END IF;
  IF NEW.state <> 'draft' THEN
    RAISE EXCEPTION 'a version is created as a draft (not %); it moves only through its gates',
      NEW.state USING ERRCODE = '42501';
  END IF;
  IF NEW.author <> session_user THEN
    RAISE EXCEPTION 'a version''s author is the login that publishes it: % cannot publish as %',
      session_user, NEW.author USING ERRCODE = '42501';
  END IF;
  NEW.review_round := 0;
  NEW.review_rules := NULL;
  NEW.row_version := 1;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION signoff__guard_version_part() RETURNS trigger LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  IF {SESSION_OWNER} THEN
    RETURN NEW;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM versions v WHERE v.id = NEW.version_id AND v.state = 'draft'
                  AND v.author = session_user) THEN
    RAISE EXCEPTION 'components and metrics are added only to one''s own draft version'
      USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION signoff__guard_model() RETURNS trigger LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  IF NOT {SESSION_OWNER} THEN
    {_SUMMARY_RESET}
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION signoff__guard_audit_action() RETURNS trigger LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  IF NEW.action LIKE ANY (ARRAY[{", ".join(f"'{a}'" for a in RESERVED_ACTIONS)}])
     AND NOT {OWNER_TEST} THEN
    RAISE EXCEPTION 'the audit event % is written only by the database itself', NEW.action
      USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION signoff__guard_policy() RETURNS trigger LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  rules jsonb;
  gate text;
  role text;
  roles text[];
BEGIN
  IF TG_OP <> 'INSERT' THEN
    IF {SESSION_OWNER} THEN
      RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'a policy revision is never edited; store a new revision'
      USING ERRCODE = '42501';
  END IF;
  rules := NEW.rules::jsonb;
  FOREACH gate IN ARRAY {_gates()} LOOP
    roles := signoff__texts(rules -> 'gates' -> gate);
    IF cardinality(roles) = 0 THEN
      RAISE EXCEPTION 'the policy names no signer for the gate %', gate USING ERRCODE = '22023';
    END IF;
    FOREACH role IN ARRAY roles LOOP
      IF NOT role = ANY({_signing_roles()}) THEN
        RAISE EXCEPTION '% cannot sign at a gate', role USING ERRCODE = '22023';
      END IF;
    END LOOP;
    IF cardinality(roles) <> (SELECT count(DISTINCT r) FROM unnest(roles) r) THEN
      RAISE EXCEPTION 'the gate % lists a role twice', gate USING ERRCODE = '22023';
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM jsonb_object_keys(rules -> 'gates') k
              WHERE NOT k = ANY({_gates()})) THEN
    RAISE EXCEPTION 'unknown gate in the policy' USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(signoff__texts(rules -> 'checks')) c
              WHERE NOT c = ANY({_checks()})) THEN
    RAISE EXCEPTION 'unknown check in the policy' USING ERRCODE = '22023';
  END IF;
  NEW.created_by := session_user;
  NEW.created_at := now() AT TIME ZONE 'UTC';
  NEW.revision := coalesce((SELECT max(revision) FROM policies WHERE risk_tier = NEW.risk_tier),
                           0) + 1;
  RETURN NEW;
END $$;

-- policy, people, roles and consumers: every change is an event written by the database
CREATE OR REPLACE FUNCTION signoff__audit_row() RETURNS trigger {DEFINER} AS $$
#variable_conflict use_column
DECLARE
  new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
  old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
  key text;
  model_ integer;
BEGIN
  key := coalesce(new_row ->> 'id', old_row ->> 'id', new_row ->> 'consumer_id',
                  old_row ->> 'consumer_id', '');
  model_ := coalesce((new_row ->> 'model_id')::integer, (old_row ->> 'model_id')::integer);
  IF TG_TABLE_NAME = 'consumer_secrets' THEN  -- the fact of a change, never the secret
    new_row := new_row - 'secret';
    old_row := old_row - 'secret';
  END IF;
  IF TG_TABLE_NAME = 'user_roles' THEN
    key := (SELECT login FROM users
             WHERE id = coalesce((new_row ->> 'user_id')::integer,
                                 (old_row ->> 'user_id')::integer));
  ELSIF TG_TABLE_NAME = 'users' THEN
    key := coalesce(new_row ->> 'login', old_row ->> 'login');
  ELSIF TG_TABLE_NAME = 'settings' THEN  -- allowed webhook hosts, runner settings, ...
    key := coalesce(new_row ->> 'key', old_row ->> 'key');
  END IF;
  PERFORM signoff__event(TG_TABLE_NAME || '.' || lower(TG_OP), NULL, model_, TG_TABLE_NAME,
                         coalesce(key, ''),
                         jsonb_build_object('new', new_row, 'old', old_row));
  RETURN NULL;
END $$;
"""


# the seal of 0004, serialised on audit_head's one row instead of an advisory lock
SEAL = f"""
CREATE OR REPLACE FUNCTION signoff_seal_audit_event() RETURNS trigger {DEFINER} AS $$
#variable_conflict use_column
DECLARE
  ev audit_events%ROWTYPE;
  last_seq integer;
  last_hash text;
  body text;
  new_hash text;
BEGIN
  SELECT seq, hash INTO last_seq, last_hash FROM audit_head WHERE id = 1 FOR UPDATE;
  SELECT * INTO ev FROM audit_events WHERE seq = NEW.seq;
  IF NOT FOUND THEN  -- already sealed by SET CONSTRAINTS … IMMEDIATE
    RETURN NULL;
  END IF;
  ev.seq := last_seq + 1;
  ev.at := (clock_timestamp() AT TIME ZONE 'UTC');
  body := {{body}};
  new_hash := encode(sha256(convert_to(last_hash || E'\\n' || body, 'UTF8')), 'hex');
  UPDATE audit_events SET seq = ev.seq, at = ev.at, prev_hash = last_hash, hash = new_hash
   WHERE seq = NEW.seq;
  UPDATE audit_head SET seq = ev.seq, hash = new_hash WHERE id = 1;
  RETURN NULL;
END $$;
"""

TRIGGERS = (
    ("versions_guard", "BEFORE INSERT ON versions", "signoff__guard_version"),
    ("components_guard", "BEFORE INSERT ON components", "signoff__guard_version_part"),
    ("metrics_guard", "BEFORE INSERT ON metrics", "signoff__guard_version_part"),
    ("models_guard", "BEFORE INSERT ON models", "signoff__guard_model"),
    ("audit_events_guard", "BEFORE INSERT ON audit_events", "signoff__guard_audit_action"),
    ("policies_guard", "BEFORE INSERT OR UPDATE OR DELETE ON policies", "signoff__guard_policy"),
    *(
        (f"{table}_audit", f"AFTER INSERT OR UPDATE OR DELETE ON {table}", "signoff__audit_row")
        for table in AUDITED_TABLES
    ),
)


def guards_sql(chain_body_sql: str) -> list[str]:
    """The guard functions, the seal, and the triggers (dropped and created again)."""
    from signoff.core.db.pgrules import statements

    out = statements(GUARDS) + statements(SEAL.replace("{body}", chain_body_sql))
    for name, when, function in TRIGGERS:
        table = when.rsplit(" ON ", 1)[1]
        out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        out.append(f"CREATE TRIGGER {name} {when} FOR EACH ROW EXECUTE FUNCTION {function}()")
    return out


def drop_guards_sql() -> list[str]:
    """What :func:`guards_sql` created, removed (for the migration's downgrade)."""
    out = []
    for name, when, _function in TRIGGERS:
        out.append(f"DROP TRIGGER IF EXISTS {name} ON {when.rsplit(' ON ', 1)[1]}")
    for function in (
        "signoff__guard_version",
        "signoff__guard_version_part",
        "signoff__guard_model",
        "signoff__guard_audit_action",
        "signoff__guard_policy",
        "signoff__audit_row",
    ):
        out.append(f"DROP FUNCTION IF EXISTS {function}()")
    return out


__all__ = ["AUDITED_TABLES", "RESERVED_ACTIONS", "drop_guards_sql", "guards_sql"]
