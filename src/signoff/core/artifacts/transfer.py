"""Parallel, part-wise transfers between a local file and one object, over a boto3 client.

Uploads read the file once, in order, hashing every byte they send; parts go out on a pool of
threads, at most ``workers + 1`` of them in memory at once. The object is completed only when
the bytes sent hash to the sha256 its key names, and only if no object has that key yet
(``If-None-Match: *``), so a stored object is never overwritten and a file that changed while
it was read is never stored under the old hash. A cancelled or failed upload is aborted: the
bucket keeps no parts and no object.

Downloads fetch ranges in parallel and hash them in order as they arrive (a part waits in
memory only until the parts before it are hashed), writing each at its offset. Every ranged
request names the object's ETag (``If-Match``), so an object replaced mid-download fails
instead of being stitched together from two versions.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from signoff.core.artifacts.protocol import CancelledFn, TransferCancelled
from signoff.core.common.errors import HashMismatchError

ReportFn = Callable[[int], None]  # bytes transferred so far
_POLL_S = 0.2  # how often a waiting transfer looks at the cancel flag
_CHUNK = 1024 * 1024


def _stop_if_cancelled(cancelled: CancelledFn | None, what: str) -> None:
    if cancelled is not None and cancelled():
        raise TransferCancelled(what)


def error_code(exc: BaseException | None) -> str:
    """The S3 error code of a client error ("NoSuchKey", "PreconditionFailed", …), else ''."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def is_precondition_failure(exc: BaseException) -> bool:
    """True for S3's answer to a conditional request that did not hold (HTTP 412)."""
    return error_code(exc) in ("PreconditionFailed", "412")


def put_single(
    client: Any,
    bucket: str,
    key: str,
    source: Path,
    expected_sha256: str,
    what: str,
    extra: dict[str, str],
) -> bool:
    """Upload a file of at most one part with one request; True if this call created it."""
    with open(source, "rb") as handle:
        data = handle.read()
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise HashMismatchError(f"{what} (changed while it was read)", expected_sha256, actual)
    try:
        client.put_object(Bucket=bucket, Key=key, Body=data, IfNoneMatch="*", **extra)
    except Exception as exc:
        if is_precondition_failure(exc):
            return False  # another writer stored the same content first
        raise
    return True


def put_multipart(
    client: Any,
    bucket: str,
    key: str,
    source: Path,
    expected_sha256: str,
    what: str,
    *,
    part_size: int,
    workers: int,
    extra: dict[str, str],
    report: ReportFn,
    cancelled: CancelledFn | None,
) -> bool:
    """Upload *source* in parallel parts; True if this call created the object.

    Raises HashMismatchError when the bytes read do not hash to *expected_sha256* and
    TransferCancelled when cancelled; in both cases (and on any error) the upload is aborted.
    """
    upload_id = client.create_multipart_upload(Bucket=bucket, Key=key, **extra)["UploadId"]
    algorithm = extra.get("ChecksumAlgorithm")
    digest = hashlib.sha256()
    done: dict[int, dict[str, Any]] = {}
    sent = 0
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="signoff-up")
    pending: set[Future[tuple[int, dict[str, Any], int]]] = set()

    def put_part(number: int, chunk: bytes) -> tuple[int, dict[str, Any], int]:
        kwargs: dict[str, Any] = {"ChecksumAlgorithm": algorithm} if algorithm else {}
        answer = client.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=chunk, **kwargs
        )
        part = {"PartNumber": number, "ETag": answer["ETag"]}
        if algorithm and answer.get(f"Checksum{algorithm}"):
            part[f"Checksum{algorithm}"] = answer[f"Checksum{algorithm}"]
        return number, part, len(chunk)

    def collect(block: bool) -> None:
        nonlocal sent, pending
        finished, pending = wait(
            pending, timeout=_POLL_S if block else 0, return_when=FIRST_COMPLETED
        )
        for future in finished:
            number, part, length = future.result()  # re-raises a part's error here
            done[number] = part
            sent += length
            report(sent)

    try:
        with open(source, "rb") as handle:
            number = 0
            while True:
                _stop_if_cancelled(cancelled, what)
                while len(pending) > workers:
                    collect(block=True)
                    _stop_if_cancelled(cancelled, what)
                chunk = handle.read(part_size)
                if not chunk:
                    break
                digest.update(chunk)
                number += 1
                pending.add(pool.submit(put_part, number, chunk))
                collect(block=False)
        while pending:
            collect(block=True)
            _stop_if_cancelled(cancelled, what)
        actual = digest.hexdigest()
        if actual != expected_sha256:
            raise HashMismatchError(f"{what} (changed while it was read)", expected_sha256, actual)
        parts = [done[n] for n in sorted(done)]
        try:
            client.complete_multipart_upload(
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
                IfNoneMatch="*",
            )
        except Exception as exc:
            if is_precondition_failure(exc):
                _abort(client, bucket, key, upload_id)
                return False
            raise
        return True
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        _abort(client, bucket, key, upload_id)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _abort(client: Any, bucket: str, key: str, upload_id: str) -> None:
    # best effort: if even the abort fails, the bucket's lifecycle rule removes the parts
    with contextlib.suppress(Exception):
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)


