"""Predictions outside their version's lifetime are flagged, not counted by monitoring

``predictions.outside_lifetime`` says why a reported prediction cannot have been made by its
version as the registry knows it: ``before_version`` (dated before the version existed in the
registry and before its first live period), ``after_do_not_use`` or ``after_retired`` (dated
after the version was marked "do not use" or retired). The prediction is kept as the factory
reported it, and monitoring windows leave it out. Existing predictions are judged the same way
here.

Revision ID: 0007_ingest_findings
Revises: 0006_gates_in_the_database
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_ingest_findings"
down_revision = "0006_gates_in_the_database"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "predictions",
        sa.Column("outside_lifetime", sa.String(length=30), nullable=False, server_default=""),
    )
    op.execute(
        "UPDATE predictions SET outside_lifetime = 'before_version' WHERE predicted_at < "
        "(SELECT v.created_at FROM versions v WHERE v.id = predictions.version_id) "
        "AND NOT EXISTS (SELECT 1 FROM deployments d WHERE d.version_id = "
        "predictions.version_id AND d.live_from <= predictions.predicted_at)"
    )
    for state in ("do_not_use", "retired"):
        op.execute(
            f"UPDATE predictions SET outside_lifetime = 'after_{state}' "
            "WHERE outside_lifetime = '' AND EXISTS (SELECT 1 FROM versions v "
            f"WHERE v.id = predictions.version_id AND v.state = '{state}' "
            "AND predictions.predicted_at > v.state_changed_at)"
        )


def downgrade() -> None:
    with op.batch_alter_table("predictions") as batch_op:
        batch_op.drop_column("outside_lifetime")
