"""A port-43 WHOIS server on loopback (RFC 3912) with named faults, for the tests, the benchmark and the demo.

It reads one query line, answers from a directory of ``<domain>.txt`` files (or a mapping, or a
function), and closes the connection, as registries do. Every query is logged with its arrival time
so a test can check what the crawler sent and how fast.

The faults are named data, shared with the RDAP server (which plays them over HTTP). A fault applies
to the whole server or, through ``faults={domain: fault}``, to one domain:

======================  =====================================================================
``Hang()``              read the query, never answer
``Drop()``              close without answering (or, with ``after=N``, reset after N bytes)
``Trickle()``           answer one byte at a time, slowly: never idle long enough to time out
``Oversize()``          answer far more bytes than any WHOIS record
``Refuse()``            nobody listens: connections are refused
``RateLimit()``         refuse with a rate-limit text (HTTP: 429 + Retry-After), for the first
                        N queries or for any query over a rate; counts the violations
``QuotaExhausted()``    after N answers, every query is refused as over the daily quota
``Garbage()``           answer random binary bytes
``Referral(to)``        answer a thin-registry record naming another server (a registrar's, a
                        private address, or the first server again: a referral loop)
======================  =====================================================================
"""

from __future__ import annotations

import random
import socket
import socketserver
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

#: What a query line may be at most; a longer line is cut (registries do the same).
MAX_QUERY_BYTES = 1024


@dataclass(frozen=True)
class Hang:
    """Read the query and never answer, until the client gives up."""


@dataclass(frozen=True)
class Drop:
    """Close the connection without an answer, or reset it after `after` bytes of the answer."""

    after: int = 0


@dataclass(frozen=True)
class Trickle:
    """Send the answer `chunk` bytes every `interval` seconds (a slow-loris answer)."""

    chunk: int = 1
    interval: float = 0.2


@dataclass(frozen=True)
class Oversize:
    """Answer `size` bytes of plausible text, far beyond any WHOIS record."""

    size: int = 4 * 1024 * 1024


@dataclass(frozen=True)
class Refuse:
    """Nobody listens on the port: every connection is refused (server-wide only)."""


@dataclass(frozen=True)
class RateLimit:
    """Refuse as rate-limited: the first `first` queries, and any query beyond `per_second` in a sliding second.

    Over HTTP the refusal is a 429 with ``Retry-After: retry_after``; on port 43 it is `text`.
    """

    first: int = 0
    per_second: float | None = None
    retry_after: int = 1
    text: str = "% Query rate limit exceeded. Too many queries from your IP address; try again in {retry_after} seconds.\r\n"


@dataclass(frozen=True)
class QuotaExhausted:
    """After `after` answers, refuse every query as over the daily quota (Retry-After a day over HTTP)."""

    after: int = 0
    text: str = "% Daily query quota exceeded for your address. Access is blocked until tomorrow.\r\n"


@dataclass(frozen=True)
class Garbage:
    """Answer `size` random bytes (NULs and control bytes included)."""

    size: int = 512
    seed: int = 43


@dataclass(frozen=True)
class Referral:
    """Answer a thin-registry record whose ``Registrar WHOIS Server`` is `to` (host[:port], or a URL for RDAP)."""

    to: str


Fault = Hang | Drop | Trickle | Oversize | Refuse | RateLimit | QuotaExhausted | Garbage | Referral

#: What the server answers for a domain it has no record of.
NOT_FOUND = 'No match for domain "{domain}".\r\n>>> Last update of WHOIS database: 2026-01-01T00:00:00Z <<<\r\n'


def domain_of_query(line: str) -> str:
    """The domain in a query line, whatever the server's query format ("-T dn,ace x.de", "x.jp/e", "domain=x")."""
    token = line.strip().split()[-1] if line.strip() else ""
    token = token.split("=", 1)[-1].split("/", 1)[0]
    return token.strip(".").lower()


