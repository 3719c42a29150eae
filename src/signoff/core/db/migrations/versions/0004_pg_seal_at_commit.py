"""PostgreSQL: seal audit events when their transaction commits, not when they are inserted

Until now the BEFORE INSERT trigger of 0002 took the chain's advisory lock as soon as an event
was inserted, and the lock stayed held until COMMIT: across the client's round trips, and, on a
busy workstation, across the time the client waited for a CPU. Every other writer queued
behind it (20 reviewer processes on two cores: p95 over one second).

Now the BEFORE INSERT trigger only stamps the actor (``session_user``) and gives the row a
negative placeholder sequence number and hash. A deferred constraint trigger seals the row at
COMMIT: under the advisory lock it reads the head of the chain, numbers and times the event
(``clock_timestamp()``, so times follow the chain's order) and computes its hash exactly as
``signoff.core.audit.chain.event_hash`` does. The lock is held only for the seal and the commit
record. A client that needs the number before it commits (``append_event(sealed=True)``)
runs ``SET CONSTRAINTS audit_events_seal IMMEDIATE``, which seals at once, as before.

The append-only trigger still refuses every UPDATE and DELETE, with one exception: the seal's
own update of a row that is still pending (negative sequence number), which can only happen
inside the seal trigger (``pg_trigger_depth() > 1``) and inside the inserting transaction (a
pending row is never visible to anyone else; no pending row survives a commit).

Revision ID: 0004_pg_seal_at_commit
Revises: 0003_pg_state_function
"""
import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import op


def _sibling(name: str) -> ModuleType:
    """Another migration of this folder, loaded from its file as Alembic loads them."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    if spec is None or spec.loader is None:
        raise ImportError(f"migration {name} not found beside {Path(__file__).name}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_IDENTITY = _sibling("0002_pg_identity")  # the event's canonical JSON, and the old stamp
AUDIT_LOCK = _IDENTITY.AUDIT_LOCK  # the advisory lock that orders the chain

revision = "0004_pg_seal_at_commit"
down_revision = "0003_pg_state_function"
branch_labels = None
depends_on = None

STAMP = """
CREATE OR REPLACE FUNCTION signoff_stamp_audit_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  NEW.seq := -nextval('audit_events_pending');
  NEW.prev_hash := '';
  NEW.hash := 'pending' || NEW.seq::text;
  NEW.actor := session_user;
  NEW.at := (now() AT TIME ZONE 'UTC');
  RETURN NEW;
END $$
"""

SEAL = f"""
CREATE OR REPLACE FUNCTION signoff_seal_audit_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  ev audit_events%ROWTYPE;
  last_seq integer;
  last_hash text;
  body text;
BEGIN
  PERFORM pg_advisory_xact_lock({AUDIT_LOCK});
  SELECT * INTO ev FROM audit_events WHERE seq = NEW.seq;
  IF NOT FOUND THEN  -- already sealed by SET CONSTRAINTS … IMMEDIATE
    RETURN NULL;
  END IF;
  SELECT seq, hash INTO last_seq, last_hash FROM audit_events
    WHERE seq > 0 ORDER BY seq DESC LIMIT 1;
  IF NOT FOUND THEN
    last_seq := 0;
    last_hash := repeat('0', 64);
  END IF;
  ev.seq := last_seq + 1;
  ev.at := (clock_timestamp() AT TIME ZONE 'UTC');
  body := {_IDENTITY.chain_body_sql('ev')};
  UPDATE audit_events
     SET seq = ev.seq, at = ev.at, prev_hash = last_hash,
         hash = encode(sha256(convert_to(last_hash || E'\\n' || body, 'UTF8')), 'hex')
   WHERE seq = NEW.seq;
  RETURN NULL;
END $$
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_LEVEL = 'ROW' AND TG_OP = 'UPDATE' AND pg_trigger_depth() > 1 THEN
    IF OLD.seq < 0 AND NEW.seq > 0 THEN  -- the seal of a pending event, nothing else
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_events are append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$ LANGUAGE plpgsql
"""

APPEND_ONLY_BEFORE = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit_events are append-only: % refused', TG_OP
USING ERRCODE = 'insufficient_privilege'; END $$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE SEQUENCE IF NOT EXISTS audit_events_pending")
    op.execute(STAMP)
    op.execute(SEAL)
    op.execute(APPEND_ONLY)
    op.execute(
        "CREATE CONSTRAINT TRIGGER audit_events_seal AFTER INSERT ON audit_events "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION signoff_seal_audit_event()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_events_seal ON audit_events")
    op.execute("DROP FUNCTION IF EXISTS signoff_seal_audit_event()")
    op.execute(APPEND_ONLY_BEFORE)
    op.execute(_IDENTITY.STAMP_AUDIT)
    op.execute("DROP SEQUENCE IF EXISTS audit_events_pending")
