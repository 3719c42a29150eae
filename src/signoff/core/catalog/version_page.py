"""A version's page as plain data: its header, its components, and a component's content."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signoff.core.catalog import lookup
from signoff.core.catalog.component_ref import ComponentRef
from signoff.core.common.errors import NotFoundError
from signoff.core.db.registry import Registry
from signoff.core.db.schema import COMPONENT_KINDS, Version

MAX_TEXT_BYTES = 2 * 1024 * 1024  # larger files are described, not shown


# -- model page ---------------------------------------------------------------------------


@dataclass
class VersionOverview:
    """Everything the version page's Overview tab shows."""

    model: str
    model_title: str
    number: int
    state: str
    author: str
    created_at: datetime
    state_changed_at: datetime
    manifest_hash: str
    entry_point: str
    python_version: str
    risk_tier: str
    components: list[ComponentRef]
    metrics: list[tuple[str, str, float]]
    numbers: list[int] = field(default_factory=list)  # all versions of the model


def _kind_order(row: ComponentRef) -> tuple[int, str]:
    kind = COMPONENT_KINDS.index(row.kind) if row.kind in COMPONENT_KINDS else 99
    return kind, row.name


def version_overview(session: Session, name: str, number: int) -> VersionOverview:
    """One version's metadata and its versioning-dimensions matrix (in dimension order)."""
    v = lookup.get_version(session, name, number)
    numbers = list(
        session.scalars(
            select(Version.number).where(Version.model_id == v.model_id).order_by(Version.number)
        )
    )
    return VersionOverview(
        model=v.model.name,
        model_title=v.model.title,
        number=v.number,
        state=v.state,
        author=v.author,
        created_at=v.created_at,
        state_changed_at=v.state_changed_at,
        manifest_hash=v.manifest_hash,
        entry_point=v.entry_point,
        python_version=v.python_version,
        risk_tier=v.model.risk_tier,
        components=sorted((ComponentRef.of(c) for c in v.components), key=_kind_order),
        metrics=[(m.name, m.dataset, m.value) for m in v.metrics],
        numbers=numbers,
    )


@dataclass
class ComponentContent:
    """A component's content for display: text, or a description of a binary."""

    name: str
    text: str | None
    description: str
    language: str


def looks_like_text(data: bytes, filename: str = "") -> bool:
    """True when *data* decodes as UTF-8 with no NUL bytes (a text file a person can read)."""
    if b"\x00" in data[:8192]:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def language_for(filename: str) -> str:
    """The highlighting language for a file name: python, json, toml, markdown, … or text."""
    lower = filename.lower()
    for suffix, lang in (
        (".py", "python"),
        (".json", "json"),
        (".jsonl", "json"),
        (".ipynb", "json"),
        (".toml", "toml"),
        (".ini", "toml"),
        (".cfg", "toml"),
        (".md", "markdown"),
        (".yaml", "yaml"),
        (".yml", "yaml"),
        (".txt", "requirements"),
        (".lock", "requirements"),
        (".csv", "csv"),
        (".sql", "sql"),
    ):
        if lower.endswith(suffix):
            return lang
    return "text"


def component_content(registry: Registry, component: ComponentRef) -> ComponentContent:
    """Read a component from the artifact store (hash re-checked) and prepare it for display.

    External data (a URI only) and binaries are described rather than shown; text over
    MAX_TEXT_BYTES is described too. Raises HashMismatchError if the stored blob changed.
    """
    label = component.path or component.name
    if not component.stored or not component.sha256:
        where = component.uri or component.path or "an external location"
        pin = f", pinned to sha256 {component.sha256}" if component.sha256 else ""
        return ComponentContent(
            label,
            None,
            f"External {component.kind}: {where}{pin}. "
            "It is referenced by the version, not stored in the registry.",
            "text",
        )
    if (component.size or 0) > MAX_TEXT_BYTES:
        return ComponentContent(
            label,
            None,
            f"{label}: {component.size:,} bytes, too large to "
            f"show here. sha256 {component.sha256}.",
            "text",
        )
    data = registry.store.read_bytes(component.sha256, f"{component.kind} '{label}'")
    if looks_like_text(data, label):
        return ComponentContent(label, data.decode("utf-8"), "", language_for(label))
    return ComponentContent(label, None, _describe_binary(label, data, component.sha256), "text")


def _describe_binary(label: str, data: bytes, sha: str) -> str:
    kinds = [
        (b"PK\x03\x04", "a ZIP archive (for example a skops or joblib bundle)"),
        (b"\x80", "a Python pickle (joblib / pickle model object)"),
        (b"\x08", "possibly an ONNX protobuf model"),
        (b"PAR1", "a Parquet table"),
        (b"\x89PNG", "a PNG image"),
        (b"%PDF", "a PDF document"),
        (b"\x1f\x8b", "gzip-compressed data"),
    ]
    what = next((desc for magic, desc in kinds if data.startswith(magic)), "binary data")
    return (
        f"{label} is {what}: {len(data):,} bytes, sha256 {sha}. Binary files are "
        "described, not shown; the hash was re-checked when it was read."
    )


@dataclass
class VersionHeader:
    """What the version page's header says: title, state, and what to compare it with."""

    model: str
    model_title: str
    number: int
    state: str
    live: int | None  # the version live in production now
    previous: int | None  # the version before this one

    @property
    def compare_with(self) -> int | None:
        """The natural version to compare with: the live one, else the previous one."""
        if self.live is not None and self.live != self.number:
            return self.live
        return self.previous


def version_header(session: Session, name: str, number: int) -> VersionHeader:
    """Title, state, live and previous version numbers for one version's page header."""
    model = lookup.get_model(session, name)
    state = session.scalar(
        select(Version.state).where(Version.model_id == model.id, Version.number == number)
    )
    if state is None:
        raise NotFoundError(f"model '{name}' has no v{number}")
    previous = session.scalar(
        select(func.max(Version.number)).where(
            Version.model_id == model.id, Version.number < number
        )
    )
    return VersionHeader(model.name, model.title, number, state, model.live_version, previous)