def thin_record(domain: str, to: str) -> bytes:
    """A thin registry's answer: registration facts and the registrar's WHOIS server."""
    return (f"   Domain Name: {domain.upper()}\r\n   Registrar WHOIS Server: {to}\r\n"
            "   Registrar: Loopback Registrar Ltd\r\n   Creation Date: 2020-02-03T04:05:06Z\r\n"
            "   Registry Expiry Date: 2030-02-03T04:05:06Z\r\n   Name Server: NS1.EXAMPLE.NET\r\n"
            ">>> Last update of whois database: 2026-01-01T00:00:00Z <<<\r\n").encode("ascii")


class Answers:
    """Where answers come from: a directory of ``<domain>.txt`` (or another suffix), a mapping or a function."""

    def __init__(self, source: Path | Mapping[str, bytes] | Callable[[str], bytes | None] | None = None,
                 suffix: str = ".txt") -> None:
        self.source = source
        self.suffix = suffix

    def get(self, domain: str) -> bytes | None:
        """The stored answer for a domain, or None when the server has no record of it."""
        if self.source is None or not domain or "/" in domain or domain.startswith("."):
            return None
        if isinstance(self.source, Path):
            path = self.source / f"{domain}{self.suffix}"
            return path.read_bytes() if path.is_file() else None
        if isinstance(self.source, Mapping):
            return self.source.get(domain)
        return self.source(domain)


class QueryLog:
    """Arrival times and query lines, and the rate-limit bookkeeping, shared by the handler threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: list[tuple[float, str]] = []
        self.per_domain: dict[str, int] = {}
        self.answered = 0
        self.violations = 0
        self.open_connections = 0
        self.most_connections = 0  # the most connections open at once: a polite client keeps it at 1
        self._window: deque[float] = deque()

    def connected(self, delta: int) -> None:
        """Count a connection opening (+1) or closing (-1)."""
        with self.lock:
            self.open_connections += delta
            self.most_connections = max(self.most_connections, self.open_connections)

    def arrive(self, line: str, domain: str, per_second: float | None) -> bool:
        """Log a query; True when it breaks `per_second` (more than that many in the last second)."""
        now = time.monotonic()
        with self.lock:
            self.entries.append((now, line))
            self.per_domain[domain] = self.per_domain.get(domain, 0) + 1
            if per_second is None:
                return False
            while self._window and now - self._window[0] >= 1.0:
                self._window.popleft()
            self._window.append(now)
            if len(self._window) > per_second:
                self.violations += 1
                return True
            return False

    def achieved_rate(self) -> float:
        """Queries per second between the first and the last arrival."""
        with self.lock:
            if len(self.entries) < 2:
                return 0.0
            return (len(self.entries) - 1) / (self.entries[-1][0] - self.entries[0][0])


class _Handler(socketserver.BaseRequestHandler):
    server: _TCPServer

    def handle(self) -> None:
        owner = self.server.owner
        owner.log.connected(+1)
        try:
            self._handle(owner)
        finally:
            owner.log.connected(-1)

    def _handle(self, owner: LoopbackWhoisServer) -> None:
        conn: socket.socket = self.request
        conn.settimeout(5)
        try:
            line = _read_line(conn)
        except OSError:
            return
        if line is None:  # a client killed between connecting and asking: not a query
            return
        domain = domain_of_query(line)
        fault = owner.faults.get(domain, owner.fault)
        limited = owner.log.arrive(line, domain, fault.per_second if isinstance(fault, RateLimit) else None)
        try:
            self._answer(conn, owner, domain, fault, limited)
        except OSError:
            pass  # the client went away: nothing to answer

    def _answer(self, conn: socket.socket, owner: LoopbackWhoisServer, domain: str, fault: Fault | None,
                limited: bool) -> None:
        with owner.log.lock:  # how many times this fault has been met: per domain, or server-wide
            count = owner.log.per_domain[domain] if domain in owner.faults else len(owner.log.entries)
        if isinstance(fault, Hang):
            wait_for_hangup(conn, owner.stopping, owner.hang_limit)
            return
        if isinstance(fault, Drop) and not fault.after:
            _reset(conn)
            return
        if isinstance(fault, RateLimit) and (limited or count <= fault.first):
            conn.sendall(fault.text.format(retry_after=fault.retry_after).encode("ascii"))
            return
        if isinstance(fault, QuotaExhausted) and owner.log.answered >= fault.after:
            conn.sendall(fault.text.encode("ascii"))
            return
        body = owner.answer_for(domain, fault)
        with owner.log.lock:
            owner.log.answered += 1
        if isinstance(fault, Drop):
            conn.sendall(body[: fault.after])
            _reset(conn)
        elif isinstance(fault, Trickle):
            for i in range(0, len(body), fault.chunk):
                if wait_for_hangup(conn, owner.stopping, fault.interval):
                    return
                conn.sendall(body[i : i + fault.chunk])
        else:
            conn.sendall(body)


def wait_for_hangup(conn: socket.socket, stopping: threading.Event, limit: float) -> bool:
    """Say nothing for up to `limit` seconds; True as soon as the client hangs up or the server stops."""
    deadline = time.monotonic() + limit
    while not stopping.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        conn.settimeout(min(left, 0.05))
        try:
            if not conn.recv(4096):
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return True


def _read_line(conn: socket.socket) -> str | None:
    """The query line; None when the client closed without sending a byte (it asked nothing)."""
    data = b""
    while b"\n" not in data and len(data) < MAX_QUERY_BYTES:
        chunk = conn.recv(MAX_QUERY_BYTES)
        if not chunk:
            break
        data += chunk
    if not data:
        return None
    return data.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", "replace")


def _reset(conn: socket.socket) -> None:
    """Close with a TCP reset instead of an orderly FIN (SO_LINGER 0)."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


