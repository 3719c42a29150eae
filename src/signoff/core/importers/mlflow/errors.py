"""What can stop an MLflow import, each with a message a person can act on."""

from __future__ import annotations

from signoff.core.common.errors import SignoffError


class MlflowError(SignoffError):
    """The MLflow server could not be read, or answered something Signoff refuses."""


class MlflowAuthError(MlflowError):
    """The server refused the credentials (401) or the permission (403)."""


class MlflowNotFoundError(MlflowError):
    """The server answered 404 for something that should be there."""


class HostileAnswerError(MlflowError):
    """The server's answer is unsafe (path tricks, foreign redirects, oversize, bad JSON,
    endless pages or folders)."""


class DeadlineError(MlflowError):
    """The server took longer than Signoff waits: for one request, or for the whole import."""


class RequestDeadlineError(DeadlineError):
    """One request (its answer streamed to the end) took longer than the per-request deadline."""


class ImportDeadlineError(DeadlineError):
    """The import as a whole ran past its deadline."""
