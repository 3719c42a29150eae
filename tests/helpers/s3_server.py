"""A real S3-protocol server on 127.0.0.1 (moto's standalone server) for tests and benchmarks.

``moto_server`` runs in its own process and speaks the S3 REST protocol over HTTP, so the
code under test talks to it through the real boto3 client exactly as it would to S3 or MinIO.
The environment the server hands back points the standard AWS configuration at it (endpoint,
region, throw-away credentials) and away from any AWS files of the person running the tests.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers.served import free_port, serve_process


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
    port = free_port()
    with serve_process(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        name="moto_server",
        port=port,
        health_path="/moto-api/",
        log_path=workdir / "moto.log",
        env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        start_timeout_s=start_timeout_s,
        poll_s=0.2,
    ) as url:
        yield url
