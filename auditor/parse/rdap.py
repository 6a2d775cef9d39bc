"""RDAP domain responses (RFC 9083) to a RegistrationRecord: jCard contacts (or JSContact cards, RFC 9553,
where a server sends those instead), events, RFC 9537 redactions.

A field is *redacted* when an RFC 9537 ``redacted`` member points at it (by JSONPath or by its
registered name), when its value is a redaction marker, when the jCard property is present
with an empty value (the "Empty Value" method), or when only part of its value is shown (the
"Partial Value" method). Each field keeps the JSONPath it was read from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from auditor.domains import looks_like_domain, normalise_domain
from auditor.parse.contact import contact_from_values, peel_address_lines
from auditor.parse.dates import parse_date
from auditor.parse.markers import is_redaction_marker
from auditor.records import (
    CONTACT_FIELDS,
    Contact,
    NoRegistration,
    ParseFailure,
    ParseOutcome,
    RawRecord,
    RegistrationRecord,
    ResponseStatus,
    Role,
    Source,
)

PARSER_VERSION = "rdap@1"

#: JSON larger than this is refused before parsing (a JSON bomb is not a registration).
MAX_RDAP_BYTES = 8_000_000
_MAX_DEPTH = 64

_ROLES = {"registrant": Role.REGISTRANT, "administrative": Role.ADMINISTRATIVE,
          "technical": Role.TECHNICAL, "billing": Role.BILLING}
_EVENTS = {"registration": "created_at", "last changed": "updated_at", "expiration": "expires_at"}
#: Not RFC 9083's words, but what servers send, read only where RFC 9083's own event is absent: MarkMonitor's
#: "last update" (never "last update of RDAP database", the database's own time); a registrar's server has only
#: its "registrar expiration".
_FALLBACK_EVENTS = {"last update": "updated_at", "last updated": "updated_at", "registrar expiration": "expires_at"}

#: RFC 9537 / ICANN response-profile redaction names -> (role, field)
_REDACTED_NAME = re.compile(
    r"^(?P<role>registrant|admin(?:istrative)?|tech(?:nical)?|billing)\s+"
    r"(?P<field>name|organi[sz]ation|street|city|state/?province|province|postal code|postcode|country|"
    r"phone|phone ext|fax|fax ext|email|e-mail)$",
    re.IGNORECASE,
)
_WHOLE_CONTACT = re.compile(r"^(?P<role>registrant|admin(?:istrative)?|tech(?:nical)?|billing)(?: contact)?$",
                            re.IGNORECASE)
_ROLE_WORD = {"registrant": "registrant", "admin": "administrative", "administrative": "administrative",
              "tech": "technical", "technical": "technical", "billing": "billing"}
_FIELD_WORD = {"name": "name", "organization": "organization", "organisation": "organization",
               "street": "street", "city": "city", "state/province": "region", "stateprovince": "region",
               "province": "region", "postal code": "postcode", "postcode": "postcode", "country": "country",
               "phone": "phone", "phone ext": "phone", "fax": "fax", "fax ext": "fax", "email": "email",
               "e-mail": "email"}
_VCARD_FIELD = {"fn": "name", "org": "organization", "email": "email", "tel": "phone", "adr": "street",
                "contact-uri": "email"}


class _JsonTooDeepError(ValueError):
    pass


def _check_depth(obj: Any, depth: int = 0) -> None:
    if depth > _MAX_DEPTH:
        raise _JsonTooDeepError(f"JSON nested deeper than {_MAX_DEPTH} levels")
    if isinstance(obj, dict):
        for v in obj.values():
            _check_depth(v, depth + 1)
    elif isinstance(obj, list):
        for v in obj:
            _check_depth(v, depth + 1)


def load_json(raw: RawRecord) -> Any | ParseFailure:
    """Decode and parse the JSON body, or a ParseFailure saying exactly what is wrong."""
    body = raw.body
    if not body.strip():
        return ParseFailure(raw.sha256, PARSER_VERSION, "empty response")
    if len(body) > MAX_RDAP_BYTES:
        return ParseFailure(raw.sha256, PARSER_VERSION, f"response too large ({len(body)} bytes > {MAX_RDAP_BYTES})")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return ParseFailure(raw.sha256, PARSER_VERSION, f"not UTF-8 (RFC 8259 requires it): {exc.reason} at byte {exc.start}",
                            excerpt=repr(body[max(0, exc.start - 20) : exc.start + 20]))
    try:
        data = json.loads(text)
        _check_depth(data)
    except json.JSONDecodeError as exc:
        return ParseFailure(raw.sha256, PARSER_VERSION, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                            excerpt=text[max(0, exc.pos - 40) : exc.pos + 40])
    except (_JsonTooDeepError, RecursionError):
        return ParseFailure(raw.sha256, PARSER_VERSION, f"JSON nested too deeply (limit {_MAX_DEPTH} levels)")
    return data


def _walk_entities(entities: Any, path: str) -> Iterator[tuple[dict[str, Any], str, bool]]:
    """Entities and their nested entities (the registrar's abuse contact, ...), with JSONPaths, level by
    level: the domain's own entities before any nested one. The flag tells an entity nested under a
    registrar entity: a contact of the registrar's, not of the domain (its "technical" NOC must not
    stand in for the domain's technical contact)."""
    level: list[tuple[Any, str, bool]] = [(entities, path, False)]
    while level:
        deeper: list[tuple[Any, str, bool]] = []
        for members, where, under_registrar in level:
            if not isinstance(members, list):
                continue
            for i, ent in enumerate(members):
                if not isinstance(ent, dict):
                    continue
                here = f"{where}[{i}]"
                yield ent, here, under_registrar
                roles = ent.get("roles") if isinstance(ent.get("roles"), list) else []
                deeper.append((ent.get("entities"), here + ".entities",
                               under_registrar or any(str(r).lower() == "registrar" for r in roles)))
        level = deeper


def _list(value: Any) -> list[Any]:
    """A member that should be an array; anything else (a server's bug or a hostile document) reads as empty."""
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return " ".join(_text(v) for v in value if _text(v)).strip()
    if value is None:
        return ""
    return str(value).strip()


def _tel_value(value: Any) -> str:
    text = _text(value)
    return text.split(":", 1)[1] if text.lower().startswith(("tel:", "fax:")) else text


class _VCard:
    """The jCard properties of one entity, with the JSONPath of each."""

    def __init__(self, entity: dict[str, Any], path: str) -> None:
        self.props: list[tuple[str, dict[str, Any], str, Any, str]] = []
        arr = entity.get("vcardArray")
        if isinstance(arr, list) and len(arr) >= 2 and isinstance(arr[1], list):
            for j, prop in enumerate(arr[1]):
                if isinstance(prop, list) and len(prop) >= 4 and isinstance(prop[0], str):
                    params = prop[1] if isinstance(prop[1], dict) else {}
                    value = prop[3] if len(prop) == 4 else prop[3:]
                    self.props.append((prop[0].lower(), params, _text(prop[2]), value, f"{path}.vcardArray[1][{j}]"))

    def get(self, name: str) -> list[tuple[dict[str, Any], Any, str]]:
        """The properties of this name, the preferred first (RFC 6350 `pref`, 1 the most preferred): the
        first one read wins, so of an address given in two languages (a shared `altid`) one is read."""
        found = [(p, v, where) for n, p, _t, v, where in self.props if n == name]
        if len(found) > 1:
            found.sort(key=lambda item: _pref(item[0]))  # (stable: the document's order among equals)
        return found


def _pref(params: dict[str, Any]) -> int:
    """A property's RFC 6350 preference (1 to 100, 1 the most preferred; none: after all of them)."""
    value = _text(params.get("pref"))
    return int(value) if value.isdigit() else 101


def _types(params: dict[str, Any]) -> set[str]:
    """The TYPE parameter's values; parameter names are case-insensitive (RFC 6350 section 3.3: "Type")."""
    t = next((v for k, v in params.items() if isinstance(k, str) and k.lower() == "type"), None)
    if isinstance(t, str):
        return {t.lower()}
    if isinstance(t, list):
        return {str(x).lower() for x in t}
    return set()


def _label_lines(lines: list[str], values: dict[str, str], locations: dict[str, str], where: str) -> list[str]:
    """A jCard address given only as its label (RFC 7095 allows it): its country, postcode and city where
    its last lines say them (see `peel_address_lines`), the rest its street."""
    peeled = peel_address_lines(lines, values.get("country"), values.get("city"), values.get("postcode"))
    for field, value in (("country", peeled.country), ("postcode", peeled.postcode), ("city", peeled.city),
                         ("region", peeled.region)):
        if value:
            values.setdefault(field, value)
            locations.setdefault(field, where)
    return peeled.street


#: An entity's remark that names the one field it withholds: "EMAIL REDACTED FOR PRIVACY" (ICANN's 2019 profile).
_REMARK_FIELD = re.compile(r"^\s*(?P<field>e-?mail|phone|telephone|fax|name|organi[sz]ation|address|street|city|"
                           r"postal code|postcode)\s+(?:redacted|withheld|not disclosed)", re.IGNORECASE)
_REMARK_FIELDS = {"email": "email", "e-mail": "email", "phone": "phone", "telephone": "phone", "fax": "fax",
                  "name": "name", "organization": "organization", "organisation": "organization", "address": "street",
                  "street": "street", "city": "city", "postal code": "postcode", "postcode": "postcode"}


def _entity_redaction(entity: dict[str, Any], path: str) -> tuple[str | None, dict[str, str]]:
    """What an entity's own remarks say it withholds (ICANN's 2019 RDAP profile puts "REDACTED FOR PRIVACY"
    on the contact itself): where a remark says the whole contact's data is withheld (or None), and the
    fields a remark names alone ("EMAIL REDACTED FOR PRIVACY") with where."""
    whole, fields = None, {}
    for i, item in enumerate(_list(entity.get("remarks"))):
        if not isinstance(item, dict):
            continue
        title = _text(item.get("title"))
        if not _ENTITY_WITHHOLDING.search(f"{title} {_text(item.get('description'))} {_text(item.get('type'))}"):
            continue
        named = _REMARK_FIELD.match(title)
        if named:
            fields.setdefault(_REMARK_FIELDS[named.group("field").lower()], f"{path}.remarks[{i}]")
        elif whole is None:
            whole = f"{path}.remarks[{i}]"
    return whole, fields


def _contact_from_entity(role: Role, entity: dict[str, Any], path: str, redactions: Redactions,
                         redaction_signalled: bool, entity_roles: frozenset[str] = frozenset()) -> Contact:
    if "vcardArray" not in entity and isinstance(entity.get("jscard"), dict):
        return _contact_from_jscard(role, entity, path, redactions, redaction_signalled)
    whole, named_fields = _entity_redaction(entity, path)
    redaction_signalled = redaction_signalled or whole is not None
    vcard = _VCard(entity, path)
    values: dict[str, str] = {}
    street: list[str] = []
    locations: dict[str, str] = {}
    redacted: set[str] = set()

    def put(field: str, value: str, where: str) -> None:
        if field in values or (field == "street" and street):
            return
        locations.setdefault(field, where)
        if is_redaction_marker(value) or (not value and redaction_signalled):
            redacted.add(field)  # a marker in the value, or RFC 9537's "Empty Value" method
            return
        if not value:
            return  # an empty property from a server that says nothing about redaction: missing
        values[field] = value

    for _params, value, where in vcard.get("fn"):
        put("name", _text(value), where)
    for _params, value, where in vcard.get("org"):
        put("organization", _text(value), where)
    for _params, value, where in vcard.get("email"):
        put("email", _text(value), where)
    for params, value, where in vcard.get("tel"):
        kinds = _types(params)
        is_fax = "fax" in kinds or _text(value).lower().startswith("fax:")
        put("fax" if is_fax else "phone", _tel_value(value), where)
    for _params, _value, where in vcard.get("contact-uri"):
        if "email" not in values:
            # a web form in place of the email: the address itself is withheld
            locations.setdefault("email", where)
            redacted.add("email")
    for params, value, where in vcard.get("adr"):
        if street or "city" in values or "postcode" in values:
            break  # the first address with content is the contact's (a second one is another address)
        locations.setdefault("street", where)
        if isinstance(value, list) and len(value) >= 7:
            parts = value
            for line in (parts[0], parts[1], parts[2]):
                if isinstance(line, list):
                    street.extend(_text(x) for x in line if _text(x))
                elif _text(line):
                    street.append(_text(line))
            for idx, field in ((3, "city"), (4, "region"), (5, "postcode"), (6, "country")):
                text = _text(parts[idx])
                if text:
                    put(field, text, where)
                elif field != "region":  # emptied, as "fn" is: redacted where the server says it redacts
                    put(field, "", where)
                else:
                    locations.setdefault(field, where)  # many countries' addresses have no region
            if not street and redaction_signalled and not _text(params.get("label")):
                redacted.add("street")
        cc = params.get("cc")
        if isinstance(cc, str) and cc.strip():
            values.setdefault("country", cc.strip())
            locations.setdefault("country", where)
        if isinstance(value, list) and len(value) < 7:
            # not RFC 6350's seven parts (Namecheap: "street", "city", "region", "postcode", "CC"): its lines,
            # read as a label's are
            lines = [x.strip() for part in value for x in (part if isinstance(part, list) else [part])
                     if isinstance(x, str) and x.strip()]
            street.extend(_label_lines(lines, values, locations, where) if lines else ())
        label = params.get("label")
        if not street and isinstance(label, str) and label.strip():
            lines = [ln.strip() for ln in label.splitlines() if ln.strip()]
            street.extend(_label_lines(lines, values, locations, where))
            redacted.discard("street")
    kind = None
    for _params, value, _where in vcard.get("kind"):
        kind = _text(value) or None
    _apply_redactions(role, redactions, values, street, redacted, locations, entity_roles)
    withheld = dict(named_fields)
    if whole is not None:  # every field the contact does not show is withheld
        withheld.update({f: whole for f in CONTACT_FIELDS if f not in withheld})
    for field, where in withheld.items():
        if field not in values and not (field == "street" and street):
            redacted.add(field)
            locations.setdefault(field, where)
    if kind:
        values["kind"] = kind
    return contact_from_values(role, values, street, redacted, locations, handle=_text(entity.get("handle")) or None)


def _apply_redactions(role: Role, redactions: Redactions, values: dict[str, str], street: list[str],
                      redacted: set[str], locations: dict[str, str], entity_roles: frozenset[str] = frozenset()) -> None:
    """Mark the fields RFC 9537 says are redacted for this role: those it removed or emptied, and those
    shown only in part (their value goes). An entity that holds several roles is one object: a field
    redacted under one of its roles is redacted under all of them."""
    for (r, field), where in redactions.items():
        if r != role.value and r not in entity_roles:
            continue
        if (r, field) in redactions.partial:  # what is shown is a part ("J. S."): not the holder's data
            values.pop(field, None)
            if field == "street":
                street.clear()
        if field not in values and not (field == "street" and street):
            redacted.add(field)
            locations.setdefault(field, where)


#: JSContact address component kinds (RFC 9553 section 2.5.1) that make up a street line, and the fields
#: the others fill.
_JSCARD_STREET_KINDS = frozenset({"number", "name", "block", "building", "floor", "apartment", "room", "direction",
                                  "landmark", "postOfficeBox", "subdistrict", "district"})
_JSCARD_FIELD_KINDS = {"locality": "city", "region": "region", "postcode": "postcode", "country": "country"}


def _contact_from_jscard(role: Role, entity: dict[str, Any], path: str, redactions: Redactions,
                         redaction_signalled: bool) -> Contact:
    """A contact given as a JSContact card (RFC 9553) in the entity's "jscard" member, as the RDAP JSContact
    extension sends it in place of a jCard (draft-ietf-regext-rdap-jscontact)."""
    card: dict[str, Any] = entity["jscard"]
    base = f"{path}.jscard"
    values: dict[str, str] = {}
    street: list[str] = []
    locations: dict[str, str] = {}
    redacted: set[str] = set()

    def put(field: str, value: Any, where: str) -> None:
        text = _text(value)
        if field in values or field in redacted:
            return
        locations.setdefault(field, where)
        if is_redaction_marker(text) or (not text and redaction_signalled):
            redacted.add(field)
        elif text:
            values[field] = text

    name = card.get("name")
    if isinstance(name, dict):
        parts = [c.get("value") for c in _list(name.get("components")) if isinstance(c, dict)]
        put("name", name.get("full") or " ".join(_text(p) for p in parts if _text(p)), f"{base}.name")
    for key, org in _jscard_items(card, "organizations"):
        put("organization", org.get("name"), f"{base}.organizations[{_key(key)}].name")
    for key, email in _jscard_items(card, "emails"):
        put("email", email.get("address"), f"{base}.emails[{_key(key)}].address")
    for key, phone in _jscard_items(card, "phones"):
        features = phone.get("features") if isinstance(phone.get("features"), dict) else {}
        field = "fax" if features.get("fax") and not features.get("voice") else "phone"
        put(field, _tel_value(phone.get("number")), f"{base}.phones[{_key(key)}].number")
    for key, address in _jscard_items(card, "addresses")[:1]:  # the first address is the contact's
        where = f"{base}.addresses[{_key(key)}]"
        locations.setdefault("street", where)
        line: list[str] = []
        for component in _list(address.get("components")):
            if not isinstance(component, dict):
                continue
            kind, value = _text(component.get("kind")), _text(component.get("value"))
            if kind in _JSCARD_STREET_KINDS and value:
                line.append(value)
            elif kind == "separator" and line:
                street.append(" ".join(line))
                line = []
            elif kind in _JSCARD_FIELD_KINDS:
                put(_JSCARD_FIELD_KINDS[kind], value, where)
        if line:
            street.append(" ".join(line))
        if not street and _text(address.get("full")):
            lines = [ln.strip() for ln in _text_lines(address.get("full")) if ln.strip()]
            street.extend(_label_lines(lines, values, locations, where))
        if _text(address.get("countryCode")):
            values.setdefault("country", _text(address.get("countryCode")))
            locations.setdefault("country", where)
    _apply_redactions(role, redactions, values, street, redacted, locations)
    kind = _text(card.get("kind"))
    if kind:
        values["kind"] = kind
    return contact_from_values(role, values, street, redacted, locations, handle=_text(entity.get("handle")) or None)


def _jscard_items(card: dict[str, Any], member: str) -> list[tuple[str, dict[str, Any]]]:
    """The entries of a JSContact map ("emails": {"e1": {...}}), the preferred first (`pref`, 1 the most)."""
    items = card.get(member)
    if not isinstance(items, dict):
        return []
    found = [(str(key), item) for key, item in items.items() if isinstance(item, dict)]
    found.sort(key=lambda pair: _pref(pair[1]))
    return found


def _jscard_names(entity: dict[str, Any]) -> list[str]:
    """The full name and the organisations' names of an entity's JSContact card (a registrar's)."""
    card = entity.get("jscard")
    if not isinstance(card, dict):
        return []
    name = card.get("name")
    full = [_text(name.get("full"))] if isinstance(name, dict) and _text(name.get("full")) else []
    return full + [_text(org.get("name")) for _key_, org in _jscard_items(card, "organizations") if _text(org.get("name"))]


def _key(key: str) -> str:
    """A map key in a JSONPath (auditor.evidence reads ['key'] back): quotes taken out, not escaped."""
    return "'" + key.replace("'", "") + "'"


def _text_lines(value: Any) -> list[str]:
    return value.splitlines() if isinstance(value, str) else []


#: A `redacted` member about a contact (by name or JSONPath), and one about its id or handle, not its data.
_CONTACT_ROLE = re.compile(r"registrant|admin|tech|billing", re.I)
_ID_OR_HANDLE = re.compile(r"\bid\b|handle", re.I)
#: A notice or remark saying data was withheld: not a terms-of-use text that merely names a privacy policy.
_WITHHOLDING = (r"redact|withheld|not disclosed|not (?:published|shown|displayed|made public)|\bhidden\b|(?:for|of) privacy|"
                r"privacy (?:reasons|protection)")
_REDACTION_NOTICE = re.compile(_WITHHOLDING + r"|gdpr", re.I)
#: An entity's own remark withholds its data only in so many words (a remark naming the GDPR may say anything).
_ENTITY_WITHHOLDING = re.compile(_WITHHOLDING, re.I)


def redaction_signalled(data: dict[str, Any], redactions: Redactions) -> bool:
    """Is a property the server emptied redacted (RFC 9537's "Empty Value" method) even where no `redacted`
    member names it, or missing?

    A server that lists its redactions (RFC 9537: the `redacted` member "MUST be added" when a field is
    redacted) has said which fields it redacted: another empty field is missing, unless one of its
    members could not be read (then it may be that field's). Declaring RFC 9537 in `rdapConformance`
    with no `redacted` member says nothing was redacted. A server without RFC 9537 that says in a notice
    or remark that it withholds personal data (the gTLD practice before it) is taken at its word.
    """
    items = data.get("redacted")
    if isinstance(items, list) and items:
        return redactions.unread > 0
    for key in ("notices", "remarks"):
        for item in _list(data.get(key)):
            if isinstance(item, dict):
                text = _text(item.get("title")) + " " + _text(item.get("description")) + " " + _text(item.get("type"))
                if _REDACTION_NOTICE.search(text):
                    return True
    return False


class Redactions(dict[tuple[str, str], str]):
    """RFC 9537 `redacted` members: {(role, field): "$.redacted[i]"}, and in `partial` the fields whose
    value is still shown, in part ("J. S.", "+1.416555XXXX": the "Partial Value" method): that value is
    not the holder's data, so it is redacted, not checked."""

    def __init__(self) -> None:
        super().__init__()
        self.partial: set[tuple[str, str]] = set()
        #: members naming a contact's data in a way not understood here (not an id or handle)
        self.unread = 0


def _redactions(data: dict[str, Any]) -> Redactions:
    """The response's RFC 9537 `redacted` members (see Redactions)."""
    out = Redactions()
    items = data.get("redacted")
    if not isinstance(items, list):
        return out
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        where = f"$.redacted[{i}]"
        fields, whole_contact = _redacted_fields(item)
        if not fields:
            text = json.dumps(item)
            if _CONTACT_ROLE.search(text) and not _ID_OR_HANDLE.search(text):
                out.unread += 1
        for key in fields:
            if whole_contact:
                out.setdefault(key, where)  # a field named on its own says more
            else:
                out[key] = where
        if _text(item.get("method")) == "partialValue":
            out.partial.update(fields)
    return out


def _redacted_fields(item: dict[str, Any]) -> tuple[list[tuple[str, str]], bool]:
    """The (role, field) pairs one `redacted` member names, by its name or its JSONPath, and whether it
    names a whole contact ("Registrant Contact")."""
    name = item.get("name")
    desc = _text(name.get("type") or name.get("description")) if isinstance(name, dict) else _text(name)
    m = _REDACTED_NAME.match(desc) if desc else None
    if m:
        field = _FIELD_WORD.get(m.group("field").lower())
        if field:
            return [(_ROLE_WORD[m.group("role").lower()], field)], False
    whole = _WHOLE_CONTACT.match(desc) if desc else None
    if whole:
        return [(_ROLE_WORD[whole.group("role").lower()], field) for field in CONTACT_FIELDS], True
    path = " ".join(_text(item.get(k)) for k in ("prePath", "postPath", "replacementPath"))
    role_m = re.search(r"registrant|administrative|technical|billing", path)
    field_m = re.search(r"'(fn|org|email|tel|adr|contact-uri|voice|fax)'", path)
    if not (role_m and field_m):
        return [], False
    prop = field_m.group(1)
    field = {"voice": "phone", "fax": "fax"}.get(prop) or _VCARD_FIELD[prop]
    if prop == "tel" and "fax" in path:
        field = "fax"
    if prop == "adr":
        idx = re.search(r"'adr'\)?\]\[3\]\[(\d)\]", path)
        field = {"3": "city", "4": "region", "5": "postcode", "6": "country"}.get(idx.group(1) if idx else "", "street")
    return [(role_m.group(0), field)], False


def parse_rdap(raw: RawRecord) -> ParseOutcome:
    """Parse one RDAP domain response; never raises on bad input."""
    data = load_json(raw)
    if isinstance(data, ParseFailure):
        return data
    if not isinstance(data, dict):
        return ParseFailure(raw.sha256, PARSER_VERSION, f"JSON is a {type(data).__name__}, not an RDAP object")
    if "errorCode" in data and "objectClassName" not in data:
        code = data.get("errorCode")
        if isinstance(code, str) and code.strip().isascii() and code.strip().isdigit():
            code = int(code)  # "404": the number as text
        title = _text(data.get("title"))
        if code == 404:
            return NoRegistration(ResponseStatus.AVAILABLE, raw.sha256, PARSER_VERSION, domain=raw.query or None,
                                  reason=f"RDAP 404 {title}".strip())
        if code == 429:
            return NoRegistration(ResponseStatus.THROTTLED, raw.sha256, PARSER_VERSION, domain=raw.query or None,
                                  reason=f"RDAP 429 {title}".strip())
        if code == 400:
            return NoRegistration(ResponseStatus.INVALID_QUERY, raw.sha256, PARSER_VERSION,
                                  domain=raw.query or None, reason=f"RDAP 400 {title}".strip())
        return ParseFailure(raw.sha256, PARSER_VERSION, f"RDAP error response {code}: {title}".strip())
    ocn = data.get("objectClassName")
    if ocn != "domain":
        return ParseFailure(raw.sha256, PARSER_VERSION,
                            f"objectClassName is {ocn!r}, expected 'domain'" if ocn else "no objectClassName: not an RDAP object")
    ldh = _text(data.get("ldhName")) or _text(data.get("unicodeName"))
    if not ldh:
        return ParseFailure(raw.sha256, PARSER_VERSION, "RDAP domain object without ldhName")
    if not looks_like_domain(ldh):
        return ParseFailure(raw.sha256, PARSER_VERSION, f"ldhName {ldh[:80]!r} is not a domain name")
    domain = normalise_domain(ldh)
    redactions = _redactions(data)
    signalled = redaction_signalled(data, redactions)
    contacts: list[Contact] = []
    registrar = registrar_id = None
    locations: dict[str, str] = {}
    seen_roles: set[Role] = set()
    for entity, path, under_registrar in _walk_entities(data.get("entities"), "$.entities"):
        roles = entity.get("roles") if isinstance(entity.get("roles"), list) else []
        roles = [str(r).lower() for r in roles]
        if under_registrar:
            continue  # the registrar's own contacts (abuse, NOC), not the domain's
        if "registrar" in roles and registrar is None:
            vc = _VCard(entity, path)
            orgs = [v[0] if isinstance(v, list) and v else v for _p, v, _w in vc.get("org")]  # its first unit
            names = ([n for _p, v, _w in vc.get("fn") if (n := _text(v))] or [n for v in orgs if isinstance(v, str) and (n := v.strip())]
                     or _jscard_names(entity) or [_text(entity.get("handle"))])  # MarkMonitor: "org" only
            registrar = names[0] or None
            locations["registrar"] = path
            for pid in _list(entity.get("publicIds")):
                if isinstance(pid, dict) and "iana" in _text(pid.get("type")).lower():
                    registrar_id = _text(pid.get("identifier")) or None
        # the roles this entity gives the domain's contact for (an earlier entity's are that one's)
        supplied = frozenset(r for r in roles if r in _ROLES and _ROLES[r] not in seen_roles)
        for r in roles:
            role = _ROLES.get(r)
            if role is not None and role not in seen_roles:
                seen_roles.add(role)
                contacts.append(_contact_from_entity(role, entity, path, redactions, signalled, supplied))
    # roles that are redacted by removal have no entity at all; RFC 9537 still names them
    for r, _field in redactions:
        role = _ROLES.get(r)
        if role is not None and role not in seen_roles:
            seen_roles.add(role)
            fields_for_role = frozenset(f for (rr, f) in redactions if rr == r)
            contacts.append(Contact(role=role, redacted=fields_for_role,
                                    locations=tuple(sorted((f, redactions[(r, f)]) for f in fields_for_role))))
    dates: dict[str, Any] = {}
    events = [(i, ev) for i, ev in enumerate(_list(data.get("events"))) if isinstance(ev, dict)]
    for table in (_EVENTS, _FALLBACK_EVENTS):  # RFC 9083's own event first, then a server's other word for it
        for i, ev in events:
            key = table.get(_text(ev.get("eventAction")).lower())
            if key and key not in dates:
                dates[key] = parse_date(_text(ev.get("eventDate")))
                locations[key] = f"$.events[{i}]"
    nameservers = []
    for ns in _list(data.get("nameservers")):
        if isinstance(ns, dict):
            name = _text(ns.get("ldhName")) or _text(ns.get("unicodeName"))
            if name:
                nameservers.append(normalise_domain(name))
    statuses = tuple(_text(s) for s in _list(data.get("status")) if _text(s))
    return RegistrationRecord(
        domain=domain,
        status=ResponseStatus.REGISTERED,
        registrar=registrar,
        registrar_iana_id=registrar_id,
        created_at=dates.get("created_at"),
        updated_at=dates.get("updated_at"),
        expires_at=dates.get("expires_at"),
        statuses=statuses,
        nameservers=tuple(dict.fromkeys(nameservers)),
        contacts=tuple(contacts),
        raw_sha256=raw.sha256,
        parser=PARSER_VERSION,
        source=Source.RDAP,
        locations=tuple(sorted(locations.items())),
    )
