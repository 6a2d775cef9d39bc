"""An RDAP server over HTTP on loopback (RFC 7480/9083), playing the same named faults as the WHOIS server.

``GET /domain/<name>`` answers the stored ``<name>.json`` with ``application/rdap+json``, or a 404
error object. Over HTTP the faults read: ``RateLimit`` and ``QuotaExhausted`` answer 429 with a
``Retry-After``; ``Referral(to)`` adds a ``rel="related"`` link to another RDAP server (the
registrar's, a private address, or this server again); ``Drop`` closes without a status line;
``Trickle`` sends the body byte by byte; ``Garbage`` sends binary bytes as ``application/rdap+json``;
``Gzipped`` compresses the normal answer unasked; ``GzipBomb`` sends a small ``Content-Encoding: gzip``
body that inflates to many megabytes; ``Redirect(to)`` answers 302 with ``Location: <to>domain/<name>``.
"""

from __future__ import annotations

import gzip
import json
import random
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

from auditor.loopback.whois_server import (
    Answers,
    Drop,
    Fault,
    Garbage,
    Hang,
    Oversize,
    QueryLog,
    QuotaExhausted,
    RateLimit,
    Referral,
    Refuse,
    Trickle,
    wait_for_hangup,
)

RDAP_JSON = "application/rdap+json"


@dataclass(frozen=True)
class GzipBomb:
    """A gzip-encoded answer of a few kilobytes that inflates to `size` bytes (a decompression bomb)."""

    size: int = 256 * 1024 * 1024


@dataclass(frozen=True)
class Gzipped:
    """The normal answer, gzip-compressed although the client did not ask for it."""


@dataclass(frozen=True)
class Redirect:
    """A 302 to the same query at another base URL (a registry that moved, a front end)."""

    to: str


#: What this server can play: the WHOIS server's faults and the HTTP-only ones.
HttpFault = Fault | GzipBomb | Gzipped | Redirect


def error_object(code: int, title: str, description: str = "") -> bytes:
    """An RFC 9083 section 6 error response."""
    data = {"rdapConformance": ["rdap_level_0"], "errorCode": code, "title": title,
            "description": [description] if description else []}
    return json.dumps(data).encode("utf-8")


