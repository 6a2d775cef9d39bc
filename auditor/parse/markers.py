"""Redaction markers and privacy/proxy services: telling "hidden on purpose" apart from "absent".

A value that says it was withheld ("REDACTED FOR PRIVACY", "Not Disclosed", a web-form link in
place of an email) makes the field *redacted*, never missing and never a placeholder. A contact
whose data belongs to a privacy/proxy service is recognised as such, so rules about the holder's
own data do not fire on the service's.

>>> is_redaction_marker("REDACTED FOR PRIVACY"), is_redaction_marker("Jane Doe")
(True, False)
>>> is_redaction_marker("Please query the RDDS service of the Registrar of Record")
True
>>> is_redaction_marker("REDACTED_FOR_PRIVACY"), is_redaction_marker("<data not disclosed>"), is_redaction_marker("N/A")
(True, True, False)
>>> privacy_service_of(["Domains By Proxy, LLC", "DomainsByProxy.com"])
'Domains By Proxy'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

#: What may follow "withheld", "hidden" or "data protected" in a notice: punctuation and anything, or
#: a word that gives the reason or the way ("Hidden upon user request", "Withheld pursuant to GDPR").
#: Not any word: "Hidden Valley Ranch" is a street, "Data Protected Ltd" a firm.
_REASON = (r"(?:\s*[-–—:;,.(!/\[|].*|\s+(?:for|by|upon|on|at|due|as|per|under|in|according|from|pursuant|"
           r"because|via|until|with|to|and|gdpr|privacy)\b.*)?")

#: Whole-value or leading phrases registries and registrars put in place of withheld data.
REDACTION_PATTERNS: tuple[str, ...] = (
    r"redacted(?: for privacy(?: purposes)?)?",
    # "REDACTED POSTAL CODE", "REDACTED REGISTRANT PHONE": the word and the field it stands in for
    r"redacted(?: (?:registrant|admin(?:istrative)?|tech(?:nical)?|billing|contact|holder))?(?: (?:name|organi[sz]ation|"
    r"street|address|city|state|province|state/province|postal code|post code|postcode|zip(?: code)?|country|"
    r"phone|telephone|fax|e-?mail|data|info(?:rmation)?))?",
    r"redacted\s*\|.*",  # KENIC "Redacted | Registry Policy"
    r"gdpr[\s_-]*(?:masked|redacted|protected)",
    r"(?:data|information) (?:is )?(?:protected|withheld|redacted|hidden|not disclosed)" + _REASON,
    r"data protected" + _REASON,
    r"not disclosed.*",
    r"not[\s_-]*disclosed!?.*",
    r"non[\s-]*public(?: data)?",
    # "withheld" or "hidden" alone or with the reason after it, not any value starting with the word
    # ("Hidden Valley Ranch" is a street)
    r"(?:withheld|hidden)" + _REASON,
    r"private(?: person| individual)?",
    r"privacy(?: protected| protection| restricted)?",
    r"statutory masking enabled",
    r"personal data.*(?:not|cannot|can not).*(?:publish|disclos|display).*",
    r"(?:please )?(?:query|contact|ask|see|visit|use) (?:the )?(?:rdds|registrar|web ?form|whois web|"
    r"our web|www\.|https?://|whois).*",
    r"(?:link|contact|reach the registrant) (?:at|via|through|using) .*https?://.*",
    r"personal information\W*",
    r"registrar",  # "Registrar" where the email should be: ask the registrar (.fi)
    r"select (?:the )?contact domain holder link.*",
    r"https?://\S*(?:contact|whois|privacy|form|email|redact)\S*",
    r"(?:entity|holder|registrant) is (?:a )?private person",
    r"not (?:published|shown|available|displayed)(?:[\s,;:(-].*)?",  # DNS Belgium: "Not shown, please visit ..."
    r"masked",
    r"confidential",
    r"\*{3,}",
    r"(?:see|refer to) (?:the )?registrar.*",
    r"ano nymous",  # AFNIC's anonymised contact (with "anonymous: YES")
    r"(?:the )?registrant is a non-trading individual who has opted to have (?:their|his|her) address omitted.*",
)
#: Matched against the lower-cased value (the patterns are lower case): a case-sensitive match of the
#: lowered text took half the time of an IGNORECASE match of the text, and every field of every
#: contact is tested. (They differ only for the few characters Unicode folds but does not lower, such
#: as the long s, which no registry writes in a redaction notice.)
_REDACTION_RE = re.compile(r"^\s*(?:" + "|".join(REDACTION_PATTERNS) + r")\s*\.?\s*$")

#: Known privacy/proxy services: canonical name -> patterns found in name, organisation or email.
PRIVACY_SERVICES: dict[str, tuple[str, ...]] = {
    "Domains By Proxy": (r"domains ?by ?proxy",),
    "WhoisGuard": (r"whois ?guard",),
    "Contact Privacy": (r"contact privacy inc", r"contactprivacy\.com"),
    "Withheld for Privacy": (r"withheld for privacy ehf", r"withheldforprivacy\.com"),
    "PrivacyGuardian.org": (r"privacy ?guardian",),
    "Perfect Privacy": (r"perfect privacy,? llc",),
    "Whois Privacy Protection Service": (r"whois privacy protection service", r"whoisprivacyprotect\.com"),
    "Domain Protection Services": (r"domain protection services",),
    "Privacy Protect": (r"privacy ?protect(?:,? llc|\.org)",),
    "Super Privacy Service": (r"super privacy service",),
    "Identity Protection Service": (r"identity protection service", r"identity-protect\.org"),
    "Whois Privacy Corp": (r"whois privacy corp", r"whoisprivacycorp\.com"),
    "Private by Design": (r"private by design",),
    "Anonymize": (r"anonymi[sz]e,? inc", r"anonymize\.com"),
    "Proxy Protection": (r"proxy protection llc",),
    "Domain Privacy Service FBO Registrant": (r"domain privacy service fbo",),
    "MyPrivacy": (r"myprivacy\.net",),
    "WhoisSecure": (r"whois ?secure",),
    "Whois Agent": (r"whois agent",),
    "Data Protected Limited": (r"data protected limited",),
    "Redacted for Privacy (proxy)": (r"redacted for privacy purposes",),
}
_SERVICE_NAMES = list(PRIVACY_SERVICES)
_SERVICES_RE = re.compile(
    "|".join(f"(?P<s{i}>{'|'.join(pats)})" for i, pats in enumerate(PRIVACY_SERVICES.values())), re.IGNORECASE)

#: Generic wording of unnamed privacy/proxy services (organisation or name field).
_GENERIC_PROXY_RE = re.compile(
    r"\b(?:privacy (?:service|protection|proxy)|proxy service|whois (?:privacy|protection|proxy)|"
    r"private registration|registration private|domain privacy|privacy\.(?:com|net|org))\b",
    re.IGNORECASE,
)


_WRAPPED_NA = re.compile(r"^\*+\s*n/?a\s*\*+$", re.IGNORECASE)


def _unwrap(value: str) -> str:
    """"<data not disclosed>", "REDACTED_FOR_PRIVACY", "[Not Disclosed]" read like their plain forms."""
    return value.strip().strip("<>()[]{}").replace("_", " ").strip()


#: No redaction notice starts with a digit or a plus: phone numbers, postcodes and numbered streets,
#: a third of a contact's values and nearly all distinct, are answered without the cache below.
_NOT_A_NOTICE_START = frozenset("+0123456789")


def is_redaction_marker(value: str | None) -> bool:
    """True when the value says the real data is withheld."""
    if not value or value[0] in _NOT_A_NOTICE_START:
        return False
    return _is_redaction_notice(value)


@lru_cache(maxsize=65536)
def _is_redaction_notice(value: str) -> bool:
    """`is_redaction_marker` for a non-empty value."""
    if len(value) > 300:
        return False
    if _WRAPPED_NA.match(value.strip()):
        return True  # DK Hostmaster "***N/A***": not shown
    plain = _unwrap(value).lower()
    if plain in ("n/a", "na"):
        return False  # a bare "N/A" is a placeholder (FAL rules), not a registry's redaction
    if _REDACTION_RE.match(plain):
        return True
    # a notice written twice on one line, where a "postcode city" line was masked part by part ("GDPR Masked
    # GDPR Masked")
    words = plain.split()
    half = len(words) // 2
    return len(words) % 2 == 0 and half > 0 and words[:half] == words[half:] and bool(_REDACTION_RE.match(" ".join(words[:half])))


def privacy_service_of(values: Iterable[str | None]) -> str | None:
    """The privacy/proxy service named in a contact's name, organisation or email, if any."""
    return _privacy_service("\n".join(v for v in values if v))


#: Every service pattern above contains one of these words: a cheap test before the big regex.
_SERVICE_HINTS = ("proxy", "privacy", "guard", "protect", "whois", "withheld", "anonymi", "redacted", "private",
                  "agent", "fbo", "secure")
_SERVICE_HINT_RE = re.compile("|".join(_SERVICE_HINTS))


@lru_cache(maxsize=16384)
def _privacy_service(joined: str) -> str | None:
    if not joined:
        return None
    if not _SERVICE_HINT_RE.search(joined.lower()):
        return None
    found = [int(k[1:]) for m in _SERVICES_RE.finditer(joined) for k, v in m.groupdict().items() if v]
    if found:
        return _SERVICE_NAMES[min(found)]  # the table's order decides between two names
    if _GENERIC_PROXY_RE.search(joined):
        return "unnamed privacy/proxy service"
    return None
