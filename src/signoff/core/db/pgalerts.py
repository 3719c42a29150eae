"""Alerts, acknowledgements and the service's leases held by a shared PostgreSQL registry.

What :mod:`signoff.core.notifications.alerts`, :mod:`.acks` and :mod:`signoff.core.db.jobs`
do in Python on the embedded registry, these SECURITY DEFINER functions do here (no
application login may write the tables directly):

* ``signoff_raise_alert`` stores an alert once (its dedupe key), its recipients (known, active
  people) and their e-mails in the outbox; the service logins, reviewers and admins may call
  it, and the database's own functions call ``signoff__raise_alert``;
* ``signoff_mark_alerts_read`` marks the caller's own rows only, whoever they claim to be;
* ``signoff_record_ack`` records a consumer's acknowledgement (the notifier answering a signed
  link, or an admin recording one given another way), audited;
* ``signoff_claim_job`` / ``signoff_finish_job`` take and free the service's leases.
"""

from __future__ import annotations

from signoff.core.db.pgrules import DEFINER, statements

ALERT_SEVERITIES = ("info", "warning", "critical")

ALERTS = f"""
-- an alert for *p_people* (known, active people receive it; each with an address by e-mail)
CREATE OR REPLACE FUNCTION signoff__raise_alert(
    p_kind text, p_sev text, p_model integer, p_version integer, p_subject text, p_title text,
    p_body text, p_payload jsonb, p_key text, p_people text[], p_email boolean)
RETURNS integer {DEFINER} AS $$
#variable_conflict use_column
DECLARE
  a_id integer;
  now_ timestamp := now() AT TIME ZONE 'UTC';
  p record;
  m_name text;
  k text;
BEGIN
  IF p_kind IS NULL OR p_kind !~ '^[a-z][a-z0-9_]{{0,39}}$' THEN
    RAISE EXCEPTION 'alert kind % must be a short lower-case word', p_kind USING ERRCODE = '22023';
  END IF;
  IF NOT coalesce(p_sev, '') = ANY(ARRAY{list(ALERT_SEVERITIES)}::text[]) THEN
    RAISE EXCEPTION 'alert severity % must be one of {", ".join(ALERT_SEVERITIES)}', p_sev
      USING ERRCODE = '22023';
  END IF;
  IF btrim(coalesce(p_title, '')) = '' THEN
    RAISE EXCEPTION 'an alert needs a title' USING ERRCODE = '22023';
  END IF;
  INSERT INTO alerts (kind, severity, model_id, version_id, subject, title, body, payload,
                      dedupe_key, created_at, created_by)
  VALUES (p_kind, p_sev, p_model, p_version, left(coalesce(p_subject, ''), 300),
          left(p_title, 300), coalesce(p_body, ''), coalesce(p_payload, '{{}}'::jsonb)::json,
          left(coalesce(nullif(p_key, ''), p_kind || ':' || coalesce(p_subject, '') || ':'
                        || p_title), 200), now_, session_user)
  ON CONFLICT (dedupe_key) DO NOTHING
  RETURNING id INTO a_id;
  IF a_id IS NULL THEN
    RETURN NULL;  -- raised before: never twice
  END IF;
  SELECT name INTO m_name FROM models WHERE id = p_model;
  FOR p IN SELECT u.login, coalesce(u.email, '') AS email FROM users u
            WHERE u.login = ANY(coalesce(p_people, '{{}}'::text[])) AND u.active
            ORDER BY array_position(p_people, u.login::text) LOOP
    INSERT INTO alert_recipients (alert_id, person, read_at) VALUES (a_id, p.login, NULL)
    ON CONFLICT DO NOTHING;
    IF coalesce(p_email, true) AND p.email <> '' THEN
      k := left('signoff-alert-' || a_id || '-' || p.login, 100);
      INSERT INTO outbox (consumer_id, channel, recipient, person, alert_id, event, payload,
                          idempotency_key, state, attempts, next_attempt_at, last_error,
                          created_at, claimed_by)
      VALUES (NULL, 'email', p.email, p.login, a_id, 'alert',
              jsonb_build_object('event', 'alert', 'alert_id', a_id, 'kind', p_kind,
                'severity', p_sev, 'title', left(p_title, 300), 'body', coalesce(p_body, ''),
                'subject', left(coalesce(p_subject, ''), 300), 'model', m_name,
                'version_id', p_version, 'person', p.login, 'idempotency_key', k,
                'at', signoff__iso(now_))::json,
              k, 'pending', 0, now_, '', now_, '');
    END IF;
  END LOOP;
  RETURN a_id;
END $$;

CREATE OR REPLACE FUNCTION signoff_raise_alert(
    p_kind text, p_sev text, p_model integer, p_version integer, p_subject text, p_title text,
    p_body text, p_payload jsonb, p_key text, p_people text[], p_email boolean)
RETURNS integer {DEFINER} AS $$
BEGIN
  RETURN signoff__raise_alert(p_kind, p_sev, p_model, p_version, p_subject, p_title, p_body,
                              p_payload, p_key, p_people, p_email);
END $$;

-- the caller marks their own alerts read (all of them for NULL); how many
CREATE OR REPLACE FUNCTION signoff_mark_alerts_read(p_ids integer[]) RETURNS integer
{DEFINER} AS $$
#variable_conflict use_column
DECLARE
  n integer;
BEGIN
  UPDATE alert_recipients SET read_at = now() AT TIME ZONE 'UTC'
   WHERE person = session_user AND read_at IS NULL
     AND (p_ids IS NULL OR alert_id = ANY(p_ids));
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;

-- a consumer acknowledges a do-not-use notice: by its signed link (the notifier answers it)
-- or as an admin records it; the first acknowledgement stands
CREATE OR REPLACE FUNCTION signoff_record_ack(p_consumer integer, p_version integer, p_via text,
                                              p_note text, p_key text)
RETURNS boolean {DEFINER} AS $$
#variable_conflict use_column
DECLARE
  held text[] := signoff__held_roles();
  may text[];
  who text;
  c record;
  v record;
  m_name text;
  note_ text := btrim(coalesce(p_note, ''));
  now_ timestamp := now() AT TIME ZONE 'UTC';
BEGIN
  IF p_via IS NULL OR NOT p_via = ANY(ARRAY['link', 'admin']) THEN
    RAISE EXCEPTION 'unknown acknowledgement channel %', p_via USING ERRCODE = '22023';
  END IF;
  may := ARRAY['admin'];
  who := 'an admin records an acknowledgement given another way';
  IF p_via = 'link' THEN
    may := ARRAY['notifier', 'admin'];
    who := 'the notifier service (answering a signed link) or an admin records an '
           || 'acknowledgement';
  END IF;
  IF NOT signoff__is_owner() AND NOT held && may THEN
    RAISE EXCEPTION 'only %', who USING ERRCODE = '42501';
  END IF;
  SELECT id, model_id, name INTO c FROM consumers WHERE id = p_consumer;
  SELECT id, model_id, number, state INTO v FROM versions WHERE id = p_version;
  IF c.id IS NULL OR v.id IS NULL OR c.model_id <> v.model_id THEN
    RAISE EXCEPTION 'no such consumer of that version''s model' USING ERRCODE = '02000';
  END IF;
  SELECT name INTO m_name FROM models WHERE id = v.model_id;
  IF v.state <> 'do_not_use' THEN
    RAISE EXCEPTION '% v% is not marked do not use; there is nothing to acknowledge',
      m_name, v.number USING ERRCODE = '22023';
  END IF;
  INSERT INTO consumer_acks (consumer_id, version_id, at, via, actor, note, notice_key)
  VALUES (c.id, v.id, now_, p_via, session_user, note_, left(coalesce(p_key, ''), 100))
  ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  PERFORM signoff__event('consumer.acknowledged', v.id, v.model_id, 'consumer',
    m_name || '/' || c.name,
    jsonb_build_object('consumer', c.name, 'version', v.number, 'via', p_via, 'note', note_,
                       'notice_key', coalesce(p_key, '')));
  RETURN true;
END $$;

-- the service's leases (see signoff.core.db.jobs, which does the same on SQLite)
CREATE OR REPLACE FUNCTION signoff_claim_job(p_name text, p_holder text, p_seconds integer,
                                             p_check boolean, p_last timestamp)
RETURNS boolean {DEFINER} AS $$
#variable_conflict use_column
DECLARE
  j record;
  now_ timestamp := now() AT TIME ZONE 'UTC';
  secs integer := least(greatest(coalesce(p_seconds, 1), 1), 900);
BEGIN
  IF btrim(coalesce(p_name, '')) = '' OR btrim(coalesce(p_holder, '')) = '' THEN
    RAISE EXCEPTION 'a job and its holder need names' USING ERRCODE = '22023';
  END IF;
  INSERT INTO service_jobs (name, holder, lease_until, last_run_at, last_result, cursor)
  VALUES (left(p_name, 200), '', NULL, NULL, '', 0) ON CONFLICT DO NOTHING;
  SELECT * INTO j FROM service_jobs WHERE name = left(p_name, 200) FOR UPDATE;
  IF j.holder <> '' AND j.holder <> p_holder AND j.lease_until IS NOT NULL
     AND j.lease_until > now_ THEN
    RETURN false;
  END IF;
  IF coalesce(p_check, false) AND j.last_run_at IS DISTINCT FROM p_last THEN
    RETURN false;
  END IF;
  UPDATE service_jobs SET holder = left(p_holder, 100),
         lease_until = now_ + make_interval(secs => secs)
   WHERE name = j.name;
  RETURN true;
END $$;

CREATE OR REPLACE FUNCTION signoff_finish_job(p_name text, p_holder text, p_result text,
                                              p_cursor bigint, p_ran boolean)
RETURNS boolean {DEFINER} AS $$
#variable_conflict use_column
DECLARE
  j record;
BEGIN
  SELECT * INTO j FROM service_jobs WHERE name = p_name FOR UPDATE;
  IF NOT FOUND OR j.holder <> p_holder THEN
    RETURN false;
  END IF;
  UPDATE service_jobs SET holder = '', lease_until = NULL,
         last_run_at = CASE WHEN p_ran THEN now() AT TIME ZONE 'UTC' ELSE last_run_at END,
         last_result = CASE WHEN p_ran THEN left(coalesce(p_result, ''), 2000)
                            ELSE last_result END,
         cursor = CASE WHEN p_ran AND p_cursor IS NOT NULL THEN greatest(cursor, p_cursor)
                       ELSE cursor END
   WHERE name = j.name;
  RETURN true;
END $$;
"""

FUNCTION_NAMES = (
    "signoff__raise_alert(text, text, integer, integer, text, text, text, jsonb, text, text[], "
    "boolean)",
    "signoff_raise_alert(text, text, integer, integer, text, text, text, jsonb, text, text[], "
    "boolean)",
    "signoff_mark_alerts_read(integer[])",
    "signoff_record_ack(integer, integer, text, text, text)",
    "signoff_claim_job(text, text, integer, boolean, timestamp)",
    "signoff_finish_job(text, text, text, bigint, boolean)",
)


def alerts_sql() -> list[str]:
    """The alert, acknowledgement and lease functions; idempotent."""
    return statements(ALERTS)


__all__ = ["ALERTS", "ALERT_SEVERITIES", "FUNCTION_NAMES", "alerts_sql"]
