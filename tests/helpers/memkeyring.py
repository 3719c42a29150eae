"""An in-memory keyring backend, so tests never touch a real system keyring."""

from __future__ import annotations

import keyring
from keyring.backend import KeyringBackend


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


def install() -> MemoryKeyring:
    """Make a fresh in-memory keyring the active backend and return it."""
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend
