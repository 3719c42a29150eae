"""The factory loop: acknowledgements, use of do-not-use versions, alerts, the team's service

Both dialects:

* ``consumers.email``: a consumer's e-mail channel beside its webhook (a contact that is a
  plain e-mail address becomes its channel);
* ``outbox``: a row is a webhook or an e-mail (``channel``, ``recipient``), may be an alert
  e-mailed to a person (``person``, ``alert_id``, no consumer) and names the deliverer holding
  its lease (``claimed_by``);
* ``consumer_acks``: a consumer's acknowledgement of a do-not-use notice;
* ``dnu_uses`` and ``models.flag_dnu_used``: executions and predictions by a do-not-use version
  after its notice, flagged per consumer, and the inventory's "do-not-use still used";
* ``alerts`` and ``alert_recipients``: what each person responsible is told, and when they read it;
* ``service_jobs`` (schedule and expiring leases), ``service_instances`` (heartbeats) and
  ``service_keys`` (the key signing acknowledgement links) for ``signoff serve``.

PostgreSQL: the functions are installed again and grants re-applied when the group roles exist
(the new tables become readable by every group).

Revision ID: 0010_factory_loop
Revises: 0006_gates_in_the_database
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0010_factory_loop"
down_revision = "0009_model_risk"
branch_labels = None
depends_on = None

EMAIL_CONTACT = (
    "UPDATE consumers SET email = contact WHERE contact LIKE '%_@_%._%' "
    "AND contact NOT LIKE '% %' AND contact NOT LIKE '%,%' AND contact NOT LIKE '%<%'"
)


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    pg = _pg()
    # natively, not by a batch copy: on SQLite a copy of ``models`` (dropping the old table)
    # trips over the foreign keys of a registry that holds data
    op.add_column("models", sa.Column("flag_dnu_used", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_index("ix_models_flag_dnu_used", "models", ["flag_dnu_used"], unique=False)
    op.add_column("consumers", sa.Column("email", sa.String(length=300), nullable=False,
                                         server_default=""))
    op.execute(EMAIL_CONTACT)

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"], name=op.f("fk_alerts_model_id_models")),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"],
                                name=op.f("fk_alerts_version_id_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_alerts_dedupe_key")),
    )
    op.create_index(op.f("ix_alerts_kind"), "alerts", ["kind"], unique=False)
    op.create_index(op.f("ix_alerts_model_id"), "alerts", ["model_id"], unique=False)
    op.create_table(
        "alert_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(length=200), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"],
                                name=op.f("fk_alert_recipients_alert_id_alerts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_recipients")),
        sa.UniqueConstraint("alert_id", "person", name="uq_alert_recipients_alert_person"),
    )
    op.create_index("ix_alert_recipients_person", "alert_recipients", ["person", "read_at"],
                    unique=False)

    with op.batch_alter_table("outbox", recreate="always" if not pg else "auto") as batch_op:
        batch_op.alter_column("consumer_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("channel", sa.String(length=20), nullable=False,
                                      server_default="webhook"))
        batch_op.add_column(sa.Column("recipient", sa.String(length=300), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("person", sa.String(length=200), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("alert_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=100), nullable=False,
                                      server_default=""))
        batch_op.create_foreign_key(op.f("fk_outbox_alert_id_alerts"), "alerts", ["alert_id"],
                                    ["id"])
        batch_op.create_index(op.f("ix_outbox_alert_id"), ["alert_id"], unique=False)

    op.create_table(
        "consumer_acks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("notice_key", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["consumer_id"], ["consumers.id"],
                                name=op.f("fk_consumer_acks_consumer_id_consumers")),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"],
                                name=op.f("fk_consumer_acks_version_id_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consumer_acks")),
        sa.UniqueConstraint("consumer_id", "version_id", name="uq_consumer_acks_consumer_version"),
    )
    op.create_index(op.f("ix_consumer_acks_consumer_id"), "consumer_acks", ["consumer_id"])
    op.create_index(op.f("ix_consumer_acks_version_id"), "consumer_acks", ["version_id"])
    op.create_table(
        "dnu_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("consumer", sa.String(length=200), nullable=False),
        sa.Column("executions", sa.Integer(), nullable=False),
        sa.Column("predictions", sa.Integer(), nullable=False),
        sa.Column("rows_scored", sa.Integer(), nullable=False),
        sa.Column("first_used_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("flagged_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"],
                                name=op.f("fk_dnu_uses_model_id_models")),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"],
                                name=op.f("fk_dnu_uses_version_id_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dnu_uses")),
        sa.UniqueConstraint("version_id", "consumer", name="uq_dnu_uses_version_consumer"),
    )
    op.create_index(op.f("ix_dnu_uses_model_id"), "dnu_uses", ["model_id"])
    op.create_table(
        "service_jobs",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("last_run_at", sa.DateTime(), nullable=True),
        sa.Column("last_result", sa.Text(), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_jobs")),
    )
    op.create_table(
        "service_instances",
        sa.Column("instance", sa.String(length=100), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(), nullable=True),
        sa.Column("last_cycle", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("instance", name=op.f("pk_service_instances")),
    )
    op.create_table(
        "service_keys",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_keys")),
    )
    op.get_bind().execute(sa.text("INSERT INTO service_keys (name, key) VALUES ('ack', :k)"),
                          {"k": secrets.token_hex(32)})
    if not pg:
        return
    from signoff.core.db.pgroles import GROUPS, apply_grants, install_rules

    conn = op.get_bind()
    install_rules(conn)
    existing = conn.execute(sa.text("SELECT count(*) FROM pg_roles WHERE rolname = ANY(:g)"),
                            {"g": list(GROUPS)}).scalar_one()
    if existing:
        apply_grants(conn)


def downgrade() -> None:
    pg = _pg()
    for table in ("service_keys", "service_instances", "service_jobs", "dnu_uses",
                  "consumer_acks"):
        op.drop_table(table)
    op.execute("DELETE FROM outbox WHERE consumer_id IS NULL")
    with op.batch_alter_table("outbox", recreate="always" if not pg else "auto") as batch_op:
        batch_op.drop_index(op.f("ix_outbox_alert_id"))
        batch_op.drop_constraint(op.f("fk_outbox_alert_id_alerts"), type_="foreignkey")
        for column in ("claimed_by", "alert_id", "person", "recipient", "channel"):
            batch_op.drop_column(column)
        batch_op.alter_column("consumer_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_alert_recipients_person", table_name="alert_recipients")
    op.drop_table("alert_recipients")
    op.drop_index(op.f("ix_alerts_model_id"), table_name="alerts")
    op.drop_index(op.f("ix_alerts_kind"), table_name="alerts")
    op.drop_table("alerts")
    op.drop_index("ix_models_flag_dnu_used", table_name="models")
    # natively (SQLite 3.35+): a batch copy would trip over the foreign keys to these tables
    op.execute("ALTER TABLE consumers DROP COLUMN email")
    op.execute("ALTER TABLE models DROP COLUMN flag_dnu_used")
