"""What a WHOIS response says about the domain: registered, available, reserved, throttled, ...

Peer libraries read a rate-limit answer as "domain available", and a disclaimer that mentions
"rate limits" or "not found" as the answer itself. Here the verdict is read only from the *answer
lines*: legal-notice paragraphs (long wrapped prose, one-line terms of use) are set aside first.
Then, in order:

1. registration data was parsed: REGISTERED, unless the registry's own status word says the name
   is free or reserved and nothing shows it was ever registered;
2. a refusal (rate limit exceeded, blocked, try again later) is THROTTLED - it wins over any
   not-found wording, since a refused query was never looked up;
3. reserved, invalid-query and not-found phrases, in that order.

The phrase tables are data; a registry's unusual wording belongs here, not in the parser.

>>> detect_status("% Too many queries. Try again later.", has_registration_data=False)
<ResponseStatus.THROTTLED: 'throttled'>
>>> detect_status("No match for domain \\"FOO.COM\\".", has_registration_data=False)
<ResponseStatus.AVAILABLE: 'available'>
>>> detect_status("Domain: foo.de\\nStatus: free", has_registration_data=False)
<ResponseStatus.AVAILABLE: 'available'>
>>> detect_status("% Access to the whois service is rate limited.\\nDomain not found.", has_registration_data=False)
<ResponseStatus.AVAILABLE: 'available'>
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from auditor.records import ResponseStatus

#: Refusals: the server did not look the name up (rate limits, blocks, overload).
THROTTLED_PATTERNS: tuple[str, ...] = (
    r"limit(?:s)? (?:has been |have been |was )?(?:exceeded|reached)", r"exceeded (?:the |your )?(?:maximum|allowed|query|request|quota|limit|number)",
    r"too many (?:queries|requests|connections|lookups|sessions)", r"quota (?:exceeded|reached)",
    r"access control limit", r"excessive (?:querying|queries|use|access)", r"maximum (?:query )?rate reached",
    r"temporarily (?:blocked|denied|unavailable|suspended|disabled)", r"you have been (?:blocked|banned)",
    r"connection refused", r"try again (?:later|in \d)", r"please (?:wait|retry) ", r"grace period",
    r"(?:ip|address|access|client|host) (?:address )?(?:has been |is |was )?(?:blocked|banned|denied|restricted|blacklisted)",
    r"request denied", r"query denied", r"access denied", r"(?:server|service) (?:is )?(?:too busy|overloaded)",
    r"(?:service|server) (?:is )?(?:temporarily )?(?:unavailable|down)", r"database is (?:currently )?(?:down|unavailable)",
    r"only \d+ (?:request|quer)", r"wait \d+ (?:second|minute)", r"lookup(?:s)? (?:limit|quota)", r"looup quota",
    r"rate limit(?:ed)? (?:exceeded|reached|hit)", r"(?:daily|hourly) (?:whois-)?limit",
    r"temporarily not", r"maximum (?:number of )?(?:queries|requests|lookups)\b.{0,30}\breached", r"query.status:\s*440",
    r"at least \d+[- ]?seconds?\b.{0,30}\b(?:before|between)", r"before (?:starting|making|sending) another",
    # Nominet: "The WHOIS query quota for 192.0.2.77 has been exceeded and will be replenished in 46 seconds"
    r"quota\b.{0,40}\b(?:exceeded|reached|used up)", r"will be replenished",
    # CNNIC: "Queried interval is too short."
    r"(?:query|queried|request|lookup) interval (?:is )?too short", r"(?:queries|requests|lookups) (?:are )?too frequent",
    # SWITCH (.ch, .li): "Requests of this client are not permitted. Please use https://www.nic.ch/whois/ for queries."
    r"(?:requests|queries) (?:of|from) this (?:client|host|ip|address) (?:are|is) not (?:permitted|allowed)",
)

#: Notices that mention a limit but still come with an answer ("Reduced information").
THROTTLE_NOTICE_PATTERNS: tuple[str, ...] = (r"reduced information", r"limited information", r"partial (?:information|answer)")

#: "No such registration" (the name may be registrable).
AVAILABLE_PATTERNS: tuple[str, ...] = (
    r"no match", r"not found", r"no entries found", r"no data found", r"no object found", r"nothing found",
    r"no matching record", r"not registered", r"no such domain", r"domain (?:name )?not known", r"object does not exist",
    r"does not exist", r"is available for (?:registration|purchase)", r"has not been registered", r"no entries? for",
    r"is free", r"^(?:domain )?status\s*:?\s*(?:free|available|not registered|no object found|220 available)\s*$",
    r"^available\s*$", r"no information available", r"we do not have an entry", r"not (?:been )?assigned",
    r"no records? (?:found|matching)", r"domain (?:name )?(?:is )?available", r"not exists?", r"was not found",
    r"no existe", r"non existent", r"nonexistent", r"nicht registriert", r"no se encontr", r"no domain",
    r"^no entries", r"not in (?:the )?(?:database|registry)", r"no results?\b", r"0 objects?", r"^free\b",
    r"no hay registros", r"no object", r"object not found", r"domain unknown", r"unknown domain", r"^not found",
    r"no registrations? found", r"can be registered", r"is not taken", r"no se encuentra", r"n'existe pas",
    r"no records", r"^%+\s*no entries", r"status:\s*available", r"query.status:\s*220", r"not registred", r"not available in (?:our|the) (?:whois )?database",
    r"domain name is available", r"no data was found", r"is not a registered", r"record not found",
    r"not have any registration", r"no match for", r"has no match", r"is not in use", r"^no found\b",
    r"could not find the (?:requested )?domain",
)

RESERVED_PATTERNS: tuple[str, ...] = (
    r"^(?:domain )?status\s*:?\s*(?:reserved|restricted|prohibited|blocked|not available for registration)\b",
    r"is reserved", r"reserved (?:by|for) (?:the )?(?:registry|government|policy|nic)", r"^reserved name",
    r"reserved domain", r"prohibited string", r"cannot be registered", r"not available for registration",
    r"can ?not be registered", r"is not available for registration", r"has been reserved",
    r"^reserved\b", r"domain\b.{0,40}\bis prohibited", r"^restricted\s*(?:-|domain|name)", r"^reserved by\b",
    r"in the reserved list",
)

INVALID_PATTERNS: tuple[str, ...] = (
    r"invalid (?:query|request|input|domain|characters|name|pattern|syntax|argument)", r"malformed (?:request|query)",
    r"not a valid domain", r"incorrect domain name", r"syntax error", r"wrong (?:query|domain)",
    r"bad request", r"unsupported (?:query|tld)", r"not (?:a )?(?:supported|managed) (?:tld|domain|zone)",
    r"this tld has no whois server", r"no whois server is known", r"not allowed", r"invalid\b.{0,30}\bquery",
    r"unable to (?:parse|process) (?:the )?query", r"illegal (?:character|domain|query)", r"is not valid",
    r"^-2:", r"^error:?\s*5500000001[0-9]", r"invalid domain name", r"not a domain name",
    r"only accepts? (?:queries|requests)", r"records for (?:that|this) zone", r"^status:\s*(?:invalid|not allowed)\b", r"solo acepta consultas", r"wrong top level domain",
)

#: Registry status words that say "free" / "reserved" even beside other data (folded: lower case, letters only).
FREE_STATUS_WORDS = frozenset({"free", "available", "notregistered", "noobjectfound", "220available"})
#: Reserved by the registry, whatever else the record shows ("NOT_OPEN" with a creation date: still reserved).
RESERVED_STATUS_WORDS = frozenset({"reserved", "notopen", "unassignable", "registryreserved", "reservedname",
                                   "notavailableforregistration"})
#: Reserved only when nothing shows the name in use (a "Restricted" name can be delegated and registered).
RESTRICTED_STATUS_WORDS = frozenset({"blocked", "prohibited", "restricted", "forbidden"})
#: Registered but held: quarantine and redemption periods keep the name from being registrable.
HELD_STATUS_WORDS = frozenset({"quarantine", "inquarantine", "redemption", "redemptionperiod", "pendingdelete",
                               "pendingdeleterestorable", "expired", "suspended", "onhold", "hold"})
INVALID_STATUS_WORDS = frozenset({"invalid", "notallowed", "invalidquery"})
#: Status words only a registered name has: RFC 5731's EPP codes and registries' "active" words. A response
#: that gives nothing else (DotGov: "Domain Name: US.GOV / Status: ACTIVE") still answers "registered".
REGISTERED_STATUS_WORDS = frozenset({
    "ok", "active", "actif", "activo", "ativo", "registered", "connected", "delegated", "inactive", "clienthold", "serverhold",
    "clientdeleteprohibited", "clientrenewprohibited", "clienttransferprohibited", "clientupdateprohibited",
    "serverdeleteprohibited", "serverrenewprohibited", "servertransferprohibited", "serverupdateprohibited",
    "pendingcreate", "pendingrenew", "pendingtransfer", "pendingupdate",
})


def _compile(patterns: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE | re.MULTILINE)


_THROTTLED = _compile(THROTTLED_PATTERNS)
_THROTTLE_NOTICE = _compile(THROTTLE_NOTICE_PATTERNS)
_AVAILABLE = _compile(AVAILABLE_PATTERNS)
_RESERVED = _compile(RESERVED_PATTERNS)
_INVALID = _compile(INVALID_PATTERNS)
_MARKERS = " \t%#>*;[]-:=!"
_LABEL_LINE = re.compile(r"^[^:]{1,40}:\s*\S")

#: A line longer than this is terms of use, never a verdict.
_MAX_ANSWER_LINE = 240


def _is_prose(line: str) -> bool:
    return len(line.split()) >= 8 and not _LABEL_LINE.match(line)


def answer_text(text: str) -> str:
    """The response without its legal-notice paragraphs: the lines that can carry a verdict.

    A paragraph (lines between blank or marker-only lines) is a notice when it has three or more
    lines and most of them are prose sentences; a single line is a notice when it is very long.
    """
    kept: list[str] = []
    block: list[str] = []

    def flush() -> None:
        if len(block) >= 3 and sum(map(_is_prose, block)) * 2 > len(block):
            # a notice paragraph; a short line in it ("No Data Found" above the footer) still counts
            kept.extend(line for line in block if len(line.split()) <= 6)
            block.clear()
            return
        kept.extend(line for line in block if len(line) <= _MAX_ANSWER_LINE)
        block.clear()

    for raw in text[:20000].splitlines():
        line = raw.strip().strip(_MARKERS).replace("_", " ").strip()
        if not line:
            flush()
            continue
        block.append(line)
    flush()
    return "\n".join(kept)


@lru_cache(maxsize=16384)
def _fold_status(word: str) -> str:
    return "".join(ch for ch in word.lower() if ch.isalnum())


@lru_cache(maxsize=65536)
def _line_verdict(line: str) -> ResponseStatus | None:
    if _THROTTLED.search(line) and not _THROTTLE_NOTICE.search(line):
        return ResponseStatus.THROTTLED
    if _RESERVED.search(line):
        return ResponseStatus.RESERVED
    if _AVAILABLE.search(line):  # "Invalid query or domain name not known": the name is not registered
        return ResponseStatus.AVAILABLE
    if _INVALID.search(line):
        return ResponseStatus.INVALID_QUERY
    return None


def reduced_answer_line(text: str) -> str | None:
    """The line of an answer that says it was cut down because of a limit ("% Query rate limit exceeded.
    Reduced information." at registro.br), or None: such an answer is a registration whose absent fields
    were withheld by the server, not missing from the registration."""
    for line in answer_text(text).splitlines():
        if _THROTTLED.search(line) and _THROTTLE_NOTICE.search(line):
            return line.strip()
    return None


def is_throttled_text(text: str) -> bool:
    """True when the answer lines of a response are a rate-limit or block refusal."""
    return any(_line_verdict(line) is ResponseStatus.THROTTLED for line in answer_text(text).splitlines())


def detect_status(text: str, has_registration_data: bool, statuses: Iterable[str] = (),
                  ever_registered: bool = True) -> ResponseStatus:
    """Classify a decoded WHOIS response.

    `has_registration_data`: the parser found dates, a registrar, name servers or a holder;
    `statuses`: the registry's status words it found; `ever_registered`: it found a creation date
    or a registrar (a reserved name has neither). Without registration data the first answer line
    that says something decides, except that a refusal anywhere wins: a refused query was never
    looked up, whatever else the server printed.
    """
    words = {_fold_status(w) for s in statuses for w in (s, s.split()[0] if s.split() else s)}
    if words & RESERVED_STATUS_WORDS:
        return ResponseStatus.RESERVED
    if not ever_registered:
        for table, verdict in ((FREE_STATUS_WORDS, ResponseStatus.AVAILABLE),
                               (RESTRICTED_STATUS_WORDS, ResponseStatus.RESERVED),
                               (INVALID_STATUS_WORDS, ResponseStatus.INVALID_QUERY)):
            if words & table:
                return verdict
    if has_registration_data or words & HELD_STATUS_WORDS:
        return ResponseStatus.REGISTERED
    verdicts = [v for v in map(_line_verdict, answer_text(text).splitlines()) if v is not None]
    if ResponseStatus.THROTTLED in verdicts:
        return ResponseStatus.THROTTLED
    for table, verdict in ((FREE_STATUS_WORDS, ResponseStatus.AVAILABLE),
                           (RESTRICTED_STATUS_WORDS, ResponseStatus.RESERVED),
                           (INVALID_STATUS_WORDS, ResponseStatus.INVALID_QUERY)):
        if words & table:
            return verdict
    if not verdicts and words & REGISTERED_STATUS_WORDS:
        return ResponseStatus.REGISTERED
    return verdicts[0] if verdicts else ResponseStatus.UNKNOWN
