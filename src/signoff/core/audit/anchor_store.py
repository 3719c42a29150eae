"""Where an exported chain head is kept: a file on another share, or a second database.

An anchor holds one head per registry, keyed by the registry's identity (the hash of its
chain's first event) and labelled with the registry's database (server and database name or
SQLite file, never a login or password). Which anchor a person uses is configured without
storing anything secret: ``$SIGNOFF_AUDIT_ANCHOR`` wins, else the per-user file
``audit-anchor.json`` in the user config folder maps each registry's label to a location.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Column, Integer, MetaData, String, Table, inspect, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError

from signoff.core.common.errors import SignoffError
from signoff.core.db.registry import make_engine

ANCHOR_ENV = "SIGNOFF_AUDIT_ANCHOR"
CONFIG_DIR_ENV = "SIGNOFF_CONFIG_DIR"
CONFIG_NAME = "audit-anchor.json"
FILE_FORMAT = "signoff-audit-anchor"
DATABASE_SCHEMES = ("sqlite", "postgresql")

_METADATA = MetaData()
ANCHOR_TABLE = Table(
    "signoff_audit_anchors",
    _METADATA,
    Column("registry_id", String(64), primary_key=True),
    Column("registry", String(1000), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("events", Integer, nullable=False),
    Column("exported_at", String(40), nullable=False),
)


class AnchorError(SignoffError):
    """An anchor location that cannot be used, read or written."""


@dataclass(frozen=True)
class AnchoredHead:
    """A chain head as exported: whose chain, which event, and when."""

    registry_id: str
    registry: str
    seq: int
    hash: str
    events: int
    exported_at: str

    @classmethod
    def from_json(cls, data: Any) -> AnchoredHead:
        """Parse one stored head; ValueError when it is not one."""
        if not isinstance(data, dict):
            raise ValueError("a head is an object")
        texts = ("registry_id", "registry", "hash", "exported_at")
        if any(not isinstance(data.get(k), str) for k in texts):
            raise ValueError(f"a head needs text fields {', '.join(texts)}")
        if any(not isinstance(data.get(k), int) for k in ("seq", "events")):
            raise ValueError("a head needs integer 'seq' and 'events'")
        if len(data["hash"]) != 64 or len(data["registry_id"]) != 64:
            raise ValueError("a head's hashes are 64 hexadecimal characters")
        return cls(**{k: data[k] for k in (*texts, "seq", "events")})


def registry_label(db_url: str) -> str:
    """The registry's database without credentials: ``postgresql://host:port/db`` or the
    SQLite file. Every member of a team shares it, whatever their own login."""
    url = make_url(db_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return f"sqlite:///{url.database or ''}"
    host = url.host or "localhost"
    port = f":{url.port}" if url.port else ""
    return f"{backend}://{host}{port}/{url.database or ''}"


class AnchorStore(Protocol):
    """A place that keeps exported heads."""

    location: str

    def describe(self) -> str:
        """The location as a person reads it (no password)."""
        ...

    def heads(self) -> list[AnchoredHead]:
        """Every head kept here (empty when nothing was written yet)."""
        ...

    def put(self, head: AnchoredHead) -> None:
        """Keep *head* as its registry's head, replacing an earlier one (never a later one)."""
        ...


