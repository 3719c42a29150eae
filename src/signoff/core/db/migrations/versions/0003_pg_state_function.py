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


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from signoff.core.db.pgroles import change_state_sql

    op.execute(change_state_sql())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS signoff_change_state(integer, integer, text, timestamp)")
