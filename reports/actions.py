"""What a registry asks for, and by when: the requested action and the deadline the applicable policy sets.

Deadlines are configurable (`[deadlines]` in auditor.toml, days per TLD); the defaults come from the
policies the field notes record: 15 days under the ICANN RAA accuracy specification for gTLDs,
14 days at DNS Belgium (.be), 30 days at Nominet (.uk), 3 working days at SIDN (.nl), 3 days in
EURid's fast track (.eu), and NIS2 Art. 28 "without undue delay" (30 days here) elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from auditor.domains import public_suffix


@dataclass(frozen=True)
class Deadline:
    """A correction deadline and the policy that sets it."""

    days: int
    basis: str
    working_days: bool = False

    def due(self, start: datetime) -> datetime:
        """The due date counted from `start` (working days skip weekends)."""
        if not self.working_days:
            return start + timedelta(days=self.days)
        day, left = start, self.days
        while left:
            day += timedelta(days=1)
            if day.weekday() < 5:
                left -= 1
        return day


DEFAULT_DEADLINES: dict[str, Deadline] = {
    "gtld": Deadline(15, "ICANN 2013 RAA Whois Accuracy Program Specification: 15 days to correct or verify, else suspend"),
    "be": Deadline(14, "DNS Belgium registrant verification: 14 days to correct, else the name is withdrawn"),
    "uk": Deadline(30, "Nominet data quality: 30 days to validate, else suspension"),
    "nl": Deadline(3, "SIDN general terms art. 18: 3 working days to confirm registration data", working_days=True),
    "eu": Deadline(3, "EURid WHOIS quality fast track: evidence within 3 days, else suspension"),
    "default": Deadline(30, "NIS2 Art. 28(1)-(3): accurate and complete data maintained with due diligence; "
                            "30 days unless the registry's policy sets another period"),
}
#: TLDs that are ccTLDs: two ASCII letters, or an IDN ccTLD (xn--) the registry configures explicitly.
_CCTLD_LENGTH = 2


def deadline_for(domain: str, overrides: Mapping[str, int] | None = None) -> Deadline:
    """The deadline for a domain's TLD: configured days, a known registry's period, the RAA for gTLDs."""
    tld = domain.rsplit(".", 1)[-1].lower()
    suffix = public_suffix(domain) or tld
    if overrides:
        for key in (suffix, tld):
            if key in overrides:
                return Deadline(int(overrides[key]), f"registry policy as configured for .{key}")
    if tld in DEFAULT_DEADLINES:
        return DEFAULT_DEADLINES[tld]
    if len(tld) > _CCTLD_LENGTH and not tld.startswith("xn--"):
        return DEFAULT_DEADLINES["gtld"]
    return DEFAULT_DEADLINES["default"]


#: What the registry asks the registrar to do, by finding category.
ACTIONS = {
    "incomplete": "Obtain the missing data from the registrant and update the registration.",
    "false": "Obtain correct data from the registrant and verify it; if it is not corrected in time, "
             "suspend the registration (RAA 3.7.7.2 / registry policy).",
    "unverifiable": "Verify the contact data with the registrant (an affirmative response to email or "
                    "telephone) and correct it.",
}


def requested_action(category: str, remedy: str | None = None) -> str:
    """The rule's own remedy when it has one, else the category's standard request."""
    return remedy or ACTIONS.get(category, ACTIONS["unverifiable"])
