"""Looking before opening: a registry is opened, a new one only offered, a bad place refused."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from signoff.core.db.opening import RegistryLocationError, check_location, open_problem
from signoff.core.db.registry import Location, open_registry, resolve_location


def test_an_existing_registry_is_found_without_changing_anything(tmp_path: Path) -> None:
    open_registry(home=tmp_path / "team").close()
    db = tmp_path / "team" / "registry.db"
    before = db.stat().st_mtime_ns
    check = check_location(Location.from_home(tmp_path / "team"))
    assert check.exists and check.where == str(db.resolve())
    assert db.stat().st_mtime_ns == before


def test_a_mistyped_path_is_room_for_a_new_registry_and_nothing_is_created(
    tmp_path: Path,
) -> None:
    typo = tmp_path / "tema"
    check = check_location(Location.from_home(typo))
    assert not check.exists
    assert check.location.artifacts == typo / "artifacts"  # beside the new database
    assert not typo.exists()  # looking created nothing


def test_another_programs_database_is_not_taken_for_a_registry(tmp_path: Path) -> None:
    other = tmp_path / "notes.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(RegistryLocationError, match="another program, not a Signoff registry"):
        check_location(resolve_location(db=str(other), artifacts=tmp_path / "a"))


def test_a_text_file_is_not_a_registry(tmp_path: Path) -> None:
    text = tmp_path / "readme.db"
    text.write_text("hello, this is not a database at all\n" * 20)
    with pytest.raises(RegistryLocationError, match="not an SQLite database"):
        check_location(resolve_location(db=str(text), artifacts=tmp_path / "a"))


def test_a_new_registry_never_takes_another_registrys_artifacts(tmp_path: Path) -> None:
    open_registry(home=tmp_path / "team").close()
    team = open_registry(home=tmp_path / "team")
    team.store.put_bytes(b"a component of the team's registry")
    team.close()
    # a new database file typed beside the team's registry would share its artifacts folder
    typo = (tmp_path / "team" / "typo.db").resolve()
    beside = Location(f"sqlite:///{typo}", tmp_path / "team" / "artifacts")
    with pytest.raises(RegistryLocationError, match="already holds another registry's files"):
        check_location(beside)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_place_nobody_may_write_to_is_refused_in_words(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(RegistryLocationError, match="you may not create files in"):
            check_location(Location.from_home(locked / "new"))
    finally:
        locked.chmod(0o700)


def test_a_path_through_a_file_is_refused_in_words(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(RegistryLocationError, match="is a file, so no folder can be made"):
        check_location(Location.from_home(blocker / "registry"))


def test_a_folder_typed_as_the_database_file_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "folder.db"
    folder.mkdir()
    with pytest.raises(RegistryLocationError, match="is a folder, not a database file"):
        check_location(resolve_location(db=str(folder), artifacts=tmp_path / "a"))


def test_an_unreachable_server_is_said_in_words() -> None:
    location = Location("postgresql://nobody@127.0.0.1:1/none", Path("/nonexistent/a"))
    with pytest.raises(RegistryLocationError) as caught:
        check_location(location)
    assert "does not answer" in str(caught.value)
    assert "Errno" not in str(caught.value)


def test_os_errors_read_as_words(tmp_path: Path) -> None:
    missing = FileNotFoundError(2, "No such file or directory", str(tmp_path / "x"))
    assert open_problem(missing) == (
        f"the registry cannot be opened or created: a folder on the way does not exist "
        f"({tmp_path / 'x'})"
    )
    denied = PermissionError(13, "Permission denied", "/root/r")
    assert "you may not write there (/root/r)" in open_problem(denied)
