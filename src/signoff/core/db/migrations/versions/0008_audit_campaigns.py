"""Audit campaigns: an auditor's sampled re-runs, their results, and executions' output hashes

Both dialects:

* ``audit_campaigns``: the sampling criteria, seed, population and sample hashes, the audit head
  at the start and the end, the tally and the stored report's hashes of each campaign;
* ``audit_campaign_items``: each sampled prediction with its verdict, reason and findings;
* ``executions.output_sha256``: the hash of a scoring run's output file, next to its URI.

PostgreSQL: triggers (:mod:`signoff.core.db.pgcampaigns`) stamp a campaign with its auditor's
login and keep it theirs, and grants are re-applied when the group roles exist, so auditors may
write the two new tables.

Revision ID: 0008_audit_campaigns
Revises: 0006_gates_in_the_database
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_audit_campaigns"
down_revision = "0007_ingest_findings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("executions") as batch_op:
        batch_op.add_column(sa.Column("output_sha256", sa.String(length=64), nullable=False,
                                      server_default=""))
    op.create_table(
        "audit_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("window_from", sa.DateTime(), nullable=False),
        sa.Column("window_to", sa.DateTime(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("requested", sa.Integer(), nullable=False),
        sa.Column("seed", sa.String(length=200), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("population_sha256", sa.String(length=64), nullable=False),
        sa.Column("sample_sha256", sa.String(length=64), nullable=False),
        sa.Column("workers", sa.Integer(), nullable=False),
        sa.Column("head_start_seq", sa.Integer(), nullable=False),
        sa.Column("head_start_hash", sa.String(length=64), nullable=False),
        sa.Column("head_end_seq", sa.Integer(), nullable=True),
        sa.Column("head_end_hash", sa.String(length=64), nullable=False),
        sa.Column("reproduced", sa.Integer(), nullable=False),
        sa.Column("differs", sa.Integer(), nullable=False),
        sa.Column("could_not_run", sa.Integer(), nullable=False),
        sa.Column("not_run", sa.Integer(), nullable=False),
        sa.Column("started_event_seq", sa.Integer(), nullable=True),
        sa.Column("finished_event_seq", sa.Integer(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("report_html_sha256", sa.String(length=64), nullable=False),
        sa.Column("report_pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("report_event_seq", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_campaigns")),
    )
    with op.batch_alter_table("audit_campaigns") as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_campaigns_status"), ["status"], unique=False)
    op.create_table(
        "audit_campaign_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("prediction_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["audit_campaigns.id"],
                                name=op.f("fk_audit_campaign_items_campaign_id_audit_campaigns")),
        sa.ForeignKeyConstraint(["prediction_id"], ["predictions.id"],
                                name=op.f("fk_audit_campaign_items_prediction_id_predictions")),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"],
                                name=op.f("fk_audit_campaign_items_version_id_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_campaign_items")),
        sa.UniqueConstraint("campaign_id", "prediction_id", name="uq_audit_campaign_items_pick"),
    )
    with op.batch_alter_table("audit_campaign_items") as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_campaign_items_campaign_id"), ["campaign_id"],
                              unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    from signoff.core.db.pgcampaigns import campaign_guards_sql
    from signoff.core.db.pgroles import GROUPS, apply_grants

    conn = op.get_bind()
    for statement in campaign_guards_sql():
        conn.execute(sa.text(statement))
    existing = conn.execute(sa.text("SELECT count(*) FROM pg_roles WHERE rolname = ANY(:g)"),
                            {"g": list(GROUPS)}).scalar_one()
    if existing:
        for group in GROUPS:
            conn.execute(sa.text(
                f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{group}') "
                f"THEN CREATE ROLE {group} NOLOGIN; END IF; END $$"))
        apply_grants(conn)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        from signoff.core.db.pgcampaigns import drop_campaign_guards_sql

        for statement in drop_campaign_guards_sql():
            op.execute(statement)
    op.drop_table("audit_campaign_items")
    op.drop_table("audit_campaigns")
    with op.batch_alter_table("executions") as batch_op:
        batch_op.drop_column("output_sha256")
