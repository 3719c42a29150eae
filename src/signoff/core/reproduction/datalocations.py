"""Configured data locations: the read-only sources input references are fetched from.

The registry keeps the team's list in its ``data_locations`` setting (an admin changes it,
audited); ``SIGNOFF_DATA_LOCATIONS`` (a JSON list of ``{"prefix", "folder"}``) adds this
workstation's own, for a share mounted somewhere else here. A relative folder belongs to the
registry home of an embedded registry (the folder holding its database file), so a registry
copied elsewhere keeps its data lake; a shared registry needs absolute folders.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.common.errors import SignoffError
from signoff.core.db.registry import Registry
from signoff.core.db.schema import Setting
from signoff.core.reproduction.inputs import DataLocation, folder_of

log = logging.getLogger(__name__)

SETTING = "data_locations"
ENV = "SIGNOFF_DATA_LOCATIONS"


def registry_home(registry: Registry) -> Path | None:
    """The folder holding an embedded registry's database file (None on PostgreSQL)."""
    url = make_url(registry.location.db_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).parent


def _entries(registry: Registry) -> list[dict[str, Any]]:
    with registry.read() as session:
        row = session.get(Setting, SETTING)
        value = dict(row.value) if row is not None else {}
    entries = value.get("locations", [])
    return [e for e in entries if isinstance(e, dict) and e.get("prefix") and e.get("folder")]


def _location(entry: dict[str, Any], home: Path | None) -> DataLocation | None:
    folder = folder_of(str(entry["folder"]))
    if not folder.is_absolute():
        if home is None:
            log.warning("data location %s: relative folder on a shared registry", entry)
            return None
        folder = home / folder
    return DataLocation(str(entry["prefix"]), folder)


def configured_locations(registry: Registry) -> list[DataLocation]:
    """This workstation's data locations (from the environment), then the registry's."""
    home = registry_home(registry)
    entries: list[dict[str, Any]] = []
    if os.environ.get(ENV):
        try:
            loaded = json.loads(os.environ[ENV])
        except ValueError as exc:
            raise SignoffError(f"{ENV} is not a JSON list of {{prefix, folder}}: {exc}") from None
        entries += [
            e for e in loaded if isinstance(e, dict) and e.get("prefix") and e.get("folder")
        ]
    entries += _entries(registry)
    found = [_location(e, home) for e in entries]
    return [loc for loc in found if loc is not None]


def _prefix_for(folder: str, prefix: str | None, home: Path | None) -> str:
    if prefix:
        return prefix
    path = folder_of(folder)
    if not path.is_absolute():
        if home is None:
            raise SignoffError("give an absolute folder (or --prefix) on a shared registry")
        path = home / path
    return path.resolve().as_uri().rstrip("/") + "/"


def add_data_location(
    registry: Registry, folder: str, prefix: str | None = None, *, actor: str | None = None
) -> DataLocation:
    """Configure *folder* as the read-only source of input references starting with *prefix*
    (default: the folder's own ``file://`` URI). Replaces an entry with the same prefix;
    audited. Raises SignoffError for a folder that is not there."""
    home = registry_home(registry)
    path = folder_of(folder)
    if not path.is_absolute() and home is None:
        raise SignoffError(
            f"{folder}: a shared registry needs an absolute folder, the same on every workstation"
        )
    resolved = path if path.is_absolute() else (home or Path.cwd()) / path
    if not resolved.is_dir():
        raise SignoffError(f"{resolved} is not a folder")
    entry = {"prefix": _prefix_for(folder, prefix, home), "folder": folder}
    kept = [e for e in _entries(registry) if e["prefix"] != entry["prefix"]]
    _save(registry, [*kept, entry], actor, {"added": entry})
    location = _location(entry, home)
    assert location is not None
    return location


def remove_data_location(registry: Registry, prefix: str, *, actor: str | None = None) -> bool:
    """Remove the data location for *prefix*; False when there was none."""
    entries = _entries(registry)
    kept = [e for e in entries if e["prefix"] != prefix]
    if len(kept) == len(entries):
        return False
    _save(registry, kept, actor, {"removed": prefix})
    return True


def _save(
    registry: Registry, entries: list[dict[str, Any]], actor: str | None, change: dict[str, Any]
) -> None:
    with registry.write() as session:
        row = session.get(Setting, SETTING)
        if row is None:
            session.add(Setting(key=SETTING, value={"locations": entries}))
        else:
            row.value = {"locations": entries}
        append_event(
            session,
            actor=actor or registry.actor,
            action=events.DATA_LOCATIONS_CHANGED,
            entity_type="setting",
            entity_id=SETTING,
            payload={**change, "locations": entries},
        )
