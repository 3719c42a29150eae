"""The gates held by the database: review rounds, recorded rules, private secrets, one live period

Both dialects:

* ``versions.review_round`` / ``decisions.review_round``: each submission opens a new round and
  only the current round's signatures count (an old partial approval can no longer complete a
  gate after the version went back to draft and was submitted again). Existing rows are numbered
  from their history: a decision's round is the number of submissions up to it.
* ``versions.review_rules``: the policy in force when the review started, recorded at submission.
* ``consumer_secrets``: webhook secrets leave ``consumers``, so that every login may read
  consumers and only the deliverer the secrets.
* ``uq_deployments_open``: at most one open deployment period per model and environment.

PostgreSQL: every governance write goes through the SECURITY DEFINER functions generated from
the lifecycle declaration (``signoff_decide`` and friends, :mod:`signoff.core.db.pgrules`) and
the guards of :mod:`signoff.core.db.pgguards`; ``signoff_change_state`` is dropped; the audit
chain is serialised on the row of ``audit_head`` instead of an advisory lock any login could
hold. Grants are re-applied when the group roles exist.

Revision ID: 0006_gates_in_the_database
Revises: 0005_outcomes_per_model
"""
import importlib.util
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision = "0006_gates_in_the_database"
down_revision = "0005_outcomes_per_model"
branch_labels = None
depends_on = None


def _sibling(name: str) -> ModuleType:
    """Another migration of this folder, loaded from its file as Alembic loads them."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    if spec is None or spec.loader is None:
        raise ImportError(f"migration {name} not found beside {Path(__file__).name}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ROUNDS_DECISIONS = """
UPDATE decisions SET review_round = (
  SELECT count(*) FROM decisions s
   WHERE s.version_id = decisions.version_id AND s.action = 'submit' AND s.id <= decisions.id)
"""
ROUNDS_VERSIONS = """
UPDATE versions SET review_round = (
  SELECT count(*) FROM decisions s WHERE s.version_id = versions.id AND s.action = 'submit')
"""


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    pg = _pg()
    op.add_column("versions", sa.Column("review_round", sa.Integer(), nullable=False,
                                        server_default="0"))
    op.add_column("versions", sa.Column("review_rules", sa.JSON(), nullable=True))
    op.add_column("decisions", sa.Column("review_round", sa.Integer(), nullable=False,
                                         server_default="0"))
    # number the rounds from the history; decisions are append-only, so lift that for this
    if pg:
        op.execute("ALTER TABLE decisions DISABLE TRIGGER decisions_append_only")
        op.execute(ROUNDS_DECISIONS)
        op.execute("ALTER TABLE decisions ENABLE TRIGGER decisions_append_only")
    else:
        op.execute("DROP TRIGGER IF EXISTS decisions_no_update")
        op.execute(ROUNDS_DECISIONS)
        op.execute("CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions "
                   "BEGIN SELECT RAISE(ABORT, 'decisions are append-only: UPDATE refused'); END")
    op.execute(ROUNDS_VERSIONS)

    op.create_table(
        "consumer_secrets",
        sa.Column("consumer_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["consumer_id"], ["consumers.id"],
                                name=op.f("fk_consumer_secrets_consumer_id_consumers")),
        sa.PrimaryKeyConstraint("consumer_id", name=op.f("pk_consumer_secrets")),
    )
    op.execute("INSERT INTO consumer_secrets (consumer_id, secret) "
               "SELECT id, secret FROM consumers WHERE secret <> ''")
    if pg:
        op.drop_column("consumers", "secret")
    else:  # natively (SQLite 3.35+): a batch copy would trip over the outbox's foreign key
        op.execute("ALTER TABLE consumers DROP COLUMN secret")
    op.create_index("uq_deployments_open", "deployments", ["model_id", "environment"],
                    unique=True, sqlite_where=sa.text("live_to IS NULL"),
                    postgresql_where=sa.text("live_to IS NULL"))
    if not pg:
        return
    op.execute("CREATE TABLE audit_head (id smallint PRIMARY KEY CHECK (id = 1), "
               "seq integer NOT NULL, hash text NOT NULL)")
    op.execute("INSERT INTO audit_head (id, seq, hash) SELECT 1, coalesce(max(seq), 0), "
               "coalesce((SELECT hash FROM audit_events WHERE seq > 0 ORDER BY seq DESC LIMIT 1), "
               "repeat('0', 64)) FROM audit_events WHERE seq > 0")
    op.execute("DROP FUNCTION IF EXISTS signoff_change_state(integer, integer, text, timestamp)")
    from signoff.core.db.pgroles import GROUPS, apply_grants, install_rules

    conn = op.get_bind()
    install_rules(conn)
    existing = conn.execute(sa.text("SELECT count(*) FROM pg_roles WHERE rolname = ANY(:g)"),
                            {"g": list(GROUPS)}).scalar_one()
    if existing:
        for group in GROUPS:
            conn.execute(sa.text(
                f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{group}') "
                f"THEN CREATE ROLE {group} NOLOGIN; END IF; END $$"))
        apply_grants(conn)


def downgrade() -> None:
    pg = _pg()
    if pg:
        from signoff.core.db.pgguards import drop_guards_sql
        from signoff.core.db.pgrules import FUNCTION_NAMES

        for statement in drop_guards_sql():
            op.execute(statement)
        for name in FUNCTION_NAMES:
            op.execute(f"DROP FUNCTION IF EXISTS {name}")
        op.execute("DROP FUNCTION IF EXISTS signoff__enqueue(integer, text, jsonb, integer[], "
                   "timestamp)")
        op.execute("DROP FUNCTION IF EXISTS signoff__event(text, integer, integer, text, text, "
                   "jsonb)")
        seal = _sibling("0004_pg_seal_at_commit")
        op.execute(seal.SEAL)
        op.execute("DROP TABLE IF EXISTS audit_head")
        op.execute(_sibling("0003_pg_state_function").change_state_sql())
    op.drop_index("uq_deployments_open", table_name="deployments")
    op.add_column("consumers", sa.Column("secret", sa.String(length=200), nullable=False,
                                         server_default=""))
    op.execute("UPDATE consumers SET secret = coalesce((SELECT s.secret FROM consumer_secrets s "
               "WHERE s.consumer_id = consumers.id), '')")
    op.drop_table("consumer_secrets")
    if pg:
        op.drop_column("decisions", "review_round")
    else:
        op.execute("ALTER TABLE decisions DROP COLUMN review_round")
    if pg:
        op.drop_column("versions", "review_rules")
        op.drop_column("versions", "review_round")
    else:
        op.execute("ALTER TABLE versions DROP COLUMN review_rules")
        op.execute("ALTER TABLE versions DROP COLUMN review_round")
