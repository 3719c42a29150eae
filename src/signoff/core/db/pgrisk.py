"""The model-risk rules as PostgreSQL functions, generated from :mod:`signoff.core.db.model_risk`.

On a shared registry no login may write a finding, a change to one or a condition on a
signature directly (the grants give them nothing but SELECT on those tables); the SECURITY
DEFINER functions below are the only way, and they ask the questions the Python rules ask
(:mod:`signoff.core.governance.findings` and :mod:`signoff.core.governance.finding_gates`) in
the same order:

* ``signoff_finding`` raises, answers and judges findings: who may take each action
  (validators and auditors raise, the people who must fix it answer, the raiser or a second
  validator judges, never a fixer), the fields each action needs, and the audit event;
* ``signoff__findings_problem`` says which unresolved findings hold a gate under the stricter of
  the recorded policy and the one in force now; ``signoff_decide`` calls it before an approval
  and ``signoff__state_problem`` before a version enters a state;
* ``signoff__conditions_problem`` checks the conditions a signature carries.
"""

from __future__ import annotations

from signoff.core.db import lifecycle as lc
from signoff.core.db import model_risk as rk
from signoff.core.db.pgrules import DEFINER, _array

_RANK = "CASE {x} WHEN 'block' THEN 2 WHEN 'condition' THEN 1 ELSE 0 END"


def _finding_action_case() -> str:
    lines = []
    for a in rk.FINDING_ACTIONS.values():
        target = f"'{a.target}'" if a.target else "NULL"
        lines.append(
            f"    WHEN '{a.name}' THEN a_sources := {_array(a.sources)}; a_target := {target}; "
            f"a_who := '{a.who}'; a_needs_comment := {str(a.needs_comment).lower()}; "
            f"a_requires := {_array(a.requires)}; a_title := '{a.title}';"
        )
    return "\n".join(lines)


def _allowed_fields_case() -> str:
    allowed = {
        "raise": rk.RAISE_FIELDS,
        "amend": rk.AMEND_FIELDS,
        "accept_limitation": ("compensating_controls",),
        "grant_exception": ("expires", "compensating_controls"),
    }
    return " ".join(f"WHEN '{a}' THEN {_array(f)}" for a, f in allowed.items())


def _q(words: str) -> str:
    """*words* for inside an SQL string literal."""
    return words.replace("'", "''")


def _words(mapping: dict[str, str]) -> str:
    return " ".join(f"WHEN '{k}' THEN '{_q(v)}'" for k, v in mapping.items())


