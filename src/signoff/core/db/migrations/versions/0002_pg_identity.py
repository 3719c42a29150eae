"""PostgreSQL: the database, not the client, stamps who and when on audit events and decisions

On PostgreSQL a BEFORE INSERT trigger sets the actor to ``session_user`` (the person's own login)
and the time to the database's clock, then computes the event's sequence number, previous hash
and hash itself, exactly as ``signoff.core.audit.chain.event_hash`` does in Python (canonical JSON:
sorted keys, no spaces, UTF-8 kept). A modified client therefore cannot sign as someone else or
forge a link of the chain. SQLite (single workstation) is unchanged.

Revision ID: 0002_pg_identity
Revises: 0001
"""
from alembic import op

revision = "0002_pg_identity"
down_revision = "0001"
branch_labels = None
depends_on = None

AUDIT_LOCK = 0x5169_0FF  # the advisory lock key that orders the audit chain


def chain_body_sql(row: str) -> str:
    """SQL for the canonical JSON of audit event *row*, exactly as
    ``signoff.core.audit.chain.event_hash`` writes it (sorted keys, no spaces, UTF-8 kept)."""
    return ("""'{"action":' || to_json(ROW.action)::text
       || ',"actor":' || to_json(ROW.actor)::text
       || ',"at":' || to_json(to_char(ROW.at, 'YYYY-MM-DD"T"HH24:MI:SS.US'))::text
       || ',"entity_id":' || to_json(ROW.entity_id)::text
       || ',"entity_type":' || to_json(ROW.entity_type)::text
       || ',"model_id":' || coalesce(ROW.model_id::text, 'null')
       || ',"payload":' || to_json(ROW.payload)::text
       || ',"seq":' || ROW.seq::text
       || ',"version_id":' || coalesce(ROW.version_id::text, 'null')
       || '}'""").replace("ROW.", f"{row}.")


STAMP_AUDIT = f"""
CREATE OR REPLACE FUNCTION signoff_stamp_audit_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  last_seq integer;
  last_hash text;
  body text;
BEGIN
  PERFORM pg_advisory_xact_lock({AUDIT_LOCK});
  SELECT seq, hash INTO last_seq, last_hash FROM audit_events ORDER BY seq DESC LIMIT 1;
  IF NOT FOUND THEN
    last_seq := 0;
    last_hash := repeat('0', 64);
  END IF;
  NEW.seq := last_seq + 1;
  NEW.prev_hash := last_hash;
  NEW.actor := session_user;
  NEW.at := (now() AT TIME ZONE 'UTC');
  body := {chain_body_sql('NEW')};
  NEW.hash := encode(sha256(convert_to(last_hash || E'\\n' || body, 'UTF8')), 'hex');
  RETURN NEW;
END $$
"""

STAMP_DECISION = """
CREATE OR REPLACE FUNCTION signoff_stamp_decision() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.actor := session_user;
  NEW.at := (now() AT TIME ZONE 'UTC');
  RETURN NEW;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(STAMP_AUDIT)
    op.execute(
        "CREATE TRIGGER audit_events_stamp BEFORE INSERT ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION signoff_stamp_audit_event()"
    )
    op.execute(STAMP_DECISION)
    op.execute(
        "CREATE TRIGGER decisions_stamp BEFORE INSERT ON decisions "
        "FOR EACH ROW EXECUTE FUNCTION signoff_stamp_decision()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_events_stamp ON audit_events")
    op.execute("DROP TRIGGER IF EXISTS decisions_stamp ON decisions")
    op.execute("DROP FUNCTION IF EXISTS signoff_stamp_audit_event()")
    op.execute("DROP FUNCTION IF EXISTS signoff_stamp_decision()")
