"""RdapSpider: the registry's RDAP service (IANA bootstrap or --rdap-url), then one ``related`` link.

RFC 7480: 404 is "not found", 429 (with Retry-After) is a rate limit. A registry's domain object may
link (``rel="related"``, RFC 9083 section 4.2) to the registrar's RDAP record, which often holds the
contacts; that link is followed once, through the SSRF guard, and never back to a server already asked.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import replace
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.http import Response

from auditor.records import FetchStatus, RawRecord, Source
from spiders.base import Attempt, FrontierSpider, Reading
from spiders.outcome import Verdict, rdap_verdict
from spiders.servers import Target, url_target

ACCEPT = "application/rdap+json, application/json;q=0.9"

#: Transport failures and how to read them: (message, worth asking again).
FAILURES: dict[type[BaseException], tuple[str, bool]] = {
    DownloadTimeoutError: ("no complete answer within the download timeout", True),
    DownloadConnectionRefusedError: ("connection refused", True),
    CannotResolveHostError: ("cannot resolve the server's name", True),
    ResponseDataLossError: ("the connection closed before the answer was complete", True),
    DownloadFailedError: ("the connection failed before an answer", True),
    DownloadCancelledError: ("download cancelled: the answer is larger than the size cap", False),
}


def decode_content(body: bytes, encoding: str, cap: int) -> tuple[bytes, str | None]:
    """The body a server compressed although it was not asked to, inflated to at most `cap` bytes.

    The crawler sends no Accept-Encoding (Scrapy's compression middleware is off), so compliant servers
    answer uncompressed and the bytes kept are the bytes sent. A server that gzips or deflates anyway
    is read here, never beyond the size cap (a decompression bomb stops there). Returns (body, error).
    """
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body, None
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return body, f"unsupported Content-Encoding {encoding!r}"
    inflater = zlib.decompressobj(wbits=47 if encoding != "deflate" else 15)  # 47: gzip or zlib header
    try:
        out = inflater.decompress(body, cap + 1)
        if len(out) <= cap:
            out += inflater.flush()
    except zlib.error as exc:
        return body, f"Content-Encoding {encoding} that does not decompress: {exc}"
    if len(out) > cap:
        return out[:cap], f"answer larger than {cap} bytes once decompressed; reading stopped there"
    return out, None


def raw_server_name(url: str) -> str:
    """How a raw record names an RDAP server: the host, with the port only when it is not the scheme's default."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port and parts.port != {"http": 80, "https": 443}.get(parts.scheme) else host


def related_link(data: Any, base: str) -> str | None:
    """The first ``rel="related"`` link to an RDAP object (absolute URL), if any."""
    if not isinstance(data, dict):
        return None
    for link in data.get("links") or []:
        if not isinstance(link, dict) or link.get("rel") != "related" or not isinstance(link.get("href"), str):
            continue
        kind = str(link.get("type") or "")
        if "rdap" in kind or "json" in kind or "/domain/" in link["href"]:
            return urljoin(base, link["href"])
    return None


#: HTTP redirects (followed), and every other status (read as the answer).
REDIRECTS = frozenset({301, 302, 303, 307, 308})
NOT_REDIRECTS = [status for status in range(100, 600) if status not in REDIRECTS]


class RdapSpider(FrontierSpider):
    """RDAP over HTTP(S) through Scrapy's HTTP handler, behind the politeness gate."""

    name = "rdap"
    protocol = "rdap"
    source = Source.RDAP

    def ask(self, attempt: Attempt) -> scrapy.Request:
        # every status is read here (404, 429, 5xx) except redirects, which Scrapy's redirect middleware
        # follows (REDIRECT_MAX_TIMES) through the download handler's SSRF guard
        meta = {**self.request_meta(attempt), "handle_httpstatus_list": NOT_REDIRECTS}
        return scrapy.Request(attempt.target["url"], callback=self.on_answer, errback=self.on_failure,
                              meta=meta, headers={"Accept": ACCEPT}, dont_filter=True)

    def observe(self, request: scrapy.Request, response: Response | None, exc: BaseException | None) -> Reading | None:
        if (response is not None and response.status in REDIRECTS and response.headers.get("Location")
                and request.meta.get("redirect_times", 0) < self.settings.getint("REDIRECT_MAX_TIMES", 3)):
            return None  # not an answer: the middleware asks the Location next
        return super().observe(request, response, exc)

    def read(self, response: Response, attempt: Attempt) -> tuple[RawRecord, Verdict, Target | None, str | None]:
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        charset = "utf-8"
        if "charset=" in content_type:
            charset = content_type.split("charset=", 1)[1].split(";")[0].strip().strip('"') or charset
        encoding = (response.headers.get("Content-Encoding") or b"").decode("latin-1")
        body, encoding_error = decode_content(response.body, encoding, self.job.rdap_max_bytes)
        raw = self.raw(attempt, body, FetchStatus.OK, url=response.url, charset=charset, error=None,
                       server=raw_server_name(response.url))
        retry_after = (response.headers.get("Retry-After") or b"").decode("latin-1") or None
        verdict = rdap_verdict(raw, response.status, retry_after)
        if encoding_error is not None:
            verdict = Verdict(FetchStatus.ERROR, encoding_error, retryable=False)
        raw = replace(raw, status=verdict.status, error=verdict.error)
        hop, note = self.related(raw, attempt) if verdict.status is FetchStatus.OK else (None, None)
        return raw, verdict, hop, note

    def failed(self, exc: BaseException, attempt: Attempt) -> tuple[RawRecord, Verdict]:
        reason, retryable = next(((text, again) for kind, (text, again) in FAILURES.items() if isinstance(exc, kind)),
                                 (f"{type(exc).__name__}: {exc}", True))
        url = attempt.target["url"]
        raw = self.raw(attempt, b"", FetchStatus.ERROR, url=url, charset=None, error=reason, server=raw_server_name(url))
        return raw, Verdict(FetchStatus.ERROR, reason, retryable=retryable)

    def related(self, raw: RawRecord, attempt: Attempt) -> tuple[Target | None, str | None]:
        """The related RDAP record to fetch next (hop 1), or a note on why a link is not followed."""
        if not self.job.follow_referrals:
            return None, None
        try:
            href = related_link(json.loads(raw.body.decode(raw.charset or "utf-8")), raw.url or "")
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None, None
        if href is None or urlsplit(href).scheme not in ("http", "https"):
            return None, None
        hop = url_target(attempt.target["domain"], href)
        current = attempt.target["server"]
        if hop.url == attempt.target["url"]:
            return None, None  # the object linking to itself
        if hop.server == current or hop.server in attempt.visited:
            return None, f"related link loop {' -> '.join([*attempt.visited, current, hop.server])}: not followed"
        if attempt.target["hop"] >= 1:
            return None, f"related link to {hop.server} not followed (one hop only)"
        return hop, None
