"""Passwords: never stored in Signoff's files, kept in the keyring only when asked."""

from __future__ import annotations

import pytest

from signoff.core.governance.identity import verify_password, with_password, without_password
from tests.helpers import memkeyring

URL = "postgresql://bob@db.example:5432/signoff"


@pytest.fixture
def keys():
    return memkeyring.install()


def test_without_password_strips_it() -> None:
    assert (
        without_password("postgresql://bob:s3cret@db.example/signoff")
        == "postgresql://bob@db.example/signoff"
    )
    assert without_password(URL) == URL
    assert without_password("/home/bob/registry.db") == "/home/bob/registry.db"


def test_with_password_uses_the_given_one_and_remembers_only_when_asked(keys) -> None:
    assert with_password(URL, "pw") == "postgresql://bob:pw@db.example:5432/signoff"
    assert keys.store == {}
    with_password(URL, "pw", remember=True)
    assert list(keys.store.values()) == ["pw"]
    # next time, nothing typed: the keyring answers
    assert with_password(URL, None) == "postgresql://bob:pw@db.example:5432/signoff"


def test_with_password_leaves_libpq_to_find_it_when_nothing_is_known(keys) -> None:
    assert with_password(URL, None) == URL
    assert with_password("sqlite:////tmp/x.db", "pw") == "sqlite:////tmp/x.db"


def test_embedded_registry_needs_no_second_component(registry) -> None:
    verify_password(registry, "anything")  # single workstation: the OS login is the identity
