"""The PostgreSQL functions through which decisions, evidence and summaries are written.

Generated from :mod:`signoff.core.db.lifecycle` (see :mod:`signoff.core.db.pgrules` for the
helpers they call and why they exist). ``signoff_decide`` is the whole of a decision: it checks
the caller, the lifecycle, separation of duties and the gates, records the decision, moves the
version, opens and closes deployment periods, queues the consumers' notifications and writes
the one audit event, all in the caller's transaction.
"""

from __future__ import annotations

from signoff.core.db import lifecycle as lc
from signoff.core.db import model_risk as rk
from signoff.core.db.pgrules import DEFINER, _action_case, _array
from signoff.core.db.schema import APPROVED, IN_REVIEW, LIVE, PRODUCTION, READY

#: versions whose conditions still bind (as catalog.revalidation.BINDING_STATES)
BINDING_STATES = (IN_REVIEW, APPROVED, READY, LIVE)

DECIDE = f"""
CREATE OR REPLACE FUNCTION signoff_decide(
    p_version integer, p_expected integer, p_action text, p_role text, p_comment text,
    p_environment text, p_expected_live integer, p_check_live boolean, p_at timestamp,
    p_conditions jsonb DEFAULT '[]'::jsonb)
RETURNS TABLE (decision_id integer, state_from text, state_to text, gate text, role text,
               gate_complete boolean, notified integer, row_version integer, meaning text)
{DEFINER} AS $$
#variable_conflict use_column
DECLARE
  a_sources text[]; a_target text; a_who text; a_author_may boolean; a_needs_comment boolean;
  a_title text;
  v versions%ROWTYPE;
  m models%ROWTYPE;
  held text[] := signoff__held_roles();
  is_owner boolean := signoff__is_owner();
  at_ timestamp;
  label text;
  v_gate text := '';
  v_role text := '';
  v_meaning text;
  required text[];
  mine text[];
  candidate text;
  taken_by text;
  problem text;
  new_state text;
  complete boolean := false;
  n integer := 0;
  d_id integer;
  env text := coalesce(nullif(p_environment, ''), 'production');
  superseded integer[] := '{{}}'::integer[];
  superseded_pins integer[];
  new_round integer;
  new_rules jsonb;
  payload jsonb;
  comment text := btrim(coalesce(p_comment, ''));
  live_version_id integer;
  live_number integer;
  live_actor text;
  conds jsonb := coalesce(p_conditions, '[]'::jsonb);
BEGIN
  CASE p_action
{_action_case()}
    ELSE RAISE EXCEPTION 'unknown action %', p_action USING ERRCODE = '22023';
  END CASE;
  SELECT * INTO v FROM versions WHERE id = p_version FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'version % does not exist', p_version USING ERRCODE = '02000';
  END IF;
  IF p_action = 'go_live' THEN
    -- two go-lives of different versions lock different version rows: the model's row makes
    -- the second wait, so that it reads the deployments as the first left them (read
    -- committed: its later statements would otherwise see them, its check would not)
    SELECT * INTO m FROM models WHERE id = v.model_id FOR UPDATE;
  ELSE
    SELECT * INTO m FROM models WHERE id = v.model_id;
  END IF;
  label := m.name || ' v' || v.number;
  IF p_expected IS NOT NULL AND v.row_version <> p_expected THEN
    RAISE EXCEPTION '% changed since you loaded it (row version % not %)',
      label, v.row_version, p_expected USING ERRCODE = '40001';
  END IF;
  at_ := CASE WHEN is_owner AND p_at IS NOT NULL THEN p_at ELSE now() AT TIME ZONE 'UTC' END;
  problem := NULL;
  IF a_needs_comment AND comment = '' THEN
    problem := CASE WHEN p_action IN ('reject', 'do_not_use')
                    THEN 'a reason is required (write it in the comment)'
                    ELSE 'a comment is required' END;
  ELSIF NOT v.state = ANY(a_sources) THEN
    problem := 'it is ' || replace(v.state, '_', ' ') || '; ' || CASE p_action
      {" ".join(f"WHEN '{a}' THEN '{w}'" for a, w in lc.NOT_NOW.items())} END;
  ELSIF NOT a_author_may AND session_user = v.author THEN
    problem := 'you are its author; the author never signs or puts it live (separation of duties)';
  ELSIF a_who = '{lc.AUTHOR_OR_ADMIN}' THEN
    IF NOT (session_user = v.author OR 'admin' = ANY(held)) THEN
      problem := 'only its author (' || v.author || ') or an admin may ' || lower(a_title) || ' it';
    END IF;
  ELSIF a_who = '{lc.GATE_SIGNERS}' THEN
    v_gate := signoff__open_gate(v.state);
    required := signoff__required(v.id, v_gate, true);
    mine := ARRAY(SELECT r FROM unnest(required) WITH ORDINALITY AS t(r, ord)
                   WHERE r = ANY(held) ORDER BY ord);
    IF cardinality(mine) = 0 THEN
      problem := 'the ' || lower(signoff__gate_title(v_gate)) || ' gate needs '
                 || array_to_string(required, ', ') || '; you hold '
                 || coalesce(nullif(array_to_string(held, ', '), ''), 'no role');
    ELSIF coalesce(p_role, '') <> '' AND NOT p_role = ANY(mine) THEN
      problem := 'you cannot sign as ' || p_role || ' here; you may sign as '
                 || array_to_string(mine, ', ');
    ELSIF p_action = 'approve' THEN
      SELECT d.role INTO taken_by FROM decisions d
       WHERE d.version_id = v.id AND d.action = 'approve' AND d.gate = v_gate
         AND d.review_round = v.review_round AND d.actor = session_user LIMIT 1;
      IF taken_by IS NOT NULL THEN
        problem := 'you already signed this gate as ' || taken_by
                   || '; one person fills one role per gate';
      ELSE
        FOREACH candidate IN ARRAY CASE WHEN coalesce(p_role, '') <> '' THEN ARRAY[p_role]
                                        ELSE mine END LOOP
          SELECT d.actor INTO taken_by FROM decisions d
           WHERE d.version_id = v.id AND d.action = 'approve' AND d.gate = v_gate
             AND d.review_round = v.review_round AND d.role = candidate LIMIT 1;
          IF taken_by IS NULL THEN
            v_role := candidate;
            EXIT;
          END IF;
        END LOOP;
        IF v_role = '' THEN
          problem := 'the ' || coalesce(nullif(p_role, ''), mine[1])
                     || ' role at this gate was already signed by ' || taken_by;
        END IF;
      END IF;
    ELSE
      v_role := coalesce(nullif(p_role, ''), mine[1]);
    END IF;
  ELSIF NOT held && signoff__who_roles(a_who) THEN
    problem := 'only ' || CASE a_who
      {" ".join(f"WHEN '{w}' THEN '{t}'" for w, t in lc.WHO_WORDS.items())} END
      || ' may ' || lower(a_title) || ' a version';
  END IF;
  -- the conditions a signature carries, and the findings that hold the gate it signs
  IF problem IS NULL THEN
    problem := signoff__conditions_problem(v.id, p_action, conds, at_::date);
  END IF;
  IF problem IS NULL AND p_action = 'approve' THEN
    problem := signoff__findings_problem(v.id, v_gate, conds, at_::date);
  END IF;
  IF problem IS NULL AND p_action = 'go_live' THEN
    problem := signoff__state_problem(v.id, 'live');
    IF problem IS NULL THEN
      SELECT d.version_id, ver.number, d.actor INTO live_version_id, live_number, live_actor
        FROM deployments d JOIN versions ver ON ver.id = d.version_id
       WHERE d.model_id = m.id AND d.environment = env AND d.live_to IS NULL
       ORDER BY d.live_from DESC LIMIT 1;
      IF p_check_live AND live_number IS DISTINCT FROM p_expected_live THEN
        RAISE EXCEPTION 'the live version of % in % changed since you looked: v% was put live '
          'by % (you expected %)', m.name, env, live_number,
          coalesce(live_actor, 'someone else'),
          coalesce('v' || p_expected_live::text, 'none') USING ERRCODE = '40001';
      END IF;
    END IF;
  END IF;
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'cannot % %: %', lower(a_title), label, problem USING ERRCODE = '42501';
  END IF;

  IF p_action NOT IN ('approve', 'reject', 'request_changes') THEN
    v_gate := '';
  END IF;
  v_meaning := signoff__meaning(p_action, v_gate, v_role, env, signoff__gate_title(v_gate));
  INSERT INTO decisions (version_id, actor, at, action, gate, role, meaning, comment,
                         manifest_hash, review_round)
  VALUES (v.id, session_user, at_, p_action, v_gate, v_role, v_meaning, comment,
          v.manifest_hash, v.review_round)
  RETURNING id INTO d_id;
  INSERT INTO conditions (decision_id, finding_id, due)
  SELECT d_id, (x ->> 'finding_id')::integer, (x ->> 'due')::date
    FROM jsonb_array_elements(conds) x;

  new_state := coalesce(a_target, v.state);
  new_round := v.review_round;
  new_rules := v.review_rules::jsonb;
  IF p_action = 'submit' THEN
    new_round := v.review_round + 1;
    new_rules := signoff__policy_rules(m.risk_tier);
  ELSIF p_action = 'approve' THEN
    complete := cardinality(signoff__missing_roles(v.id, v_gate, true)) = 0;
    IF complete AND v_gate = '{lc.PRODUCTION_USE}' THEN
      new_state := '{lc.GATE_COMPLETES_TO[lc.PRODUCTION_USE]}';
      IF cardinality(signoff__checks_missing(v.id, true)) = 0 THEN
        new_state := 'ready';
      END IF;
    END IF;
  ELSIF p_action = 'do_not_use' THEN
    n := signoff__enqueue(v.id, 'do_not_use',
                          jsonb_build_object('reason', comment, 'actor', session_user::text,
                                             'state', 'do_not_use', 'must_acknowledge', true)
                          || signoff__replacement(m.id, v.id), NULL, at_);
  ELSIF p_action = 'retire' THEN
    UPDATE deployments SET live_to = at_ WHERE version_id = v.id AND live_to IS NULL;
    n := signoff__enqueue(v.id, 'retired', jsonb_build_object('actor', session_user::text,
                                                              'state', 'retired'), NULL, at_);
  ELSIF p_action = 'go_live' THEN
    IF live_version_id IS NOT NULL THEN
      superseded_pins := ARRAY(SELECT c.id FROM consumers c WHERE c.model_id = m.id
                                AND c.active AND c.pinned_version_id = live_version_id);
    END IF;
    n := signoff__enqueue(v.id, 'went_live',
                          jsonb_build_object('environment', env, 'actor', session_user::text,
                                             'superseded_version', live_number,
                                             'state', 'live'), NULL, at_);
    superseded := ARRAY(SELECT ver.number FROM deployments d JOIN versions ver
                          ON ver.id = d.version_id
                         WHERE d.model_id = m.id AND d.environment = env AND d.live_to IS NULL
                           AND ver.state = 'live' AND ver.id <> v.id ORDER BY ver.number);
    UPDATE versions SET state = 'superseded', state_changed_at = at_,
                        row_version = versions.row_version + 1
     WHERE id IN (SELECT d.version_id FROM deployments d
                   WHERE d.model_id = m.id AND d.environment = env AND d.live_to IS NULL)
       AND state = 'live' AND id <> v.id;
    UPDATE deployments SET live_to = at_
     WHERE model_id = m.id AND environment = env AND live_to IS NULL;
    IF live_version_id IS NOT NULL AND cardinality(superseded_pins) > 0 THEN
      n := n + signoff__enqueue(live_version_id, 'superseded',
        jsonb_build_object('environment', env, 'replaced_by', v.number, 'state', 'superseded'),
        superseded_pins, at_);
    END IF;
    INSERT INTO deployments (model_id, version_id, environment, live_from, live_to, actor)
    VALUES (m.id, v.id, env, at_, NULL, session_user);
    -- consumers told "no replacement yet" about a do-not-use version hear that one is live
    n := n + signoff__follow_ups(v.id, at_);
  END IF;
  IF new_state <> v.state AND new_state = ANY({_array(tuple(lc.STATE_REQUIRES))}) THEN
    problem := signoff__state_problem(v.id, new_state);
    IF problem IS NOT NULL THEN  -- cannot happen when the checks above hold; never trust it
      RAISE EXCEPTION 'cannot move % to %: %', label, new_state, problem USING ERRCODE = '42501';
    END IF;
  END IF;
  UPDATE versions SET state = new_state,
         state_changed_at = CASE WHEN new_state <> v.state THEN at_ ELSE state_changed_at END,
         row_version = versions.row_version + 1, review_round = new_round,
         review_rules = new_rules::json
   WHERE id = v.id;

  payload := jsonb_build_object(
    'decision_id', d_id, 'actor', session_user::text, 'gate', v_gate, 'role', v_role,
    'meaning', v_meaning, 'comment', comment, 'manifest_hash', v.manifest_hash,
    'review_round', v.review_round, 'state_from', v.state, 'state_to', new_state,
    'gate_complete', complete, 'notified', n, 'at', signoff__iso(at_));
  IF jsonb_array_length(conds) > 0 THEN
    payload := payload || jsonb_build_object('conditions', (
      SELECT jsonb_agg(jsonb_build_object('finding_id', (x ->> 'finding_id')::integer,
                                          'due', (x ->> 'due')::date::text)
                       ORDER BY (x ->> 'finding_id')::integer)
        FROM jsonb_array_elements(conds) x));
  END IF;
  IF p_action = 'go_live' THEN
    payload := payload
               || jsonb_build_object('environment', env, 'superseded', to_jsonb(superseded));
  END IF;
  PERFORM signoff__event(CASE WHEN p_action = 'go_live' THEN 'version.went_live'
                              ELSE 'decision.' || p_action END,
                         v.id, m.id, 'version', label, payload);
  PERFORM signoff_refresh_summary(m.id);
  RETURN QUERY SELECT d_id, v.state::text, new_state::text, v_gate::text, v_role::text,
                      complete, n, v.row_version + 1, v_meaning::text;
END $$;
"""