def fetch(
    client: Any,
    bucket: str,
    key: str,
    size: int,
    etag: str,
    what: str,
    *,
    sink: int | None,
    part_size: int,
    workers: int,
    report: ReportFn,
    cancelled: CancelledFn | None,
) -> str:
    """Download the object into the open file descriptor *sink* (or only hash it, when None);
    returns the sha256 hex digest of the bytes received."""
    digest = hashlib.sha256()
    if size <= part_size:
        body = client.get_object(Bucket=bucket, Key=key, IfMatch=etag)["Body"]
        received = 0
        try:
            for chunk in body.iter_chunks(_CHUNK):
                _stop_if_cancelled(cancelled, what)
                digest.update(chunk)
                if sink is not None:
                    os.write(sink, chunk)
                received += len(chunk)
                report(received)
        finally:
            body.close()
        return digest.hexdigest()

    count = (size + part_size - 1) // part_size
    window = workers + 2  # parts fetched ahead of the hash, at most
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="signoff-down")

    def get_part(index: int) -> tuple[int, bytes]:
        start = index * part_size
        end = min(size, start + part_size) - 1
        answer = client.get_object(
            Bucket=bucket, Key=key, Range=f"bytes={start}-{end}", IfMatch=etag
        )
        data = answer["Body"].read()
        if len(data) != end - start + 1:
            raise OSError(f"{what}: short read of part {index + 1} ({len(data)} bytes)")
        if sink is not None:
            os.pwrite(sink, data, start)
        return index, data

    arrived: dict[int, bytes] = {}
    pending: set[Future[tuple[int, bytes]]] = set()
    hashed = submitted = received = 0
    try:
        while hashed < count:
            _stop_if_cancelled(cancelled, what)
            while submitted < count and submitted < hashed + window:
                pending.add(pool.submit(get_part, submitted))
                submitted += 1
            finished, pending = wait(pending, timeout=_POLL_S, return_when=FIRST_COMPLETED)
            for future in finished:
                index, data = future.result()
                arrived[index] = data
                received += len(data)
                report(received)
            while hashed in arrived:
                digest.update(arrived.pop(hashed))
                hashed += 1
        return digest.hexdigest()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def copy_within(
    client: Any,
    bucket: str,
    source_key: str,
    source_etag: str,
    target_key: str,
    size: int,
    what: str,
    *,
    part_size: int,
    workers: int,
    cancelled: CancelledFn | None,
) -> None:
    """Copy an object to another key of the same bucket on the server (no bytes through this
    machine), in parallel ranges when it is larger than one part. The copy is made only from
    the version of the source with *source_etag*: a source replaced meanwhile fails it."""
    source = {"Bucket": bucket, "Key": source_key}
    if size <= part_size:
        _stop_if_cancelled(cancelled, what)
        client.copy_object(
            Bucket=bucket, Key=target_key, CopySource=source, CopySourceIfMatch=source_etag
        )
        return
    upload_id = client.create_multipart_upload(Bucket=bucket, Key=target_key)["UploadId"]
    count = (size + part_size - 1) // part_size

    def copy_part(index: int) -> dict[str, Any]:
        _stop_if_cancelled(cancelled, what)
        start = index * part_size
        end = min(size, start + part_size) - 1
        answer = client.upload_part_copy(
            Bucket=bucket,
            Key=target_key,
            UploadId=upload_id,
            PartNumber=index + 1,
            CopySource=source,
            CopySourceRange=f"bytes={start}-{end}",
            CopySourceIfMatch=source_etag,
        )
        return {"PartNumber": index + 1, "ETag": answer["CopyPartResult"]["ETag"]}

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="signoff-copy")
    try:
        parts = list(pool.map(copy_part, range(count)))
        client.complete_multipart_upload(
            Bucket=bucket,
            Key=target_key,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
            IfNoneMatch="*",
        )
    except BaseException as exc:
        pool.shutdown(wait=True, cancel_futures=True)
        _abort(client, bucket, target_key, upload_id)
        if is_precondition_failure(exc):
            return  # the same content was stored under the key meanwhile
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