class FileAnchor:
    """Heads kept in a small JSON file, replaced atomically on each write."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)

    def describe(self) -> str:
        return str(self.path)

    def heads(self) -> list[AnchoredHead]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise AnchorError(f"cannot read the anchor file {self.path}: {exc}") from exc
        try:
            doc = json.loads(raw)
            if not isinstance(doc, dict) or doc.get("format") != FILE_FORMAT:
                raise ValueError(f'it has no "format": "{FILE_FORMAT}"')
            return [AnchoredHead.from_json(h) for h in doc.get("heads", [])]
        except (ValueError, TypeError) as exc:
            raise AnchorError(f"{self.path} is not a Signoff audit anchor: {exc}") from exc

    def put(self, head: AnchoredHead) -> None:
        heads = self.heads()
        _refuse_going_back(heads, head)
        kept = [h for h in heads if h.registry_id != head.registry_id]
        doc = {"format": FILE_FORMAT, "heads": [asdict(h) for h in [*kept, head]]}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # a reader never sees half a file: write beside it, then rename over it
            fd, tmp = tempfile.mkstemp(prefix=".anchor-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=1)
                fh.write("\n")
            os.replace(tmp, self.path)
        except OSError as exc:
            raise AnchorError(f"cannot write the anchor file {self.path}: {exc}") from exc


class DatabaseAnchor:
    """Heads kept in a table ``signoff_audit_anchors`` of a second database."""

    def __init__(self, url: str) -> None:
        self.location = url
        self.url = url

    def describe(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def _engine_error(self, exc: Exception, doing: str) -> AnchorError:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return AnchorError(f"cannot {doing} the anchor database {self.describe()}: {first}")

    def heads(self) -> list[AnchoredHead]:
        engine = make_engine(self.url)
        try:
            with engine.connect() as conn:
                if not inspect(conn).has_table(ANCHOR_TABLE.name):
                    return []
                rows = conn.execute(select(ANCHOR_TABLE)).mappings().all()
            return [AnchoredHead.from_json(dict(r)) for r in rows]
        except (SQLAlchemyError, ValueError) as exc:
            raise self._engine_error(exc, "read") from exc
        finally:
            engine.dispose()

    def put(self, head: AnchoredHead) -> None:
        engine = make_engine(self.url)
        values = asdict(head)
        try:
            _METADATA.create_all(engine, checkfirst=True)
            with engine.execution_options(signoff_write=True).begin() as conn:
                # only forwards: a head never replaces a later one of the same registry
                moved = conn.execute(
                    update(ANCHOR_TABLE)
                    .where(
                        ANCHOR_TABLE.c.registry_id == head.registry_id,
                        ANCHOR_TABLE.c.seq <= head.seq,
                    )
                    .values(values)
                ).rowcount
                if not moved:
                    later = conn.execute(
                        select(ANCHOR_TABLE.c.seq).where(
                            ANCHOR_TABLE.c.registry_id == head.registry_id
                        )
                    ).scalar()
                    if later is not None:
                        raise AnchorError(
                            f"the anchor already holds a later head (#{later}) for this "
                            f"registry; #{head.seq} would move it back"
                        )
                    conn.execute(ANCHOR_TABLE.insert().values(values))
        except IntegrityError as exc:  # another workstation wrote the first head meanwhile
            raise self._engine_error(exc, "write (try again)") from exc
        except SQLAlchemyError as exc:
            raise self._engine_error(exc, "write") from exc
        finally:
            engine.dispose()


def _refuse_going_back(heads: list[AnchoredHead], head: AnchoredHead) -> None:
    for old in heads:
        if old.registry_id == head.registry_id and old.seq > head.seq:
            raise AnchorError(
                f"the anchor already holds a later head (#{old.seq}) for this registry; "
                f"#{head.seq} would move it back"
            )


def open_anchor(location: str) -> AnchorStore:
    """The store a location names: a ``sqlite:///`` or ``postgresql://`` URL, a ``file://``
    URL or a plain path. Raises AnchorError for anything else."""
    location = location.strip()
    if not location:
        raise AnchorError("an anchor location is a file path or a database URL, not empty")
    if any(ord(c) < 32 for c in location):
        raise AnchorError("an anchor location may not contain control characters")
    if location.startswith("file://"):
        return FileAnchor(Path(location[len("file://") :]).expanduser().resolve())
    if "://" in location:
        try:
            url = make_url(location)
        except ArgumentError as exc:
            raise AnchorError(f"{location!r} is not a database URL: {exc}") from exc
        if url.get_backend_name() not in DATABASE_SCHEMES:
            raise AnchorError(
                f"an anchor database is sqlite:///FILE or postgresql://…, not {url.drivername}://"
            )
        if url.get_backend_name() == "sqlite" and not url.database:
            raise AnchorError("an anchor SQLite URL names a file: sqlite:///PATH")
        if url.get_backend_name() == "sqlite" and url.database != ":memory:":
            resolved = Path(url.database or "").expanduser().resolve()
            return DatabaseAnchor(f"sqlite:///{resolved}")
        return DatabaseAnchor(location)
    return FileAnchor(Path(location).expanduser().resolve())


def _config_file() -> Path:
    folder = os.environ.get(CONFIG_DIR_ENV)
    if folder:
        return Path(folder).expanduser() / CONFIG_NAME
    import platformdirs

    return Path(platformdirs.user_config_dir("signoff", appauthor=False)) / CONFIG_NAME


def _read_config(path: Path) -> dict[str, str]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise AnchorError(f"cannot read the anchor settings {path}: {exc}") from exc
    anchors = doc.get("anchors") if isinstance(doc, dict) else None
    if not isinstance(anchors, dict) or not all(isinstance(v, str) for v in anchors.values()):
        raise AnchorError(f"{path} is not Signoff's anchor settings (needs an 'anchors' map)")
    return dict(anchors)


@dataclass(frozen=True)
class AnchorSetting:
    """Which anchor a registry is checked against, and where that was configured."""

    location: str
    source: str  # "$SIGNOFF_AUDIT_ANCHOR" or the settings file


def configured_anchor(db_url: str) -> AnchorSetting | None:
    """The anchor configured for the registry at *db_url*, or None when there is none."""
    env = os.environ.get(ANCHOR_ENV, "").strip()
    if env:
        return AnchorSetting(env, f"${ANCHOR_ENV}")
    path = _config_file()
    location = _read_config(path).get(registry_label(db_url))
    return AnchorSetting(location, str(path)) if location else None


def anchor_to_remember(db_url: str, location: str) -> AnchorStore:
    """The store *location* names, if it may be remembered as the anchor of the registry at
    *db_url*: no password in it, and not the registry's own database (AnchorError)."""
    store = open_anchor(location)
    if isinstance(store, DatabaseAnchor):
        if make_url(store.url).password is not None:
            raise AnchorError(
                "the anchor URL holds a password, and Signoff's settings are not the place "
                f"for one: keep it in ~/.pgpass (or give the whole URL in ${ANCHOR_ENV})"
            )
        if registry_label(store.url) == registry_label(db_url):
            raise AnchorError(
                "the anchor must live outside the registry's own database: whoever can "
                "rewrite the chain there could rewrite its anchor too"
            )
    return store


def save_anchor_setting(db_url: str, location: str | None) -> Path:
    """Remember *location* as the anchor of the registry at *db_url* (None forgets it) in
    the per-user settings file; returns the file. A password is never stored."""
    label = registry_label(db_url)
    path = _config_file()
    anchors = _read_config(path)
    if location is None:
        anchors.pop(label, None)
    else:
        anchors[label] = anchor_to_remember(db_url, location).location
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"anchors": anchors}, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise AnchorError(f"cannot write the anchor settings {path}: {exc}") from exc
    return path
