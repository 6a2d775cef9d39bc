"""Which WHOIS profile reads which server's answers: a dict keyed by server host, then by TLD.

Profiles are data. A registry whose format the generic parser already reads needs no entry;
entries exist for what differs: extra labels, roles withheld by policy, date zones, address layout.
"""

from __future__ import annotations

from auditor.parse.whois_text import GENERIC_PROFILE, WhoisProfile

_ALL_ROLES = ("registrant", "administrative", "technical", "billing")

PROFILES_BY_SERVER: dict[str, WhoisProfile] = {
    "whois.jprs.jp": WhoisProfile(
        name="jprs",
        date_offset_hours=9,
        headers={"contact information": "registrant"},
        query_format="{domain}/e",
    ),
    "whois.nic.it": WhoisProfile(name="nic.it", address_tail=("city", "postcode", "region", "country")),
    "whois.denic.de": WhoisProfile(name="denic", withheld_roles=_ALL_ROLES, query_format="-T dn,ace {domain}"),
    "whois.eu": WhoisProfile(name="eurid", withheld_roles=("registrant",)),
    "whois.dk-hostmaster.dk": WhoisProfile(name="dk-hostmaster", query_format="--show-handles {domain}"),
    "whois.punktum.dk": WhoisProfile(name="punktum", query_format="--show-handles {domain}"),
}

#: Registry WHOIS server per TLD, for files whose server is unknown (imports) and for crawling.
SERVER_BY_TLD: dict[str, str] = {
    "jp": "whois.jprs.jp",
    "it": "whois.nic.it",
    "de": "whois.denic.de",
    "eu": "whois.eu",
    "dk": "whois.punktum.dk",
}


def profile_for(server: str | None, tld: str | None) -> WhoisProfile:
    """The profile for a server, else for the TLD's registry server, else the generic one."""
    if server and server.lower() in PROFILES_BY_SERVER:
        return PROFILES_BY_SERVER[server.lower()]
    if tld and tld.lower() in SERVER_BY_TLD:
        return PROFILES_BY_SERVER.get(SERVER_BY_TLD[tld.lower()], GENERIC_PROFILE)
    return GENERIC_PROFILE
