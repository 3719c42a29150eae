"""Outcomes are unique per model, subject and time (they were unique on subject and time)

Two models whose subject keys overlap (a customer number scored for churn and for credit risk)
may each get an outcome for the same subject at the same moment; the old key refused the
second. An outcome without a model (it applies to every model that scored the subject) counts
as model 0 in the key. The new key is finer than the old one, so existing rows satisfy it.

Revision ID: 0005_outcomes_per_model
Revises: 0004_pg_seal_at_commit
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_outcomes_per_model"
down_revision = "0004_pg_seal_at_commit"
branch_labels = None
depends_on = None

INDEX = "uq_outcomes_model_subject_time"


def upgrade() -> None:
    with op.batch_alter_table("outcomes") as batch_op:
        batch_op.drop_constraint("uq_outcomes_key", type_="unique")
    op.create_index(INDEX, "outcomes",
                    [sa.text("coalesce(model_id, 0)"), "subject_key", "observed_at"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="outcomes")
    with op.batch_alter_table("outcomes") as batch_op:
        batch_op.create_unique_constraint("uq_outcomes_key", ["subject_key", "observed_at"])