EVIDENCE = f"""
CREATE OR REPLACE FUNCTION signoff_record_evidence(p_version integer, p_check text,
                                                   p_passed boolean, p_summary text,
                                                   p_details jsonb)
RETURNS integer {DEFINER} AS $$
#variable_conflict use_column
DECLARE
  v versions%ROWTYPE;
  m models%ROWTYPE;
  e_id integer;
  at_ timestamp := now() AT TIME ZONE 'UTC';
BEGIN
  SELECT * INTO v FROM versions WHERE id = p_version;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'version % does not exist', p_version USING ERRCODE = '02000';
  END IF;
  SELECT * INTO m FROM models WHERE id = v.model_id;
  IF NOT p_check = ANY({_array(lc.CHECKS)}) THEN
    RAISE EXCEPTION 'unknown check %', p_check USING ERRCODE = '22023';
  END IF;
  IF NOT signoff__is_owner() AND NOT signoff__held_roles() && {_array(lc.EVIDENCE_RECORDERS)} THEN
    RAISE EXCEPTION 'only a {", ".join(lc.EVIDENCE_RECORDERS[:-1]).replace("_", " ")} or the '
      'runner service may record deployment-check evidence' USING ERRCODE = '42501';
  END IF;
  IF session_user = v.author THEN
    RAISE EXCEPTION 'the author of % v% may not record its deployment checks (separation of '
      'duties)', m.name, v.number USING ERRCODE = '42501';
  END IF;
  INSERT INTO evidence (version_id, "check", passed, summary, details, at, actor, manifest_hash)
  VALUES (v.id, p_check, p_passed, coalesce(p_summary, ''), coalesce(p_details, '{{}}')::json,
          at_, session_user, v.manifest_hash)
  RETURNING id INTO e_id;
  PERFORM signoff__event('evidence.recorded', v.id, m.id, 'version', m.name || ' v' || v.number,
    jsonb_build_object('evidence_id', e_id, 'check', p_check, 'passed', p_passed,
                       'summary', coalesce(p_summary, ''), 'details', coalesce(p_details, '{{}}'),
                       'manifest_hash', v.manifest_hash, 'actor', session_user::text,
                       'at', signoff__iso(at_)));
  RETURN e_id;
END $$;

-- approved -> ready once every required check has passing evidence (the last step is strict)
CREATE OR REPLACE FUNCTION signoff_mark_ready(p_version integer) RETURNS boolean {DEFINER} AS $$
#variable_conflict use_column
DECLARE
  v versions%ROWTYPE;
  m models%ROWTYPE;
  at_ timestamp := now() AT TIME ZONE 'UTC';
BEGIN
  SELECT * INTO v FROM versions WHERE id = p_version FOR UPDATE;
  IF NOT FOUND OR v.state <> 'approved' THEN
    RETURN false;
  END IF;
  IF NOT signoff__is_owner()
     AND NOT signoff__held_roles() && signoff__move_roles('approved', 'ready') THEN
    RAISE EXCEPTION 'you may not move a version to ready' USING ERRCODE = '42501';
  END IF;
  IF signoff__state_problem(v.id, 'ready') IS NOT NULL THEN
    RETURN false;
  END IF;
  SELECT * INTO m FROM models WHERE id = v.model_id;
  UPDATE versions SET state = 'ready', state_changed_at = at_,
                      row_version = versions.row_version + 1 WHERE id = v.id;
  PERFORM signoff__event('version.ready', v.id, m.id, 'version', m.name || ' v' || v.number,
    jsonb_build_object('state_from', 'approved', 'state_to', 'ready',
                       'manifest_hash', v.manifest_hash, 'at', signoff__iso(at_)));
  PERFORM signoff_refresh_summary(m.id);
  RETURN true;
END $$;
"""

