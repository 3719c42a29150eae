"""Artifact locations: folders and s3:// URLs, the factory, and the bounded download cache."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from signoff.core.artifacts.cache import DownloadCache
from signoff.core.artifacts.folder import FolderStore
from signoff.core.artifacts.location import open_store, parse_bucket_url
from signoff.core.artifacts.protocol import ArtifactStoreError, Store
from signoff.core.db.registry import resolve_location


def test_a_bucket_url_and_its_options() -> None:
    loc = parse_bucket_url(
        "s3://team-models/signoff/prod?profile=lab&region=eu-west-1"
        "&endpoint=https://minio.example:9000&verify=read-back&part_size_mb=16&workers=4"
    )
    assert (loc.bucket, loc.prefix, loc.profile, loc.region) == (
        "team-models",
        "signoff/prod/",
        "lab",
        "eu-west-1",
    )
    assert loc.endpoint == "https://minio.example:9000" and loc.verify == "read-back"
    assert (loc.part_size, loc.workers) == (16 * 1024 * 1024, 4)
    assert loc.key_for("ab" + "0" * 62) == "signoff/prod/ab/ab" + "0" * 62
    assert parse_bucket_url("s3://bucket").prefix == ""


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3://AB/x", "not a valid bucket name"),
        ("s3://ab/x", "not a valid bucket name"),
        ("s3://key:secret@bucket/x", "credentials never go in the artifacts URL"),
        ("s3://bucket/x?aws_access_key_id=AKIA", "looks like a credential"),
        ("s3://bucket/x?session_token=t", "looks like a credential"),
        ("s3://bucket/x?colour=blue", "unknown option 'colour'"),
        ("s3://bucket/x?verify=never", "verify must be one of"),
        ("s3://bucket/x?part_size_mb=1", "part_size_mb must be a whole number from 5"),
        ("s3://bucket/x?workers=lots", "workers must be a whole number"),
        ("s3://bucket/x?endpoint=ftp://host", "endpoint must be an http(s):// URL"),
        ("s3://bucket/a/../b", "has an empty, '.' or '..' part"),
    ],
)
def test_bad_bucket_urls_are_refused_with_a_reason(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_bucket_url(url)
    with pytest.raises(ArtifactStoreError, match="artifacts URL"):
        open_store(url)


def test_the_factory_picks_the_kind(tmp_path: Path) -> None:
    folder = open_store(tmp_path / "a")
    assert isinstance(folder, FolderStore) and isinstance(folder, Store)
    assert folder.kind == "folder" and folder.cache_home == tmp_path / "cache"
    bucket = open_store("s3://team-models/signoff")
    assert bucket.kind == "s3" and bucket.url == "s3://team-models/signoff"
    with pytest.raises(ArtifactStoreError, match="'gs://' artifact stores are not supported"):
        open_store("gs://bucket/x")


def test_resolve_keeps_a_bucket_url_as_text(tmp_path: Path, monkeypatch) -> None:
    loc = resolve_location(home=tmp_path / "h", artifacts="s3://team-models/signoff")
    assert loc.artifacts == "s3://team-models/signoff"
    monkeypatch.setenv("SIGNOFF_DB", f"sqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setenv("SIGNOFF_ARTIFACTS", "s3://team-models/env")
    assert resolve_location().artifacts == "s3://team-models/env"


def test_folder_store_lists_only_its_objects(tmp_path: Path) -> None:
    store = FolderStore(tmp_path / "s")
    sha, size, _ = store.put_bytes(b"payload")
    (store.root / "ab").mkdir(exist_ok=True)
    (store.root / "ab" / "notes.txt").write_text("a stray file is not an object")
    assert list(store.objects()) == [(sha, size)]
    assert store.size_of(sha) == size and store.size_of("a" * 64) is None
    assert store.local_file(sha) == store.path_for(sha)


def _entry(cache: DownloadCache, data: bytes, used: float) -> Path:
    import hashlib

    temporary = cache.incoming()
    temporary.write_bytes(data)
    path = cache.admit(temporary, hashlib.sha256(data).hexdigest())
    os.utime(path, (used, used))
    return path


def test_the_cache_evicts_least_recently_used_entries(tmp_path: Path) -> None:
    cache = DownloadCache(tmp_path / "c", max_bytes=2500)
    old = time.time() - 3600
    first = _entry(cache, b"a" * 1000, old)
    second = _entry(cache, b"b" * 1000, old + 10)
    assert cache.lookup(first.name) == first  # using it makes it the most recent
    os.utime(first, (old + 20, old + 20))
    third = _entry(cache, b"c" * 1000, old + 30)
    cache.evict()
    assert first.exists() and third.exists() and not second.exists()
    assert cache.total_bytes() <= 2500
    # entries in use a moment ago are spared even past the bound
    cache.max_bytes = 0
    recent = _entry(cache, b"d" * 1000, time.time())
    cache.evict()
    assert recent.exists() and not first.exists()
