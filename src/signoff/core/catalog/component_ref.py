"""A version's component as plain data, usable after the database session has closed.

The version page lists these, the comparison opens them, and the runner materialises them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from signoff.core.db.schema import Component


@dataclass(frozen=True)
class ComponentRef:
    """A component as plain data (usable after the database session is closed)."""

    kind: str
    name: str
    path: str | None
    uri: str | None
    sha256: str | None
    size: int | None
    stored: bool
    role: str
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, component: Component) -> ComponentRef:
        return cls(
            component.kind,
            component.name,
            component.path,
            component.uri,
            component.sha256,
            component.size,
            bool(component.stored),
            component.role,
            dict(component.details or {}),
        )

    @property
    def location(self) -> str:
        """The path inside the model folder, or the external URI."""
        return self.path or self.uri or ""

    @property
    def label(self) -> str:
        return f"{self.kind} '{self.name}'" + (f" ({self.path})" if self.path else "")
