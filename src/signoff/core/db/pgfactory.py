"""The factory loop held by a shared PostgreSQL registry: use of do-not-use versions, and the
notices that follow a do-not-use mark.

What :mod:`signoff.core.notifications` does in Python on the embedded registry, the database
does here, so that a login with psql can neither skip a flag nor forge an alert:

* every INSERT into ``executions`` or ``predictions`` that touches a do-not-use version marks
  its model (a statement trigger over the inserted rows, cheap for a batch), and when the
  transaction commits a deferred trigger flags the use from the stored facts
  (``signoff__flag_dnu``: ``dnu_uses``, the ``monitoring.do_not_use_used`` event, the
  consumer's ``do_not_use_used`` notice, the inventory's "do-not-use still used"). An ingest
  that calls ``signoff_flag_dnu_use`` itself gets the flags of its own transaction back (what
  ``signoff ingest`` warns of); a client that does not call it is flagged all the same;
* after a go-live, ``signoff__follow_ups`` tells the consumers told "none yet" which version
  replaces the do-not-use one; ``signoff_remind_unacknowledged`` queues the service's
  reminders to consumers that have not acknowledged.

Alerts, acknowledgements and the service's leases are in :mod:`signoff.core.db.pgalerts`.

The notice JSON is the one :mod:`signoff.core.notifications.notices` builds (``signoff__enqueue``
in :mod:`signoff.core.db.pgrules` writes it, one row per channel of each consumer).
"""

from __future__ import annotations

from signoff.core.db.pgrules import DEFINER, PRODUCTION

#: the transaction-local list of models whose do-not-use use is to be flagged at commit
PENDING_SETTING = "signoff.dnu_pending"

