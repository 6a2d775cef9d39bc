"""WhoisSpider: the registry's port-43 server first, then the registrar's server it refers to, once.

The query line is the server's own format (``-T dn,ace example.de`` for DENIC, ``example.jp/e`` for
JPRS; auditor/data/whois-servers.json). A thin registry's ``Registrar WHOIS Server`` is followed once
(hop 1); a referral back to a server already asked is a loop and is not followed; a referral to the
server itself (thick registries print their own name) is nothing to follow.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

from auditor.parse.whois_text import extract_referral
from auditor.records import FetchStatus, RawRecord, Source
from spiders.base import Attempt, FrontierSpider
from spiders.handlers import WhoisFetchError
from spiders.outcome import Verdict, whois_charset, whois_verdict
from spiders.servers import WHOIS_PORT, Target, WhoisDirectory, split_host_port


def raw_server_name(server: str) -> str:
    """How a raw record names a port-43 server: the host, with the port only when it is not 43."""
    return server[: -len(f":{WHOIS_PORT}")] if server.endswith(f":{WHOIS_PORT}") else server


class WhoisSpider(FrontierSpider):
    """Port-43 WHOIS (RFC 3912) through the ``whois://`` download handler."""

    name = "whois"
    protocol = "whois"
    source = Source.WHOIS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.directory = WhoisDirectory(Path(self.job.whois_map) if self.job.whois_map else None)
        self.aliases = {k.lower(): v for k, v in self.job.whois_aliases.items()}

    def ask(self, attempt: Attempt) -> scrapy.Request:
        target = attempt.target
        meta = {**self.request_meta(attempt), "whois_query": target["query"] or target["domain"]}
        return scrapy.Request(target["url"], callback=self.on_answer, errback=self.on_failure, meta=meta,
                              dont_filter=True)

    def read(self, response: Response, attempt: Attempt) -> tuple[RawRecord, Verdict, Target | None, str | None]:
        target = attempt.target
        raw = self.raw(attempt, response.body, FetchStatus.OK, url=target["url"],
                       charset=whois_charset(response.body, target["domain"]), error=None,
                       server=raw_server_name(target["server"]))
        verdict = whois_verdict(raw)
        raw = replace(raw, status=verdict.status, error=verdict.error)
        hop, note = self.referral(raw, attempt) if verdict.status is FetchStatus.OK else (None, None)
        return raw, verdict, hop, note

    def failed(self, exc: BaseException, attempt: Attempt) -> tuple[RawRecord, Verdict]:
        if isinstance(exc, WhoisFetchError):
            body, reason, retryable = exc.partial, str(exc), exc.retryable
        else:
            body, reason, retryable = b"", f"{type(exc).__name__}: {exc}", True
        target = attempt.target
        raw = self.raw(attempt, body, FetchStatus.ERROR, url=target["url"], charset=None, error=reason,
                       server=raw_server_name(target["server"]))
        return raw, Verdict(FetchStatus.ERROR, reason, retryable=retryable)

    def referral(self, raw: RawRecord, attempt: Attempt) -> tuple[Target | None, str | None]:
        """The registrar server to ask next (hop 1), or a note on why a named server is not asked."""
        spec = extract_referral(raw.body.decode(raw.charset or "latin-1", "replace"))
        if not spec or not self.job.follow_referrals:
            return None, None
        try:
            host, port = split_host_port(spec, WHOIS_PORT)
        except ValueError:
            return None, f"referral {spec!r} ignored: not HOST[:PORT]"
        spec = self.aliases.get(f"{host}:{port}") or self.aliases.get(host) or spec
        hop = self.directory.for_server(attempt.target["domain"], spec)
        current = attempt.target["server"]
        if hop.server == current:
            return None, None  # a thick registry naming itself
        if hop.server in attempt.visited:
            return None, f"referral loop {' -> '.join([*attempt.visited, current, hop.server])}: not followed"
        if attempt.target["hop"] >= 1:
            return None, f"referral to {hop.server} not followed (one hop only)"
        return hop, None

