"""What a WHOIS response says about the domain: registered, available, reserved, throttled, ...

Many peer libraries read a rate-limit answer as "domain available". Here a response is called
available only on an explicit not-found phrase and in the absence of registration data, and a
throttling phrase always wins over not-found phrasing.

>>> detect_status("% Too many queries. Try again later.", has_registration_data=False)
<ResponseStatus.THROTTLED: 'throttled'>
>>> detect_status("No match for domain \\"FOO.COM\\".", has_registration_data=False)
<ResponseStatus.AVAILABLE: 'available'>
>>> detect_status("Domain: foo.de\\nStatus: free", has_registration_data=False)
<ResponseStatus.AVAILABLE: 'available'>
"""

from __future__ import annotations

import re

from auditor.records import ResponseStatus

#: Phrases registries use when they refuse to answer because of rate limits or blocks.
THROTTLED_PATTERNS: tuple[str, ...] = (
    r"rate limit", r"limit(?:s)? (?:has been |have been )?exceeded", r"exceeded (?:the |your )?(?:maximum|allowed|query|request|quota|limit)",
    r"too many (?:queries|requests|connections|lookups)", r"quota (?:exceeded|reached)",
    r"query rate", r"access control limit", r"number of (?:allowed )?queries", r"excessive (?:querying|queries|use)",
    r"temporarily (?:blocked|denied|unavailable|suspended)", r"you have been (?:blocked|banned)",
    r"connection refused", r"maximum (?:number of )?(?:queries|requests|daily)", r"try again (?:later|in)",
    r"query limit", r"request limit", r"whois limit", r"lookups? (?:limit|quota)", r"too fast",
    r"your (?:ip|access) (?:address )?(?:has been |is )(?:blocked|banned|restricted|limited)",
    r"service (?:is )?(?:temporarily )?unavailable", r"slow down", r"exceeded this limit", r"flood",
)

#: Phrases for "no such registration" (the domain may be registrable).
AVAILABLE_PATTERNS: tuple[str, ...] = (
    r"no match", r"not found", r"no entries found", r"no data found", r"no object found",
    r"nothing found", r"no matching record", r"not registered", r"no such domain", r"domain (?:name )?not known",
    r"object does not exist", r"does not exist", r"is available for (?:registration|purchase)",
    r"has not been registered", r"no entries? for", r"is free", r"^\s*status:\s*(?:free|available|not registered)\s*$",
    r"^\s*available\s*$", r"no information available", r"we do not have an entry", r"not (?:been )?assigned",
    r"no records? (?:found|matching)", r"domain (?:is )?available", r"unassignable", r"not exists?",
    r"was not found", r"no existe", r"non existent", r"nicht registriert", r"no se encontr",
    r"the queried object does not exist", r"no domain", r"^%+ ?no entries", r"not in (?:the )?(?:database|registry)",
)

RESERVED_PATTERNS: tuple[str, ...] = (
    r"^\s*(?:domain )?status:\s*(?:reserved|restricted|prohibited|blocked|not available for registration)",
    r"is reserved", r"reserved (?:by|for) (?:the )?(?:registry|government|policy)", r"reserved name",
    r"reserved domain", r"prohibited string", r"cannot be registered", r"not available for registration",
)

INVALID_PATTERNS: tuple[str, ...] = (
    r"invalid (?:query|request|input|domain|characters|name)", r"malformed (?:request|query)",
    r"not a valid domain", r"incorrect domain name", r"syntax error", r"wrong (?:query|domain)",
    r"bad request", r"unsupported (?:query|tld)", r"not (?:a )?(?:supported|managed) (?:tld|domain|zone)",
    r"this tld has no whois server", r"no whois server is known",
)


def _compile(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE | re.MULTILINE)


_THROTTLED = _compile(THROTTLED_PATTERNS)
_AVAILABLE = _compile(AVAILABLE_PATTERNS)
_RESERVED = _compile(RESERVED_PATTERNS)
_INVALID = _compile(INVALID_PATTERNS)
_FREE_STATUS = re.compile(r"^\s*(?:domain )?status\s*:\s*(free|available|not registered|no object found)\s*$",
                          re.IGNORECASE | re.MULTILINE)


def is_throttled_text(text: str) -> bool:
    """True when a (short) response is a rate-limit or block answer."""
    return bool(_THROTTLED.search(text[:4000]))


def detect_status(text: str, has_registration_data: bool) -> ResponseStatus:
    """Classify a decoded WHOIS response, given whether the parser found registration data."""
    if _FREE_STATUS.search(text):
        return ResponseStatus.AVAILABLE
    if has_registration_data:
        if _RESERVED.search(text) and not re.search(r"creat|registered on|registration date", text, re.I):
            return ResponseStatus.RESERVED
        return ResponseStatus.REGISTERED
    if is_throttled_text(text):
        return ResponseStatus.THROTTLED
    if _RESERVED.search(text):
        return ResponseStatus.RESERVED
    if _INVALID.search(text):
        return ResponseStatus.INVALID_QUERY
    if _AVAILABLE.search(text):
        return ResponseStatus.AVAILABLE
    return ResponseStatus.UNKNOWN
