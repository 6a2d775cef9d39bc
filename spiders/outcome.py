"""What an answer means for the crawl: ok, not_found, rate_limited or error, and whether to ask again.

The verdict on an answer's content comes from the project's parser (`auditor.parse`), so the crawl
and the audit never disagree: an answer the parser reads as a refusal (``THROTTLED``: port-43
rate-limit texts, an RDAP 429 error object) is ``rate_limited``; stored as evidence, backed off and
asked again, and never a registration. A not-found answer is ``not_found``. Binary or empty answers,
transport failures and HTTP errors are ``error``.

>>> retry_after_seconds("120"), retry_after_seconds("soon")
(120.0, None)
>>> text_retry_hint("% Too many queries; try again in 2 minutes.")
120.0
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from auditor.decode import decode, looks_binary
from auditor.errors import DecodeError
from auditor.parse import parse
from auditor.parse.status import is_throttled_text
from auditor.records import FetchStatus, NoRegistration, ParseFailure, RawRecord, RegistrationRecord, ResponseStatus

_HINT = re.compile(r"(?:try again|retry|wait)\D{0,20}?(\d{1,6})\s*(sec|s\b|min|hour|h\b)", re.I)
_UNITS = {"sec": 1, "s": 1, "min": 60, "hour": 3600, "h": 3600}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The crawl's reading of one answer (or failure)."""

    status: FetchStatus
    error: str | None = None
    retry_after: float | None = None  # HTTP Retry-After in seconds: honoured to the letter
    retryable: bool = False  # worth asking again after a back-off (rate limits and transient failures)
    hint: float | None = None  # a port-43 refusal's "try again in N seconds": a floor for the back-off

    @property
    def refusal(self) -> bool:
        """The server refused or failed: back off before asking it again."""
        return self.status is FetchStatus.RATE_LIMITED or (self.status is FetchStatus.ERROR and self.retryable)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """An HTTP Retry-After (seconds, or an HTTP date) in seconds from now; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def text_retry_hint(text: str) -> float | None:
    """A port-43 refusal's own "try again in N seconds/minutes", in seconds."""
    m = _HINT.search(text)
    if not m:
        return None
    return float(m.group(1)) * _UNITS[m.group(2).lower()]


def whois_charset(body: bytes, domain: str) -> str | None:
    """The decoder's guess at a port-43 answer's encoding (recorded with the raw bytes)."""
    try:
        return decode(body, tld=domain.rsplit(".", 1)[-1]).encoding
    except DecodeError:
        return None


def whois_verdict(raw: RawRecord) -> Verdict:
    """Classify a complete port-43 answer (the connection closed normally)."""
    if not raw.body.strip():
        return Verdict(FetchStatus.ERROR, "the server closed the connection without an answer", retryable=True)
    if looks_binary(raw.body):
        return Verdict(FetchStatus.ERROR, "binary data, not a WHOIS answer")
    outcome = parse(raw)
    text = raw.body[:65536].decode(raw.charset or "latin-1", "replace")
    if isinstance(outcome, RegistrationRecord):
        return Verdict(FetchStatus.OK)
    if (isinstance(outcome, NoRegistration) and outcome.status is ResponseStatus.THROTTLED) or (
            isinstance(outcome, ParseFailure) and is_throttled_text(text)):
        return Verdict(FetchStatus.RATE_LIMITED, "the server refused: rate limit", retryable=True, hint=text_retry_hint(text))
    if isinstance(outcome, NoRegistration) and outcome.status is ResponseStatus.AVAILABLE:
        return Verdict(FetchStatus.NOT_FOUND)
    return Verdict(FetchStatus.OK)  # reserved, invalid query, unreadable text: the audit reports what it is


def rdap_verdict(raw: RawRecord, http_status: int, retry_after: str | None) -> Verdict:
    """Classify an HTTP answer of an RDAP server (RFC 7480: 404 not found, 429 rate limited)."""
    wait = retry_after_seconds(retry_after)
    if http_status == 429:
        return Verdict(FetchStatus.RATE_LIMITED, "HTTP 429 Too Many Requests", wait, retryable=True)
    if http_status == 404:
        return Verdict(FetchStatus.NOT_FOUND)
    if http_status >= 500:
        return Verdict(FetchStatus.ERROR, f"HTTP {http_status}", wait, retryable=True)
    if http_status != 200:
        return Verdict(FetchStatus.ERROR, f"HTTP {http_status}")
    outcome = parse(raw)
    if isinstance(outcome, ParseFailure):
        return Verdict(FetchStatus.ERROR, f"not an RDAP answer: {outcome.reason}")
    if isinstance(outcome, NoRegistration) and outcome.status is ResponseStatus.THROTTLED:
        return Verdict(FetchStatus.RATE_LIMITED, "RDAP error object 429", wait, retryable=True)
    return Verdict(FetchStatus.OK)