FACTORY = f"""
-- the version to move to from *p_unusable* (the one live in production now), for a notice
CREATE OR REPLACE FUNCTION signoff__replacement(p_model integer, p_unusable integer)
RETURNS jsonb {DEFINER} STABLE AS $$
#variable_conflict use_column
DECLARE
  r record;
BEGIN
  SELECT ver.id, ver.number, ver.manifest_hash INTO r
    FROM deployments d JOIN versions ver ON ver.id = d.version_id
   WHERE d.model_id = p_model AND d.environment = '{PRODUCTION}' AND d.live_to IS NULL
     AND ver.id <> p_unusable AND ver.state = 'live'
   ORDER BY d.live_from DESC LIMIT 1;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('replacement', NULL, 'replacement_status', 'none yet');
  END IF;
  RETURN jsonb_build_object('replacement', jsonb_build_object('version', r.number,
           'version_id', r.id, 'manifest_hash', r.manifest_hash), 'replacement_status', 'live');
END $$;

-- flag use of the model's do-not-use versions after their notice, from the stored facts alone
-- (calling it again flags nothing new); the flags it made or changed
CREATE OR REPLACE FUNCTION signoff__flag_dnu(p_model integer)
RETURNS TABLE (version integer, consumer text, executions integer, predictions integer,
               rows_scored integer, last_used_at timestamp)
{DEFINER} AS $$
#variable_conflict use_column
DECLARE
  m_name text;
  v record;
  u record;
  since timestamp;
  stored_id integer;
  stored_e integer;
  stored_p integer;
  now_ timestamp := now() AT TIME ZONE 'UTC';
  registered integer;
  notified integer;
  facts jsonb;
BEGIN
  -- one flagger per model at a time, serialised on the model's row (which an ingest that
  -- touched a do-not-use version holds already, and which a decision takes after its
  -- version's: never the other way round); what it counts then includes every committed fact
  SELECT name INTO m_name FROM models WHERE id = p_model FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  FOR v IN SELECT id, number FROM versions WHERE model_id = p_model AND state = 'do_not_use'
           ORDER BY id LOOP
    SELECT max(d.at) INTO since FROM decisions d
     WHERE d.version_id = v.id AND d.action = 'do_not_use';
    CONTINUE WHEN since IS NULL;
    FOR u IN
      WITH runs AS (
        SELECT coalesce(e.consumer, '') AS who, count(*)::integer AS n,
               coalesce(sum(e.rows_scored), 0)::integer AS scored,
               min(e.started_at) AS first_at, max(e.started_at) AS last_at
          FROM executions e WHERE e.version_id = v.id AND e.started_at >= since GROUP BY 1),
      scores AS (
        SELECT coalesce(e.consumer, '') AS who, count(*)::integer AS n,
               min(p.predicted_at) AS first_at, max(p.predicted_at) AS last_at
          FROM predictions p LEFT JOIN executions e ON e.id = p.execution_id
         WHERE p.version_id = v.id AND p.predicted_at >= since GROUP BY 1)
      SELECT coalesce(r.who, s.who) AS who, coalesce(r.n, 0) AS execs,
             coalesce(s.n, 0) AS preds, coalesce(r.scored, 0) AS scored,
             least(r.first_at, s.first_at) AS first_at,
             greatest(r.last_at, s.last_at) AS last_at
        FROM runs r FULL JOIN scores s ON s.who = r.who
       ORDER BY coalesce(r.who, s.who) COLLATE "C"
    LOOP
      SELECT d.id, d.executions, d.predictions INTO stored_id, stored_e, stored_p
        FROM dnu_uses d WHERE d.version_id = v.id AND d.consumer = u.who FOR UPDATE;
      IF FOUND AND stored_e = u.execs AND stored_p = u.preds THEN
        CONTINUE;
      END IF;
      IF stored_id IS NULL THEN
        INSERT INTO dnu_uses (model_id, version_id, consumer, executions, predictions,
                              rows_scored, first_used_at, last_used_at, flagged_at, updated_at)
        VALUES (p_model, v.id, u.who, u.execs, u.preds, u.scored, u.first_at, u.last_at,
                now_, now_);
      ELSE
        UPDATE dnu_uses SET executions = u.execs, predictions = u.preds, rows_scored = u.scored,
               first_used_at = u.first_at, last_used_at = u.last_at, updated_at = now_
         WHERE id = stored_id;
      END IF;
      stored_id := NULL;
      facts := jsonb_build_object('executions', u.execs, 'predictions', u.preds,
                                  'rows_scored', u.scored,
                                  'first_used_at', signoff__iso(u.first_at),
                                  'last_used_at', signoff__iso(u.last_at));
      registered := NULL;
      SELECT c.id INTO registered FROM consumers c
       WHERE c.model_id = p_model AND c.name = u.who AND c.active;
      notified := 0;
      IF registered IS NOT NULL THEN
        notified := signoff__enqueue(v.id, 'do_not_use_used',
          facts || jsonb_build_object('used_by', u.who, 'must_acknowledge', true)
                || signoff__replacement(p_model, v.id),
          ARRAY[registered], now_, u.execs || '-' || u.preds);
      END IF;
      PERFORM signoff__event('monitoring.do_not_use_used', v.id, p_model, 'version',
        m_name || ' v' || v.number,
        facts || jsonb_build_object('consumer', u.who, 'notified', notified));
      version := v.number;
      consumer := u.who;
      executions := u.execs;
      predictions := u.preds;
      rows_scored := u.scored;
      last_used_at := u.last_at;
      RETURN NEXT;
    END LOOP;
  END LOOP;
END $$;

-- the models an INSERT into executions or predictions touched through a do-not-use version:
-- each is marked (once per transaction) so that the deferred trigger below flags it at commit
CREATE OR REPLACE FUNCTION signoff__note_dnu_use() RETURNS trigger {DEFINER} AS $$
#variable_conflict use_column
DECLARE
  m integer;
  pending text;
BEGIN
  FOR m IN SELECT DISTINCT ver.model_id FROM new_rows n JOIN versions ver ON ver.id = n.version_id
            WHERE ver.state = 'do_not_use' LOOP
    pending := coalesce(current_setting('{PENDING_SETTING}', true), '');
    IF position(',' || m || ',' IN pending) = 0 THEN
      PERFORM set_config('{PENDING_SETTING}', coalesce(nullif(pending, ''), ',') || m || ',',
                         true);
      -- queues the deferred flagging of this model (its WHEN sees the model pending)
      UPDATE models SET flag_dnu_used = flag_dnu_used WHERE id = m;
    END IF;
  END LOOP;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION signoff__dnu_pending(p_model integer) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT position(',' || p_model || ',' IN
                  coalesce(current_setting('{PENDING_SETTING}', true), '')) > 0
$$;

CREATE OR REPLACE FUNCTION signoff__forget_dnu_pending(p_model integer) RETURNS void
LANGUAGE sql AS $$
  SELECT set_config('{PENDING_SETTING}',
                    replace(coalesce(current_setting('{PENDING_SETTING}', true), ''),
                            ',' || p_model || ',', ','), true)
$$;

-- at commit: flag the marked model (whatever the client did or did not call)
CREATE OR REPLACE FUNCTION signoff__flag_dnu_at_commit() RETURNS trigger {DEFINER} AS $$
#variable_conflict use_column
BEGIN
  PERFORM signoff__forget_dnu_pending(NEW.id);
  PERFORM signoff__flag_dnu(NEW.id);
  PERFORM signoff_refresh_summary(NEW.id);
  RETURN NULL;
END $$;

-- what ``signoff ingest`` calls after storing: flag now, and say what this transaction flagged
CREATE OR REPLACE FUNCTION signoff_flag_dnu_use(p_model integer)
RETURNS TABLE (version integer, consumer text, executions integer, predictions integer,
               rows_scored integer, last_used_at timestamp)
{DEFINER} AS $$
#variable_conflict use_column
BEGIN
  PERFORM signoff__forget_dnu_pending(p_model);
  PERFORM signoff__flag_dnu(p_model);
  PERFORM signoff_refresh_summary(p_model);
  RETURN QUERY
    SELECT ver.number, d.consumer::text, d.executions, d.predictions, d.rows_scored,
           d.last_used_at
      FROM dnu_uses d JOIN versions ver ON ver.id = d.version_id
     WHERE d.model_id = p_model AND ver.state = 'do_not_use'
       AND d.updated_at = now() AT TIME ZONE 'UTC'
     ORDER BY ver.number, d.consumer COLLATE "C";
END $$;

-- after *p_live* went live: the follow-up (``replacement_live``) to every consumer told that a
-- version of this model must not be used while no replacement was live yet; once per version
CREATE OR REPLACE FUNCTION signoff__follow_ups(p_live integer, p_at timestamp) RETURNS integer
{DEFINER} AS $$
#variable_conflict use_column
DECLARE
  lv record;
  u record;
  waiting integer[];
  n integer := 0;
BEGIN
  SELECT id, model_id, number, manifest_hash INTO lv FROM versions WHERE id = p_live;
  FOR u IN SELECT id FROM versions WHERE model_id = lv.model_id AND state = 'do_not_use'
                                     AND id <> lv.id ORDER BY id LOOP
    CONTINUE WHEN EXISTS (
      SELECT 1 FROM outbox o JOIN consumers c ON c.id = o.consumer_id
       WHERE c.model_id = lv.model_id AND o.event = 'replacement_live'
         AND (o.payload::jsonb ->> 'version_id')::integer = u.id);
    waiting := ARRAY(
      SELECT DISTINCT o.consumer_id FROM outbox o JOIN consumers c ON c.id = o.consumer_id
       WHERE c.model_id = lv.model_id AND o.event = 'do_not_use'
         AND (o.payload::jsonb ->> 'version_id')::integer = u.id
         AND coalesce(o.payload::jsonb -> 'replacement', 'null'::jsonb) = 'null'::jsonb);
    CONTINUE WHEN cardinality(waiting) = 0;
    n := n + signoff__enqueue(u.id, 'replacement_live',
      jsonb_build_object('reason', signoff__dnu_reason(u.id),
        'replacement', jsonb_build_object('version', lv.number, 'version_id', lv.id,
                                          'manifest_hash', lv.manifest_hash),
        'replacement_status', 'live', 'must_acknowledge', true),
      waiting, p_at);
  END LOOP;
  RETURN n;
END $$;

-- the reason recorded when the version was marked do not use (its latest such decision)
CREATE OR REPLACE FUNCTION signoff__dnu_reason(p_version integer) RETURNS text
{DEFINER} STABLE AS $$
#variable_conflict use_column
BEGIN
  RETURN coalesce((SELECT d.comment FROM decisions d WHERE d.version_id = p_version
                      AND d.action = 'do_not_use' ORDER BY d.id DESC LIMIT 1), '');
END $$;

-- the service's reminders to consumers that have not acknowledged a do-not-use notice: the
-- k-th every *p_every_days* after the notice, keyed ``r<k>`` (queued once); how many queued.
-- *p_now* moves the clock (the service's tests); the rows are stamped with the real time
CREATE OR REPLACE FUNCTION signoff_remind_unacknowledged(p_every_days double precision,
                                                         p_now timestamp)
RETURNS integer {DEFINER} AS $$
#variable_conflict use_column
DECLARE
  real_now timestamp := now() AT TIME ZONE 'UTC';
  now_ timestamp := coalesce(p_now, now() AT TIME ZONE 'UTC');
  u record;
  since timestamp;
  days double precision;
  due integer;
  waiting integer[];
  n integer := 0;
BEGIN
  IF p_every_days IS NULL OR p_every_days <= 0 THEN
    RAISE EXCEPTION 'reminders need a positive number of days between them'
      USING ERRCODE = '22023';
  END IF;
  FOR u IN SELECT id, model_id FROM versions WHERE state = 'do_not_use' ORDER BY id LOOP
    SELECT max(d.at) INTO since FROM decisions d
     WHERE d.version_id = u.id AND d.action = 'do_not_use';
    CONTINUE WHEN since IS NULL;
    days := extract(epoch FROM (now_ - since)) / 86400.0;
    due := floor(days / p_every_days)::integer;
    CONTINUE WHEN due < 1;
    waiting := ARRAY(SELECT c.id FROM consumers c WHERE c.model_id = u.model_id AND c.active
                       AND NOT EXISTS (SELECT 1 FROM consumer_acks a
                                        WHERE a.consumer_id = c.id AND a.version_id = u.id)
                     ORDER BY c.id);
    CONTINUE WHEN cardinality(waiting) = 0;
    n := n + signoff__enqueue(u.id, 'do_not_use_reminder',
      jsonb_build_object('reason', signoff__dnu_reason(u.id),
                         'days_since_notice', floor(days)::integer, 'reminder', due,
                         'must_acknowledge', true)
        || signoff__replacement(u.model_id, u.id),
      waiting, real_now, 'r' || due);
  END LOOP;
  RETURN n;
END $$;

"""

