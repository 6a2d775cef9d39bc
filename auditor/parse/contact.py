"""One contact from the values a parser read: the normalisation every source shares.

The CSV, RDAP and escrow parsers each read a role's fields into a dict; what happens next is the same for
all of them (the country as an ISO code with the published form kept, the email lower-cased, redaction
only where no value was read, the privacy/proxy check), so it lives here once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from auditor.countries import to_iso_country
from auditor.parse.markers import privacy_service_of
from auditor.records import CONTACT_FIELDS, Contact, Role

#: The `redacted` of a contact with nothing redacted, shared: an empty frozenset of its own costs 216
#: bytes, and a zone's contacts mostly have none (432 bytes a registration of a 1M audit's memory).
NOTHING_REDACTED: frozenset[str] = frozenset()


def contact_from_values(role: Role, values: Mapping[str, str], street: Iterable[str], redacted: Iterable[str],
                        locations: Mapping[str, str], handle: str | None = None) -> Contact:
    """A Contact from one role's values (field -> its value), street lines, the fields found redacted and
    where each field was read. A field redacted and yet given a value is given (the value wins)."""
    street = tuple(street)
    country_value = values.get("country")
    country = to_iso_country(country_value) if country_value else None
    name, organization, email = values.get("name"), values.get("organization"), values.get("email")
    return Contact(
        role=role,
        handle=handle or values.get("handle"),
        name=name,
        organization=organization,
        email=email.lower() if email else None,
        phone=values.get("phone"),
        fax=values.get("fax"),
        street=street,
        city=values.get("city"),
        region=values.get("region"),
        postcode=values.get("postcode"),
        country=country or country_value,
        country_published=country_value if country_value and country_value != country else None,
        identifier=values.get("identifier"),
        kind=values.get("kind"),
        redacted=frozenset(f for f in redacted if f in CONTACT_FIELDS and not values.get(f)
                           and not (f == "street" and street)) or NOTHING_REDACTED,
        privacy_service=privacy_service_of([name, organization, email]),
        locations=tuple(sorted(locations.items())),
    )
