"""The factory loop and the rest of model risk held by a shared PostgreSQL registry

SQLite: nothing changes (the Python rules hold there).

PostgreSQL:

* triggers on ``executions`` and ``predictions`` flag use of a do-not-use version when the
  transaction commits, whatever the client sends (``signoff_flag_dnu_use`` does it at once);
* ``signoff_raise_alert``, ``signoff_mark_alerts_read``, ``signoff_record_ack``,
  ``signoff_claim_job`` and ``signoff_finish_job`` write alerts, acknowledgements and leases;
* ``signoff_attestation_period``, ``signoff_attest`` and ``signoff_edit_card`` write
  attestations and model cards;
* a notice goes to each channel of a consumer (webhook and e-mail) and a do-not-use notice
  names its replacement; ``signoff_refresh_summary`` computes "do-not-use still used" and takes
  the same activity times as the Python summary;
* the acknowledgement key is readable by the notifier and admins only; the service logins
  write their heartbeats.

On upgrade every model's summary is recomputed, and use of do-not-use versions already stored
is flagged (before this migration nothing flagged it on PostgreSQL).

Revision ID: 0011_factory_rules_in_db
Revises: 0010_factory_loop
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_factory_rules_in_db"
down_revision = "0010_factory_loop"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    from signoff.core.db.pgroles import GROUPS, apply_grants, install_rules

    install_rules(conn)
    existing = conn.execute(sa.text("SELECT count(*) FROM pg_roles WHERE rolname = ANY(:g)"),
                            {"g": list(GROUPS)}).scalar_one()
    if existing:
        apply_grants(conn)
    conn.execute(sa.text(
        "SELECT signoff__flag_dnu(m.id) FROM models m WHERE EXISTS (SELECT 1 FROM versions v "
        "WHERE v.model_id = m.id AND v.state = 'do_not_use') ORDER BY m.id"
    ))
    conn.execute(sa.text("SELECT signoff_refresh_summary(id) FROM models ORDER BY id"))


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    from signoff.core.db.pgattest import drop_attest_sql
    from signoff.core.db.pgfactory import drop_triggers_sql

    # the flagging triggers and the functions 0010 did not have; the shared helpers stay
    for statement in drop_triggers_sql() + drop_attest_sql():
        op.execute(statement)
