"""Objects that already live in the store's bucket (an MLflow artifact root), taken in place.

:func:`adopt_object` reads such an object once, streamed and hashed into the download cache,
and has the object store copy it under its sha256 from exactly the version that was hashed
(``CopySourceIfMatch``), in parallel ranges when it is large; no byte goes through the
tracking server or back up from this machine. A bucket that enforces conditional writes
refuses server-side copies (AWS answers 403, or 501 with the header), and then the hashed
bytes are uploaded from the cache like any other write. Either way the write is confirmed as
every put is, and later reads re-check the hash.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from signoff.core.artifacts.protocol import ArtifactStoreError, CancelledFn, ProgressFn
from signoff.core.artifacts.s3 import BucketStore
from signoff.core.artifacts.transfer import copy_within, error_code, fetch
from signoff.core.common.errors import HashMismatchError, NotFoundError

log = logging.getLogger(__name__)

_COPY_REFUSED = ("AccessDenied", "403", "NotImplemented", "501")


def list_under(store: BucketStore, key_prefix: str) -> list[tuple[str, int]]:
    """Every object below *key_prefix* in this bucket as (path relative to it, size)."""
    base = key_prefix.strip("/") + "/" if key_prefix.strip("/") else ""
    pages = store.call(
        f"listing s3://{store.bucket}/{base}",
        lambda: list(
            store.client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket, Prefix=base)
        ),
    )
    found = []
    for page in pages:
        for item in page.get("Contents", []):
            rel = item["Key"][len(base) :]
            if rel and not rel.endswith("/"):
                found.append((rel, int(item["Size"])))
    return sorted(found)


def adopt_object(
    store: BucketStore,
    key: str,
    what: str = "",
    *,
    progress: ProgressFn | None = None,
    cancelled: CancelledFn | None = None,
) -> tuple[str, int, bool]:
    """Store the bucket's object *key* under its sha256 without sending it anywhere.

    The object is read once (streamed and hashed into the download cache); the stored
    copy is made by the server from exactly the version that was hashed, then confirmed
    like any write. Returns (sha256, size, newly_added).
    """
    from botocore.exceptions import ClientError

    what = what or key

    def head_source() -> dict[str, Any]:
        try:
            answer: dict[str, Any] = store.client.head_object(Bucket=store.bucket, Key=key)
            return answer
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey"):
                raise NotFoundError(f"{what}: s3://{store.bucket}/{key} does not exist") from exc
            raise

    head = store.call(f"reading {what}", head_source)
    size, etag = int(head["ContentLength"]), str(head["ETag"])
    temporary = store.cache.incoming()
    try:
        fd = os.open(temporary, os.O_WRONLY)
        try:
            sha = store.call(
                f"reading {what}",
                lambda: fetch(
                    store.client,
                    store.bucket,
                    key,
                    size,
                    etag,
                    what,
                    sink=fd,
                    part_size=store.location.part_size,
                    workers=store.location.workers,
                    report=store.reporter(progress, "hashing", what, size),
                    cancelled=cancelled,
                ),
            )
        finally:
            os.close(fd)
        store.cache.admit(temporary, sha)
    finally:
        temporary.unlink(missing_ok=True)
    existing = store.size_of(sha)
    if existing is not None:
        if existing != size:
            raise HashMismatchError(
                f"the bucket's object {store.key_for(sha)} (size {existing}, expected {size})",
                sha,
                "unknown: the object does not have the size of its content",
            )
        return sha, size, False
    try:
        store.call(
            f"copying {what}",
            lambda: copy_within(
                store.client,
                store.bucket,
                key,
                etag,
                store.key_for(sha),
                size,
                what,
                part_size=store.part_size_for(size),
                workers=store.location.workers,
                cancelled=cancelled,
            ),
        )
    except ArtifactStoreError as exc:
        # a bucket that enforces conditional writes refuses every copy (403, or 501 with
        # the header): upload the hashed bytes from the cache instead
        if error_code(exc.__cause__) not in _COPY_REFUSED:
            raise
        log.info("%s: server-side copy refused; uploading it from the cache", what)
        cached = store.local_file(sha, what, cancelled=cancelled)
        return store.put_file(cached, expected_sha256=sha, progress=progress, cancelled=cancelled)
    store.confirm_stored(sha, size, what, cancelled)
    store.note_created(sha)
    return sha, size, True
