"""Model risk management: findings, conditions on signatures, attestations and model cards

Both dialects:

* ``findings`` (the finding as it stands) and ``finding_changes`` (every audited change, with
  the finding's whole state after it, insert-only);
* ``conditions``: findings a signature was given on condition of, each with the date by which
  it must be resolved (insert-only);
* ``attestation_periods`` and ``attestations`` (insert-only): owners attesting their models;
* ``card_entries`` (insert-only): audited edits of model-card fields;
* ``models.last_validated_at`` and ``models.condition_due``: summary columns from which the
  inventory judges "revalidation overdue" and "condition overdue" at query time.

PostgreSQL: the governance functions are installed again (``signoff_decide`` now takes the
conditions of a signature and refuses a gate a finding blocks; ``signoff_finding``,
``signoff_attest``, ``signoff_attestation_period`` and ``signoff_edit_card`` are new), and grants
are re-applied when the group roles exist.

Revision ID: 0009_model_risk
Revises: 0006_gates_in_the_database
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_model_risk"
down_revision = "0008_audit_campaigns"
branch_labels = None
depends_on = None

APPEND_ONLY = ("finding_changes", "conditions", "attestations", "card_entries")


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _append_only(table: str) -> None:
    if _pg():
        op.execute(
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{table} are append-only: % refused', TG_OP "
            f"USING ERRCODE = 'insufficient_privilege'; END $$ LANGUAGE plpgsql"
        )
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()")
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{table} are append-only: {verb} refused'); END")


def upgrade() -> None:
    op.add_column("models", sa.Column("last_validated_at", sa.DateTime(), nullable=True))
    op.add_column("models", sa.Column("condition_due", sa.Date(), nullable=True))
    op.create_index(op.f("ix_models_condition_due"), "models", ["condition_due"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("compensating_controls", sa.Text(), nullable=False),
        sa.Column("expires", sa.Date(), nullable=True),
        sa.Column("raised_by", sa.String(length=200), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"],
                                name=op.f("fk_findings_model_id_models")),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"],
                                name=op.f("fk_findings_version_id_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    op.create_index(op.f("ix_findings_model_id"), "findings", ["model_id"])
    op.create_index(op.f("ix_findings_version_id"), "findings", ["version_id"])
    op.create_index(op.f("ix_findings_status"), "findings", ["status"])
    op.create_table(
        "finding_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("status_from", sa.String(length=40), nullable=False),
        sa.Column("status_to", sa.String(length=40), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["finding_id"], ["findings.id"],
                                name=op.f("fk_finding_changes_finding_id_findings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_changes")),
    )
    op.create_index(op.f("ix_finding_changes_finding_id"), "finding_changes", ["finding_id"])
    op.create_table(
        "conditions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["decision_id"], ["decisions.id"],
                                name=op.f("fk_conditions_decision_id_decisions")),
        sa.ForeignKeyConstraint(["finding_id"], ["findings.id"],
                                name=op.f("fk_conditions_finding_id_findings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conditions")),
        sa.UniqueConstraint("decision_id", "finding_id", name="uq_conditions_decision_finding"),
    )
    op.create_index(op.f("ix_conditions_decision_id"), "conditions", ["decision_id"])
    op.create_index(op.f("ix_conditions_finding_id"), "conditions", ["finding_id"])
    op.create_table(
        "attestation_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closed_by", sa.String(length=200), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attestation_periods")),
        sa.UniqueConstraint("name", name=op.f("uq_attestation_periods_name")),
    )
    op.create_table(
        "attestations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("corrections", sa.JSON(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["period_id"], ["attestation_periods.id"],
                                name=op.f("fk_attestations_period_id_attestation_periods")),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"],
                                name=op.f("fk_attestations_model_id_models")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attestations")),
    )
    op.create_index(op.f("ix_attestations_period_id"), "attestations", ["period_id"])
    op.create_index(op.f("ix_attestations_model_id"), "attestations", ["model_id"])
    op.create_table(
        "card_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"],
                                name=op.f("fk_card_entries_model_id_models")),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"],
                                name=op.f("fk_card_entries_version_id_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_entries")),
    )
    op.create_index(op.f("ix_card_entries_model_id"), "card_entries", ["model_id"])
    op.create_index(op.f("ix_card_entries_version_id"), "card_entries", ["version_id"])
    for table in APPEND_ONLY:
        _append_only(table)
    # the revalidation clock of models already live: their live version's last validation
    op.execute(
        "UPDATE models SET last_validated_at = (SELECT max(d.at) FROM decisions d "
        "JOIN versions v ON v.id = d.version_id WHERE v.model_id = models.id "
        "AND v.number = models.live_version AND ((d.action = 'approve' "
        "AND d.gate = 'production_use') OR d.action = 'revalidate'))"
    )
    if not _pg():
        return
    from signoff.core.db.pgroles import GROUPS, apply_grants, install_rules

    conn = op.get_bind()
    # the old signature of signoff_decide (without the conditions of a signature)
    op.execute("DROP FUNCTION IF EXISTS signoff_decide(integer, integer, text, text, text, text, "
               "integer, boolean, timestamp)")
    install_rules(conn)
    existing = conn.execute(sa.text("SELECT count(*) FROM pg_roles WHERE rolname = ANY(:g)"),
                            {"g": list(GROUPS)}).scalar_one()
    if existing:
        apply_grants(conn)


def downgrade() -> None:
    if _pg():
        from signoff.core.db.pgrisk import drop_risk_sql

        for statement in drop_risk_sql():
            op.execute(statement)
    for table in APPEND_ONLY:
        if _pg():
            op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only() CASCADE")
    for table in ("card_entries", "attestations", "attestation_periods", "conditions",
                  "finding_changes", "findings"):
        op.drop_table(table)
    op.drop_index(op.f("ix_models_condition_due"), table_name="models")
    if _pg():
        op.drop_column("models", "condition_due")
        op.drop_column("models", "last_validated_at")
    else:
        op.execute("ALTER TABLE models DROP COLUMN condition_due")
        op.execute("ALTER TABLE models DROP COLUMN last_validated_at")
