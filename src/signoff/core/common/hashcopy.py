"""Copying a file and hashing it in one pass over the source.

Storing a model object used to read it three times (hash the source, copy it, hash the copy).
:func:`copy_hashed` reads the source once: the kernel copies it into the destination
(``copy_file_range``, no trip through Python's buffers) while this thread hashes what has already
landed in the destination. The digest is therefore that of exactly the bytes the destination
holds, even if the source changes meanwhile, and on two cores the copy costs little more than
the hashing. The kernel copies faster than SHA-256 hashes, so once the copy is complete the
copying thread forces it to disk (``fsync``) while the rest is hashed: the disk takes the blob
during the hashing rather than after it, and the caller's own ``fsync`` before it renames the
blob into place (:func:`~signoff.core.common.files.commit_file`) finds little or nothing left.

Where the kernel cannot copy between the two files (another filesystem on an older kernel, a
pipe, a platform without ``copy_file_range``) the bytes go through one buffer instead: each chunk
is read, hashed and handed to a writer thread, which writes it while the next is read.
"""

from __future__ import annotations

import errno
import hashlib
import os
import queue
import threading
from typing import Any

from signoff.core.common.files import StrPath

#: bytes hashed (or read and written) at a time, and how much the kernel copies per call
#: (measured on the publish benchmark: 1 MiB reads stay in the CPU's cache, 64 MiB calls keep
#: the copying thread's wake-ups few)
CHUNK = 1 << 20
KERNEL_STEP = 64 << 20
BUFFERS = 3

# what copy_file_range says when it cannot copy between these two files at all
_NO_KERNEL_COPY = {errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EBADF}


def copy_hashed(source: StrPath, dest: StrPath) -> tuple[str, int]:
    """Copy *source* to *dest*; return the sha256 hex digest and size of what *dest* holds."""
    with open(source, "rb", buffering=0) as src, open(dest, "w+b", buffering=0) as out:
        if hasattr(os, "copy_file_range"):
            done = _kernel_copy_hashed(src.fileno(), out.fileno())
            if done is not None:
                return done
        return _buffered_copy_hashed(src, out)


def _kernel_copy_hashed(src: int, dst: int) -> tuple[str, int] | None:
    """The kernel copies while this thread hashes the copy; None if it cannot copy at all."""
    progress = threading.Condition()
    state: dict[str, Any] = {"copied": 0, "done": False, "error": None, "sync_error": None}

    def copy() -> None:
        step = CHUNK * 4  # a small first call, so that the hashing starts at once
        try:
            while n := os.copy_file_range(src, dst, step):
                step = KERNEL_STEP
                with progress:
                    state["copied"] += n
                    progress.notify()
        except OSError as exc:
            state["error"] = exc
            return
        finally:
            with progress:
                state["done"] = True
                progress.notify()
        try:
            os.fsync(dst)  # the disk takes the copy while the hashing catches up
        except OSError as exc:  # a write-back error is reported once: never swallow it
            state["sync_error"] = exc

    copier = threading.Thread(target=copy, name="copy-hashed", daemon=True)
    copier.start()
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    hashed = 0
    try:
        while True:
            with progress:
                while state["copied"] <= hashed and not state["done"]:
                    progress.wait()
                copied, finished = state["copied"], state["done"]
            while hashed < copied:
                n = os.preadv(dst, [view[: min(CHUNK, copied - hashed)]], hashed)
                if n <= 0:
                    raise OSError(errno.EIO, "the copy shrank while it was hashed")
                digest.update(view[:n])
                hashed += n
            if finished:
                break
    finally:
        copier.join()
    error = state["error"]
    if error is not None:
        if hashed == 0 and error.errno in _NO_KERNEL_COPY:
            return None
        raise error
    if state["sync_error"] is not None:
        raise state["sync_error"]
    return digest.hexdigest(), hashed


def _buffered_copy_hashed(src: Any, out: Any) -> tuple[str, int]:
    """Read and hash each chunk, and write it from the same buffer in a second thread."""
    digest = hashlib.sha256()
    free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
    for _ in range(BUFFERS):
        free.put(bytearray(CHUNK))
    filled: queue.SimpleQueue[tuple[bytearray, int] | None] = queue.SimpleQueue()
    failed: list[BaseException] = []
    size = 0

    def write_filled() -> None:
        while (item := filled.get()) is not None:
            buffer, n = item
            try:
                view = memoryview(buffer)[:n]
                while view and not failed:
                    view = view[out.write(view) :]  # an unbuffered write may be short
            except BaseException as exc:  # noqa: BLE001 - raised again by the reader
                failed.append(exc)
            free.put(buffer)  # a buffer is reused only once it is written

    writer = threading.Thread(target=write_filled, name="copy-hashed-writer", daemon=True)
    writer.start()
    try:
        while not failed:
            buffer = free.get()
            n = src.readinto(buffer)
            if not n:
                break
            digest.update(memoryview(buffer)[:n])
            filled.put((buffer, n))
            size += n
    finally:
        filled.put(None)
        writer.join()
    if failed:
        raise failed[0]
    return digest.hexdigest(), size
