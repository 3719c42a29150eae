"""The bucket store against a real S3-protocol server: the folder store's contract, in a bucket."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from signoff.core.artifacts.location import open_store
from signoff.core.artifacts.protocol import Store, TransferCancelled
from signoff.core.artifacts.s3 import BucketStore
from signoff.core.artifacts.s3_adopt import adopt_object, list_under
from signoff.core.common.errors import HashMismatchError, NotFoundError
from tests.s3.conftest import Bucket

MIB = 1024 * 1024


def _store(bucket: Bucket, **options: str) -> BucketStore:
    store = open_store(bucket.url(**options))
    assert isinstance(store, BucketStore) and isinstance(store, Store)
    return store


def _big_file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def _leftovers(store: BucketStore) -> list[Path]:
    """Temporary downloads and uploads still lying in the cache's staging folder."""
    staging = store.cache.root / ".incoming"
    return sorted(staging.iterdir()) if staging.exists() else []


def test_publish_and_read_back(bucket: Bucket, tmp_path: Path) -> None:
    store = _store(bucket)
    source = tmp_path / "model.joblib"
    source.write_bytes(b"weights" * 1000)
    sha, size, new = store.put_file(source)
    assert sha == hashlib.sha256(b"weights" * 1000).hexdigest()
    assert (size, new) == (7000, True)
    assert store.put_file(source)[2] is False  # content-addressed: stored once
    listed = bucket.client.list_objects_v2(Bucket=bucket.name)["Contents"]
    assert [o["Key"] for o in listed] == [f"signoff/{sha[:2]}/{sha}"]
    assert store.has(sha) and store.size_of(sha) == 7000
    assert store.read_bytes(sha, "credit-risk v1 model.joblib") == b"weights" * 1000
    assert store.verify(sha) == 7000
    assert list(store.objects()) == [(sha, 7000)]
    out = tmp_path / "work" / "model.joblib"
    store.materialize(sha, out)
    assert out.read_bytes() == source.read_bytes()


def test_a_second_read_comes_from_the_cache(bucket: Bucket, tmp_path: Path) -> None:
    store = _store(bucket)
    sha, _, _ = store.put_bytes(b"notebook json")
    first = store.local_file(sha)
    assert first.is_relative_to(store.cache.root)
    # once cached, the bucket is not asked again: the object could even be gone
    bucket.client.delete_object(Bucket=bucket.name, Key=store.key_for(sha))
    messages: list[str] = []
    assert store.read_bytes(sha, progress=lambda _f, m: messages.append(m)) == b"notebook json"
    assert messages == [f"{sha[:12]}: from the local cache"]


def test_a_tampered_object_is_reported_and_never_cached(bucket: Bucket, tmp_path: Path) -> None:
    store = _store(bucket)
    sha, _, _ = store.put_bytes(b"def predict(records): return records\n")
    # someone with write access to the bucket replaces the object behind the registry's back
    bucket.client.put_object(Bucket=bucket.name, Key=store.key_for(sha), Body=b"import os\n")
    with pytest.raises(HashMismatchError, match="credit-risk v1 score.py") as caught:
        store.read_bytes(sha, "credit-risk v1 score.py")
    assert caught.value.actual == hashlib.sha256(b"import os\n").hexdigest()
    assert store.cache.lookup(sha) is None and _leftovers(store) == []
    with pytest.raises(HashMismatchError):
        store.materialize(sha, tmp_path / "work" / "score.py", "score.py")
    assert not (tmp_path / "work" / "score.py").exists()
    with pytest.raises(HashMismatchError):
        store.verify(sha, "score.py")


def test_an_altered_cache_entry_is_dropped_and_fetched_again(bucket: Bucket) -> None:
    store = _store(bucket)
    sha, _, _ = store.put_bytes(b"reference outputs")
    entry = store.local_file(sha)
    os.chmod(entry, 0o644)
    entry.write_bytes(b"forged outputs")
    assert store.read_bytes(sha) == b"reference outputs"
    assert store.cache.lookup(sha) is not None


def test_a_missing_object_is_not_found(bucket: Bucket) -> None:
    store = _store(bucket)
    with pytest.raises(NotFoundError, match="notes: not in the artifact store"):
        store.read_bytes("a" * 64, "notes")
    assert not store.has("a" * 64) and store.size_of("a" * 64) is None


def test_multipart_upload_and_parallel_download(bucket: Bucket, tmp_path: Path) -> None:
    store = _store(bucket, part_size_mb="5", workers="3")
    source = _big_file(tmp_path / "train.parquet", 13 * MIB + 12345)
    expected = hashlib.sha256(source.read_bytes()).hexdigest()
    seen: list[float] = []
    sha, size, new = store.put_file(source, progress=lambda f, _m: seen.append(f))
    assert (sha, size, new) == (expected, source.stat().st_size, True)
    head = bucket.client.head_object(Bucket=bucket.name, Key=store.key_for(sha), PartNumber=1)
    assert head["PartsCount"] == 3  # 5 + 5 + 3 MiB
    assert len(seen) >= 3 and seen == sorted(seen) and seen[-1] == 1.0
    assert bucket.client.list_multipart_uploads(Bucket=bucket.name).get("Uploads") is None
    seen.clear()
    local = store.local_file(sha, "train.parquet", progress=lambda f, _m: seen.append(f))
    assert local.read_bytes() == source.read_bytes()
    assert len(seen) >= 3 and seen[-1] == 1.0
    assert store.verify(sha) == size


