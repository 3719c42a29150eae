"""The artifact store in an S3-compatible bucket: objects under ``prefix/ab/<sha256>``.

Same contract as the folder store. A write is verified before it returns (and so before the
version row that names it commits): the bytes sent are hashed as they are read and must hash
to the key; each request carries the checksum botocore computes for it, which S3, MinIO and
Ceph check on arrival; the completed object's size is read back; with ``verify=read-back`` the
whole object is downloaded again and re-hashed. An object is written only if its key is free,
so nothing stored is ever overwritten. Every read re-hashes what it returns: objects come
through the bounded download cache (:mod:`signoff.core.artifacts.cache`), streamed to disk and
hashed on the way, and a cache entry is re-hashed before each use.

Endpoint, region and credentials come from boto3's standard configuration (environment,
shared config and credentials files, profiles, instance roles); the URL may only name a
profile, a region or an endpoint (:mod:`signoff.core.artifacts.s3_client`). Objects that
already live elsewhere in the bucket are taken in place by :mod:`signoff.core.artifacts.s3_adopt`.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from signoff.core.artifacts.cache import DownloadCache, default_cache
from signoff.core.artifacts.location import BucketLocation
from signoff.core.artifacts.protocol import (
    ArtifactStoreError,
    CancelledFn,
    ProgressFn,
    TransferCancelled,
    check_sha256,
    megabytes,
)
from signoff.core.artifacts.s3_client import checksum_args, make_client, translate_errors
from signoff.core.artifacts.transfer import fetch, put_multipart, put_single
from signoff.core.common.errors import HashMismatchError, NotFoundError
from signoff.core.common.files import sha256_file

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_PARTS = 10_000  # S3's limit on the parts of one multipart upload
_KEY = re.compile(r"([0-9a-f]{2})/([0-9a-f]{64})")


class BucketStore:
    """A content-addressed store in ``s3://bucket/prefix``."""

    kind = "s3"

    def __init__(
        self,
        location: BucketLocation,
        *,
        cache: DownloadCache | None = None,
        client: Any = None,
    ) -> None:
        self.location = location
        self.cache = cache or default_cache()
        self._client = client
        self._lock = threading.Lock()
        self._created: set[str] = set()  # objects this store wrote (the only ones it removes)

    # -- where ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.location.url

    @property
    def bucket(self) -> str:
        return self.location.bucket

    @property
    def cache_home(self) -> Path:
        # beside the download cache: ~/.cache/signoff by default
        return self.cache.root.parent

    def key_for(self, sha256: str) -> str:
        return self.location.key_for(check_sha256(sha256))

    def staging_dir(self) -> Path:
        folder = self.cache.root / ".incoming"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @property
    def client(self) -> Any:
        """The boto3 S3 client, made on first use from the standard AWS configuration."""
        with self._lock:
            if self._client is None:
                self._client = make_client(self.location)
            return self._client

    # -- errors ---------------------------------------------------------------------------
    def call(self, what: str, work: Callable[[], T]) -> T:
        """Run *work*, turning the client's errors into messages a person can act on."""
        return translate_errors(self.location, what, work)

    def _head(self, sha256: str, what: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        key = self.key_for(sha256)

        def head() -> dict[str, Any] | None:
            try:
                answer: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=key)
                return answer
            except ClientError as exc:
                if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey"):
                    return None
                raise

        return self.call(what or key, head)

    # -- the protocol ---------------------------------------------------------------------
    def check(self) -> None:
        from botocore.exceptions import ClientError

        def head_bucket() -> None:
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except ClientError as exc:
                if str(exc.response.get("Error", {}).get("Code")) == "404":
                    # HEAD answers carry no body: S3 says only "404" for a missing bucket
                    exc.response["Error"]["Code"] = "NoSuchBucket"
                raise

        self.call("opening the artifact bucket", head_bucket)

    def has(self, sha256: str) -> bool:
        return self._head(sha256, "") is not None

    def size_of(self, sha256: str) -> int | None:
        head = self._head(sha256, "")
        return None if head is None else int(head["ContentLength"])

    def put_file(
        self,
        source: Path,
        *,
        expected_sha256: str | None = None,
        progress: ProgressFn | None = None,
        cancelled: CancelledFn | None = None,
    ) -> tuple[str, int, bool]:
        source = Path(source)
        what = source.name
        if cancelled is not None and cancelled():
            raise TransferCancelled(what)
        sha, size = sha256_file(source), Path(source).stat().st_size
        if expected_sha256 is not None and sha != expected_sha256:
            raise HashMismatchError(str(source), expected_sha256, sha)
        existing = self._head(sha, what)
        if existing is not None:
            if int(existing["ContentLength"]) != size:
                raise HashMismatchError(
                    f"the bucket's object {self.key_for(sha)} (size "
                    f"{existing['ContentLength']}, expected {size})",
                    sha,
                    "unknown: the object does not have the size of its content",
                )
            return sha, size, False
        key = self.key_for(sha)

        def report(sent: int) -> None:
            if progress is not None:
                progress(
                    sent / max(size, 1), f"uploading {what}: {megabytes(sent)} of {megabytes(size)}"
                )

        def upload() -> bool:
            extra = checksum_args(self.client)
            if size <= self.location.part_size:
                created = put_single(self.client, self.bucket, key, source, sha, what, extra)
                report(size)
                return created
            return put_multipart(
                self.client,
                self.bucket,
                key,
                source,
                sha,
                what,
                part_size=self.part_size_for(size),
                workers=self.location.workers,
                extra=extra,
                report=report,
                cancelled=cancelled,
            )

        created = self.call(f"uploading {what}", upload)
        self.confirm_stored(sha, size, what, cancelled)
        if created:
            self.note_created(sha)
        return sha, size, created

    def confirm_stored(self, sha: str, size: int, what: str, cancelled: CancelledFn | None) -> None:
        """The check that ends every write: the object is there with its size (and, with
        ``verify=read-back``, its bytes hash to its key)."""
        head = self._head(sha, what)
        if head is None or int(head["ContentLength"]) != size:
            raise ArtifactStoreError(
                f"{what}: the bucket does not hold the object just written "
                f"({self.key_for(sha)}); nothing was recorded"
            )
        if self.location.verify == "read-back":
            self.verify(sha, what, cancelled=cancelled)

    def put_bytes(self, data: bytes) -> tuple[str, int, bool]:
        temporary = self.cache.incoming()
        try:
            temporary.write_bytes(data)
            return self.put_file(temporary)
        finally:
            temporary.unlink(missing_ok=True)

    def part_size_for(self, size: int) -> int:
        """The part size for an object of *size* bytes: the configured one, or larger when the
        object would otherwise need more than S3's 10,000 parts."""
        return max(self.location.part_size, -(-size // MAX_PARTS))

    def note_created(self, sha256: str) -> None:
        """Remember that this store wrote *sha256* (the only objects :meth:`remove` deletes)."""
        with self._lock:
            self._created.add(sha256)

    def remove(self, sha256: str) -> None:
        """Delete an object this store wrote, undoing a put whose version did not commit.

        A bucket whose policy forbids deletes keeps it: an unreferenced object is harmless
        and ``signoff artifacts verify`` lists it as orphaned.
        """
        with self._lock:
            if sha256 not in self._created:
                return
            self._created.discard(sha256)
        try:
            self.call(
                "removing an unused object",
                lambda: self.client.delete_object(Bucket=self.bucket, Key=self.key_for(sha256)),
            )
        except ArtifactStoreError as exc:
            log.info("left %s in the bucket (%s); it is an orphan now", sha256[:12], exc)

    def verify(
        self,
        sha256: str,
        what: str = "",
        *,
        progress: ProgressFn | None = None,
        cancelled: CancelledFn | None = None,
    ) -> int:
        head = self._require(sha256, what)
        size = int(head["ContentLength"])
        actual = self.call(
            f"reading {what or sha256}",
            lambda: fetch(
                self.client,
                self.bucket,
                self.key_for(sha256),
                size,
                head["ETag"],
                what or sha256,
                sink=None,
                part_size=self.location.part_size,
                workers=self.location.workers,
                report=self.reporter(progress, "checking", what, size),
                cancelled=cancelled,
            ),
        )
        if actual != sha256:
            raise HashMismatchError(what or f"{self.url}/{self.key_for(sha256)}", sha256, actual)
        return size

    def read_bytes(
        self,
        sha256: str,
        what: str = "",
        *,
        progress: ProgressFn | None = None,
        cancelled: CancelledFn | None = None,
    ) -> bytes:
        path = self.local_file(sha256, what, progress=progress, cancelled=cancelled)
        data = path.read_bytes()
        import hashlib

        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:  # the cache entry changed after it was checked
            self.cache.discard(sha256)
            raise HashMismatchError(what or str(path), sha256, actual)
        return data

    def materialize(
        self,
        sha256: str,
        dest: Path,
        what: str = "",
        *,
        progress: ProgressFn | None = None,
        cancelled: CancelledFn | None = None,
    ) -> None:
        path = self.local_file(sha256, what, progress=progress, cancelled=cancelled)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        actual = sha256_file(dest)
        if actual != sha256:
            dest.unlink()
            self.cache.discard(sha256)
            raise HashMismatchError(what or str(path), sha256, actual)

    def local_file(
        self,
        sha256: str,
        what: str = "",
        *,
        progress: ProgressFn | None = None,
        cancelled: CancelledFn | None = None,
    ) -> Path:
        cached = self.cache.lookup(check_sha256(sha256))
        if cached is not None:
            actual = sha256_file(cached)
            if actual == sha256:
                if progress is not None:
                    progress(1.0, f"{what or sha256[:12]}: from the local cache")
                return cached
            log.warning("artifact cache entry %s was altered; fetching it again", sha256[:12])
            self.cache.discard(sha256)
        return self._download(sha256, what, progress, cancelled)

    def _require(self, sha256: str, what: str) -> dict[str, Any]:
        head = self._head(sha256, what)
        if head is None:
            key = self.key_for(sha256)
            raise NotFoundError(
                f"{what or sha256}: not in the artifact store (s3://{self.bucket}/{key})"
            )
        return head

    def _download(
        self, sha256: str, what: str, progress: ProgressFn | None, cancelled: CancelledFn | None
    ) -> Path:
        head = self._require(sha256, what)
        size = int(head["ContentLength"])
        temporary = self.cache.incoming()
        try:
            fd = os.open(temporary, os.O_WRONLY)
            try:
                actual = self.call(
                    f"downloading {what or sha256}",
                    lambda: fetch(
                        self.client,
                        self.bucket,
                        self.key_for(sha256),
                        size,
                        head["ETag"],
                        what or sha256,
                        sink=fd,
                        part_size=self.location.part_size,
                        workers=self.location.workers,
                        report=self.reporter(progress, "downloading", what, size),
                        cancelled=cancelled,
                    ),
                )
            finally:
                os.close(fd)
            if actual != sha256:
                raise HashMismatchError(
                    what or f"{self.url} object {self.key_for(sha256)}", sha256, actual
                )
            return self.cache.admit(temporary, sha256)
        finally:
            temporary.unlink(missing_ok=True)

    @staticmethod
    def reporter(
        progress: ProgressFn | None, verb: str, what: str, size: int
    ) -> Callable[[int], None]:
        label = what or "object"

        def report(done: int) -> None:
            if progress is not None:
                progress(
                    done / max(size, 1), f"{verb} {label}: {megabytes(done)} of {megabytes(size)}"
                )

        return report

    def objects(self) -> Iterator[tuple[str, int]]:
        prefix = self.location.prefix
        pages = self.call(
            "listing the bucket",
            lambda: list(
                self.client.get_paginator("list_objects_v2").paginate(
                    Bucket=self.bucket, Prefix=prefix
                )
            ),
        )
        for page in pages:
            for item in page.get("Contents", []):
                match = _KEY.fullmatch(item["Key"][len(prefix) :])
                if match and match.group(2).startswith(match.group(1)):
                    yield match.group(2), int(item["Size"])
