"""Alembic migrations, run programmatically on open and by ``signoff db upgrade``.

Opening a registry that is already up to date must be cheap (it is on the path from process
start to the first inventory page), so the check reads the revision identifiers straight from
the migration files and the ``alembic_version`` table; Alembic itself is imported only when a
migration has to run.
"""

from __future__ import annotations

import ast
import logging
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:  # Alembic itself is imported only when a migration runs
    from alembic.config import Config

log = logging.getLogger(__name__)


def _versions_dir() -> Path:
    return Path(str(resources.files("signoff.core.db") / "migrations" / "versions"))


_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]+)?=\s*(.+?)\s*$", re.M)


def _identifiers(text: str) -> dict[str, object]:
    """``revision`` and ``down_revision`` of a migration file.

    Alembic writes them as one-line literals near the top; reading those lines is 20 times
    cheaper than parsing the whole file (the initial schema is 400 lines), which every start
    of the application pays. Anything unusual falls back to the parser.
    """
    found: dict[str, object] = {}
    try:
        for match in _ASSIGNMENT.finditer(text):
            found.setdefault(match.group(1), ast.literal_eval(match.group(2)))
    except (ValueError, SyntaxError):
        found = {}
        for node in ast.parse(text).body:
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name) and node.value is not None:
                        found.setdefault(target.id, ast.literal_eval(node.value))
    return found


@cache
def head_revisions_from_files() -> frozenset[str]:
    """The heads of the migration graph, read from the files without importing Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in _versions_dir().glob("*.py"):
        found = _identifiers(path.read_text(encoding="utf-8"))
        revision = found.get("revision")
        if not isinstance(revision, str):
            continue
        revisions.add(revision)
        down = found.get("down_revision")
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):
            parents.update(d for d in down if isinstance(d, str))
    return frozenset(revisions - parents)


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration that runs migrations on *engine*."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("signoff.core.db") / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


def current_revisions(engine: Engine) -> set[str]:
    """The revisions the database says it is at (empty for a new database)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return set()
        return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}


def head_revisions(engine: Engine) -> set[str]:
    """The heads according to Alembic's own reading of the scripts."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def upgrade_to_head(engine: Engine) -> bool:
    """Bring the schema up to date; returns True when a migration ran."""
    if current_revisions(engine) == set(head_revisions_from_files()):
        return False
    from alembic import command

    log.info("migrating database %s", engine.url.render_as_string(hide_password=True))
    command.upgrade(alembic_config(engine), "heads")
    return True


def require_current_schema(engine: Engine, where: str) -> None:
    """Raise ReadOnlyRegistryError unless the read-only registry at *where* needs no migration
    (a registry that cannot be written cannot be upgraded, and an older schema cannot be read).
    """
    from signoff.core.common.errors import ReadOnlyRegistryError

    current, heads = current_revisions(engine), set(head_revisions_from_files())
    if current == heads:
        return
    if not current:
        raise ReadOnlyRegistryError(
            f"{where} is not a Signoff registry (it has no schema) and is read-only, so "
            "Signoff cannot set one up there"
        )
    raise ReadOnlyRegistryError(
        f"the registry at {where} has schema {', '.join(sorted(current))} but this Signoff "
        f"reads {', '.join(sorted(heads))}; it is read-only, so it cannot be upgraded here. "
        "Open it once with write access (or with the Signoff that wrote it)."
    )
