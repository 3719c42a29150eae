"""A real S3-protocol server (moto's standalone server on 127.0.0.1) for the bucket store tests.

The server starts once per test session; each test gets its own bucket, its own download
cache and an environment that points the standard AWS configuration at the server with
throw-away credentials (never the person's own ``~/.aws``). Where the server cannot start, the
tests skip with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.s3_server import aws_environment, serve_s3


@dataclass
class S3Server:
    url: str
    home: Path

    def environment(self) -> dict[str, str]:
        return aws_environment(self.url, self.home)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    pytest.importorskip("boto3", reason="the bucket store needs boto3 (a dependency)")
    pytest.importorskip(
        "moto", reason="the S3 tests need `pip install 'moto[server]'` (test extra)"
    )
    home = tmp_path_factory.mktemp("s3-server")
    try:
        with serve_s3(home) as url:
            yield S3Server(url, home)
    except RuntimeError as exc:
        pytest.skip(f"the S3-protocol test server could not start: {exc}")


@dataclass
class Bucket:
    name: str
    client: Any  # a plain boto3 client, for what a person with bucket access could do

    def url(self, prefix: str = "signoff", **options: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in options.items())
        return f"s3://{self.name}/{prefix}" + (f"?{query}" if query else "")


@pytest.fixture
def aws_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """The AWS environment of the test server, set for this test (and its subprocesses)."""
    env = s3_server.environment()
    env["SIGNOFF_ARTIFACT_CACHE"] = str(tmp_path / "artifact-cache")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return env


@pytest.fixture
def bucket(aws_env: dict[str, str]) -> Bucket:
    """A new, empty bucket on the test server."""
    import boto3

    client = boto3.client("s3")
    name = f"signoff-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return Bucket(name, client)
