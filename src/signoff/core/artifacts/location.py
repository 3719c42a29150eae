"""Where a registry's artifacts are: a folder path, or ``s3://bucket/prefix`` in a bucket.

An object-store URL names the bucket and a key prefix, and may add settings that are not
secret: ``profile`` (a profile of the shared AWS config files), ``region``, ``endpoint`` (for
MinIO, Ceph and other S3-compatible services), ``verify=read-back`` (re-read every object
after writing it, for services that do not check upload checksums), ``part_size_mb`` and
``workers`` (the size and number of parallel parts). Credentials never go in the URL: they
come from the standard AWS configuration (environment, ``~/.aws/credentials``, a profile, an
instance role), so nothing secret is ever written to Signoff's settings or recent list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from signoff.core.artifacts.protocol import ArtifactStoreError, Store

MIB = 1024 * 1024
DEFAULT_PART_SIZE = 8 * MIB
MIN_PART_SIZE = 5 * MIB  # S3's smallest part (every part but the last)
DEFAULT_WORKERS = 8
VERIFY_MODES = ("checksum", "read-back")
_OPTIONS = ("profile", "region", "endpoint", "verify", "part_size_mb", "workers")
# words that would mean a secret was put in the URL: refuse rather than store it in settings
_SECRET_WORDS = ("secret", "key", "token", "password", "credential", "session")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")


@dataclass(frozen=True)
class BucketLocation:
    """A parsed ``s3://bucket/prefix?options`` URL."""

    bucket: str
    prefix: str  # "" or ends with "/"
    profile: str | None = None
    region: str | None = None
    endpoint: str | None = None
    verify: str = "checksum"
    part_size: int = DEFAULT_PART_SIZE
    workers: int = DEFAULT_WORKERS
    text: str = ""  # the URL as given (what settings and the window show)

    @property
    def url(self) -> str:
        return self.text or f"s3://{self.bucket}/{self.prefix}"

    def key_for(self, sha256: str) -> str:
        """The object key of a hash: ``prefix/ab/abcdef…``."""
        return f"{self.prefix}{sha256[:2]}/{sha256}"


def is_object_store_url(text: str | Path | None) -> bool:
    """Whether *text* names an object store (``s3://…``) rather than a folder."""
    return isinstance(text, str) and text.strip().lower().startswith("s3://")


def parse_bucket_url(text: str) -> BucketLocation:
    """Parse ``s3://bucket/prefix?options``; ValueError with a message a person can act on."""
    text = text.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() != "s3":
        raise ValueError(f"{text!r} is not an s3:// URL")
    if parts.username or parts.password or "@" in parts.netloc:
        raise ValueError(
            "credentials never go in the artifacts URL: use the AWS configuration "
            "(AWS_PROFILE, ~/.aws/credentials or the environment)"
        )
    bucket = parts.netloc
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ValueError(
            f"{bucket!r} is not a valid bucket name (3-63 lower-case letters, digits, '.', '-')"
        )
    prefix = parts.path.strip("/")
    if any(piece in ("", ".", "..") for piece in prefix.split("/")) and prefix:
        raise ValueError(f"the key prefix {parts.path!r} has an empty, '.' or '..' part")
    options: dict[str, str] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        lowered = name.lower()
        if lowered not in _OPTIONS:
            if any(word in lowered for word in _SECRET_WORDS):
                raise ValueError(
                    f"'{name}' looks like a credential; credentials never go in the artifacts "
                    "URL: use the AWS configuration (a profile, ~/.aws/credentials or the "
                    "environment)"
                )
            raise ValueError(f"unknown option '{name}' (known: {', '.join(_OPTIONS)})")
        options[lowered] = value
    verify = options.get("verify", "checksum")
    if verify not in VERIFY_MODES:
        raise ValueError(f"verify must be one of {', '.join(VERIFY_MODES)}, not {verify!r}")
    endpoint = options.get("endpoint") or None
    if endpoint is not None and not re.match(r"https?://[^/\s]+", endpoint):
        raise ValueError(f"endpoint must be an http(s):// URL, not {endpoint!r}")
    return BucketLocation(
        bucket=bucket,
        prefix=f"{prefix}/" if prefix else "",
        profile=options.get("profile") or None,
        region=options.get("region") or None,
        endpoint=endpoint,
        verify=verify,
        part_size=_whole(options, "part_size_mb", DEFAULT_PART_SIZE // MIB, 5, 5120) * MIB,
        workers=_whole(options, "workers", DEFAULT_WORKERS, 1, 64),
        text=text,
    )


def _whole(options: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = options.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, not {raw!r}")
    return int(raw)


def open_store(artifacts: str | Path) -> Store:
    """The store *artifacts* names: a bucket for ``s3://…``, else a folder.

    Raises ArtifactStoreError for a malformed URL or another object-store scheme (GCS and
    Azure are reached through their S3-compatible interfaces, with ``endpoint=``).
    """
    if is_object_store_url(artifacts):
        try:
            location = parse_bucket_url(str(artifacts))
        except ValueError as exc:
            raise ArtifactStoreError(f"artifacts URL {artifacts}: {exc}") from exc
        from signoff.core.artifacts.s3 import BucketStore

        return BucketStore(location)
    text = str(artifacts)
    scheme = re.match(r"([a-zA-Z][a-zA-Z0-9+.\-]+)://", text)
    if scheme:
        raise ArtifactStoreError(
            f"'{scheme.group(1)}://' artifact stores are not supported; use a folder or "
            "s3://bucket/prefix (GCS, Azure and others through their S3 interface, "
            "with ?endpoint=https://…)"
        )
    from signoff.core.artifacts.folder import FolderStore

    return FolderStore(Path(artifacts).expanduser())
