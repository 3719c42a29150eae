"""The governance rules as PostgreSQL functions, generated from the lifecycle declaration.

On a shared registry every person connects with their own login, so a rule the application
checks but the database does not is no rule at all: anyone with psql could skip it. These
SECURITY DEFINER functions are the only way an application login can record a decision or a
piece of evidence, change a version's state or a model's risk tier, or put a version live.
Each one checks the caller (``session_user``) against the registry's people and roles, the
lifecycle (:mod:`signoff.core.db.lifecycle`), separation of duties and the completeness of the
gates under the policy recorded when the review started, and writes its own audit event in
the same transaction. :mod:`signoff.core.db.pgguards` adds the triggers and grants that close
every other door.

The same rules run in Python for the embedded SQLite registry
(:mod:`signoff.core.governance.gates`); ``tests/pg/test_lifecycle_pg.py`` asks both about
every state, action and role and expects the same answers.
"""

from __future__ import annotations

import json
import re

from signoff.core.db import lifecycle as lc
from signoff.core.db.schema import PRODUCTION

DEFINER = "LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp"


def _array(values: tuple[str, ...] | list[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]::text[]"


def _defaults_case() -> str:
    whens = "\n".join(
        f"    WHEN '{tier}' THEN '{json.dumps(rules)}'::jsonb"
        for tier, rules in lc.DEFAULT_RULES.items()
    )
    high = json.dumps(lc.DEFAULT_RULES["high"])
    return f"CASE p_tier\n{whens}\n    ELSE '{high}'::jsonb END"


def _action_case() -> str:
    lines = []
    for a in lc.ACTIONS.values():
        target = f"'{a.target}'" if a.target else "NULL"
        lines.append(
            f"    WHEN '{a.name}' THEN a_sources := {_array(a.sources)}; a_target := {target}; "
            f"a_who := '{a.who}'; a_author_may := {str(a.author_may).lower()}; "
            f"a_needs_comment := {str(a.needs_comment).lower()}; a_title := '{a.title}';"
        )
    return "\n".join(lines)


def _who_case() -> str:
    return "\n".join(
        f"    WHEN '{who}' THEN RETURN {_array(roles)};" for who, roles in lc.WHO_ROLES.items()
    )


def _meaning_case() -> str:
    lines = []
    for key, template in lc.MEANINGS.items():
        action, _, gate = key.partition("@")
        cond = f"p_action = '{action}'" + (f" AND p_gate = '{gate}'" if gate else "")
        text_sql = "'" + template.replace("'", "''") + "'"
        for name, expr in (
            ("role", "replace(coalesce(p_role, ''), '_', ' ')"),
            ("gate_title", "coalesce(p_gate_title, p_gate)"),
            ("environment", "coalesce(p_environment, '')"),
        ):
            text_sql = f"replace({text_sql}, '{{{name}}}', {expr})"
        lines.append(f"  IF {cond} THEN RETURN {text_sql}; END IF;")
    return "\n".join(lines)


def _moves_case() -> str:
    return "\n".join(
        f"    WHEN '{source}>{target}' THEN RETURN {_array(roles)};"
        for (source, target), roles in lc.moves().items()
    )


def _gate_short_case() -> str:
    return " ".join(f"WHEN '{g}' THEN '{t}'" for g, t in lc.GATE_SHORT.items())


def _gate_titles_case() -> str:
    return " ".join(f"WHEN '{g}' THEN '{t}'" for g, t in lc.GATE_TITLES.items())


HELPERS = f"""
CREATE OR REPLACE FUNCTION signoff__is_owner() RETURNS boolean {DEFINER} STABLE AS $$
#variable_conflict use_column
BEGIN
  RETURN session_user = (SELECT tableowner FROM pg_tables
                          WHERE schemaname = 'public' AND tablename = 'versions')
      OR coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false);
END $$;

CREATE OR REPLACE FUNCTION signoff__held_roles() RETURNS text[] {DEFINER} STABLE AS $$
#variable_conflict use_column
BEGIN
  RETURN coalesce((SELECT array_agg(ur.role ORDER BY ur.role) FROM user_roles ur
                    JOIN users u ON u.id = ur.user_id
                   WHERE u.login = session_user AND u.active), '{{}}'::text[]);
END $$;

CREATE OR REPLACE FUNCTION signoff__who_roles(p_who text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE AS $$
#variable_conflict use_column
BEGIN
  CASE p_who
{_who_case()}
    ELSE RETURN '{{}}'::text[];
  END CASE;
END $$;

CREATE OR REPLACE FUNCTION signoff__move_roles(p_from text, p_to text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE AS $$
#variable_conflict use_column
BEGIN
  CASE p_from || '>' || p_to
{_moves_case()}
    ELSE RETURN NULL;
  END CASE;
END $$;

CREATE OR REPLACE FUNCTION signoff__open_gate(p_state text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p_state {" ".join(f"WHEN '{s}' THEN '{g}'" for g, s in lc.GATE_OPEN_IN.items())}
         ELSE '' END
$$;

CREATE OR REPLACE FUNCTION signoff__gate_title(p_gate text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE p_gate {_gate_titles_case()} ELSE p_gate END $$;

CREATE OR REPLACE FUNCTION signoff__meaning(p_action text, p_gate text, p_role text,
                                            p_environment text, p_gate_title text)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
#variable_conflict use_column
BEGIN
{_meaning_case()}
  RETURN p_action;
END $$;

-- the newest policy revision of a tier, or the built-in default (revision 0)
CREATE OR REPLACE FUNCTION signoff__policy_rules(p_tier text) RETURNS jsonb {DEFINER} STABLE AS $$
#variable_conflict use_column
DECLARE
  found jsonb;
  tier text := CASE WHEN p_tier IN ('high', 'medium', 'low') THEN p_tier ELSE 'high' END;
BEGIN
  -- a revision that leaves the model-risk keys out takes the tier's defaults for them
  SELECT jsonb_build_object('risk_tier', p.risk_tier, 'revision', p.revision,
                            'gates', p.rules::jsonb -> 'gates',
                            'checks', coalesce(p.rules::jsonb -> 'checks', '[]'::jsonb),
                            'findings', coalesce(p.rules::jsonb -> 'findings',
                              (SELECT {_defaults_case().replace("p_tier", "tier")}) -> 'findings'),
                            'revalidation_months', coalesce(
                              p.rules::jsonb -> 'revalidation_months',
                              (SELECT {_defaults_case().replace("p_tier", "tier")})
                                -> 'revalidation_months'))
    INTO found FROM policies p WHERE p.risk_tier = tier ORDER BY p.revision DESC LIMIT 1;
  IF found IS NOT NULL THEN
    RETURN found;
  END IF;
  RETURN jsonb_build_object('risk_tier', tier, 'revision', 0) || (
    SELECT {_defaults_case().replace("p_tier", "tier")});
END $$;

-- a jsonb array of text as a text[] in its own order
CREATE OR REPLACE FUNCTION signoff__texts(p_value jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(array_agg(x ORDER BY n), '{{}}'::text[])
    FROM jsonb_array_elements_text(coalesce(p_value, '[]'::jsonb)) WITH ORDINALITY AS t(x, n)
$$;

-- recorded requirements, plus those of the policy in force now when *p_strict* (the step
-- being completed is judged under the stricter of the two, never the weaker)
CREATE OR REPLACE FUNCTION signoff__required(p_version integer, p_step text, p_strict boolean)
RETURNS text[] {DEFINER} STABLE AS $$
#variable_conflict use_column
DECLARE
  recorded jsonb;
  now_rules jsonb;
  tier text;
  out text[];
  extra text;
BEGIN
  SELECT v.review_rules::jsonb, m.risk_tier INTO recorded, tier
    FROM versions v JOIN models m ON m.id = v.model_id WHERE v.id = p_version;
  now_rules := signoff__policy_rules(tier);
  IF recorded IS NULL OR jsonb_typeof(recorded) <> 'object' THEN
    recorded := now_rules;  -- reviewed before rules were recorded (or a JSON null)
  END IF;
  IF p_step = '{lc.CHECKS_STEP}' THEN
    out := signoff__texts(recorded -> 'checks');
  ELSE
    out := signoff__texts(recorded -> 'gates' -> p_step);
  END IF;
  IF p_strict THEN
    FOREACH extra IN ARRAY CASE WHEN p_step = '{lc.CHECKS_STEP}'
                                THEN signoff__texts(now_rules -> 'checks')
                                ELSE signoff__texts(now_rules -> 'gates' -> p_step) END LOOP
      IF NOT extra = ANY(out) THEN
        out := out || extra;
      END IF;
    END LOOP;
  END IF;
  RETURN out;
END $$;

-- roles the gate still needs: every required role signed, in this review round, on this
-- manifest, by a different person who is not the author
CREATE OR REPLACE FUNCTION signoff__missing_roles(p_version integer, p_gate text, p_strict boolean)
RETURNS text[] {DEFINER} STABLE AS $$
#variable_conflict use_column
DECLARE
  v versions%ROWTYPE;
  required text[] := signoff__required(p_version, p_gate, p_strict);
  missing text[] := '{{}}'::text[];
  r text;
  used text[] := '{{}}'::text[];
  who text;
BEGIN
  SELECT * INTO v FROM versions WHERE id = p_version;
  IF cardinality(required) = 0 THEN
    RETURN ARRAY['a signer (the policy names none: it is broken)'];
  END IF;
  FOREACH r IN ARRAY required LOOP
    SELECT d.actor INTO who FROM decisions d
     WHERE d.version_id = v.id AND d.action = 'approve' AND d.gate = p_gate AND d.role = r
       AND d.review_round = v.review_round AND d.manifest_hash = v.manifest_hash
       AND d.actor <> v.author AND NOT (d.actor = ANY(used))
     ORDER BY d.id LIMIT 1;
    IF who IS NULL THEN
      missing := missing || r;
    ELSE
      used := used || who;
    END IF;
  END LOOP;
  RETURN missing;
END $$;

-- required checks without passing evidence on this manifest (recorded by someone who is not
-- the author; the recorder's role was checked when the evidence was recorded)
CREATE OR REPLACE FUNCTION signoff__checks_missing(p_version integer, p_strict boolean)
RETURNS text[] {DEFINER} STABLE AS $$
#variable_conflict use_column
DECLARE
  v versions%ROWTYPE;
  c text;
  ok boolean;
  missing text[] := '{{}}'::text[];
BEGIN
  SELECT * INTO v FROM versions WHERE id = p_version;
  FOREACH c IN ARRAY signoff__required(p_version, '{lc.CHECKS_STEP}', p_strict) LOOP
    SELECT e.passed INTO ok FROM evidence e
     WHERE e.version_id = v.id AND e."check" = c AND e.manifest_hash = v.manifest_hash
       AND e.actor <> v.author
     ORDER BY e.at DESC, e.id DESC LIMIT 1;
    IF ok IS NOT TRUE THEN
      missing := missing || c;
    END IF;
  END LOOP;
  RETURN missing;
END $$;

-- the requirements of *p_state* for version *p_version*; the step entering it is strict
CREATE OR REPLACE FUNCTION signoff__state_problem(p_version integer, p_state text)
RETURNS text {DEFINER} STABLE AS $$
#variable_conflict use_column
DECLARE
  step text;
  is_strict boolean;
  missing text[];
  problem text;
BEGIN
  FOREACH step IN ARRAY CASE p_state
      {" ".join(f"WHEN '{s}' THEN {_array(req)}" for s, req in lc.STATE_REQUIRES.items())}
      ELSE '{{}}'::text[] END LOOP
    is_strict := step = CASE p_state
      {" ".join(f"WHEN '{s}' THEN '{st}'" for s, st in lc.STATE_COMPLETES.items())} ELSE '' END;
    IF step = '{lc.CHECKS_STEP}' THEN
      missing := signoff__checks_missing(p_version, is_strict);
      IF cardinality(missing) > 0 THEN
        RETURN 'deployment checks not passed: ' || array_to_string(missing, ', ');
      END IF;
    ELSE
      missing := signoff__missing_roles(p_version, step, is_strict);
      IF cardinality(missing) > 0 THEN
        RETURN 'the ' || CASE step {_gate_short_case()} END
               || ' gate still needs ' || array_to_string(missing, ', ');
      END IF;
      IF is_strict THEN  -- the gate being completed is held by unresolved findings too
        problem := signoff__findings_problem(p_version, step, '[]'::jsonb,
                                             (now() AT TIME ZONE 'UTC')::date);
        IF problem IS NOT NULL THEN
          RETURN problem;
        END IF;
      END IF;
    END IF;
  END LOOP;
  RETURN NULL;
END $$;
"""

ENQUEUE = f"""
-- one outbox row per channel (webhook, e-mail) of each active consumer of the version's model,
-- inside the deciding transaction (one ``no_endpoint`` row for a consumer with neither);
-- *p_suffix* makes the idempotency keys deterministic (a notice computed twice is queued once)
CREATE OR REPLACE FUNCTION signoff__enqueue(p_version integer, p_event text, p_extra jsonb,
                                            p_only integer[], p_at timestamp,
                                            p_suffix text DEFAULT NULL)
RETURNS integer {DEFINER} AS $$
#variable_conflict use_column
DECLARE
  v versions%ROWTYPE;
  m models%ROWTYPE;
  c consumers%ROWTYPE;
  base text;
  k text;
  ch text;
  chans text[];
  reachable boolean;
  n integer := 0;
BEGIN
  SELECT * INTO v FROM versions WHERE id = p_version;
  SELECT * INTO m FROM models WHERE id = v.model_id;
  FOR c IN SELECT * FROM consumers WHERE model_id = m.id AND active ORDER BY id LOOP
    IF p_only IS NOT NULL AND NOT c.id = ANY(p_only) THEN
      CONTINUE;
    END IF;
    base := 'signoff-' || p_event || '-' || v.id || '-' || c.id || '-'
            || coalesce(p_suffix, substr(md5(random()::text || clock_timestamp()::text), 1, 12));
    chans := '{{}}'::text[];
    IF coalesce(c.webhook_url, '') <> '' THEN
      chans := chans || 'webhook'::text;
    END IF;
    IF coalesce(c.email, '') <> '' THEN
      chans := chans || 'email'::text;
    END IF;
    reachable := cardinality(chans) > 0;
    IF NOT reachable THEN
      chans := ARRAY['webhook'];
    END IF;
    FOREACH ch IN ARRAY chans LOOP
      k := base || CASE WHEN ch = 'email' THEN '-email' ELSE '' END;
      IF p_suffix IS NOT NULL AND EXISTS (SELECT 1 FROM outbox o WHERE o.idempotency_key = k)
      THEN
        CONTINUE;  -- queued already
      END IF;
      INSERT INTO outbox (consumer_id, channel, recipient, event, payload, idempotency_key,
                          state, attempts, next_attempt_at, last_error, created_at)
      VALUES (c.id, ch, CASE WHEN ch = 'email' THEN c.email ELSE '' END, p_event,
              (jsonb_build_object('event', p_event, 'model', m.name, 'version', v.number,
                                  'version_id', v.id, 'manifest_hash', v.manifest_hash,
                                  'state', v.state, 'consumer', c.name, 'idempotency_key', k,
                                  'at', to_char(p_at, 'YYYY-MM-DD"T"HH24:MI:SS.US'))
               || coalesce(p_extra, '{{}}'::jsonb))::json,
              k, CASE WHEN reachable THEN 'pending' ELSE 'no_endpoint' END, 0, p_at,
              CASE WHEN reachable THEN '' ELSE 'the consumer has no webhook URL or e-mail' END,
              p_at);
      n := n + 1;
    END LOOP;
  END LOOP;
  RETURN n;
END $$;

-- an audit event written by the database itself (stamped and sealed by the chain's triggers)
CREATE OR REPLACE FUNCTION signoff__event(p_action text, p_version integer, p_model integer,
                                          p_entity_type text, p_entity text, p_payload jsonb)
RETURNS void {DEFINER} AS $$
#variable_conflict use_column
BEGIN
  INSERT INTO audit_events (seq, at, actor, action, entity_type, entity_id, model_id,
                            version_id, payload, prev_hash, hash)
  VALUES (0, now() AT TIME ZONE 'UTC', session_user, p_action, p_entity_type, p_entity,
          p_model, p_version, p_payload::text, '',
          'pending-' || md5(random()::text || clock_timestamp()::text));
END $$;

CREATE OR REPLACE FUNCTION signoff__iso(p_at timestamp) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT to_char(p_at, 'YYYY-MM-DD"T"HH24:MI:SS.US') $$;
"""

FUNCTION_NAMES = (
    "signoff_decide(integer, integer, text, text, text, text, integer, boolean, timestamp, jsonb)",
    "signoff_mark_ready(integer)",
    "signoff_record_evidence(integer, text, boolean, text, jsonb)",
    "signoff_set_risk_tier(integer, text, text)",
    "signoff_set_stale(integer, boolean, text, jsonb)",
    "signoff_refresh_summary(integer)",
)


def statements(block: str) -> list[str]:
    """The single statements of a block of ``CREATE OR REPLACE FUNCTION … $$;`` definitions."""
    parts = re.split(r"(?<=\$\$;)\n", block)
    return [part.strip().removesuffix(";") for part in parts if part.strip()]


def rules_sql() -> list[str]:
    """Every function, in an order PostgreSQL accepts (helpers first); idempotent."""
    from signoff.core.db.pgalerts import ALERTS
    from signoff.core.db.pgattest import ATTEST
    from signoff.core.db.pgdecide import DECIDE, EVIDENCE, SUMMARY
    from signoff.core.db.pgfactory import FACTORY
    from signoff.core.db.pgrisk import RISK

    # the enqueue helper before it took the idempotency keys' suffix (migration 0011)
    drop_old = [
        "DROP FUNCTION IF EXISTS signoff__enqueue(integer, text, jsonb, integer[], timestamp)"
    ]
    return drop_old + [
        st
        for block in (HELPERS, ENQUEUE, SUMMARY, RISK, FACTORY, ALERTS, ATTEST, DECIDE, EVIDENCE)
        for st in statements(block)
    ]


__all__ = ["DEFINER", "FUNCTION_NAMES", "PRODUCTION", "rules_sql"]