RISK = f"""
-- what the policy says an unresolved finding of *p_severity* does at *p_gate* for a version:
-- the stricter of the rules recorded when its review started and those in force now
CREATE OR REPLACE FUNCTION signoff__finding_mode(p_version integer, p_gate text, p_severity text)
RETURNS text {DEFINER} STABLE AS $$
#variable_conflict use_column
DECLARE
  recorded jsonb;
  tier text;
  a text;
  b text;
BEGIN
  SELECT v.review_rules::jsonb, m.risk_tier INTO recorded, tier
    FROM versions v JOIN models m ON m.id = v.model_id WHERE v.id = p_version;
  IF recorded IS NULL OR jsonb_typeof(recorded) <> 'object' OR recorded -> 'gates' IS NULL THEN
    recorded := signoff__policy_rules(tier);
  END IF;
  a := coalesce(recorded -> 'findings' -> p_gate ->> p_severity, '');
  b := coalesce(signoff__policy_rules(tier) -> 'findings' -> p_gate ->> p_severity, '');
  RETURN CASE WHEN {_RANK.format(x="b")} > {_RANK.format(x="a")} THEN b ELSE a END;
END $$;

-- whether a finding still needs something done on *p_today* (an expired exception does)
CREATE OR REPLACE FUNCTION signoff__finding_unresolved(p_status text, p_expires date,
                                                       p_today date)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT p_status = ANY({_array(rk.UNRESOLVED)})
      OR (p_status = '{rk.EXCEPTION}' AND p_expires IS NOT NULL AND p_expires < p_today)
$$;

-- why unresolved findings hold *p_gate* for the version (NULL when none does); findings carried
-- as conditions by the gate's signatures in this round (or by *p_conditions*, the signature
-- being made) do not hold it where the policy allows a condition
CREATE OR REPLACE FUNCTION signoff__findings_problem(p_version integer, p_gate text,
                                                     p_conditions jsonb, p_today date)
RETURNS text {DEFINER} STABLE AS $$
#variable_conflict use_column
DECLARE
  v versions%ROWTYPE;
  f record;  -- not findings%ROWTYPE: created before that table exists on old migrations
  mode text;
  label text;
  gate_words text;
BEGIN
  SELECT * INTO v FROM versions WHERE id = p_version;
  gate_words := 'the ' || CASE p_gate {_words(lc.GATE_SHORT)}
                ELSE p_gate END || ' gate';
  FOR f IN SELECT * FROM findings WHERE model_id = v.model_id
              AND (version_id IS NULL OR version_id = v.id) ORDER BY id LOOP
    CONTINUE WHEN NOT signoff__finding_unresolved(f.status, f.expires, p_today);
    mode := signoff__finding_mode(p_version, p_gate, f.severity);
    CONTINUE WHEN mode = '';
    label := 'finding #' || f.id || ' ''' || f.title || ''' (' || f.severity || ', '
             || CASE WHEN f.status = '{rk.EXCEPTION}'
                     THEN 'its exception expired on ' || f.expires::text
                     ELSE CASE f.status {_words(rk.STATUS_WORDS)} END END || ')';
    IF mode = '{rk.BLOCK}' THEN
      RETURN label || ' blocks ' || gate_words || ': it must be closed, accepted as a '
             || 'limitation or granted an exception first';
    END IF;
    CONTINUE WHEN EXISTS (
      SELECT 1 FROM conditions c JOIN decisions d ON d.id = c.decision_id
       WHERE c.finding_id = f.id AND d.version_id = v.id AND d.action = 'approve'
         AND d.gate = p_gate AND d.review_round = v.review_round
         AND d.manifest_hash = v.manifest_hash AND d.actor <> v.author);
    CONTINUE WHEN EXISTS (
      SELECT 1 FROM jsonb_array_elements(coalesce(p_conditions, '[]'::jsonb)) AS x(c)
       WHERE (x.c ->> 'finding_id')::integer = f.id);
    RETURN label || ' blocks ' || gate_words || ' unless the signature carries it as a '
           || 'condition (a date by which it must close)';
  END LOOP;
  RETURN NULL;
END $$;

-- why these conditions cannot be carried by *p_action* on the version (NULL when they can)
CREATE OR REPLACE FUNCTION signoff__conditions_problem(p_version integer, p_action text,
                                                       p_conditions jsonb, p_today date)
RETURNS text {DEFINER} STABLE AS $$
#variable_conflict use_column
DECLARE
  v versions%ROWTYPE;
  m models%ROWTYPE;
  f record;  -- not findings%ROWTYPE: created before that table exists on old migrations
  c jsonb;
  fid integer;
  due_ date;
  label text;
BEGIN
  IF jsonb_typeof(p_conditions) <> 'array' THEN
    RETURN 'the conditions must be a list';
  END IF;
  IF jsonb_array_length(p_conditions) = 0 THEN
    RETURN NULL;
  END IF;
  IF NOT p_action = ANY({_array(rk.CONDITIONAL_ACTIONS)}) THEN
    RETURN 'only an approval or a revalidation carries conditions';
  END IF;
  IF (SELECT count(DISTINCT x ->> 'finding_id') FROM jsonb_array_elements(p_conditions) x)
     <> jsonb_array_length(p_conditions) THEN
    RETURN 'a finding is named twice among the conditions';
  END IF;
  SELECT * INTO v FROM versions WHERE id = p_version;
  SELECT * INTO m FROM models WHERE id = v.model_id;
  FOR c IN SELECT * FROM jsonb_array_elements(p_conditions) LOOP
    BEGIN
      fid := (c ->> 'finding_id')::integer;
      due_ := (c ->> 'due')::date;
    EXCEPTION WHEN others THEN
      RETURN 'a condition needs a finding number and a due date';
    END;
    IF fid IS NULL OR due_ IS NULL THEN
      RETURN 'a condition needs a finding number and a due date';
    END IF;
    label := 'finding #' || fid;
    SELECT * INTO f FROM findings WHERE id = fid;
    IF NOT FOUND OR f.model_id <> v.model_id OR (f.version_id IS NOT NULL AND f.version_id <> v.id)
    THEN
      RETURN label || ' is not a finding of ' || m.name || ' v' || v.number;
    END IF;
    IF NOT signoff__finding_unresolved(f.status, f.expires, p_today) THEN
      RETURN label || ' is ' || CASE f.status {_words(rk.STATUS_WORDS)} END
             || '; a condition needs one still open';
    END IF;
    IF due_ < p_today THEN
      RETURN 'the condition on ' || label || ' must be due today or later, not ' || due_::text;
    END IF;
  END LOOP;
  RETURN NULL;
END $$;

-- the finding severities in use (an admin's setting, else the declared default)
CREATE OR REPLACE FUNCTION signoff__severities() RETURNS text[] {DEFINER} STABLE AS $$
#variable_conflict use_column
DECLARE
  found jsonb;
BEGIN
  SELECT s.value::jsonb -> 'severities' INTO found FROM settings s
   WHERE s.key = '{rk.SEVERITIES_SETTING}';
  IF found IS NOT NULL AND jsonb_typeof(found) = 'array' AND jsonb_array_length(found) > 0 THEN
    RETURN signoff__texts(found);
  END IF;
  RETURN {_array(rk.DEFAULT_SEVERITIES)};
END $$;

-- one change to a finding (``raise`` makes one): checked, recorded with the finding's whole
-- state after it, and audited, in the caller's transaction
CREATE OR REPLACE FUNCTION signoff_finding(
    p_action text, p_finding integer, p_model integer, p_version integer, p_fields jsonb,
    p_comment text, p_expected integer, p_at timestamp)
RETURNS TABLE (finding_id integer, status_from text, status_to text, change_id integer,
               row_version integer)
{DEFINER} AS $$
#variable_conflict use_column
DECLARE
  a_sources text[]; a_target text; a_who text; a_needs_comment boolean; a_requires text[];
  a_title text;
  f record;  -- not findings%ROWTYPE: created before that table exists on old migrations
  m models%ROWTYPE;
  v versions%ROWTYPE;
  has_version boolean := false;
  held text[] := signoff__held_roles();
  at_ timestamp;
  today date;
  comment text := btrim(coalesce(p_comment, ''));
  fields jsonb := coalesce(p_fields, '{{}}'::jsonb);
  allowed text[];
  k text;
  val text;
  day date;
  owner_ text;
  fixers text[];
  problem text;
  before text := '';
  raiser text := '';
  label text;
  snap jsonb;
  c_id integer;
BEGIN
  CASE p_action
{_finding_action_case()}
    ELSE RAISE EXCEPTION 'unknown action %', p_action USING ERRCODE = '22023';
  END CASE;
  at_ := CASE WHEN signoff__is_owner() AND p_at IS NOT NULL THEN p_at
              ELSE now() AT TIME ZONE 'UTC' END;
  today := at_::date;
  IF jsonb_typeof(fields) <> 'object' THEN
    RAISE EXCEPTION 'the fields of a finding must be an object' USING ERRCODE = '22023';
  END IF;
  IF p_action = 'raise' THEN
    SELECT * INTO m FROM models WHERE id = p_model;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'model % does not exist', p_model USING ERRCODE = '02000';
    END IF;
    IF p_version IS NOT NULL THEN
      SELECT * INTO v FROM versions WHERE id = p_version AND model_id = m.id;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'version % is not a version of %', p_version, m.name
          USING ERRCODE = '02000';
      END IF;
      has_version := true;
    END IF;
    label := 'a finding';
    owner_ := coalesce(nullif(btrim(fields ->> 'owner'), ''), m.owner, '');
  ELSE
    SELECT * INTO f FROM findings WHERE id = p_finding FOR UPDATE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'no finding #%', p_finding USING ERRCODE = '02000';
    END IF;
    SELECT * INTO m FROM models WHERE id = f.model_id;
    IF f.version_id IS NOT NULL THEN
      SELECT * INTO v FROM versions WHERE id = f.version_id;
      has_version := true;
    END IF;
    label := 'finding #' || f.id;
    IF p_expected IS NOT NULL AND f.row_version <> p_expected THEN
      RAISE EXCEPTION '% changed since you loaded it (it is now %)', label,
        CASE f.status {_words(rk.STATUS_WORDS)} END USING ERRCODE = '40001';
    END IF;
    owner_ := f.owner;
    before := f.status;
    raiser := f.raised_by;
  END IF;

  -- the same questions as finding_refusal, in the same order
  IF a_needs_comment AND comment = '' THEN
    problem := 'a comment is required (say what was done, or why)';
  ELSIF p_action <> 'raise' THEN
    IF NOT before = ANY(a_sources) THEN
      problem := 'it is ' || CASE before {_words(rk.STATUS_WORDS)} END || '; '
                 || CASE p_action {_words(rk.FINDING_NOT_NOW)} END;
    END IF;
  END IF;
  IF problem IS NULL THEN
    allowed := CASE p_action {_allowed_fields_case()} ELSE '{{}}'::text[] END;
    FOR k IN SELECT jsonb_object_keys(fields) LOOP
      IF NOT k = ANY(allowed) THEN
        problem := 'unknown finding field(s) ' || k;
        EXIT;
      END IF;
      IF k IN ('due', 'expires') THEN
        BEGIN
          day := (fields ->> k)::date;
        EXCEPTION WHEN others THEN
          day := NULL;
        END;
        IF day IS NULL THEN
          problem := CASE k WHEN 'due' THEN 'the due date' ELSE 'the expiry date' END
                     || ' must be a date like 2026-12-31';
        ELSIF day < today THEN
          problem := 'the ' || CASE k WHEN 'due' THEN 'due' ELSE 'expiry' END
                     || ' date is in the past';
        END IF;
      ELSIF jsonb_typeof(fields -> k) <> 'string' THEN
        problem := 'the finding''s ' || k || ' must be text';
      ELSE
        val := btrim(fields ->> k);
        IF k = 'title' AND val = '' THEN
          problem := 'a finding needs a title';
        ELSIF k = 'title' AND length(val) > 300 THEN
          problem := 'a finding''s title is at most 300 characters';
        ELSIF length(val) > 20000 THEN
          problem := 'the finding''s ' || k || ' is longer than 20000 characters';
        ELSIF k = 'severity' AND NOT val = ANY(signoff__severities()) THEN
          problem := 'unknown severity ''' || val || '''; severities are '
                     || array_to_string(signoff__severities(), ', ');
        ELSIF k = 'kind' AND NOT val = ANY({_array(rk.KINDS)}) THEN
          problem := 'unknown finding type ''' || val || '''';
        ELSIF k = 'owner' AND NOT EXISTS (SELECT 1 FROM users u WHERE u.login = val AND u.active)
        THEN
          problem := 'the finding''s owner ''' || val || ''' is not a known, active person';
        END IF;
      END IF;
      EXIT WHEN problem IS NOT NULL;
    END LOOP;
  END IF;
  IF problem IS NULL THEN
    IF EXISTS (SELECT 1 FROM unnest(a_requires) r WHERE NOT fields ? r)
       OR (p_action = 'raise' AND owner_ = '') THEN
      problem := 'it needs ' || array_to_string(ARRAY(
        SELECT replace(r, '_', ' ') FROM unnest(a_requires || CASE WHEN p_action = 'raise'
               AND owner_ = '' THEN ARRAY['owner'] ELSE '{{}}'::text[] END) r
         WHERE NOT fields ? r), ', ');
    ELSIF p_action = 'amend' AND fields = '{{}}'::jsonb THEN
      problem := 'nothing to amend: give a new title, description, severity, owner or due date';
    END IF;
  END IF;
  IF problem IS NULL THEN
    IF fields ? 'owner' THEN
      owner_ := btrim(fields ->> 'owner');
    END IF;
    fixers := ARRAY(SELECT DISTINCT x FROM unnest(ARRAY[owner_, coalesce(m.owner, ''),
                    CASE WHEN has_version THEN v.author ELSE '' END]) x WHERE x <> '');
    IF a_who = '{rk.RAISERS}' THEN
      IF NOT held && {_array(rk.RAISER_ROLES)} THEN
        problem := 'only {_q(rk.FINDING_WHO_WORDS[rk.RAISERS])} may ' || lower(a_title)
                   || ' a finding';
      ELSIF session_user = ANY(fixers) THEN
        problem := 'you would have to fix it yourself; someone else must raise it';
      END IF;
    ELSIF a_who = '{rk.FIXERS}' THEN
      IF NOT session_user = ANY(fixers) THEN
        problem := 'only {_q(rk.FINDING_WHO_WORDS[rk.FIXERS])} may ' || lower(a_title);
      END IF;
    ELSIF a_who = '{rk.JUDGES}' THEN
      IF session_user = ANY(fixers) THEN
        problem := 'you must fix it, so you cannot judge it; the person who raised it or a '
                   || 'second validator does (separation of duties)';
      ELSIF NOT ((session_user = raiser AND held && {_array(rk.RAISER_ROLES)})
                 OR (session_user <> raiser AND held && {_array(rk.SECOND_JUDGE_ROLES)}))
      THEN
        problem := 'only {_q(rk.FINDING_WHO_WORDS[rk.JUDGES])} may ' || lower(a_title) || ' it';
      END IF;
    ELSIF a_who = '{rk.PARTIES}' AND NOT session_user = ANY(fixers)
          AND NOT held && {_array(rk.parties_roles())} THEN
      problem := 'only {_q(rk.FINDING_WHO_WORDS[rk.PARTIES])} may comment';
    END IF;
  END IF;
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'cannot % %: %', lower(a_title), label, problem USING ERRCODE = '42501';
  END IF;

  IF p_action = 'raise' THEN
    INSERT INTO findings (model_id, version_id, title, description, severity, kind, owner, due,
                          status, compensating_controls, expires, raised_by, raised_at,
                          updated_at, row_version)
    VALUES (m.id, CASE WHEN has_version THEN v.id END, btrim(fields ->> 'title'),
            coalesce(btrim(fields ->> 'description'), ''), btrim(fields ->> 'severity'),
            coalesce(btrim(fields ->> 'kind'), 'issue'), owner_, (fields ->> 'due')::date,
            '{rk.OPEN}', '', NULL, session_user, at_, at_, 1)
    RETURNING * INTO f;
  ELSE
    UPDATE findings SET
      title = CASE WHEN fields ? 'title' THEN btrim(fields ->> 'title') ELSE title END,
      description = CASE WHEN fields ? 'description' THEN btrim(fields ->> 'description')
                         ELSE description END,
      severity = CASE WHEN fields ? 'severity' THEN btrim(fields ->> 'severity') ELSE severity END,
      owner = CASE WHEN fields ? 'owner' THEN btrim(fields ->> 'owner') ELSE owner END,
      due = CASE WHEN fields ? 'due' THEN (fields ->> 'due')::date ELSE due END,
      compensating_controls = CASE WHEN fields ? 'compensating_controls'
                                   THEN btrim(fields ->> 'compensating_controls')
                                   ELSE compensating_controls END,
      expires = CASE WHEN p_action = 'reopen' THEN NULL
                     WHEN fields ? 'expires' THEN (fields ->> 'expires')::date ELSE expires END,
      status = coalesce(a_target, status),
      updated_at = at_,
      row_version = findings.row_version + 1
     WHERE id = f.id
    RETURNING * INTO f;
  END IF;
  snap := jsonb_build_object(
    'model_id', f.model_id, 'version_id', f.version_id, 'title', f.title,
    'description', f.description, 'severity', f.severity, 'kind', f.kind, 'owner', f.owner,
    'due', f.due::text, 'status', f.status, 'compensating_controls', f.compensating_controls,
    'expires', f.expires::text, 'raised_by', f.raised_by);
  INSERT INTO finding_changes (finding_id, at, actor, action, status_from, status_to, comment,
                               snapshot)
  VALUES (f.id, at_, session_user, p_action, before, f.status, comment, snap::json)
  RETURNING id INTO c_id;
  PERFORM signoff__event('{rk.FINDING_EVENT_PREFIX}' || p_action, f.version_id, m.id,
    'finding', '#' || f.id,
    jsonb_build_object('change_id', c_id, 'finding_id', f.id, 'action', p_action,
                       'actor', session_user::text, 'comment', comment, 'status_from', before,
                       'status_to', f.status, 'snapshot', snap, 'at', signoff__iso(at_)));
  PERFORM signoff_refresh_summary(m.id);
  RETURN QUERY SELECT f.id, before, f.status::text, c_id, f.row_version;
END $$;
"""

FUNCTION_NAMES = (
    "signoff_finding(text, integer, integer, integer, jsonb, text, integer, timestamp)",
    "signoff__finding_mode(integer, text, text)",
    "signoff__finding_unresolved(text, date, date)",
    "signoff__findings_problem(integer, text, jsonb, date)",
    "signoff__conditions_problem(integer, text, jsonb, date)",
    "signoff__severities()",
)


def risk_sql() -> list[str]:
    """The model-risk functions (after the lifecycle helpers they call); idempotent."""
    from signoff.core.db.pgrules import statements

    return statements(RISK)


def drop_risk_sql() -> list[str]:
    """What :func:`risk_sql` created, removed (for the migration's downgrade)."""
    return [f"DROP FUNCTION IF EXISTS {name}" for name in FUNCTION_NAMES]


__all__ = ["FUNCTION_NAMES", "RISK", "drop_risk_sql", "risk_sql"]
