"""Attestations and model cards held by a shared PostgreSQL registry, generated from
:mod:`signoff.core.db.model_risk`.

No application login may write ``attestation_periods``, ``attestations`` or ``card_entries``
(the grants give SELECT only); these SECURITY DEFINER functions are the only way, and they ask
what :mod:`signoff.core.governance.attestations` and :mod:`signoff.core.governance.cards` ask:

* ``signoff_attestation_period`` opens a period over every model now in the inventory, or
  closes one: admins only;
* ``signoff_attest`` records the model owner's attestation or correction (title, description
  and business unit corrected at once; wrong consumers or limitations recorded and raised as
  an alert to the admins and validators), with a snapshot of what was attested;
* ``signoff_edit_card`` sets one field of a version's card, with a reason: the model's owner,
  the version's author, validators and admins.

Each writes its audit event, stamped with ``session_user``, in the caller's transaction.
"""

from __future__ import annotations

from signoff.core.db import model_risk as rk
from signoff.core.db.pgrules import DEFINER, _array, statements

NAME_LIMIT = 100


def _card_titles_case() -> str:
    return " ".join(f"WHEN '{k}' THEN '{v.lower()}'" for k, v in rk.CARD_TITLES.items())


ATTEST = f"""
-- open (p_action 'open': p_name, p_due) or close (p_action 'close': p_period) a period
CREATE OR REPLACE FUNCTION signoff_attestation_period(p_action text, p_name text, p_due date,
                                                      p_period integer, p_at timestamp)
RETURNS integer {DEFINER} AS $$
#variable_conflict use_column
DECLARE
  at_ timestamp := CASE WHEN signoff__is_owner() AND p_at IS NOT NULL THEN p_at
                        ELSE now() AT TIME ZONE 'UTC' END;
  name_ text := btrim(coalesce(p_name, ''));
  scope_ jsonb;
  per record;
  new_id integer;
BEGIN
  IF NOT signoff__held_roles() && {_array(rk.PERIOD_OPENERS)} THEN
    RAISE EXCEPTION '% may not % an attestation period: admins only', session_user,
      CASE p_action WHEN 'close' THEN 'close' ELSE 'open' END USING ERRCODE = '42501';
  END IF;
  IF p_action = 'open' THEN
    IF name_ = '' OR length(name_) > {NAME_LIMIT} THEN
      RAISE EXCEPTION 'an attestation period needs a name of 1 to {NAME_LIMIT} characters'
        USING ERRCODE = '22023';
    END IF;
    IF p_due IS NULL OR p_due < at_::date THEN
      RAISE EXCEPTION 'the attestation period''s due date is in the past' USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM attestation_periods WHERE name = name_) THEN
      RAISE EXCEPTION 'an attestation period called ''%'' exists already', name_
        USING ERRCODE = '23505';
    END IF;
    scope_ := coalesce((SELECT jsonb_agg(id ORDER BY id) FROM models), '[]'::jsonb);
    INSERT INTO attestation_periods (name, due, opened_by, opened_at, closed_by, closed_at,
                                     scope)
    VALUES (name_, p_due, session_user, at_, '', NULL, scope_::json)
    RETURNING id INTO new_id;
    PERFORM signoff__event('{rk.ATTESTATION_PERIOD_OPENED}', NULL, NULL, 'attestation_period',
      name_, jsonb_build_object('period_id', new_id, 'name', name_, 'due', p_due::text,
                                'scope', scope_, 'at', signoff__iso(at_)));
    RETURN new_id;
  ELSIF p_action = 'close' THEN
    SELECT id, name, closed_at INTO per FROM attestation_periods WHERE id = p_period FOR UPDATE;
    IF per.id IS NULL THEN
      RAISE EXCEPTION 'no attestation period #%', p_period USING ERRCODE = '02000';
    END IF;
    IF per.closed_at IS NOT NULL THEN
      RAISE EXCEPTION 'the attestation period ''%'' is closed already', per.name
        USING ERRCODE = '22023';
    END IF;
    UPDATE attestation_periods SET closed_at = at_, closed_by = session_user WHERE id = per.id;
    PERFORM signoff__event('{rk.ATTESTATION_PERIOD_CLOSED}', NULL, NULL, 'attestation_period',
      per.name, jsonb_build_object('period_id', per.id, 'name', per.name,
                                   'at', signoff__iso(at_)));
    RETURN per.id;
  END IF;
  RAISE EXCEPTION 'unknown attestation period action %', p_action USING ERRCODE = '22023';
END $$;

-- what an owner attests to: the inventory entry, its consumers and its limitations
CREATE OR REPLACE FUNCTION signoff__attested_snapshot(p_model integer) RETURNS jsonb
{DEFINER} STABLE AS $$
#variable_conflict use_column
BEGIN
  RETURN (SELECT jsonb_build_object(
    'owner', m.owner, 'business_unit', m.business_unit, 'title', m.title,
    'description', m.description, 'risk_tier', m.risk_tier,
    'consumers', coalesce((SELECT jsonb_agg(c.name ORDER BY c.name COLLATE "C")
                             FROM consumers c WHERE c.model_id = m.id AND c.active),
                          '[]'::jsonb),
    'limitations', coalesce((SELECT jsonb_agg(f.title ORDER BY f.id) FROM findings f
                               WHERE f.model_id = m.id AND (f.status = '{rk.ACCEPTED}'
                                 OR (f.kind = 'limitation'
                                     AND f.status = ANY({_array(rk.UNRESOLVED)})))),
                            '[]'::jsonb))
    FROM models m WHERE m.id = p_model);
END $$;

-- the model's owner attests it in the period, or corrects it (p_corrections: field -> text)
CREATE OR REPLACE FUNCTION signoff_attest(p_period integer, p_model integer,
                                          p_corrections jsonb, p_comment text, p_at timestamp)
RETURNS integer {DEFINER} AS $$
#variable_conflict use_column
DECLARE
  at_ timestamp := CASE WHEN signoff__is_owner() AND p_at IS NOT NULL THEN p_at
                        ELSE now() AT TIME ZONE 'UTC' END;
  per record;
  m record;
  given jsonb := coalesce(p_corrections, '{{}}'::jsonb);
  clean jsonb := '{{}}'::jsonb;
  noted jsonb := '{{}}'::jsonb;
  k text;
  val text;
  cur text;
  why text;
  verdict_ text;
  snap jsonb;
  new_id integer;
  comment_ text := btrim(coalesce(p_comment, ''));
  words text;
BEGIN
  SELECT id, name, closed_at, scope INTO per FROM attestation_periods WHERE id = p_period;
  IF per.id IS NULL THEN
    RAISE EXCEPTION 'no attestation period #%', p_period USING ERRCODE = '02000';
  END IF;
  SELECT id, name, owner, title, description, business_unit INTO m FROM models
   WHERE id = p_model FOR UPDATE;
  IF m.id IS NULL THEN
    RAISE EXCEPTION 'model % does not exist', p_model USING ERRCODE = '02000';
  END IF;
  IF per.closed_at IS NOT NULL THEN
    why := 'the attestation period ''' || per.name || ''' is closed';
  ELSIF NOT (per.scope::jsonb @> to_jsonb(m.id)) THEN
    why := m.name || ' was not in the inventory when ''' || per.name || ''' opened';
  ELSIF coalesce(m.owner, '') = '' OR session_user <> m.owner THEN
    why := 'only the model''s owner (' || coalesce(nullif(m.owner, ''), 'nobody')
           || ') attests ' || m.name;
  END IF;
  IF why IS NOT NULL THEN
    RAISE EXCEPTION 'cannot attest %: %', m.name, why USING ERRCODE = '42501';
  END IF;
  IF jsonb_typeof(given) <> 'object' THEN
    RAISE EXCEPTION 'corrections must be an object' USING ERRCODE = '22023';
  END IF;
  FOR k IN SELECT jsonb_object_keys(given) ORDER BY 1 LOOP
    IF NOT k = ANY({_array(rk.CORRECTABLE + rk.NOTED)}) THEN
      RAISE EXCEPTION 'cannot correct %; corrections are {", ".join(rk.CORRECTABLE + rk.NOTED)}',
        k USING ERRCODE = '22023';
    END IF;
    IF jsonb_typeof(given -> k) <> 'string' OR btrim(given ->> k) = '' THEN
      RAISE EXCEPTION 'the correction of % must be text', k USING ERRCODE = '22023';
    END IF;
    val := btrim(given ->> k);
    IF k = ANY({_array(rk.CORRECTABLE)}) THEN
      cur := CASE k WHEN 'title' THEN m.title WHEN 'description' THEN m.description
                    ELSE m.business_unit END;
      IF val = cur THEN
        RAISE EXCEPTION 'the % is already %', replace(k, '_', ' '), quote_literal(val)
          USING ERRCODE = '22023';
      END IF;
      clean := clean || jsonb_build_object(k, jsonb_build_object('from', cur, 'to', val));
    ELSE
      clean := clean || jsonb_build_object(k, jsonb_build_object('note', val));
      noted := noted || jsonb_build_object(k, val);
    END IF;
  END LOOP;
  verdict_ := CASE WHEN clean = '{{}}'::jsonb THEN '{rk.ATTESTED}' ELSE '{rk.CORRECTED}' END;
  UPDATE models SET
    title = CASE WHEN clean ? 'title' THEN clean -> 'title' ->> 'to' ELSE title END,
    description = CASE WHEN clean ? 'description' THEN clean -> 'description' ->> 'to'
                       ELSE description END,
    business_unit = CASE WHEN clean ? 'business_unit' THEN clean -> 'business_unit' ->> 'to'
                         ELSE business_unit END
   WHERE id = m.id AND (clean ? 'title' OR clean ? 'description' OR clean ? 'business_unit');
  snap := signoff__attested_snapshot(m.id);
  INSERT INTO attestations (period_id, model_id, actor, at, verdict, comment, corrections,
                            snapshot)
  VALUES (per.id, m.id, session_user, at_, verdict_, comment_, clean::json, snap::json)
  RETURNING id INTO new_id;
  PERFORM signoff__event('{rk.ATTESTATION_RECORDED}', NULL, m.id, 'model', m.name,
    jsonb_build_object('attestation_id', new_id, 'period_id', per.id, 'model_id', m.id,
                       'verdict', verdict_, 'comment', comment_, 'corrections', clean,
                       'snapshot', snap, 'actor', session_user::text, 'at', signoff__iso(at_)));
  PERFORM signoff_refresh_summary(m.id);
  IF noted <> '{{}}'::jsonb THEN
    -- wrong consumers or limitations are the admins' and validators' to fix: tell them
    words := session_user || ' corrected ' || m.name || ' when attesting for ' || per.name
             || ': ' || (SELECT string_agg(key || ': ' || value, '; ' ORDER BY key)
                           FROM jsonb_each_text(noted));
    PERFORM signoff__event('alert.raised', NULL, m.id, 'alert',
      'attestation-' || new_id || '-correction',
      jsonb_build_object('kind', 'attestation_correction',
        'key', 'attestation-' || new_id || '-correction', 'model', m.name, 'message', words,
        'recipients', jsonb_build_array('admin', 'validator'),
        'details', jsonb_build_object('period', per.name, 'corrections', noted)));
    PERFORM signoff__raise_alert('attestation_correction', 'warning', m.id, NULL, m.name,
      left(m.name || ': its owner corrected the inventory entry', 300), words,
      jsonb_build_object('period', per.name, 'corrections', noted),
      'attestation-' || new_id || '-correction',
      ARRAY(SELECT DISTINCT u.login::text FROM users u JOIN user_roles r ON r.user_id = u.id
             WHERE u.active AND r.role IN ('admin', 'validator') ORDER BY 1), true);
  END IF;
  RETURN new_id;
END $$;

-- one field of a version's card, with the reason (the newest edit of a field wins)
CREATE OR REPLACE FUNCTION signoff_edit_card(p_version integer, p_field text, p_value text,
                                             p_reason text, p_at timestamp)
RETURNS integer {DEFINER} AS $$
#variable_conflict use_column
DECLARE
  at_ timestamp := CASE WHEN signoff__is_owner() AND p_at IS NOT NULL THEN p_at
                        ELSE now() AT TIME ZONE 'UTC' END;
  v record;
  m record;
  val text := btrim(coalesce(p_value, ''));
  reason_ text := btrim(coalesce(p_reason, ''));
  cur text;
  new_id integer;
BEGIN
  IF p_field IS NULL OR NOT p_field = ANY({_array(rk.CARD_FIELDS)}) THEN
    RAISE EXCEPTION 'unknown card field ''%''; fields are {", ".join(rk.CARD_FIELDS)}', p_field
      USING ERRCODE = '22023';
  END IF;
  IF length(val) > {rk.CARD_TEXT_LIMIT} THEN
    RAISE EXCEPTION 'a card field is at most {rk.CARD_TEXT_LIMIT} characters'
      USING ERRCODE = '22023';
  END IF;
  IF reason_ = '' THEN
    RAISE EXCEPTION 'a reason is required to edit a model card' USING ERRCODE = '22023';
  END IF;
  SELECT id, model_id, number, author, manifest INTO v FROM versions WHERE id = p_version
     FOR SHARE;
  IF v.id IS NULL THEN
    RAISE EXCEPTION 'version % does not exist', p_version USING ERRCODE = '02000';
  END IF;
  SELECT id, name, owner INTO m FROM models WHERE id = v.model_id;
  IF NOT (session_user = v.author OR session_user = coalesce(m.owner, '')
          OR signoff__held_roles() && {_array(rk.CARD_EDITOR_ROLES)}) THEN
    RAISE EXCEPTION '% may not edit the card of % v%: only the model''s owner, the version''s '
      'author, a validator or an admin edits its card', session_user, m.name, v.number
      USING ERRCODE = '42501';
  END IF;
  SELECT e.value INTO cur FROM card_entries e WHERE e.version_id = v.id AND e.field = p_field
   ORDER BY e.id DESC LIMIT 1;
  IF NOT FOUND THEN
    cur := coalesce(v.manifest::jsonb -> 'card' ->> p_field, '');
  END IF;
  IF cur = val THEN
    RAISE EXCEPTION 'the % is already that', CASE p_field {_card_titles_case()} END
      USING ERRCODE = '22023';
  END IF;
  INSERT INTO card_entries (model_id, version_id, field, value, reason, actor, at)
  VALUES (m.id, v.id, p_field, val, reason_, session_user, at_)
  RETURNING id INTO new_id;
  PERFORM signoff__event('{rk.CARD_EDITED}', v.id, m.id, 'version', m.name || ' v' || v.number,
    jsonb_build_object('card_entry_id', new_id, 'field', p_field, 'value', val,
                       'reason', reason_, 'at', signoff__iso(at_)));
  RETURN new_id;
END $$;
"""

FUNCTION_NAMES = (
    "signoff_attestation_period(text, text, date, integer, timestamp)",
    "signoff__attested_snapshot(integer)",
    "signoff_attest(integer, integer, jsonb, text, timestamp)",
    "signoff_edit_card(integer, text, text, text, timestamp)",
)


def attest_sql() -> list[str]:
    """The attestation and model-card functions; idempotent."""
    return statements(ATTEST)


def drop_attest_sql() -> list[str]:
    """What :func:`attest_sql` created, removed (for the migration's downgrade)."""
    return [f"DROP FUNCTION IF EXISTS {name}" for name in FUNCTION_NAMES]


__all__ = ["ATTEST", "FUNCTION_NAMES", "attest_sql", "drop_attest_sql"]
