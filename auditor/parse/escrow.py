"""One domain of a registry's data escrow deposit (RFC 9022, XML model) to a RegistrationRecord.

A deposit holds each object once: domains refer to their contacts and sponsoring registrar by id. The
importer (`auditor.importers.escrow_records`) therefore makes one raw record per domain: a small XML
document of that domain's `<rdeDom:domain>` element followed by the `<rdeContact:contact>` and
`<rdeRegistrar:registrar>` elements it refers to, as they stand in the deposit. This module reads such a
record. Prefixes are free in XML, so elements are matched by namespace and local name.

A deposit is the registry's own data, like an export: a field it does not hold is *missing*. The EPP
`<disclose flag="0">` element says what the registry may not publish, not what it holds, so it does not
make a field redacted here.

Locations name the element a value was read from, as a path from the record's root element, e.g.
``rdeContact:contact[sh8013]/rdeContact:postalInfo[int]/contact:addr/contact:city`` (see `find`).
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree import ElementTree
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET

from auditor.domains import looks_like_domain, normalise_domain
from auditor.parse.contact import contact_from_values
from auditor.parse.dates import parse_date
from auditor.parse.markers import is_redaction_marker
from auditor.records import (
    Contact,
    ParseFailure,
    ParseOutcome,
    RawRecord,
    RegistrationRecord,
    ResponseStatus,
    Role,
    Source,
)

PARSER_VERSION = "rde-xml@1"

#: The namespaces of RFC 9022's objects, and their usual prefixes (used in locations).
NAMESPACES = {
    "rde": "urn:ietf:params:xml:ns:rde-1.0",
    "rdeDom": "urn:ietf:params:xml:ns:rdeDomain-1.0",
    "rdeContact": "urn:ietf:params:xml:ns:rdeContact-1.0",
    "rdeRegistrar": "urn:ietf:params:xml:ns:rdeRegistrar-1.0",
    "rdeHost": "urn:ietf:params:xml:ns:rdeHost-1.0",
    "domain": "urn:ietf:params:xml:ns:domain-1.0",
    "contact": "urn:ietf:params:xml:ns:contact-1.0",
}
_PREFIX_OF = {uri: prefix for prefix, uri in NAMESPACES.items()}
for _prefix, _uri in NAMESPACES.items():  # records written by the importer keep the usual prefixes
    ElementTree.register_namespace(_prefix, _uri)
#: The root element of a record the importer writes (no namespace of its own).
RECORD_ROOT = "rdeRecord"
#: rdeDom:contact type -> role
_CONTACT_TYPES = {"admin": Role.ADMINISTRATIVE, "tech": Role.TECHNICAL, "billing": Role.BILLING}


def qname(prefix: str, local: str) -> str:
    """ElementTree's {namespace}local name of an RFC 9022 element."""
    return f"{{{NAMESPACES[prefix]}}}{local}"


def _label(element: Element) -> str:
    """The element as written in a location: prefix:local, with its id or type in brackets."""
    tag = element.tag
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        tag = f"{_PREFIX_OF.get(uri, uri)}:{local}"
    key = (element.get("type") or _child_text(element, "id") or "").replace("/", "%2F")  # "/" separates steps
    return f"{tag}[{key}]" if key and tag.endswith(("contact", "postalInfo", "registrar")) else tag


def _child(element: Element, local: str) -> Element | None:
    for child in element:
        if child.tag.rpartition("}")[2] == local:
            return child
    return None


def _children(element: Element, local: str) -> Iterator[Element]:
    return (child for child in element if child.tag.rpartition("}")[2] == local)


def _child_text(element: Element, local: str) -> str | None:
    child = _child(element, local)
    text = (child.text or "").strip() if child is not None else ""
    return text or None


def find(root: Element, location: str) -> Element | None:
    """The element a location names (None when the record has no such element)."""
    node: Element | None = root
    for step in location.split("/"):
        if node is None:
            return None
        node = next((child for child in node if _label(child) == step), None)
    return node


def _text(parent: Element, local: str, path: str) -> tuple[str | None, str]:
    """A child element's text (None when absent or empty) and the location of that child."""
    child = _child(parent, local)
    if child is None:
        return None, f"{path}/{local}"
    return ((child.text or "").strip() or None), f"{path}/{_label(child)}"


def _contact(role: Role, element: Element) -> Contact:
    path = _label(element)
    values: dict[str, str] = {}
    locations: dict[str, str] = {}
    redacted: set[str] = set()
    street: list[str] = []

    def put(field: str, value: str | None, where: str) -> None:
        if field in values or not value:
            return
        locations[field] = where
        if is_redaction_marker(value):
            redacted.add(field)
        else:
            values[field] = value

    # RFC 5733: an "int" (ASCII) and a "loc" (localised) form of the same postal data; the int form is
    # read first, and the loc form fills what it leaves out
    order = {"int": 0, "loc": 1}
    for info in sorted(_children(element, "postalInfo"), key=lambda info: order.get(info.get("type") or "", 2)):
        info_path = f"{path}/{_label(info)}"
        put("name", *_text(info, "name", info_path))
        put("organization", *_text(info, "org", info_path))
        addr = _child(info, "addr")
        if addr is not None:
            addr_path = f"{info_path}/{_label(addr)}"
            if not street:
                for line in _children(addr, "street"):
                    if (line.text or "").strip():
                        street.append(line.text.strip())  # type: ignore[union-attr]
                        locations.setdefault("street", f"{addr_path}/{_label(line)}")
            put("city", *_text(addr, "city", addr_path))
            put("region", *_text(addr, "sp", addr_path))
            put("postcode", *_text(addr, "pc", addr_path))
            put("country", *_text(addr, "cc", addr_path))
    put("phone", *_text(element, "voice", path))
    put("fax", *_text(element, "fax", path))
    put("email", *_text(element, "email", path))
    return contact_from_values(role, values, street, redacted, locations, handle=_child_text(element, "id"))


