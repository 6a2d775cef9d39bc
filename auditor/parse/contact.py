"""One contact from the values a parser read: the normalisation every source shares.

The CSV, RDAP and escrow parsers each read a role's fields into a dict; what happens next is the same for
all of them (the country as an ISO code with the published form kept, the email lower-cased, redaction
only where no value was read, the privacy/proxy check), so it lives here once. So do the readings of
address lines every parser meets (WHOIS blocks, jCard labels): street lines that are a withholding notice
(`withheld_street`), and country, postcode, city and state written as bare lines (`peel_address_lines`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from auditor.countries import region_in_country, to_iso_country
from auditor.parse.markers import is_redaction_marker, privacy_service_of
from auditor.records import CONTACT_FIELDS, Contact, Role, RowLocations, shared_columns
from auditor.verify import check_postcode, postcode_before_city

#: The `redacted` of a contact with nothing redacted, shared: an empty frozenset of its own costs 216
#: bytes, and a zone's contacts mostly have none (432 bytes a registration of a 1M audit's memory).
NOTHING_REDACTED: frozenset[str] = frozenset()


def withheld_street(street: Sequence[str]) -> bool:
    """Street lines that say the address is withheld: each line a redaction marker, or one notice wrapped
    over the lines (Nominet: "The registrant is a non-trading individual who has opted to have their /
    address omitted from the WHOIS service.")."""
    if not street:
        return False
    if len(street) == 1:  # most streets: one line, no generator
        return is_redaction_marker(street[0])
    return all(is_redaction_marker(line) for line in street) or (
        not any(_HOUSE_NUMBER.search(line) for line in street)  # an address has numbers
        and is_redaction_marker(" ".join(street)))


#: A street line's house number, before or after the street ("1200 County Road 5", "Hauptstr. 5").
_HOUSE_NUMBER = re.compile(r"^\s*\d|\d\s*\Z")


#: A name given in two parts (CSV columns, WHOIS labels): joined into the name (`join_name_parts`).
NAME_PARTS = ("first_name", "last_name")


def join_name_parts(values: dict[str, str], locations: dict[str, str], redacted: set[str] | frozenset[str]) -> None:
    """First name and last name (columns, labels): the name is both, read where the first of them is,
    unless a whole name was given or a part was redacted (then the name is). The parts' own locations go."""
    parts = [(values[f], locations.get(f, "")) for f in NAME_PARTS if f in values]
    if parts and "name" not in values and "name" not in redacted:
        values["name"] = " ".join(value for value, _where in parts)
        locations["name"] = parts[0][1]
    for f in NAME_PARTS:
        if f in locations and "name" not in locations:
            locations["name"] = locations[f]  # a redacted part: where the name would be
        locations.pop(f, None)


def real_handle(handle: str | None) -> str | None:
    """A contact handle, or None where the registry put a redaction notice in its place ("REDACTED FOR
    PRIVACY", DK Hostmaster's "***N/A***"): such a handle would tie every withheld contact to every other."""
    return None if not handle or is_redaction_marker(handle) else handle


def contact_from_values(role: Role, values: Mapping[str, str], street: Iterable[str], redacted: Iterable[str],
                        locations: Mapping[str, str], handle: str | None = None, row: str | None = None) -> Contact:
    """A Contact from one role's values (field -> its value), street lines, the fields found redacted and
    where each field was read. A field redacted and yet given a value is given (the value wins). With
    `row` ("row 12"), `locations` name each field's column on that row (see RowLocations)."""
    street = tuple(street)
    if withheld_street(street):
        street, redacted = (), {*redacted, "street"}
    country_value = values.get("country")
    country = to_iso_country(country_value) if country_value else None
    name, organization, email = values.get("name"), values.get("organization"), values.get("email")
    return Contact(
        role=role,
        handle=real_handle(handle or values.get("handle")),
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
        locations=RowLocations(row, shared_columns(locations)) if row is not None else tuple(sorted(locations.items())),
    )


_POSTCODE_WORD = re.compile(r"^\s*(?:C\.\s?P\.|CP|PLZ|Postcode:?|Postal code:?)\s+", re.I)
_DIGITS_ONLY = re.compile(r"\d{3,6}(?:-\d{3,4})?\s*\Z")
_POSTCODE_CITY = re.compile(r"^(?P<postcode>(?=[A-Z0-9 -]*\d)[A-Z0-9][A-Z0-9 -]{2,9}?)\s+(?P<city>[^\d,][^,]{1,60})$", re.I)
_CITY_POSTCODE = re.compile(r"^(?P<city>[^\d,][^,]{1,60}?),?\s+(?P<postcode>\d{4,6}(?:-\d{3,4})?)$")


def split_postcode_city(line: str, country: str | None) -> tuple[str, str] | None:
    """'1012 AB Amsterdam' -> ('1012 AB', 'Amsterdam'), using the country's postcode format when known."""
    line = _POSTCODE_WORD.sub("", line)  # "C.P. 06600 Ciudad de México"
    tokens = line.split()
    if len(tokens) < 2:
        return None
    if country:
        for k in range(min(3, len(tokens) - 1), 0, -1):
            head, tail = " ".join(tokens[:k]), " ".join(tokens[k:])
            check = check_postcode(country, head)
            if check.applicable and check.valid:
                return head, tail
            head, tail = " ".join(tokens[-k:]), " ".join(tokens[:-k])
            check = check_postcode(country, head)
            if check.applicable and check.valid:
                return head, tail.rstrip(",")
        known_format = check.applicable
        digits_in_examples = {sum(ch.isdigit() for ch in example) for example in check.examples}
    else:
        known_format, digits_in_examples = False, set()
    m = _POSTCODE_CITY.match(line) or _CITY_POSTCODE.match(line)
    if m and (not known_format or (_DIGITS_ONLY.match(m.group("postcode"))
                                   and sum(ch.isdigit() for ch in m.group("postcode")) in digits_in_examples)):
        # where the country's format knows its postcodes, only its digits are taken without the rest of it
        # ("1010 Riga" without Latvia's "LV-", "00950 Warszawa" without Poland's hyphen): "3A Ocean Drive"
        # and "1600 Amphitheatre Parkway" (four digits, a US ZIP has five) have no postcode
        return m.group("postcode").strip(), m.group("city").strip()
    return None


class AddressLines(NamedTuple):
    """What `peel_address_lines` took off the end of an address written as bare lines."""

    street: list[str]
    country: str | None = None  # as written
    postcode: str | None = None
    city: str | None = None
    region: str | None = None


def peel_address_lines(lines: list[str], country_value: str | None = None, city: str | None = None,
                       postcode: str | None = None) -> AddressLines:
    """An address given as bare lines (a WHOIS block, a jCard label): the last line is the country when it
    names one and none was given; then, when no city was given, the last line left is "postcode city" (or
    "city postcode") read with the country's postcode format, or a postcode alone with the city (and a
    state code) on the lines before it. When the contact gives its postcode elsewhere, only a line with
    that postcode is read so ("2-21-1 Shibuya" under JPRS's own [Postal code] is a street line). What
    cannot be told apart stays street; only what was taken off is returned beside it."""
    street = list(lines)
    peeled_country = None
    if street and not country_value and len(street) > 1 and to_iso_country(street[-1]):
        peeled_country = country_value = street.pop()
    elif street and country_value and len(street) > 2 and len(street[-1]) <= 60 and (
            (named := to_iso_country(street[-1])) is not None and named == to_iso_country(country_value)):
        # the country given twice: a jCard label's last line under its "cc" ("Canada" and "CA"); not under two lines,
        # where it may be a city-state's city ("10 Anson Road" / "Singapore")
        street.pop()
    country = to_iso_country(country_value) if country_value else None
    if street and len(street) > 1 and not city:
        split = split_postcode_city(street[-1], country)
        if split and (postcode is None or _compact(split[0]) == _compact(postcode)):
            street.pop()
            city_line, region = split[1], None
            state = _CITY_STATE.match(city_line)
            if state and country and region_in_country(country, state.group(2)) is True and not _names_country(
                    state.group(2), country):
                city_line, region = state.group(1), state.group(2)  # "Toronto, ON M5V 2T6"
            return AddressLines(street, peeled_country, split[0], city_line, region)
        if postcode is None and country:
            loose = _wrong_postcode_line(street[-1], street[-2], country)
            if loose is not None:
                street.pop()
                return AddressLines(street, peeled_country, *loose)
        if country:
            parts = _one_part_a_line(street, country, postcode)
            if parts is not None:
                return AddressLines(parts[0], peeled_country, *parts[1:])
    return AddressLines(street, peeled_country)


#: "City, ST 12345": a city, its state (code or name) and what stands where the postcode goes, whatever it is.
_CITY_STATE_POSTCODE = re.compile(r"^(?P<city>[^,\d]{2,60}),\s*(?P<state>[^,\d]{2,40}?)\s+(?P<postcode>[A-Z0-9][A-Z0-9 -]{0,9})$",
                                  re.IGNORECASE)
#: A line that is a unit of a building, not a street ("Suite 500", "Unit 5, Bldg 2", "Apt 3", "Floor 2").
_UNIT_LINE = re.compile(r"^\s*(?:suite|ste|unit|floor|fl|building|bldg|apt|apartment|room|rm|po box|p\.o\. box)\b",
                        re.IGNORECASE)
#: "100 Gent": digits, then a city.
_DIGITS_CITY = re.compile(r"^(?P<postcode>\d{3,6})\s+(?P<city>[^\d,]{2,60})$")


def _wrong_postcode_line(line: str, above: str, country: str) -> tuple[str, str, str | None] | None:
    """(postcode, city, state) of a last address line that has a postcode's place but not a valid postcode in it:
    "Toronto, ON 12345", "Melbourne, VIC 200" (the city, a state of the country, then the postcode's place), or
    "100 Gent" under a street line ("Veldstraat 28"). Read so, the postcode is checked (UNV004, FAL004); left in
    the street, nothing was. "1000 Broadway" under "Apt 5" stays street (no street line above it)."""
    words = line.split()
    if len(words) > 1 and _names_country(words[-1], country):
        line = " ".join(words[:-1])  # "Boston, MA 02110 USA": the country after the postcode
    m = _CITY_STATE_POSTCODE.match(line)
    state = m.group("state").strip() if m else ""
    code = m.group("postcode").strip() if m else ""
    if m and region_in_country(country, state) is True and not _names_country(state, country) and _postcode_like(code) and (
            " " not in code or check_postcode(country, code).valid or set(code.replace(" ", "").upper()) == {"X"}):
        # (two words that are no postcode, such as India's "400 001" as people write it, stay as written)
        return code, m.group("city").strip(), state
    m = _DIGITS_CITY.match(line)
    if (m and postcode_before_city(country) and _STREET_LINE.search(above) and not _UNIT_LINE.match(above)
            and any(ch.isdigit() for ch in above) and not _STREET_LINE.search(m.group("city"))):
        # only where postcodes come first ("100 Gent"), under a street line with its number ("Veldstraat 28"):
        # "1000 Broadway" under "Suite 500" is a US street line
        return m.group("postcode"), m.group("city").strip(), None
    return None


def _names_country(word: str, country: str) -> bool:
    """Is the word the country's own code or name ("USA", "MEX", "CA" for Canada), not one of its states?"""
    return len(word) <= 60 and to_iso_country(word) == country


def _postcode_like(value: str) -> bool:
    """Digits in it, or X's where they go ("XXX XXX"); not a word ("New Taipei City, New Taipei City")."""
    compact = value.replace(" ", "").replace("-", "").upper()
    return any(ch.isdigit() for ch in compact) or (bool(compact) and set(compact) == {"X"})


def _one_part_a_line(street: list[str], country: str, postcode: str | None) -> tuple[list[str], str, str, str | None] | None:
    """(street, postcode, city, region) of an address written one part a line, the postcode alone on its
    line: "city / postcode" (CZ.NIC: "Ulice 1" / "Praha 1" / "11000"), "city / state / postcode" (Nominet:
    "Mountain View" / "CA" / "94043"; NIC.CR: "Reno" / "Nevada" / "89507"), "city / postcode / state"
    (CZ.NIC's foreign addresses: "Mountain View" / "94043" / "CA") and "postcode / city" (Traficom, .ax:
    "Kreuzstr. 60" / "40210" / "Duesseldorf"). The city does not start with a number ("1 George St", "12"
    are street; "Praha 10" is a city), a state is a code ("CA", "NSW") or the name of one of the country's
    subdivisions under a city without digits ("Berlin" under "Musterstr. 1" is the city), and a postcode
    given elsewhere must be the line's."""

    def is_city(line: str) -> bool:
        return not line.lstrip()[:1].isdigit() and not _STATE_CODE.match(line)

    def is_region(line: str, above: str) -> bool:
        if not is_city(above) or any(ch.isdigit() for ch in above) or _STREET_LINE.search(above):
            return False  # "Avenida Brigadeiro Faria Lima" / "Sao Paulo": the city under its street
        return bool(_STATE_CODE.match(line)) or region_in_country(country, line) is True

    def given(line: str) -> bool:
        return _is_postcode(country, line) and (postcode is None or _compact(line) == _compact(postcode))

    if len(street) > 2 and given(street[-1]):
        rest, code = street[:-1], street[-1]
        region = rest.pop() if len(rest) > 2 and is_region(rest[-1], rest[-2]) else None
        if region is None and len(rest) > 1 and _STATE_CODE.match(rest[-1]):
            region = rest.pop()  # "CA" under a street line: still a state, never a city
        if is_city(rest[-1]):
            return rest[:-1], code, rest[-1], region
    if len(street) > 3 and given(street[-2]) and is_region(street[-1], street[-3]):
        return street[:-3], street[-2], street[-3], street[-1]
    if len(street) > 2 and given(street[-2]) and is_city(street[-1]) and not given(street[-1]):
        return street[:-2], street[-2], street[-1], None
    return None


def _compact(postcode: str) -> str:
    return "".join(ch for ch in postcode.upper() if ch.isalnum())


#: A street line: a street-type word on its own or at a word's end ("Barrow Street", "Avenida Paulista", "Am Markt",
#: "Hauptstraße", "Keizersgracht", "Chaoyang District"), in the languages of the addresses registries print.
_STREET_LINE = re.compile(
    r"\b(?:street|st|road|rd|avenue|ave|av|avenida|boulevard|blvd|lane|ln|drive|dr|way|place|pl|court|ct|square|sq|"
    r"highway|hwy|parkway|pkwy|terrace|crescent|close|row|district|markt|ufer|rue|chemin|allee|allée|impasse|quai|"
    r"cours|via|viale|piazza|corso|vicolo|calle|plaza|paseo|carrera|rua|travessa|praça|praca|largo|ulica|ul|utca|"
    r"prospekt|po box|p\.o\. box|postfach|apartado|suite|floor|building|bldg|unit)\b\.?"
    r"|(?:strasse|straße|str\.|weg|gasse|platz|allee|ring|damm|straat|laan|plein|gracht|kade|vej|gade|gatan|vägen|"
    r"katu|tie)\b", re.IGNORECASE)
#: A city with its state's code after it ("Toronto, ON", "Mountain View CA").
_CITY_STATE = re.compile(r"^(.*?[^\s,]),?\s+([A-Z]{2,3})$")
#: A state or province written as its code on a line of its own ("CA", "NSW").
_STATE_CODE = re.compile(r"[A-Z]{2,3}\Z")


def _is_postcode(country: str, value: str) -> bool:
    check = check_postcode(country, value)
    return check.applicable and check.valid and any(ch.isdigit() for ch in value)