class _TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    owner: LoopbackWhoisServer


class LoopbackWhoisServer:
    """Context manager: a WHOIS server on 127.0.0.1 (port 0 = a free one), answering until stopped."""

    def __init__(self, answers: Path | Mapping[str, bytes] | Callable[[str], bytes | None] | None = None,
                 fault: Fault | None = None, faults: Mapping[str, Fault] | None = None, host: str = "127.0.0.1",
                 stamp: bool = False, hang_limit: float = 30.0) -> None:
        self.answers = Answers(answers)
        self.fault = fault
        self.faults = {k.lower(): v for k, v in (faults or {}).items()}
        self.host = host
        self.stamp = stamp  # end every answer with its serial number, so no two answers are the same bytes
        self.hang_limit = hang_limit
        self.log = QueryLog()
        self.stopping = threading.Event()
        self._server: _TCPServer | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        assert self._port is not None, "server not started"
        return self._port

    @property
    def address(self) -> str:
        """HOST:PORT, the form `--whois-server` takes."""
        return f"{self.host}:{self.port}"

    @property
    def queries(self) -> list[str]:
        """Every query line received, in order."""
        with self.log.lock:
            return [line for _t, line in self.log.entries]

    def answer_for(self, domain: str, fault: Fault | None) -> bytes:
        """The bytes a normal (or faulty-content) answer carries."""
        if isinstance(fault, Oversize):
            line = b"remarks:      an answer far larger than any registration record\r\n"
            return line * (fault.size // len(line) + 1)
        if isinstance(fault, Garbage):
            return random.Random(f"{fault.seed}:{domain}").randbytes(fault.size)
        if isinstance(fault, Referral):
            body = thin_record(domain, fault.to)
        else:
            body = self.answers.get(domain) or NOT_FOUND.format(domain=domain.upper()).encode("ascii")
        if self.stamp:
            with self.log.lock:
                serial = len(self.log.entries)
            body += f"% answer {serial} at {time.time_ns()}\r\n".encode("ascii")
        return body

    def start(self) -> LoopbackWhoisServer:
        if isinstance(self.fault, Refuse):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.bind((self.host, 0))
            self._port = probe.getsockname()[1]
            probe.close()  # the port is now free and closed: connections are refused
            return self
        server = _TCPServer((self.host, 0), _Handler)
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

    def __enter__(self) -> LoopbackWhoisServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
