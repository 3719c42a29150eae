"""PostgreSQL triggers that keep an audit campaign the record of the auditor who ran it.

Auditors insert and update ``audit_campaigns`` and insert ``audit_campaign_items`` directly
(:mod:`signoff.core.db.pgroles` grants that); these triggers make sure that whatever SQL a
login sends:

* a campaign is stamped with ``session_user`` and the database clock and starts ``running``;
* only its own auditor changes it, and never its criteria, seed or sample;
* once it has ended, only the report's hashes may still be written, once;
* items are added only to a running campaign of one's own, and never changed.

The table owner is not bound by these; the campaign's events in the hash chain are what
``signoff audit verify-report`` checks a report against.
"""

from __future__ import annotations

from signoff.core.db.pgguards import SESSION_OWNER

#: columns fixed when the campaign starts
FIXED = (
    "id",
    "actor",
    "created_at",
    "window_from",
    "window_to",
    "model",
    "tier",
    "requested",
    "seed",
    "method",
    "population",
    "population_sha256",
    "sample_sha256",
    "workers",
    "head_start_seq",
    "head_start_hash",
)
#: columns written when it ends
ENDING = (
    "status",
    "head_end_seq",
    "head_end_hash",
    "reproduced",
    "differs",
    "could_not_run",
    "not_run",
    "finished_event_seq",
    "finished_at",
)
REPORT = ("report_html_sha256", "report_pdf_sha256", "report_event_seq")


def _row(prefix: str, columns: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"{prefix}.{c}" for c in columns) + ")"


GUARD_CAMPAIGN = f"""
CREATE OR REPLACE FUNCTION signoff__guard_campaign() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF {SESSION_OWNER} THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' THEN
    NEW.actor := session_user;
    NEW.created_at := now() AT TIME ZONE 'UTC';
    IF NEW.status <> 'running' THEN
      RAISE EXCEPTION 'a campaign starts running (not %)', NEW.status USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
  END IF;
  IF OLD.actor <> session_user THEN
    RAISE EXCEPTION 'campaign #% is the record of %; only they change it', OLD.id, OLD.actor
      USING ERRCODE = '42501';
  END IF;
  IF {_row("NEW", FIXED)} IS DISTINCT FROM {_row("OLD", FIXED)}
     OR (OLD.started_event_seq IS NOT NULL
         AND NEW.started_event_seq IS DISTINCT FROM OLD.started_event_seq) THEN
    RAISE EXCEPTION 'the criteria, seed and sample of campaign #% are fixed when it starts',
      OLD.id USING ERRCODE = '42501';
  END IF;
  IF OLD.status <> 'running' AND (
       {_row("NEW", ENDING)} IS DISTINCT FROM {_row("OLD", ENDING)}
       OR OLD.report_pdf_sha256 <> '') THEN
    RAISE EXCEPTION 'campaign #% has ended (%); its record no longer changes', OLD.id, OLD.status
      USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END $$;
"""

GUARD_ITEM = f"""
CREATE OR REPLACE FUNCTION signoff__guard_campaign_item() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF {SESSION_OWNER} THEN
    RETURN NEW;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM audit_campaigns c WHERE c.id = NEW.campaign_id
                  AND c.actor = session_user AND c.status = 'running') THEN
    RAISE EXCEPTION 'results are added only to a running campaign of one''s own (campaign #%)',
      NEW.campaign_id USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END $$;
"""

TRIGGERS = (
    (
        "audit_campaigns_guard",
        "BEFORE INSERT OR UPDATE ON audit_campaigns",
        "signoff__guard_campaign",
    ),
    (
        "audit_campaign_items_guard",
        "BEFORE INSERT ON audit_campaign_items",
        "signoff__guard_campaign_item",
    ),
)


def campaign_guards_sql() -> list[str]:
    """The guard functions and their triggers (dropped and created again)."""
    out = [GUARD_CAMPAIGN.strip(), GUARD_ITEM.strip()]
    for name, when, function in TRIGGERS:
        table = when.rsplit(" ON ", 1)[1]
        out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        out.append(f"CREATE TRIGGER {name} {when} FOR EACH ROW EXECUTE FUNCTION {function}()")
    return out


def drop_campaign_guards_sql() -> list[str]:
    """What :func:`campaign_guards_sql` created, removed."""
    out = [f"DROP TRIGGER IF EXISTS {n} ON {w.rsplit(' ON ', 1)[1]}" for n, w, _f in TRIGGERS]
    out += [f"DROP FUNCTION IF EXISTS {f}()" for _n, _w, f in TRIGGERS]
    return out
