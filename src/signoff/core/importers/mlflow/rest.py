"""The HTTP under the MLflow client: credentials, redirects, retries and deadlines.

One request goes out at a time; :meth:`RestTransport._exchange` sends it, follows redirects
by hand (only to the same scheme, host and port), turns 401/403/404 into errors that say what
to do, retries 5xx answers and dropped connections with exponential backoff (never past the
import's deadline), and hands the answer to a reader that consumes it under the request's
:class:`~signoff.core.importers.mlflow.transport.RequestWatch`. Credentials come from the
environment (``MLFLOW_TRACKING_USERNAME``/``_PASSWORD``, ``MLFLOW_TRACKING_TOKEN``) or the OS
keyring.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from signoff.core.common.retry import Backoff, retry_call
from signoff.core.importers.mlflow.errors import (
    HostileAnswerError,
    ImportDeadlineError,
    MlflowAuthError,
    MlflowError,
    MlflowNotFoundError,
)
from signoff.core.importers.mlflow.transport import (
    Deadline,
    ImportLimits,
    RequestWatch,
    watch_session,
    watching,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
# what a broken connection looks like while an answer streams in
_BROKEN = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    ConnectionError,
    TimeoutError,
)


class _Unavailable(Exception):
    """A 5xx answer or a dropped connection: worth another try after a wait."""


@dataclass(frozen=True)
class RetryPolicy:
    """How many times and how patiently to retry 5xx answers and dropped connections."""

    attempts: int = 4
    backoff_s: float = 0.5
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0


def credentials_from_environment(
    env: dict[str, str] | None = None,
) -> tuple[tuple[str, str] | None, str | None]:
    """(basic-auth pair, bearer token) named by the MLFLOW_TRACKING_* variables, if any."""
    env = dict(os.environ if env is None else env)
    user, password = env.get("MLFLOW_TRACKING_USERNAME"), env.get("MLFLOW_TRACKING_PASSWORD")
    token = env.get("MLFLOW_TRACKING_TOKEN") or None
    basic = (user, password or "") if user else None
    return basic, token


class RestTransport:
    """Requests to one MLflow tracking server, each bounded in time (the client's base)."""

    def __init__(
        self,
        base_url: str,
        *,
        retry: RetryPolicy | None = None,
        env: dict[str, str] | None = None,
        session: requests.Session | None = None,
        limits: ImportLimits | None = None,
    ) -> None:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise MlflowError(f"{base_url!r} is not an http(s) URL of an MLflow server")
        self.base_url = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self._origin = (parts.scheme, parts.hostname, parts.port)
        self.retry = retry or RetryPolicy()
        self.limits = limits or ImportLimits()
        #: the deadline of the import in progress (set by the importer), or None
        self.import_deadline: Deadline | None = None
        self.session = watch_session(session or requests.Session())
        self.session.trust_env = False  # no proxies or .netrc credentials we did not choose
        basic, token = credentials_from_environment(env)
        if basic and not basic[1]:
            basic = (basic[0], _keyring_password(self.base_url, basic[0]) or "")
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        elif basic:
            self.session.auth = basic
        self.session.headers["User-Agent"] = "signoff-mlflow-importer"

    # -- transport ----------------------------------------------------------------------
    def start_import(self, deadline_s: float | None) -> None:
        """Start the import's clock: no request outlives *deadline_s* seconds from now."""
        self.import_deadline = Deadline(deadline_s) if deadline_s is not None else None

    def check_import_deadline(self, what: str) -> None:
        """Raise ImportDeadlineError when the import's deadline has passed."""
        deadline = self.import_deadline
        if deadline is not None and deadline.passed():
            raise ImportDeadlineError(
                f"the import ran past its deadline of {deadline.seconds:g} s at {what} "
                "(raise it with --deadline)"
            )

    def _watch(self, what: str) -> RequestWatch:
        return RequestWatch(what, self.limits.request_deadline_s, self.import_deadline)

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        what: str,
        read: Callable[[requests.Response, RequestWatch], T],
        params: dict[str, Any] | None = None,
        json_body: Any = None,
    ) -> T:
        """One request, retried on 5xx and dropped connections, its answer consumed by *read*
        within the request's deadline. A broken body is retried like a dropped connection."""
        url = self.base_url + path
        tries = [0]

        def attempt() -> T:
            tries[0] += 1
            self.check_import_deadline(what)
            with watching(self._watch(what)) as watch:
                response = self._open(watch, method, url, params, json_body)
                self._check_status(response, what)
                try:
                    return read(response, watch)
                except _BROKEN as exc:
                    watch.raise_if_fired()
                    raise _Unavailable(
                        f"the connection to {self.base_url} broke while reading {what}: "
                        f"{exc.__class__.__name__}"
                    ) from exc
                finally:
                    response.close()

        return self._retrying(attempt, f"{method} {path}", tries)

    def _open(
        self,
        watch: RequestWatch,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        json_body: Any,
    ) -> requests.Response:
        try:
            response = self._follow(method, url, params, json_body, True)
        except (requests.ConnectionError, requests.Timeout) as exc:
            watch.raise_if_fired()
            raise _Unavailable(
                f"could not reach {self.base_url}: {exc.__class__.__name__}"
            ) from exc
        if response.status_code >= 500:
            response.close()
            raise _Unavailable(f"{self.base_url} answered HTTP {response.status_code}")
        return response

    def _retrying(self, attempt: Callable[[], T], request: str, tries: list[int]) -> T:
        policy = self.retry

        def note(problem: BaseException, failures: int, wait: float) -> None:
            log.info("%s; retrying in %.1fs (%d/%d)", problem, wait, failures, policy.attempts)

        deadline = self.import_deadline
        try:
            return retry_call(
                attempt,
                retryable=lambda exc: isinstance(exc, _Unavailable),
                backoff=Backoff(policy.backoff_s),
                attempts=policy.attempts,
                deadline_s=deadline.remaining() if deadline is not None else None,
                on_retry=note,
            )
        except _Unavailable as exc:
            raise MlflowError(
                f"{exc} ({request}); gave up after {tries[0]} attempt{'s' * (tries[0] != 1)}"
            ) from None

    def _follow(
        self, method: str, url: str, params: dict[str, Any] | None, json_body: Any, stream: bool
    ) -> requests.Response:
        for _hop in range(5):
            response = self.session.request(
                method,
                url,
                params=params,
                json=json_body,
                stream=stream,
                allow_redirects=False,
                timeout=(self.retry.connect_timeout_s, self.retry.read_timeout_s),
            )
            if response.status_code not in (301, 302, 303, 307, 308):
                return response
            target = urljoin(url, response.headers.get("Location", ""))
            response.close()
            parts = urlsplit(target)
            if (parts.scheme, parts.hostname, parts.port) != self._origin:
                raise HostileAnswerError(
                    f"refusing a redirect from {url} to another host ({target}); "
                    "credentials and downloads stay with the server you named"
                )
            url, params = target, None
        raise HostileAnswerError(f"too many redirects starting at {url}")

    def _check_status(self, response: requests.Response, what: str) -> None:
        code = response.status_code
        if code < 400:
            return
        detail = _error_detail(response)
        response.close()
        if code == 401:
            raise MlflowAuthError(
                f"{self.base_url} refused the credentials (HTTP 401) while reading {what}; set "
                "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN"
            )
        if code == 403:
            raise MlflowAuthError(
                f"{self.base_url} denied permission (HTTP 403) to read {what}; ask the MLflow "
                f"administrator for READ permission{detail}"
            )
        if code == 404:
            raise MlflowNotFoundError(f"{self.base_url} has no {what} (HTTP 404){detail}")
        raise MlflowError(f"{self.base_url} refused the request for {what} (HTTP {code}){detail}")


def _keyring_password(url: str, user: str) -> str | None:
    """The password stored for *user* under the service *url* in the OS keyring, if any.

    Used when MLFLOW_TRACKING_USERNAME is set without MLFLOW_TRACKING_PASSWORD; the optional
    ``keyring`` package is not a dependency, so nothing happens without it.
    """
    try:
        import keyring
    except ImportError:
        return None
    try:
        return keyring.get_password(url, user)
    except Exception as exc:  # noqa: BLE001 - a broken keyring backend must not stop an import
        log.info("keyring lookup failed: %s", exc)
        return None


def _error_detail(response: requests.Response) -> str:
    """The ``message`` of an error answer, read from at most its first 4 kB."""
    try:
        head = next(response.iter_content(4096), b"")
        data = json.loads(head.decode("utf-8", "replace"))
        message = data.get("message") if isinstance(data, dict) else None
    except (ValueError, RecursionError, *_BROKEN):
        message = None
    if not isinstance(message, str):
        return ""
    return f": {message[:300]}"
