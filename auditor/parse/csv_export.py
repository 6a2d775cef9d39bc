"""One row of a registry's or registrar's CSV export to a RegistrationRecord.

The columns are documented in the README ("CSV export columns"). Headers are matched
case- and punctuation-insensitively, so ``Registrant Email``, ``registrant_email`` and
``REGISTRANT-EMAIL`` are the same column. An empty cell is *missing*; a redaction marker, or
the field's name listed in ``<role>_redacted``, makes it *redacted*.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from functools import lru_cache

from auditor.domains import looks_like_domain, normalise_domain
from auditor.parse.contact import NAME_PARTS, contact_from_values, join_name_parts
from auditor.parse.dates import parse_date
from auditor.parse.labels import fold_label
from auditor.parse.markers import is_redaction_marker
from auditor.records import (
    CONTACT_FIELDS,
    Contact,
    ParseFailure,
    ParseOutcome,
    RawRecord,
    RegistrationRecord,
    ResponseStatus,
    Role,
    RowLocations,
    Source,
    shared_columns,
)

PARSER_VERSION = "csv-export@1"

#: Column prefixes per role (folded).
ROLE_PREFIXES: dict[str, Role] = {
    "registrant": Role.REGISTRANT, "holder": Role.REGISTRANT, "owner": Role.REGISTRANT,
    "domain holder": Role.REGISTRANT, "domain owner": Role.REGISTRANT,
    "admin": Role.ADMINISTRATIVE, "administrative": Role.ADMINISTRATIVE, "adm": Role.ADMINISTRATIVE,
    "tech": Role.TECHNICAL, "technical": Role.TECHNICAL, "tec": Role.TECHNICAL,
    "billing": Role.BILLING, "bill": Role.BILLING,
}
#: Field suffixes (folded, without a trailing line counter: "address 2" is "address") -> contact field.
FIELD_SUFFIXES: dict[str, str] = {
    "name": "name", "full name": "name", "contact name": "name", "person": "name", "person name": "name",
    "first name": "first_name", "given name": "first_name", "last name": "last_name", "surname": "last_name",
    "family name": "last_name",
    "organization": "organization", "organisation": "organization", "org": "organization",
    "organization name": "organization", "organisation name": "organization", "org name": "organization",
    "company": "organization", "company name": "organization",
    "email": "email", "e mail": "email", "email address": "email", "e mail address": "email", "mail": "email",
    "phone": "phone", "telephone": "phone", "tel": "phone", "phone number": "phone", "telephone number": "phone",
    "voice": "phone", "fax": "fax", "fax number": "fax", "facsimile": "fax",
    "street": "street", "address": "street", "street address": "street", "address line": "street",
    "street line": "street", "street1": "street", "street2": "street", "street3": "street",
    "city": "city", "town": "city", "locality": "city",
    "region": "region", "state": "region", "province": "region", "state province": "region", "county": "region",
    "postcode": "postcode", "postal code": "postcode", "post code": "postcode", "zip": "postcode",
    "zip code": "postcode", "zipcode": "postcode",
    "country": "country", "country code": "country", "cc": "country", "country name": "country",
    "identifier": "identifier", "company number": "identifier", "registration number": "identifier",
    "vat": "identifier", "vat number": "identifier", "tax id": "identifier", "national id": "identifier",
    "id number": "identifier",
    "handle": "handle", "id": "handle", "contact id": "handle", "nic handle": "handle",
    "c": "handle",  # RIPE-style "Admin-C", "Tech-C", "Owner-C": the contact's handle
    "kind": "kind", "type": "kind", "redacted": "redacted",
}
RECORD_COLUMNS: dict[str, str] = {
    "domain": "domain", "domain name": "domain", "fqdn": "domain",
    "registrar": "registrar", "registrar name": "registrar", "sponsoring registrar": "registrar",
    "registrar iana id": "registrar_iana_id", "iana id": "registrar_iana_id",
    "created": "created_at", "created at": "created_at", "created on": "created_at", "created date": "created_at",
    "creation date": "created_at", "create date": "created_at", "registered": "created_at",
    "registered on": "created_at", "registration date": "created_at", "domain created": "created_at",
    "domain creation date": "created_at", "domain registration date": "created_at",
    "updated": "updated_at", "updated at": "updated_at", "updated on": "updated_at", "updated date": "updated_at",
    "update date": "updated_at", "last updated": "updated_at", "last modified": "updated_at",
    "modified": "updated_at", "changed": "updated_at", "last update": "updated_at", "last changed": "updated_at",
    "last modified date": "updated_at", "last updated date": "updated_at", "domain updated": "updated_at",
    "domain last updated": "updated_at",
    "expires": "expires_at", "expires at": "expires_at", "expires on": "expires_at", "expiry": "expires_at",
    "expiry date": "expires_at", "expiration": "expires_at", "expiration date": "expires_at",
    "expire date": "expires_at", "paid till": "expires_at", "valid until": "expires_at",
    "paid until": "expires_at", "renewal date": "expires_at", "renew date": "expires_at",
    "registry expiry date": "expires_at", "registrar registration expiration date": "expires_at",
    "domain expires": "expires_at", "domain expiry": "expires_at", "domain expiry date": "expires_at",
    "domain expiration date": "expires_at",
    "status": "statuses", "statuses": "statuses", "domain status": "statuses", "epp status": "statuses",
    "epp statuses": "statuses",
    "nameservers": "nameservers", "name servers": "nameservers", "nameserver": "nameservers",
    "name server": "nameservers", "ns": "nameservers", "dns": "nameservers",
}
#: A column named after the holder alone holds the holder's name ("Holder", "Registrant", "Owner"), or, in
#: EPP-style exports (domain, registrant, admin, tech), the holder's contact handle: told apart by the value
#: (see `_HANDLE_LIKE`).
HOLDER_COLUMNS = frozenset({"registrant", "holder", "owner", "domain holder", "domain owner"})
#: A value that is a contact handle, not a name: one word with a digit ("C1234567", "NG8867695-NICAT").
_HANDLE_LIKE = re.compile(r"[^\s]*\d[^\s]*\Z")
#: Contact fields whose column, without a role, is the holder's when no column names the registrant
#: ("state" is left out: an export's "State" is as often the domain's as the holder's).
BARE_HOLDER_FIELDS: dict[str, str] = {
    key: field for key, field in FIELD_SUFFIXES.items()
    if field not in ("handle", "kind", "redacted", "identifier") and key != "state"
}
#: Role-less columns that can only be a contact's: at least one must be there before the others ("name"
#: may be the domain's name) are read as the holder's.
UNAMBIGUOUS_HOLDER_FIELDS = frozenset({"email", "phone", "fax", "street", "postcode", "organization"})
#: The field of a column named after the holder alone: a name, or a handle (`_HANDLE_LIKE`).
NAME_OR_HANDLE = "name_or_handle"
#: Record fields that hold a list: several columns of one (ns1, ns2, ...) add to it.
LIST_FIELDS = frozenset({"statuses", "nameservers"})

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_COUNTER = re.compile(r"\s*\d+$")


def _column_key(header: str) -> str:
    """A header folded for matching: "RegistrantEmail" = "registrant_email" = "Registrant E-Mail"."""
    return fold_label(_CAMEL.sub(" ", header))


@lru_cache(maxsize=1024)
def classify_column(header: str) -> tuple[str, str] | None:
    """("record", field) or (role, field) for a CSV header; None when the column is unknown.

    A trailing line counter is ignored ("ns1", "registrant_address2"), as is "contact" after the role
    ("technical_contact_email").
    """
    key = _column_key(header)
    for candidate in dict.fromkeys((key, _COUNTER.sub("", key))):
        if candidate in RECORD_COLUMNS:
            return ("record", RECORD_COLUMNS[candidate])
        if candidate in HOLDER_COLUMNS:  # "Holder", "Registrant": the holder's name, or handle
            return (Role.REGISTRANT.value, NAME_OR_HANDLE)
        for prefix, role in ROLE_PREFIXES.items():
            if candidate.startswith(prefix + " "):
                rest = candidate[len(prefix) + 1 :].removeprefix("contact ")
                rest = _COUNTER.sub("", rest)
                if rest in FIELD_SUFFIXES:
                    return (role.value, FIELD_SUFFIXES[rest])
    return None


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.replace("\n", ";").replace(",", ";").replace(" ", ";").split(";") if p.strip()]


#: The roles in their fixed order (iterating the Enum class itself costs 3.7 us a record).
_ROLES = tuple(Role)

#: A known column: (index in the row, field, "column " + its name as written: where a value was read).
_Column = tuple[int, str, str]


@lru_cache(maxsize=256)
def _plan(header: tuple[str, ...]) -> tuple[tuple[_Column, ...], tuple[tuple[Role, tuple[_Column, ...]], ...]]:
    """The known columns of a header: the record's, then each role's (in `_ROLES` order), each in
    column order. Grouped once per header, so a row fills one contact at a time."""
    record: list[_Column] = []
    by_role: dict[str, list[_Column]] = {}
    unknown: list[tuple[int, str]] = []
    for index, column in enumerate(header):
        target = classify_column(column)
        if target is None:
            unknown.append((index, column))
        elif target[0] == "record":
            record.append((index, target[1], column))
        else:
            by_role.setdefault(target[0], []).append((index, target[1], column))
    named = by_role.get(Role.REGISTRANT.value, [])
    only_named = all(_column_key(column) in HOLDER_COLUMNS for _i, _f, column in named)
    if only_named and any(field == "domain" for _i, field, _c in record):
        # an export of one contact per domain often names its columns without a role ("email", "city"),
        # at most with one naming the holder ("Holder"): they are the holder's
        holder = [(index, BARE_HOLDER_FIELDS[key], column) for index, column in unknown
                  if (key := _COUNTER.sub("", _column_key(column))) in BARE_HOLDER_FIELDS]
        if any(field in UNAMBIGUOUS_HOLDER_FIELDS for _index, field, _column in holder):
            by_role[Role.REGISTRANT.value] = sorted(named + holder)
    def located(columns: list[_Column]) -> tuple[_Column, ...]:
        return tuple((index, field, f"column {column}") for index, field, column in columns)

    return located(record), tuple((role, located(by_role[role.value])) for role in _ROLES if role.value in by_role)


def unread_columns(header: Sequence[str]) -> list[str]:
    """The columns of a header that no field is read from: what an operator should see, as a column named
    in a way this parser does not know is data the audit silently leaves out."""
    record_columns, role_columns = _plan(tuple(header))
    read = {index for index, _field, _column in record_columns}
    read.update(index for _role, columns in role_columns for index, _field, _column in columns)
    return [column for index, column in enumerate(header) if index not in read and column.strip()]


@lru_cache(maxsize=64)
def _header_cells(line: str) -> tuple[str, ...]:
    return tuple(next(csv.reader([line]), ()))


def _header_and_rows(text: str) -> list[Sequence[str]]:
    """The CSV records of `text`, the header read once per distinct header line.

    Every record of an export repeats the same header line; when that line is one whole CSV record
    (no quote, no carriage return: it ends at its newline) its cells come from a cache. When the rest
    is one such line too, as the importer writes a plain row, its cells are that line split on commas
    (what `csv.reader` gives it, without making a reader for every record: 4.0 -> 1.9 us a record).
    """
    end = text.find("\n")
    if end > 0 and '"' not in text[:end] and "\r" not in text[:end]:
        rest = text[end + 1 :]
        if (1 < len(rest) < csv.field_size_limit() and rest.find("\n") == len(rest) - 1
                and '"' not in rest and "\r" not in rest):
            return [_header_cells(text[:end]), rest[:-1].split(",")]
        return [_header_cells(text[:end]), *csv.reader(io.StringIO(rest))]
    return list(csv.reader(io.StringIO(text)))


def parse_csv_row(raw: RawRecord) -> ParseOutcome:
    """Parse a raw CSV record (its header line plus one row)."""
    try:
        text = raw.body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return ParseFailure(raw.sha256, PARSER_VERSION, f"CSV row is not UTF-8: {exc.reason}")
    rows = _header_and_rows(text)
    if len(rows) < 2:
        return ParseFailure(raw.sha256, PARSER_VERSION, "CSV record without header and row")
    header, row = rows[0], rows[1]
    row_no = raw.origin.rsplit("row ", 1)[-1] if raw.origin and "row " in raw.origin else "?"
    row_label = f"row {row_no}"  # and the column's label: where a value was read (see RowLocations)
    record_columns, role_columns = _plan(tuple(header))
    width = len(row)
    if width > len(header) and any(cell.strip() for cell in row[len(header) :]):
        # "a.de,Smith, John,j@a.de,DE": every value after the stray separator would sit in the wrong column
        return ParseFailure(raw.sha256, PARSER_VERSION, f"row {row_no} has {width} cells under a header of "
                            f"{len(header)}: a value holds an unquoted separator", excerpt=raw.body[-80:].decode(
                                "utf-8", "replace").strip(), domain=raw.query or None)
    record: dict[str, tuple[str, str]] = {}
    for index, field, column in record_columns:
        if index < width:
            value = row[index].strip()
            if not value:
                continue  # an empty cell is a missing value
            if field not in record:
                record[field] = (value, column)
            elif field in LIST_FIELDS:  # "ns1", "ns2", ...: one list
                record[field] = (f"{record[field][0]};{value}", record[field][1])
    domain_value = record.get("domain", ("", ""))[0]
    if not looks_like_domain(domain_value):
        return ParseFailure(raw.sha256, PARSER_VERSION, f"row {row_no}: no valid domain in the 'domain' column",
                            excerpt=domain_value[:80])
    out_contacts = []
    for role, columns in role_columns:
        fields: dict[str, tuple[str, list[str]]] = {}  # field -> (where its first value was read, its values)
        for index, field, column in columns:
            if index < width:
                value = row[index].strip()
                if value:
                    read = fields.get(field)
                    if read is None:
                        fields[field] = (column, [value])
                    else:
                        read[1].append(value)
        if fields:  # a role with no values at all is an absent contact
            out_contacts.append(_contact(role, fields, row_label))
    locations = {k: v[1] for k, v in record.items() if k in ("registrar", "created_at", "updated_at", "expires_at")}
    return RegistrationRecord(
        domain=normalise_domain(domain_value),
        status=ResponseStatus.REGISTERED,
        registrar=record.get("registrar", (None,))[0],
        registrar_iana_id=record.get("registrar_iana_id", (None,))[0],
        created_at=parse_date(record.get("created_at", ("",))[0]),
        updated_at=parse_date(record.get("updated_at", ("",))[0]),
        expires_at=parse_date(record.get("expires_at", ("",))[0]),
        statuses=tuple(_split(record.get("statuses", ("",))[0])),
        nameservers=tuple(normalise_domain(n) for n in _split(record.get("nameservers", ("",))[0])),
        contacts=tuple(out_contacts),
        raw_sha256=raw.sha256,
        parser=PARSER_VERSION,
        source=Source.CSV,
        locations=RowLocations(row_label, shared_columns(locations)),
    )


def _street_lines(value: str) -> list[str]:
    """A street cell's lines: "|" or a line break separates them (most cells hold one line)."""
    lines = value.replace("|", "\n").splitlines()
    if len(lines) == 1:
        line = lines[0].strip()
        return [line] if line else []
    return [stripped for line in lines if (stripped := line.strip())]


def _contact(role: Role, fields: dict[str, tuple[str, list[str]]], row_label: str) -> Contact:
    """One role's contact from its fields: (the column its first value was read from, its values in column
    order), on the row `row_label`."""
    values: dict[str, str] = {}
    locations: dict[str, str] = {}
    redacted: set[str] = set()
    street: list[str] = []
    for field, (where, field_values) in fields.items():
        if field == "redacted":
            for value in field_values:
                redacted.update(f for f in _split(value) if f in CONTACT_FIELDS)
            continue
        if field == NAME_OR_HANDLE:
            field = "handle" if _HANDLE_LIKE.match(field_values[0]) else "name"
            if field in fields:
                continue  # a column naming the field itself wins
        locations[field] = where
        for value in field_values:
            if is_redaction_marker(value):
                redacted.add("name" if field in NAME_PARTS else field)
            elif field == "street":
                street.extend(_street_lines(value))
            else:
                values.setdefault(field, value)
    if "first_name" in fields or "last_name" in fields:
        join_name_parts(values, locations, redacted)
    return contact_from_values(role, values, street, redacted, locations, row=row_label)