def minimal_domain(domain: str) -> dict:
    """A registry's bare domain object, for a referral fault on a domain with no stored answer."""
    return {"rdapConformance": ["rdap_level_0"], "objectClassName": "domain", "ldhName": domain,
            "status": ["active"], "events": [{"eventAction": "registration", "eventDate": "2020-02-03T04:05:06Z"}],
            "entities": [], "links": []}


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass  # quiet: the tests read the query log instead

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.owner.log.connected(+1)
        try:
            self._get()
        finally:
            self.server.owner.log.connected(-1)

    def _get(self) -> None:
        owner = self.server.owner
        path = urlsplit(self.path).path
        prefix = "/domain/"
        if not path.startswith(prefix):
            self._send(404, error_object(404, "Not Found", "only /domain/<name> is served here"))
            return
        domain = unquote(path[len(prefix):]).strip(".").lower()
        fault = owner.faults.get(domain, owner.fault)
        limited = owner.log.arrive(self.path, domain, fault.per_second if isinstance(fault, RateLimit) else None)
        try:
            self._answer(owner, domain, fault, limited)
        except OSError:
            pass  # the client went away

    def _answer(self, owner: LoopbackRdapServer, domain: str, fault: HttpFault | None, limited: bool) -> None:
        with owner.log.lock:
            count = owner.log.per_domain[domain] if domain in owner.faults else len(owner.log.entries)
        if isinstance(fault, Hang):
            wait_for_hangup(self.connection, owner.stopping, owner.hang_limit)
            return
        if isinstance(fault, GzipBomb):
            self._send(200, _gzip_bomb(fault.size), {"Content-Encoding": "gzip"})
            return
        if isinstance(fault, Redirect):
            self._send(302, b"", {"Location": f"{fault.to.rstrip('/')}/domain/{domain}"})
            return
        if isinstance(fault, Drop) and not fault.after:
            _reset(self.connection)
            return
        if isinstance(fault, RateLimit) and (limited or count <= fault.first):
            self._send(429, error_object(429, "Too Many Requests", "query rate limit exceeded"),
                       {"Retry-After": str(fault.retry_after)})
            return
        if isinstance(fault, QuotaExhausted) and owner.log.answered >= fault.after:
            self._send(429, error_object(429, "Too Many Requests", "daily quota exceeded"), {"Retry-After": "86400"})
            return
        status, body = owner.answer_for(domain, fault, self.headers.get("Host", ""))
        with owner.log.lock:
            owner.log.answered += 1
        if isinstance(fault, Drop):
            self._send_head(status, len(body))
            self.wfile.write(body[: fault.after])
            self.wfile.flush()
            _reset(self.connection)
        elif isinstance(fault, Trickle):
            self._send_head(status, len(body))
            for i in range(0, len(body), fault.chunk):
                if wait_for_hangup(self.connection, owner.stopping, fault.interval):
                    return
                self.wfile.write(body[i : i + fault.chunk])
                self.wfile.flush()
        elif isinstance(fault, Gzipped):
            self._send(status, gzip.compress(body), {"Content-Encoding": "gzip"})
        else:
            self._send(status, body)

    def _send_head(self, status: int, length: int, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", RDAP_JSON)
        self.send_header("Content-Length", str(length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def _send(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        self._send_head(status, len(body), headers)
        self.wfile.write(body)


def _gzip_bomb(size: int) -> bytes:
    """`size` bytes of JSON whitespace, gzip-compressed about a thousandfold, without holding them in memory."""
    import io

    out = io.BytesIO()
    block = b" " * (1024 * 1024)
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as packer:
        packer.write(b"{")
        for _ in range(size // len(block)):
            packer.write(block)
        packer.write(b"}")
    return out.getvalue()


def _reset(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    owner: LoopbackRdapServer


class LoopbackRdapServer:
    """Context manager: an RDAP server on 127.0.0.1 (a free port), answering ``/domain/<name>`` until stopped."""

    def __init__(self, answers: Path | Mapping[str, bytes] | Callable[[str], bytes | None] | None = None,
                 fault: HttpFault | None = None, faults: Mapping[str, HttpFault] | None = None, host: str = "127.0.0.1",
                 stamp: bool = False, hang_limit: float = 30.0) -> None:
        self.answers = Answers(answers, suffix=".json")
        self.fault = fault
        self.faults = {k.lower(): v for k, v in (faults or {}).items()}
        self.host = host
        self.stamp = stamp
        self.hang_limit = hang_limit
        self.log = QueryLog()
        self.stopping = threading.Event()
        self._server: _HTTPServer | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        assert self._port is not None, "server not started"
        return self._port

    @property
    def base_url(self) -> str:
        """The RDAP base URL, the form `--rdap-url` takes."""
        return f"http://{self.host}:{self.port}/"

    @property
    def queries(self) -> list[str]:
        """Every request path received, in order."""
        with self.log.lock:
            return [line for _t, line in self.log.entries]

    def answer_for(self, domain: str, fault: HttpFault | None, host: str) -> tuple[int, bytes]:
        """Status and body of a normal (or faulty-content) answer."""
        if isinstance(fault, Oversize):
            return 200, b'{"objectClassName": "domain", "remarks": ["' + b"x" * fault.size + b'"]}'
        if isinstance(fault, Garbage):
            return 200, random.Random(f"{fault.seed}:{domain}").randbytes(fault.size)
        stored = self.answers.get(domain)
        if stored is None and not isinstance(fault, Referral):
            return 404, error_object(404, "Not Found", f"{domain} is not registered here")
        if isinstance(fault, Referral) or self.stamp:
            data = json.loads(stored) if stored is not None else minimal_domain(domain)
            if isinstance(fault, Referral):
                data.setdefault("links", []).append({
                    "rel": "related", "type": RDAP_JSON, "value": f"http://{host}/domain/{domain}",
                    "href": f"{fault.to.rstrip('/')}/domain/{domain}"})
            if self.stamp:
                data["loopback_answer"] = f"{len(self.log.entries)} at {time.time_ns()}"
            return 200, json.dumps(data, ensure_ascii=False).encode("utf-8")
        return 200, stored if stored is not None else b""

    def start(self) -> LoopbackRdapServer:
        if isinstance(self.fault, Refuse):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.bind((self.host, 0))
            self._port = probe.getsockname()[1]
            probe.close()
            return self
        server = _HTTPServer((self.host, 0), _Handler)
        server.owner = self
        self._server = server
        self._port = server.server_address[1]
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LoopbackRdapServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
