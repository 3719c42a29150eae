"""A stored component may be at most 2 GB (or the limit the person sets): a larger file — a
2 GiB sparse file included, which costs nothing on disk but would be stored whole — is refused
before it is hashed or copied, with a message saying how to keep it outside the registry."""

from __future__ import annotations

import pytest

from signoff.cli import main
from signoff.core.common.errors import ManifestError, SignoffError
from signoff.core.publishing.limits import DEFAULT_MAX_COMPONENT_BYTES, parse_size
from signoff.core.publishing.publisher import publish
from tests.helpers.bad_input import registry_state
from tests.helpers.folders import write_model_folder


def test_a_sparse_2_gib_file_is_refused_by_the_default_limit(registry, tmp_path) -> None:
    folder = write_model_folder(tmp_path / "model")
    with open(folder / "data" / "train.csv", "r+b") as data:
        data.truncate(2**31)  # 2 GiB of holes: an instant on disk, 2.1 GB in the store
    before = registry_state(registry)
    with pytest.raises(ManifestError) as err:
        publish(registry, folder)
    message = str(err.value)
    assert "data 'training set' is 2,147,483,648 bytes (2.1 GB)" in message
    assert "a sparse file" in message and "over the 2.0 GB limit" in message
    assert "uri and sha256" in message
    assert registry_state(registry) == before
    store = registry.store.root
    assert not store.exists() or not [p for p in store.rglob("*") if p.is_file()]


def test_the_limit_is_the_persons_to_set(registry, home, tmp_path, monkeypatch, capsys) -> None:
    folder = write_model_folder(tmp_path / "model")
    assert main(["--home", str(home), "publish", str(folder), "--max-component-size", "10B"]) == 2
    assert "over the 10 B limit for a stored component" in capsys.readouterr().err
    monkeypatch.setenv("SIGNOFF_MAX_COMPONENT_SIZE", "100B")
    assert main(["--home", str(home), "publish", str(folder)]) == 2
    assert "over the 100 B limit" in capsys.readouterr().err
    monkeypatch.setenv("SIGNOFF_MAX_COMPONENT_SIZE", "1MB")
    assert main(["--home", str(home), "publish", str(folder)]) == 0
    assert main(["--home", str(home), "publish", str(folder), "--max-component-size", "2x"]) == 2
    assert "'2x' is not a size" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "size"),
    [("2GB", 2 * 10**9), ("500 MB", 5 * 10**8), ("1.5GiB", 3 * 2**29), ("1048576", 2**20)],
)
def test_sizes_as_people_write_them(text: str, size: int) -> None:
    assert parse_size(text) == size
    assert DEFAULT_MAX_COMPONENT_BYTES < 2**31  # a 2 GiB file is over the default


@pytest.mark.parametrize("text", ["-1GB", "0", "lots", "1e9", "2 GBs", "9" * 50])
def test_sizes_that_are_not_sizes(text: str) -> None:
    with pytest.raises(SignoffError):
        parse_size(text)


def test_a_file_that_grows_while_published_is_recorded_as_stored(
    registry, tmp_path, monkeypatch
) -> None:
    """Each file is hashed as it is copied into the store (one read): a file that grows
    during its copy is recorded with the hash of exactly the bytes that were stored, so the
    store and the version never disagree (the old code hashed first and copied second)."""

    from signoff.core.catalog.lookup import get_version
    from signoff.core.common import hashcopy

    folder = write_model_folder(tmp_path / "model")
    real = hashcopy.os.copy_file_range
    grown: list[int] = []

    def grow_while_copying(src: int, dst: int, count: int) -> int:
        copied = real(src, dst, count)
        if not grown:
            with open(folder / "data" / "train.csv", "a") as data:
                data.write("3,1\n" * 1000)  # the file changes under the copy
            grown.append(copied)
        return copied

    monkeypatch.setattr(hashcopy.os, "copy_file_range", grow_while_copying)
    published = publish(registry, folder)
    assert grown
    with registry.read() as session:
        version = get_version(session, published.model, published.number)
        stored = [(c.sha256, c.name) for c in version.components if c.sha256 and c.path]
    assert stored
    for sha, name in stored:
        registry.store.verify(sha, name)  # raises on a mismatch