#: the triggers that flag use of a do-not-use version whatever the client sends
TRIGGERS = (
    "DROP TRIGGER IF EXISTS executions_dnu_use ON executions",
    "CREATE TRIGGER executions_dnu_use AFTER INSERT ON executions REFERENCING NEW TABLE AS "
    "new_rows FOR EACH STATEMENT EXECUTE FUNCTION signoff__note_dnu_use()",
    "DROP TRIGGER IF EXISTS predictions_dnu_use ON predictions",
    "CREATE TRIGGER predictions_dnu_use AFTER INSERT ON predictions REFERENCING NEW TABLE AS "
    "new_rows FOR EACH STATEMENT EXECUTE FUNCTION signoff__note_dnu_use()",
    "DROP TRIGGER IF EXISTS models_dnu_flag ON models",
    "CREATE CONSTRAINT TRIGGER models_dnu_flag AFTER UPDATE OF flag_dnu_used ON models "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (signoff__dnu_pending(NEW.id)) "
    "EXECUTE FUNCTION signoff__flag_dnu_at_commit()",
)

FUNCTION_NAMES = (
    "signoff__replacement(integer, integer)",
    "signoff__flag_dnu(integer)",
    "signoff__note_dnu_use()",
    "signoff__dnu_pending(integer)",
    "signoff__forget_dnu_pending(integer)",
    "signoff__flag_dnu_at_commit()",
    "signoff_flag_dnu_use(integer)",
    "signoff__follow_ups(integer, timestamp)",
    "signoff__dnu_reason(integer)",
    "signoff_remind_unacknowledged(double precision, timestamp)",
)


def drop_triggers_sql() -> list[str]:
    """The flagging triggers removed (migration 0011's downgrade; the functions stay, since
    the governance functions of 0010's code call some of them)."""
    return [t for t in TRIGGERS if t.startswith("DROP")]


__all__ = ["FACTORY", "FUNCTION_NAMES", "PENDING_SETTING", "TRIGGERS", "drop_triggers_sql"]
