"""Alembic migrations, run programmatically on open and by ``signoff db upgrade``."""

from __future__ import annotations

import logging
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

log = logging.getLogger("signoff.db")


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("signoff.core") / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def head_revisions(engine: Engine) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def upgrade_to_head(engine: Engine) -> bool:
    """Bring the schema up to date; returns True when a migration ran."""
    if current_revisions(engine) == head_revisions(engine):
        return False
    log.info("migrating database %s", engine.url.render_as_string(hide_password=True))
    command.upgrade(alembic_config(engine), "heads")
    return True