SUMMARY = f"""
-- the inventory's summary columns, recomputed from the facts (anyone may ask; it is idempotent)
CREATE OR REPLACE FUNCTION signoff_refresh_summary(p_model integer) RETURNS void {DEFINER} AS $$
#variable_conflict use_column
DECLARE
  m models%ROWTYPE;
  live_id integer;
  live_no integer;
  waiting timestamp;
  dnu boolean;
  last_at timestamp;
  validated timestamp;
  cond_due date;
  dnu_used boolean;
BEGIN
  SELECT * INTO m FROM models WHERE id = p_model;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT ver.id, ver.number INTO live_id, live_no
    FROM deployments d JOIN versions ver ON ver.id = d.version_id
   WHERE d.model_id = p_model AND d.environment = '{PRODUCTION}' AND d.live_to IS NULL
   ORDER BY d.live_from DESC LIMIT 1;
  SELECT min(state_changed_at) INTO waiting FROM versions
   WHERE model_id = p_model AND state = 'in_review';
  SELECT EXISTS (
    SELECT 1 FROM consumers c
     WHERE c.model_id = p_model AND c.active
       AND ((c.pinned_version_id IS NOT NULL AND c.pinned_version_id IN
               (SELECT id FROM versions WHERE model_id = p_model AND state = 'do_not_use'))
            OR (c.pinned_version_id IS NULL AND live_id IN
               (SELECT id FROM versions WHERE model_id = p_model AND state = 'do_not_use'))))
    INTO dnu;
  -- the history's times, as the Python summary takes them: versions published and moved,
  -- decisions and evidence signed (not the chain's own recording times)
  SELECT greatest((SELECT max(state_changed_at) FROM versions WHERE model_id = p_model),
                  (SELECT max(created_at) FROM versions WHERE model_id = p_model),
                  (SELECT max(d.at) FROM decisions d JOIN versions ver ON ver.id = d.version_id
                    WHERE ver.model_id = p_model),
                  (SELECT max(e.at) FROM evidence e JOIN versions ver ON ver.id = e.version_id
                    WHERE ver.model_id = p_model))
    INTO last_at;
  -- executions or predictions by a do-not-use version after its notice, flagged
  SELECT EXISTS (SELECT 1 FROM dnu_uses u JOIN versions ver ON ver.id = u.version_id
                  WHERE u.model_id = p_model AND ver.state = 'do_not_use')
    INTO dnu_used;
  -- model risk: the live version's last validation, and the earliest condition still due
  SELECT max(d.at) INTO validated FROM decisions d
   WHERE d.version_id = live_id
     AND ((d.action = 'approve' AND d.gate = '{lc.PRODUCTION_USE}') OR d.action = 'revalidate');
  SELECT min(c.due) INTO cond_due FROM conditions c
    JOIN findings f ON f.id = c.finding_id
    JOIN decisions d ON d.id = c.decision_id
    JOIN versions ver ON ver.id = d.version_id
   WHERE f.model_id = p_model AND f.status = ANY({_array(rk.UNRESOLVED)})
     AND ver.state = ANY({_array(BINDING_STATES)});
  UPDATE models SET
    latest_version = (SELECT number FROM versions WHERE model_id = p_model
                       ORDER BY number DESC LIMIT 1),
    latest_state = (SELECT state FROM versions WHERE model_id = p_model
                     ORDER BY number DESC LIMIT 1),
    version_count = (SELECT count(*) FROM versions WHERE model_id = p_model),
    live_version = live_no,
    flag_open_review = waiting IS NOT NULL,
    review_waiting_since = waiting,
    flag_dnu_consumed = coalesce(dnu, false),
    flag_dnu_used = coalesce(dnu_used, false),
    last_validated_at = validated,
    condition_due = cond_due,
    last_activity_at = coalesce(last_at, m.created_at),
    search_text = lower(concat_ws(' ', m.name, coalesce(m.title, ''), coalesce(m.owner, ''),
                        (SELECT string_agg(t, ' ' ORDER BY n) FROM
                           json_array_elements_text(coalesce(m.tags, '[]'::json))
                           WITH ORDINALITY AS x(t, n))))
   WHERE id = p_model;
END $$;

-- the monitoring verdict on a live model (run by the monitoring service or a reviewer)
CREATE OR REPLACE FUNCTION signoff_set_stale(p_model integer, p_stale boolean, p_reason text,
                                             p_payload jsonb)
RETURNS boolean {DEFINER} AS $$
#variable_conflict use_column
DECLARE
  m models%ROWTYPE;
  live_id integer;
BEGIN
  IF NOT signoff__is_owner() AND NOT signoff__held_roles() && {_array(lc.STALE_SETTERS)} THEN
    RAISE EXCEPTION 'only a {", ".join(lc.STALE_SETTERS[:-1]).replace("_", " ")} or the '
      'monitoring service may change a model''s stale flag' USING ERRCODE = '42501';
  END IF;
  SELECT * INTO m FROM models WHERE id = p_model FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'model % does not exist', p_model USING ERRCODE = '02000';
  END IF;
  IF m.flag_stale = p_stale AND coalesce(m.stale_reason, '') = coalesce(p_reason, '') THEN
    RETURN false;
  END IF;
  UPDATE models SET flag_stale = p_stale, stale_reason = coalesce(p_reason, '')
   WHERE id = p_model;
  PERFORM signoff__event(CASE WHEN p_stale AND NOT m.flag_stale THEN 'monitoring.flagged_stale'
                              WHEN m.flag_stale AND NOT p_stale THEN 'monitoring.stale_cleared'
                              ELSE 'monitoring.stale_reason_changed' END, NULL,
                         m.id, 'model', m.name, coalesce(p_payload, '{{}}'::jsonb));
  -- the model's consumers hear that the live version turned stale, or no longer is
  SELECT ver.id INTO live_id FROM deployments d JOIN versions ver ON ver.id = d.version_id
   WHERE d.model_id = m.id AND d.environment = '{PRODUCTION}' AND d.live_to IS NULL
   ORDER BY d.live_from DESC LIMIT 1;
  IF live_id IS NOT NULL THEN
    PERFORM signoff__enqueue(live_id, 'stale_changed',
      jsonb_build_object('stale', p_stale,
                         'reasons', coalesce(p_payload -> 'reasons', '[]'::jsonb)),
      NULL, now() AT TIME ZONE 'UTC');
  END IF;
  RETURN true;
END $$;

-- a model's risk tier is governance data: changed by an admin or business owner, audited
CREATE OR REPLACE FUNCTION signoff_set_risk_tier(p_model integer, p_tier text, p_reason text)
RETURNS void {DEFINER} AS $$
#variable_conflict use_column
DECLARE
  m models%ROWTYPE;
BEGIN
  IF NOT signoff__is_owner() AND NOT signoff__held_roles() && {_array(lc.TIER_SETTERS)} THEN
    RAISE EXCEPTION 'only an admin or a business owner may change a model''s risk tier'
      USING ERRCODE = '42501';
  END IF;
  IF NOT p_tier = ANY(ARRAY['high', 'medium', 'low']) THEN
    RAISE EXCEPTION 'unknown risk tier %', p_tier USING ERRCODE = '22023';
  END IF;
  IF btrim(coalesce(p_reason, '')) = '' THEN
    RAISE EXCEPTION 'a reason is required to change a risk tier' USING ERRCODE = '22023';
  END IF;
  SELECT * INTO m FROM models WHERE id = p_model FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'model % does not exist', p_model USING ERRCODE = '02000';
  END IF;
  IF m.risk_tier = p_tier THEN
    RETURN;
  END IF;
  UPDATE models SET risk_tier = p_tier WHERE id = p_model;
  PERFORM signoff__event('model.risk_tier_changed', NULL, m.id, 'model', m.name,
    jsonb_build_object('from', m.risk_tier, 'to', p_tier, 'reason', btrim(p_reason)));
END $$;
"""


__all__ = ["DECIDE", "EVIDENCE", "SUMMARY"]
