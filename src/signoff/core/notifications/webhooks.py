"""Webhook URLs that cannot be turned against the registry's own network.

A consumer's URL is written by an admin (or by anyone who gets a row into ``consumers``), and
each delivery carries a body signed with the consumer's secret. So a URL is refused unless it
is plainly an http(s) endpoint: a host, no credentials, no line breaks or control characters
(header injection), and not a link-local or cloud metadata address, where a signed POST from
the registry's host could reach credentials. An admin may allow one host explicitly (an
audited registry setting) when a real consumer lives at such an address.

The address rules hold at delivery too, where DNS may have changed since the URL was saved:
:func:`post_webhook` resolves the host itself, checks every address it resolves to, and
connects to a checked address, so no second lookup can hand it a different one. It never
follows a redirect: a 3xx is the consumer's answer, not an instruction.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from collections.abc import Collection
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy.orm import Session
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.connection import create_connection

from signoff.core.common.errors import SignoffError
from signoff.core.db.schema import Setting

SETTING_KEY = "webhooks"  # settings row: {"allowed_hosts": [...]}
METADATA_HOSTS = frozenset(
    {"metadata.google.internal", "metadata.goog", "instance-data.ec2.internal"}
)
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
ALLOW_HINT = "an admin may allow this host: signoff consumers allow-host {host} --reason …"
_NUMERIC_HOST = re.compile(r"[0-9a-fx.]+")


class WebhookURLError(SignoffError, ValueError):
    """A webhook URL Signoff will not send to."""


class UnresolvedHostError(WebhookURLError):
    """The webhook's host does not resolve from here (it may from the notifier's network)."""


def allowed_webhook_hosts(session: Session) -> frozenset[str]:
    """The hosts an admin allowed despite the address rules (lower case)."""
    row = session.get(Setting, SETTING_KEY)
    hosts = row.value.get("allowed_hosts", []) if row is not None else []
    return frozenset(normal_host(h) for h in hosts if isinstance(h, str))


def normal_host(host: str) -> str:
    """A host as compared with the rules: lower case, no brackets, no trailing dot."""
    return host.strip().strip("[]").rstrip(".").lower()


def address_problem(address: str) -> str | None:
    """Why a webhook may not go to the IP *address*, or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    if any(ip in net for net in LINK_LOCAL):
        return f"{ip} is a link-local address"
    return None


def _literal_address(host: str) -> str | None:
    """The IP address *host* spells, in any form the system resolver accepts, or None."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if _NUMERIC_HOST.fullmatch(host):  # 2852039166, 0xa9fea9fe, 169.254.43518 …
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


def webhook_url_problem(url: str, allowed_hosts: Collection[str] = ()) -> str | None:
    """Why Signoff will not send to *url*, or None. Looks nothing up on the network."""
    if not isinstance(url, str) or not url.strip():
        return "a webhook URL cannot be empty"
    if "\r" in url or "\n" in url:
        return "a webhook URL may not contain a line break (CR or LF)"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in url):
        return "a webhook URL may not contain control characters"
    if any(c.isspace() for c in url):
        return "a webhook URL may not contain spaces"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port raises for a bad one
    except ValueError as exc:
        return f"{url!r} is not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return f"only http:// and https:// URLs receive webhooks, not {parts.scheme or url!r}"
    if not parts.hostname:
        return f"{url!r} has no host"
    if parts.username is not None or parts.password is not None:
        return (
            "a webhook URL may not carry a user name or password (every registry login can "
            "read it); the consumer's secret signs each notification instead"
        )
    host = normal_host(parts.hostname)
    if host in {normal_host(h) for h in allowed_hosts}:
        return None
    if host in METADATA_HOSTS:
        return f"{host} is a cloud metadata service; " + ALLOW_HINT.format(host=host)
    literal = _literal_address(host)
    problem = address_problem(literal) if literal else None
    return f"{problem}; " + ALLOW_HINT.format(host=host) if problem else None


def check_webhook_url(url: str, allowed_hosts: Collection[str] = ()) -> None:
    """Raise WebhookURLError naming the problem unless Signoff would send to *url*."""
    problem = webhook_url_problem(url, allowed_hosts)
    if problem:
        raise WebhookURLError(f"webhook URL refused: {problem}")


def vetted_addresses(host: str, port: int) -> list[str]:
    """Resolve *host* now and return its addresses, after checking every one of them."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnresolvedHostError(f"cannot resolve the webhook host {host}: {exc}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    for address in addresses:
        problem = address_problem(address)
        if problem:
            raise WebhookURLError(
                f"webhook host {host} resolves to {problem}; "
                + ALLOW_HINT.format(host=normal_host(host))
            )
    return addresses


def resolved_url_problem(url: str, allowed_hosts: Collection[str] = ()) -> str | None:
    """:func:`webhook_url_problem`, and then every address the host resolves to now (a host
    that does not resolve from here is not judged: it may from the notifier's network)."""
    problem = webhook_url_problem(url, allowed_hosts)
    parts = urlsplit(url)
    host = normal_host(parts.hostname or "")
    if problem or host in {normal_host(h) for h in allowed_hosts}:
        return problem
    try:
        vetted_addresses(host, parts.port or (443 if parts.scheme.lower() == "https" else 80))
    except UnresolvedHostError:
        return None
    except WebhookURLError as exc:
        return str(exc)
    return None


class _VettedConnect:
    """Connects to an address checked in the same lookup (no second lookup can differ)."""

    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        last: OSError | None = None
        for address in vetted_addresses(self.host, self.port):
            try:
                return create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except OSError as exc:
                last = exc
        raise last or OSError(f"no address to connect to for {self.host}")


class _VettedHTTPConnection(_VettedConnect, HTTPConnection):
    pass


class _VettedHTTPSConnection(_VettedConnect, HTTPSConnection):
    pass


class _VettedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _VettedHTTPConnection


class _VettedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _VettedHTTPSConnection


class _VettedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _VettedHTTPPool,
            "https": _VettedHTTPSPool,
        }


def post_webhook(
    url: str, body: bytes, headers: dict[str, str], timeout: float, allowed_hosts: Collection[str]
) -> requests.Response:
    """POST *body* to *url* under the rules above; never follows a redirect.

    Raises WebhookURLError when the URL or an address its host resolves to is refused, and
    requests' own errors when the consumer cannot be reached.
    """
    check_webhook_url(url, allowed_hosts)
    with requests.Session() as session:
        if normal_host(urlsplit(url).hostname or "") not in {normal_host(h) for h in allowed_hosts}:
            session.mount("http://", _VettedAdapter())
            session.mount("https://", _VettedAdapter())
        return session.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)


def redirect_refusal(response: requests.Response) -> str:
    """The failed attempt's status for a 3xx answer."""
    where = response.headers.get("Location", "")
    to = f" to {where[:200]!r}" if where else ""
    return f"HTTP {response.status_code} redirect{to} refused: webhooks never follow redirects"
