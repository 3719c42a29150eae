"""The service's small HTTP face: acknowledgement links and a health check.

``GET /ack?c=…&v=…&s=…`` is the signed link each do-not-use notice carries: a consumer opening
it records its acknowledgement (the first one counts; a forged or broken link is refused with
403 and changes nothing). ``GET /health`` answers the service status as JSON, for a load
balancer or a monitoring probe. Nothing else is served.
"""

from __future__ import annotations

import html
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from signoff.core.db.registry import Registry
from signoff.core.db.schema import Consumer, Version
from signoff.core.notifications.acks import VIA_LINK, AckError, ack_key, parse_ack, record_ack

log = logging.getLogger(__name__)


def _page(title: str, text: str) -> bytes:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Signoff</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    ).encode()


def acknowledge_link(registry: Registry, query: str) -> tuple[int, str, str]:
    """Record the acknowledgement of a link's query; (HTTP status, title, text)."""
    try:
        with registry.write() as session:
            consumer_id, version_id = parse_ack(ack_key(session), query)
            consumer = session.get(Consumer, consumer_id)
            version = session.get(Version, version_id)
            if consumer is None or version is None:
                raise AckError("this link names a consumer or version that does not exist")
            first = record_ack(
                session, consumer_id, version_id, via=VIA_LINK, actor=f"consumer:{consumer.name}"
            )
            label = version.label
            name = consumer.name
    except AckError as exc:
        return 403, "Not recorded", str(exc)
    except Exception:  # the database refused or is down: say so, never a half answer
        log.exception("acknowledgement link could not be recorded")
        return 503, "Not recorded", "The registry could not record it now; try the link later."
    if first:
        return 200, "Acknowledged", f"{name} acknowledged that {label} must not be used."
    return 200, "Already acknowledged", f"{name} had already acknowledged {label}."


class ServiceHTTP:
    """The HTTP server of one ``signoff serve``, in a background thread."""

    def __init__(self, registry: Registry, host: str, port: int, status: object) -> None:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                if url.path == "/ack":
                    code, title, text = acknowledge_link(registry, url.query)
                    self._answer(code, "text/html; charset=utf-8", _page(title, text))
                elif url.path == "/health":
                    body = json.dumps(service.status(), default=str).encode()  # type: ignore[operator]
                    self._answer(200, "application/json", body)
                else:
                    self._answer(404, "text/plain", b"not found")

            def _answer(self, code: int, kind: str, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                log.debug("http: " + format, *args)

        self.status = status
        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        """Serve in the background."""
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()
