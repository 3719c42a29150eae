"""Errors the core raises; each carries a message a person can act on."""


class SignoffError(Exception):
    """Base class for every error the core reports to a person."""


class ManifestError(SignoffError):
    """A model folder's manifest is malformed or names something that is not there."""


class PathEscapeError(ManifestError):
    """A path in a manifest leaves the model folder."""


class HashMismatchError(SignoffError):
    """Stored or pinned content does not have the sha256 it should have."""

    def __init__(self, what: str, expected: str, actual: str) -> None:
        super().__init__(f"hash mismatch for {what}: expected sha256 {expected}, found {actual}")
        self.what = what
        self.expected = expected
        self.actual = actual


class DuplicatePublishError(SignoffError):
    """The content being published is identical to an existing version."""


class NotFoundError(SignoffError):
    """A model, version or other record does not exist."""


class DatabaseLocationError(SignoffError):
    """The database file lives where SQLite cannot be trusted (a network filesystem)."""


class ConcurrentChangeError(SignoffError):
    """Someone else changed the record between reading and writing it."""


class TransitionError(SignoffError):
    """A lifecycle transition or decision is not allowed in the current state."""


class Cancelled(SignoffError):
    """The person stopped the work; what was complete before the stop is kept."""


class ReadOnlyRegistryError(SignoffError):
    """The registry is read-only here (read-only media, no write permission, or opened so);
    the change asked for was refused and nothing was changed."""


class DiskFullError(SignoffError):
    """The disk holding the registry (its database or its artifact store) is full."""


class RegistryBusyError(SignoffError):
    """Another Signoff held the registry's write lock for longer than Signoff waits."""
