"""Download handlers: ``whois://`` (RFC 3912 over TCP) and http(s) behind the same politeness gate.

Both ask the spider's `Politeness` (spiders/politeness.py) right before a query leaves, so the
per-server rate, quota and one-at-a-time hold at the moment of sending, whatever Scrapy's scheduler and
AutoThrottle do upstream; and both hand the outcome to the spider (`observe`) before they return, so a
refusal has backed the server off before the next query to it goes. Targets taken from responses (``meta["untrusted"]``: referrals, related links, and HTTP
redirects) go through the spider's `AddressGuard` first.

The WHOIS handler sends the query line and CRLF, reads until the server closes, and gives up on
a connect timeout, on silence longer than the read timeout, on an answer not complete within the
download timeout (a trickling server), or beyond the size cap. A failure carries the bytes that did
arrive, so they are kept as evidence. It sets ``download_latency`` (time to the first byte), which
is what Scrapy's AutoThrottle reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler

from spiders.guard import AddressGuard
from spiders.servers import WHOIS_PORT, server_key, url_server_key

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler


class WhoisFetchError(Exception):
    """A port-43 exchange that did not complete; `partial` holds what arrived, `retryable` whether to try again."""

    def __init__(self, reason: str, partial: bytes = b"", retryable: bool = True) -> None:
        super().__init__(reason)
        self.partial = partial
        self.retryable = retryable


def _spider_attr(crawler: Crawler, name: str) -> Any:
    return getattr(crawler.spider, name, None)


async def _checked_addresses(crawler: Crawler, request: Request, host: str, port: int) -> list[str]:
    """Resolve the target; for a target taken from a response, refuse non-public addresses."""
    guard: AddressGuard = _spider_attr(crawler, "guard") or AddressGuard()
    return await guard.addresses(host, port, bool(request.meta.get("untrusted") or request.meta.get("redirect_times")))


async def _politely(crawler: Crawler, request: Request, server: str,
                    exchange: Callable[[], Awaitable[Response]]) -> Response:
    """One query to `server`: wait for its turn and its time, send, and let the spider read the outcome.

    The turn is the politeness gate's own per-server lock, held until the answer has been read: Scrapy's
    per-slot concurrency is not enough on its own (with no download delay it can start every queued
    request of a slot at once). The spider reads the outcome (`observe`) before the lock is released
    and before Scrapy frees the slot, so a refusal has backed the server off before the next query.
    """
    politeness = _spider_attr(crawler, "politeness")
    observe = _spider_attr(crawler, "observe")
    admit = _spider_attr(crawler, "admit")
    if admit is not None:
        admit(request)  # a distributed crawl's target lost to another worker: nothing to send
    async with politeness.turn(server) if politeness is not None else contextlib.nullcontext():
        if politeness is not None:
            await politeness.before_send(server)
        try:
            response = await exchange()
        except Exception as exc:
            if observe is not None:
                observe(request, None, exc)
            raise
        if observe is not None:
            observe(request, response, None)
        return response


class WhoisDownloadHandler(BaseDownloadHandler):
    """``whois://host[:port]/domain``; the line sent is ``meta["whois_query"]`` (the server's query format)."""

    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.connect_timeout = settings.getfloat("WHOIS_CONNECT_TIMEOUT", 10.0)
        self.read_timeout = settings.getfloat("WHOIS_READ_TIMEOUT", 20.0)
        self.max_bytes = settings.getint("WHOIS_MAXSIZE", 1024 * 1024)
        self.timeout = settings.getfloat("DOWNLOAD_TIMEOUT", 60.0)

    async def download_request(self, request: Request) -> Response:
        parts = urlsplit(request.url)
        host, port = (parts.hostname or "").lower(), parts.port or WHOIS_PORT
        query = request.meta.get("whois_query") or unquote(parts.path.lstrip("/"))
        try:
            addresses = await _checked_addresses(self.crawler, request, host, port)
        except OSError as exc:
            raise WhoisFetchError(f"cannot resolve {host}: {exc.strerror or exc}") from exc
        return await _politely(self.crawler, request, server_key(host, port),
                               lambda: self._fetch(request, addresses[0], port, query))

    async def _fetch(self, request: Request, address: str, port: int, query: str) -> Response:
        total = float(request.meta.get("download_timeout") or self.timeout)
        started = time.monotonic()
        body, first_byte = await self._exchange(address, port, query, started + total, total)
        request.meta["download_latency"] = (first_byte or time.monotonic()) - started
        return Response(request.url, status=200, body=body, request=request, flags=["whois"],
                        ip_address=ipaddress.ip_address(address.split("%", 1)[0]))

    async def _exchange(self, address: str, port: int, query: str, deadline: float, total: float) -> tuple[bytes, float | None]:
        """Send the query, read to the end; (answer, monotonic time of the first byte)."""
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(address, port),
                                                    max(0.001, min(self.connect_timeout, deadline - time.monotonic())))
        except TimeoutError as exc:
            raise WhoisFetchError(f"no connection within {self.connect_timeout:g} s") from exc
        except ConnectionRefusedError as exc:
            raise WhoisFetchError("connection refused") from exc
        except OSError as exc:
            raise WhoisFetchError(f"cannot connect: {exc.strerror or exc}") from exc
        chunks: list[bytes] = []
        size, first_byte = 0, None
        try:
            writer.write(query.encode("utf-8") + b"\r\n")
            await writer.drain()
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WhoisFetchError(f"answer not complete after {total:g} s ({size} bytes so far)", b"".join(chunks))
                try:
                    chunk = await asyncio.wait_for(reader.read(65536), min(self.read_timeout, left))
                except TimeoutError:
                    if time.monotonic() < deadline:
                        raise WhoisFetchError(f"no data for {self.read_timeout:g} s ({size} bytes so far)",
                                              b"".join(chunks)) from None
                    continue  # the overall deadline: reported at the top of the loop
                if not chunk:
                    return b"".join(chunks), first_byte
                first_byte = first_byte or time.monotonic()
                chunks.append(chunk)
                size += len(chunk)
                if size > self.max_bytes:
                    raise WhoisFetchError(f"answer larger than {self.max_bytes} bytes; reading stopped there",
                                          b"".join(chunks)[: self.max_bytes], retryable=False)
        except (ConnectionResetError, BrokenPipeError) as exc:
            raise WhoisFetchError(f"connection reset after {size} bytes", b"".join(chunks)) from exc
        finally:
            writer.transport.abort()

    async def close(self) -> None:
        pass


class PoliteHttpDownloadHandler(BaseDownloadHandler):
    """http(s) through Scrapy's own HTTP/1.1 handler, after the SSRF guard and the politeness gate."""

    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._http = build_from_crawler(HTTP11DownloadHandler, crawler)

    async def download_request(self, request: Request) -> Response:
        parts = urlsplit(request.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        await _checked_addresses(self.crawler, request, (parts.hostname or "").lower(), port)
        return await _politely(self.crawler, request, url_server_key(request.url),
                               lambda: self._http.download_request(request))

    async def close(self) -> None:
        await self._http.close()