def test_cancel_mid_upload_leaves_nothing_half_written(bucket: Bucket, tmp_path: Path) -> None:
    store = _store(bucket, part_size_mb="5", workers="1")
    source = _big_file(tmp_path / "model.onnx", 16 * MIB)
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    sent: list[float] = []
    with pytest.raises(TransferCancelled, match="model.onnx"):
        store.put_file(source, progress=lambda f, _m: sent.append(f), cancelled=lambda: bool(sent))
    assert sent and sent[-1] < 1.0  # it was under way: at least one part had gone out
    assert bucket.client.list_multipart_uploads(Bucket=bucket.name).get("Uploads") is None
    assert not store.has(sha)
    assert bucket.client.list_objects_v2(Bucket=bucket.name).get("Contents") is None


def test_a_file_that_changes_while_uploading_is_not_stored(bucket: Bucket, tmp_path: Path) -> None:
    store = _store(bucket, part_size_mb="5", workers="1")
    source = _big_file(tmp_path / "data.csv", 12 * MIB)
    sha = hashlib.sha256(source.read_bytes()).hexdigest()

    def edit_the_tail(_fraction: float, _message: str) -> None:
        with open(source, "r+b") as handle:
            handle.seek(11 * MIB)
            handle.write(b"edited while it was read")

    with pytest.raises(HashMismatchError, match="changed while it was read"):
        store.put_file(source, progress=edit_the_tail)
    assert not store.has(sha)
    assert bucket.client.list_multipart_uploads(Bucket=bucket.name).get("Uploads") is None


def test_cancel_mid_download_leaves_no_cache_entry(bucket: Bucket, tmp_path: Path) -> None:
    store = _store(bucket, part_size_mb="5", workers="1")
    sha, _, _ = store.put_file(_big_file(tmp_path / "big.bin", 16 * MIB))
    got: list[float] = []
    with pytest.raises(TransferCancelled):
        store.local_file(
            sha, "big.bin", progress=lambda f, _m: got.append(f), cancelled=lambda: bool(got)
        )
    assert store.cache.lookup(sha) is None and _leftovers(store) == []


def test_read_back_verification_mode(bucket: Bucket, tmp_path: Path) -> None:
    store = _store(bucket, verify="read-back")
    sha, _, new = store.put_bytes(b"checked twice")
    assert new and store.read_bytes(sha) == b"checked twice"


def test_an_existing_object_is_never_overwritten(bucket: Bucket, tmp_path: Path) -> None:
    store = _store(bucket)
    data = b"the original content"
    sha = hashlib.sha256(data).hexdigest()
    # an object of the wrong size under the hash's key: the store refuses to pretend it is fine
    bucket.client.put_object(Bucket=bucket.name, Key=store.key_for(sha), Body=b"short")
    with pytest.raises(HashMismatchError, match="does not have the size"):
        store.put_bytes(data)
    body = bucket.client.get_object(Bucket=bucket.name, Key=store.key_for(sha))["Body"].read()
    assert body == b"short"


def test_adopt_an_object_of_the_same_bucket_by_server_side_copy(
    bucket: Bucket, tmp_path: Path
) -> None:
    store = _store(bucket, part_size_mb="5", workers="2")
    data = os.urandom(12 * MIB)
    bucket.client.put_object(Bucket=bucket.name, Key="mlflow/1/run/model.pkl", Body=data)
    sha, size, new = adopt_object(store, "mlflow/1/run/model.pkl", "model.pkl")
    assert (sha, size, new) == (hashlib.sha256(data).hexdigest(), len(data), True)
    stored = bucket.client.get_object(Bucket=bucket.name, Key=store.key_for(sha))["Body"].read()
    assert stored == data  # copied by the server in three ranges
    assert adopt_object(store, "mlflow/1/run/model.pkl")[2] is False
    assert list_under(store, "mlflow/1") == [("run/model.pkl", len(data))]
    with pytest.raises(NotFoundError, match="does not exist"):
        adopt_object(store, "mlflow/1/run/gone.pkl")


def test_adopt_uploads_from_the_cache_where_copies_are_refused(bucket: Bucket) -> None:
    """A bucket that enforces conditional writes refuses CopyObject (403, or 501 with the
    header): the hashed bytes go up from the download cache instead."""
    from botocore.exceptions import ClientError

    store = _store(bucket)
    refused: list[str] = []

    def refuse_copies(**_kwargs: object) -> None:
        refused.append("CopyObject")
        raise ClientError(
            {"Error": {"Code": "NotImplemented", "Message": "copy refused"}}, "CopyObject"
        )

    store.client.meta.events.register("before-call.s3.CopyObject", refuse_copies)
    bucket.client.put_object(Bucket=bucket.name, Key="mlflow/notes.md", Body=b"# Notes\n")
    sha, _size, new = adopt_object(store, "mlflow/notes.md")
    assert refused == ["CopyObject"] and new
    assert store.read_bytes(sha) == b"# Notes\n"
