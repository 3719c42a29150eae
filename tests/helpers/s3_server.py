"""A real S3-protocol server on 127.0.0.1 (moto's standalone server) for tests and benchmarks.

``moto_server`` runs in its own process and speaks the S3 REST protocol over HTTP, so the
code under test talks to it through the real boto3 client exactly as it would to S3 or MinIO.
The environment the server hands back points the standard AWS configuration at it (endpoint,
region, throw-away credentials) and away from any AWS files of the person running the tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers.mlflow_server import free_port


def aws_environment(endpoint: str, home: Path) -> dict[str, str]:
    """Environment variables that make boto3 use *endpoint* with throw-away credentials."""
    config = home / "aws-config"
    credentials = home / "aws-credentials"
    config.write_text("[default]\nregion = us-east-1\n")
    credentials.write_text(
        "[default]\naws_access_key_id = signoff-test\naws_secret_access_key = signoff-test\n"
    )
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@contextmanager
def serve_s3(workdir: Path, *, start_timeout_s: float = 120) -> Iterator[str]:
    """Run ``moto_server`` on a free localhost port while the block runs; yields its URL."""
    import requests

    port = free_port()
    log = open(workdir / "moto.log", "wb")  # noqa: SIM115 - closed after the server stops
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=workdir,
        env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    "moto_server exited: " + (workdir / "moto.log").read_text()[-2000:]
                )
            try:
                if requests.get(f"{url}/moto-api/", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"moto_server did not start within {start_timeout_s:g} s")
            time.sleep(0.2)
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
