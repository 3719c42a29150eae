"""A real server process for a test: started on a free localhost port, waited for, stopped.

The MLflow and S3-protocol servers the tests run differ only in their command line and the
URL that says they are up; starting, waiting (with the log's tail when they die) and stopping
(the whole process group, SIGKILL when SIGTERM is not enough) is done here once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A TCP port on localhost that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_process(
    command: list[str],
    *,
    name: str,
    port: int,
    health_path: str,
    log_path: Path,
    env: dict[str, str],
    start_timeout_s: float,
    poll_s: float = 0.3,
) -> Iterator[str]:
    """Run *command* (a server listening on *port*) while the block runs; yields its URL once
    ``GET health_path`` answers. Its output goes to *log_path*; when it exits or does not
    come up in time, the error carries the log's tail."""
    import requests

    def tail() -> str:
        return log_path.read_text(errors="replace")[-2000:]

    log = open(log_path, "wb")  # noqa: SIM115 - closed after the server stops
    proc = subprocess.Popen(
        command,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=log_path.parent,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited: {tail()}")
            try:
                if requests.get(f"{url}{health_path}", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start within {start_timeout_s:g} s: {tail()}")
            time.sleep(poll_s)
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            proc.wait()
        log.close()
