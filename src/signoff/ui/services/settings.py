"""Every user setting of the desktop application, declared once with its type and default.

Stored with ``QSettings`` (per user). A settings-format version lets :func:`upgrade` move old
keys forward, as Picard's ``config_upgrade.py`` does. Tests pass an explicit ini file so they
never touch the user's real settings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1
MAX_RECENT = 8


@dataclass(frozen=True)
class Option:
    """One setting: its key, Python type, default and what it is for."""

    key: str
    type: type
    default: Any
    doc: str


OPTIONS: dict[str, Option] = {
    o.key: o
    for o in (
        Option("window/geometry", QByteArray, QByteArray(), "main window geometry"),
        Option("window/state", QByteArray, QByteArray(), "tool bar and dock layout"),
        Option("window/area", str, "inventory", "the side-bar area shown last"),
        Option("window/model", str, "", "the model page open last"),
        Option("window/version", int, 0, "the version page open last (0: none)"),
        Option("registry/recent", list, [], "recently opened registries (db URL|artifacts)"),
        Option("inventory/page_size", int, 100, "rows fetched per inventory page"),
        Option("inventory/sort", str, "name", "inventory sort column"),
        Option("inventory/descending", bool, False, "inventory sort order"),
        Option("inventory/search", str, "", "the inventory's search text, kept across restarts"),
        Option("inventory/filters", list, [], "ticked inventory facets (facet=value)"),
        Option("inventory/facets_shown", bool, True, "whether the facet panel is open"),
        Option("audit/subject", str, "", "the Audit area's subject search, kept across restarts"),
        Option("export/folder", str, "", "where the last export was saved (empty: Documents)"),
        Option("reports/folders", list, [], "per person, where reports were saved (login|folder)"),
        Option("demo/actor", str, "", "the person the demo is looked at as (empty: a reviewer)"),
        Option("demo/banner_dismissed", bool, False, "whether the demo's welcome was closed"),
        Option("reviews/check_interval_ms", int, 60000, "how often the review count refreshes"),
        Option("dashboard/review_wait_days", int, 14, "a review waiting longer is flagged"),
        Option("ui/theme", str, "auto", "auto, light or dark"),
        Option("connection/check_interval_ms", int, 5000, "how often connection health is checked"),
        Option("settings/version", int, SETTINGS_VERSION, "format of these settings"),
    )
}


class Settings:
    """Typed access to the declared options."""

    def __init__(self, path: str | Path | None = None) -> None:
        if path is None:
            self.qsettings = QSettings("Signoff", "Signoff")
        else:
            self.qsettings = QSettings(str(path), QSettings.Format.IniFormat)
        upgrade(self)

    def get(self, key: str) -> Any:
        """The value of a declared option, converted to its type (the default if unset/bad)."""
        option = OPTIONS[key]
        raw = self.qsettings.value(key, None)
        if raw is None:
            return _copy(option.default)
        try:
            return _convert(raw, option)
        except (TypeError, ValueError):
            log.warning("setting %s has an unreadable value %r; using the default", key, raw)
            return _copy(option.default)

    def set(self, key: str, value: Any) -> None:
        """Store a declared option (unknown keys are a programming error)."""
        option = OPTIONS[key]
        if option.type is list:
            value = list(value)
        self.qsettings.setValue(key, value)

    def sync(self) -> None:
        self.qsettings.sync()

    # -- recent registries ----------------------------------------------------------------
    def recent_registries(self) -> list[tuple[str, str]]:
        """Recently opened registries as (database URL, artifacts folder), newest first."""
        out = []
        for entry in self.get("registry/recent"):
            db, _, artifacts = str(entry).partition("|")
            if db:
                out.append((db, artifacts))
        return out

    def remember_registry(self, db_url: str, artifacts: str) -> None:
        """Put a registry at the top of the recent list (kept to MAX_RECENT entries).

        A password in the URL is never written to the settings file (see core.identity).
        """
        from signoff.core.governance.identity import without_password

        entry = f"{without_password(db_url)}|{artifacts}"
        items = [e for e in self.get("registry/recent") if e != entry]
        self.set("registry/recent", [entry, *items][:MAX_RECENT])

    # -- per-person folders --------------------------------------------------------------
    def report_folder(self, login: str) -> str:
        """The folder *login* last saved a report to ('' when none yet)."""
        for entry in self.get("reports/folders"):
            who, _, folder = str(entry).partition("|")
            if who == login:
                return folder
        return ""

    def remember_report_folder(self, login: str, folder: str) -> None:
        """Remember where *login* saves reports (each person has their own folder)."""
        items = [e for e in self.get("reports/folders") if str(e).partition("|")[0] != login]
        self.set("reports/folders", [f"{login}|{folder}", *items][:50])


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _convert(raw: Any, option: Option) -> Any:
    if option.type is bool:
        if isinstance(raw, str):
            return raw.lower() in ("1", "true", "yes")
        return bool(raw)
    if option.type is int:
        return int(raw)
    if option.type is list:
        if isinstance(raw, str):
            return [raw] if raw else []
        return [str(v) for v in raw]
    if option.type is QByteArray:
        return raw if isinstance(raw, QByteArray) else QByteArray(raw)
    return option.type(raw)


def upgrade(settings: Settings) -> None:
    """Bring settings written by an older Signoff up to SETTINGS_VERSION."""
    stored = settings.qsettings.value("settings/version", None)
    if stored is None:
        settings.set("settings/version", SETTINGS_VERSION)
        return
    try:
        older = int(str(stored)) < SETTINGS_VERSION
    except ValueError:  # a hand-edited file: keep its settings, restamp the version
        log.warning("settings version %r is unreadable; taking it as the first format", stored)
        older = True
    # version 1 is the first format; later versions add their moves here
    if older:
        settings.set("settings/version", SETTINGS_VERSION)
