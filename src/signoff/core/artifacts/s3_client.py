"""The boto3 side of the bucket store: the client, its default checksums, its errors in words.

The client is made from the standard AWS configuration (environment, shared config and
credentials files, the profile the URL names, instance roles), so endpoint, region and
credentials are never Signoff's to store. Its errors become :class:`ArtifactStoreError` with a
message that says what to check (the bucket, the credentials, the endpoint).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from signoff.core.artifacts.location import BucketLocation
from signoff.core.artifacts.protocol import ArtifactStoreError

T = TypeVar("T")
_ACCESS_DENIED = ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch")


def make_client(location: BucketLocation) -> Any:
    """A boto3 S3 client for *location*: its profile, region and endpoint, or the defaults."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(profile_name=location.profile)
    config = Config(
        max_pool_connections=location.workers + 4,
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=10,
        read_timeout=120,
    )
    return session.client(
        "s3", region_name=location.region, endpoint_url=location.endpoint, config=config
    )


def checksum_args(client: Any) -> dict[str, str]:
    """The checksum botocore would add by default (CRC32), unless the AWS configuration says
    ``request_checksum_calculation = when_required`` (for services that reject them)."""
    if getattr(client.meta.config, "request_checksum_calculation", None) == "when_required":
        return {}
    from botocore.httpchecksum import DEFAULT_CHECKSUM_ALGORITHM

    return {"ChecksumAlgorithm": str(DEFAULT_CHECKSUM_ALGORITHM).upper()}


def translate_errors(location: BucketLocation, what: str, work: Callable[[], T]) -> T:
    """Run *work*; the client's errors come out as ArtifactStoreError naming what to check."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        ProfileNotFound,
    )

    where = location.url + (f" at {location.endpoint}" if location.endpoint else "")
    try:
        return work()
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code == "NoSuchBucket":
            raise ArtifactStoreError(
                f"the bucket '{location.bucket}' does not exist ({where})"
            ) from exc
        if code in _ACCESS_DENIED:
            raise ArtifactStoreError(
                f"{what}: the object store refused access ({code}) to {where}; check the "
                "AWS credentials or profile and the bucket policy"
            ) from exc
        raise ArtifactStoreError(
            f"{what}: the object store answered {code}: {error.get('Message', exc)}"
        ) from exc
    except NoCredentialsError as exc:
        raise ArtifactStoreError(
            f"{what}: no AWS credentials were found for {where}; set AWS_PROFILE, "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or ~/.aws/credentials (Signoff "
            "stores none itself)"
        ) from exc
    except ProfileNotFound as exc:
        raise ArtifactStoreError(f"{what}: {exc} (in ~/.aws/config)") from exc
    except EndpointConnectionError as exc:
        raise ArtifactStoreError(f"{what}: cannot reach the object store: {exc}") from exc
    except BotoCoreError as exc:
        raise ArtifactStoreError(f"{what}: {exc}") from exc
