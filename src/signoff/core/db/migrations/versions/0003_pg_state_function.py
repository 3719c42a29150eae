"""PostgreSQL: version state changes go through one SECURITY DEFINER function

``signoff_change_state(version, expected_row_version, state, at)`` checks the caller's group,
the lifecycle graph and the optimistic lock, then updates the row. Application roles get no
UPDATE on ``versions`` (see signoff.core.db.pgroles), so this function is the only way.

Revision ID: 0003_pg_state_function
Revises: 0002_pg_identity
"""
from alembic import op

revision = "0003_pg_state_function"
down_revision = "0002_pg_identity"
branch_labels = None
depends_on = None


# The function as this revision created it (later revisions replace it; a migration carries
# its own SQL so that upgrading through it always does the same thing).
CHANGE_STATE = r"""
CREATE OR REPLACE FUNCTION signoff_change_state(p_version integer, p_expected integer,
                                                p_state text, p_at timestamp)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  allowed_groups text;
  allowed_from text;
  cur_state text;
  cur_row integer;
  g text;
  permitted boolean := false;
  is_owner boolean := false;
BEGIN
  CASE p_state
    WHEN 'in_review' THEN allowed_groups := 'signoff_author signoff_admin'; allowed_from := 'draft rejected';
    WHEN 'draft' THEN allowed_groups := 'signoff_author signoff_reviewer signoff_admin'; allowed_from := 'in_review';
    WHEN 'approved' THEN allowed_groups := 'signoff_reviewer signoff_admin'; allowed_from := 'in_review';
    WHEN 'rejected' THEN allowed_groups := 'signoff_reviewer signoff_admin'; allowed_from := 'in_review approved ready';
    WHEN 'ready' THEN allowed_groups := 'signoff_reviewer signoff_auditor signoff_admin'; allowed_from := 'approved';
    WHEN 'live' THEN allowed_groups := 'signoff_reviewer signoff_admin'; allowed_from := 'ready superseded';
    WHEN 'superseded' THEN allowed_groups := 'signoff_reviewer signoff_admin'; allowed_from := 'live';
    WHEN 'retired' THEN allowed_groups := 'signoff_reviewer signoff_admin'; allowed_from := 'superseded live ready approved';
    WHEN 'do_not_use' THEN allowed_groups := 'signoff_reviewer signoff_admin'; allowed_from := 'draft in_review approved ready live superseded retired rejected';
    ELSE RAISE EXCEPTION 'unknown lifecycle state %', p_state USING ERRCODE = '22023';
  END CASE;
  -- the owner of the schema (an administrator running without group roles, or importing
  -- history from another registry) could change the table directly anyway: the graph and the
  -- groups bind the application roles, not the owner
  IF session_user = (SELECT tableowner FROM pg_tables
                      WHERE schemaname = 'public' AND tablename = 'versions')
     OR (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) THEN
    permitted := true;
    is_owner := true;
  END IF;
  FOREACH g IN ARRAY string_to_array(allowed_groups, ' ') LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = g)
       AND pg_has_role(session_user, g, 'MEMBER') THEN
      permitted := true;
    END IF;
  END LOOP;
  IF NOT permitted THEN
    RAISE EXCEPTION '% may not move a version to %', session_user, p_state
      USING ERRCODE = '42501';
  END IF;
  SELECT state, row_version INTO cur_state, cur_row FROM versions WHERE id = p_version FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'version % does not exist', p_version USING ERRCODE = '02000';
  END IF;
  IF cur_row <> p_expected THEN
    RAISE EXCEPTION 'version % was changed by someone else (row version % not %)',
      p_version, cur_row, p_expected USING ERRCODE = '40001';
  END IF;
  IF NOT is_owner AND NOT (cur_state = ANY (string_to_array(allowed_from, ' '))) THEN
    RAISE EXCEPTION 'a version in state % cannot become %', cur_state, p_state
      USING ERRCODE = '42501';
  END IF;
  UPDATE versions SET state = p_state, state_changed_at = coalesce(p_at, now() AT TIME ZONE 'UTC'),
         row_version = row_version + 1
   WHERE id = p_version;
  RETURN cur_row + 1;
END $$
"""


def change_state_sql() -> str:
    """The SQL of this revision's state function (0006's downgrade restores it)."""
    return CHANGE_STATE


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CHANGE_STATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS signoff_change_state(integer, integer, text, timestamp)")