def parse_escrow_record(raw: RawRecord) -> ParseOutcome:
    """Parse the raw record of one escrowed domain (see the module's docstring)."""
    try:
        root = SafeET.fromstring(raw.body, forbid_dtd=True)
    except Exception as exc:  # noqa: BLE001 - defusedxml and expat raise several kinds; all mean "not this"
        return ParseFailure(raw.sha256, PARSER_VERSION, f"not an escrow record: {type(exc).__name__}: {exc}",
                            excerpt=raw.body[:80].decode("utf-8", "replace"), domain=raw.query or None)
    domain_el = next((child for child in root if child.tag == qname("rdeDom", "domain")), None)
    if domain_el is None:
        return ParseFailure(raw.sha256, PARSER_VERSION, "no rdeDom:domain element in the escrow record",
                            domain=raw.query or None)
    dom_path = _label(domain_el)
    name = _child_text(domain_el, "name") or ""
    if not looks_like_domain(name):
        return ParseFailure(raw.sha256, PARSER_VERSION, "no valid domain name in rdeDom:name", excerpt=name[:80],
                            domain=raw.query or None)
    contacts_by_id = {_child_text(el, "id"): el for el in root if el.tag == qname("rdeContact", "contact")}
    registrars = {_child_text(el, "id"): el for el in root if el.tag == qname("rdeRegistrar", "registrar")}

    locations: dict[str, str] = {}
    dates = {}
    for field, local in (("created_at", "crDate"), ("updated_at", "upDate"), ("expires_at", "exDate")):
        value, where = _text(domain_el, local, dom_path)
        if value:
            dates[field] = parse_date(value)
            locations[field] = where
    statuses = tuple(s for el in _children(domain_el, "status") if (s := (el.get("s") or "").strip()))
    nameservers: list[str] = []
    ns = _child(domain_el, "ns")
    if ns is not None:
        for host in ns:
            host_name = (host.text or "").strip() if host.tag.endswith("hostObj") else _child_text(host, "hostName")
            if host_name and looks_like_domain(host_name.rstrip(".")):
                normalised = normalise_domain(host_name.rstrip("."))
                if normalised not in nameservers:
                    nameservers.append(normalised)

    contacts: list[Contact] = []
    wanted: list[tuple[Role, str | None]] = [(Role.REGISTRANT, _child_text(domain_el, "registrant"))]
    wanted += [(_CONTACT_TYPES[el.get("type", "")], (el.text or "").strip() or None)
               for el in _children(domain_el, "contact") if el.get("type", "") in _CONTACT_TYPES]
    seen_roles: set[Role] = set()
    for role, handle in wanted:
        if handle is None or role in seen_roles:
            continue
        seen_roles.add(role)
        element = contacts_by_id.get(handle)
        if element is None:  # referred to but not in the deposit: the record says who, not what
            contacts.append(Contact(role=role, handle=handle))
            continue
        contacts.append(_contact(role, element))

    registrar_id = _child_text(domain_el, "clID")
    registrar_name, iana_id = registrar_id, None
    if registrar_id is not None:
        locations["registrar"] = f"{dom_path}/rdeDom:clID"
        registrar_el = registrars.get(registrar_id)
        if registrar_el is not None:
            iana_id = _child_text(registrar_el, "gurid")
            name_text, where = _text(registrar_el, "name", _label(registrar_el))
            if name_text:
                registrar_name, locations["registrar"] = name_text, where
    return RegistrationRecord(
        domain=normalise_domain(name),
        status=ResponseStatus.REGISTERED,
        registrar=registrar_name,
        registrar_iana_id=iana_id,
        created_at=dates.get("created_at"),
        updated_at=dates.get("updated_at"),
        expires_at=dates.get("expires_at"),
        statuses=statuses,
        nameservers=tuple(nameservers),
        contacts=tuple(contacts),
        raw_sha256=raw.sha256,
        parser=PARSER_VERSION,
        source=Source.ESCROW,
        locations=tuple(sorted(locations.items())),
    )


def escrow_excerpt(body: bytes, location: str) -> str | None:
    """The text of the element a location names, as "local-name: text" (for evidence)."""
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except Exception:  # noqa: BLE001
        return None
    element = find(root, location)
    if element is None:
        return None
    return f"{element.tag.rpartition('}')[2]}: {(element.text or '').strip()}"
