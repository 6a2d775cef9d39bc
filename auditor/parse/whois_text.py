"""Port-43 WHOIS text ("Label: value" and its ccTLD variants) to a RegistrationRecord.

One generic machine, driven by the label vocabulary in `labels.py` and a per-registry
`WhoisProfile` (extra labels, withheld roles, date zone). It understands:

* flat ICANN-style lines: ``Registrant Email: a@b.c`` (role in the label);
* section headers with bare field labels below them: ``Registrant:`` / ``[Holder]`` / ``Admin Contact``
  followed by ``Name: ...``; and indented blocks where the value sits on the following lines (Nominet);
* RIPE-style handle objects (``nic-hdl:`` / ``contact:`` blocks) referenced by ``admin-c:``, ``holder-c:``;
* JPRS-style ``[Label] value`` lines.

Every field keeps the line it was read from, so a finding can point at the evidence.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from auditor.countries import to_iso_country
from auditor.decode import decode
from auditor.domains import looks_like_domain, normalise_domain
from auditor.errors import DecodeError
from auditor.parse.contact import NAME_PARTS, join_name_parts, peel_address_lines, real_handle, withheld_street
from auditor.parse.dates import parse_date
from auditor.parse.labels import (
    FIELD_WORDS,
    HANDLE_OBJECT_LABELS,
    HANDLE_REFERENCE_LABELS,
    fold_label,
    resolve_label,
    role_of_header,
)
from auditor.parse.markers import is_redaction_marker, privacy_service_of
from auditor.parse.status import detect_status, reduced_answer_line
from auditor.records import (
    CONTACT_FIELDS,
    WITHHELD_BY_THE_SERVER,
    Contact,
    FieldState,
    NoRegistration,
    ParseFailure,
    ParseOutcome,
    RawRecord,
    RegistrationRecord,
    ResponseStatus,
    Role,
    Source,
)

PARSER_VERSION = "whois-text@1"

#: Location key marking a contact read from a free-form block (no label per field): an email or
#: phone number may sit inside any of its lines, so the absence of one proves nothing.
FREE_FORM = "free-form block"

#: Responses larger than this are not WHOIS answers; they fail with a clear reason.
MAX_WHOIS_BYTES = 1_000_000

_COMMENT = re.compile(r"^(?:>>>|--|\*\*\*|NOTICE:|TERMS OF USE:|Terms of Use:)")
_BRACKETED = re.compile(r"^(?:[a-z]\.\s*)?\[(?P<label>[^\]]{1,60})\]\s*(?P<value>.*)$")
_HANDLE_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]{1,40}$")
#: "Registered on 02nd August 2000", "Record created on 2018-02-05" (a date phrase without a colon)
_PHRASE_DATE = re.compile(r"^(?P<label>(?:[A-Za-z]+ ){0,3}(?:on|at|date|since))\s+(?P<value>\S.*\d{2}.*)$", re.IGNORECASE)
_DOMAIN_LINE = re.compile(r"^(?:domain|domain name)\s+([^\s:]+\.[^\s:]+)\.?$", re.IGNORECASE)
#: An address with its "@" spelled out to keep harvesters off: "name AT example.com", "name [at] example.com".
_SPELLED_AT = re.compile(r"^([^\s@:/]+)\s*(?:\s(?:AT|at)\s|\[(?:at|AT)\]|\((?:at|AT)\))\s*([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)$")
_EMAIL_LIKE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NAME_THEN_EMAIL = re.compile(r"^(\S.*?\S)\s+[<(]?([^@\s<>()]+@[^@\s<>()]+\.[^@\s<>()]+?)[>)]?$")
_PHONE_LIKE = re.compile(r"^(?:tel[.:]?\s*)?\+?[\d() .-]{7,}$", re.IGNORECASE)
#: Labels that open a handle-keyed object at the start of a block ("Registrar: MARK-0292" + "Name: ...")
_OBJECT_OPENERS = HANDLE_OBJECT_LABELS | {"registrar"}
_IANA_ROLE = {"registrant": Role.REGISTRANT, "administrative": Role.ADMINISTRATIVE,
              "technical": Role.TECHNICAL, "billing": Role.BILLING}
#: Labels whose value names the role of the fields below them ("Contact: Registrant").
_ROLE_NAMING_LABELS = frozenset({"contact", "contact type", "contact role", "role"})
_REGISTRAR_HEADERS = frozenset({"registrar", "sponsoring registrar", "registrar information", "registrar details"})
#: Sections of the registrar's own contacts (DNS Belgium), never the domain's: read nothing from them.
_REGISTRAR_CONTACT_HEADERS = frozenset({"registrar technical contacts", "registrar technical contact",
                                        "registrar contacts", "registrar contact", "registrar abuse contact"})
_NAMESERVER_HEADERS = frozenset({"nameservers", "name servers", "name server", "nameserver", "dns servers",
                                 "domain servers in listed order", "name servers information", "servers",
                                 "dns", "nserver", "name servers in the listed order"})
_DATE_HEADERS = frozenset({"relevant dates", "dates", "important dates"})
_STATUS_HEADERS = frozenset({"registration status", "domain status", "status"})
_DOMAIN_HEADERS = frozenset({"domain name", "domain"})


@dataclass(frozen=True, slots=True)
class WhoisProfile:
    """What a registry does differently: extra labels, roles it never publishes, its time zone."""

    name: str = "generic"
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # folded label -> (role|"record", field)
    withheld_roles: tuple[str, ...] = ()  # roles the registry never publishes on port 43 (by policy)
    #: fields of a role the registry never publishes on port 43 though it shows others (role -> fields)
    withheld_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    date_offset_hours: float = 0.0
    day_first: bool = True  # False where 03/02/2020 means 2 March
    #: what the last lines of a multi-line address hold, when the registry fixes the layout
    #: (e.g. .it: street..., city, postcode, province, country)
    address_tail: tuple[str, ...] = ()
    #: section headers that name a role only at this registry (folded header -> role)
    headers: dict[str, str] = field(default_factory=dict)
    #: the date in parentheses after the state word is when the registration expires (JPRS)
    expiry_in_state: bool = False


GENERIC_PROFILE = WhoisProfile()


@dataclass(slots=True)
class _Line:
    no: int
    indent: int
    label: str | None
    value: str
    text: str


#: A value that says the field was not given in this form: a value that follows it replaces it.
_NOT_GIVEN = frozenset({"n/a", "not available"})


@dataclass(slots=True)
class _ContactDraft:
    role: str
    values: dict[str, list[str]] = field(default_factory=dict)
    locations: dict[str, str] = field(default_factory=dict)
    redacted: set[str] = field(default_factory=set)
    handle: str | None = None
    #: the label each field was first read under (a "-loc" twin may replace its "n/a", a repeat of it may not)
    labels: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, value: str, where: str, label: str = "") -> None:
        if not value:
            return
        if name == "email":
            value = _SPELLED_AT.sub(r"\1@\2", value)  # ISOC-IL's "renoch AT gmail.com", against harvesting
            parts = [p.strip() for p in re.split(r"[,;]", value)]
            if len(parts) > 1 and all(_EMAIL_LIKE.match(p) for p in parts):
                value = parts[0]  # DNS.PT's "request@pt.pt,secretariado@pt.pt": the first is the contact's
        if is_redaction_marker(value):
            self.redacted.add(name if name in CONTACT_FIELDS else "name")
            self.locations.setdefault(name, where)
            return
        known = self.values.get(name)
        if known and all(v.strip().lower() in _NOT_GIVEN for v in known) and (
                name in ("name", "organization") or label != self.labels.get(name, "")):
            # Hostmaster.ua: "person: n/a" (no Latin form), then "person-loc: ..." (the name as registered); an
            # "address: N/A" line followed by more "address:" lines stays (a placeholder line, FAL004's)
            self.values[name] = [value]
            self.locations[name] = where
            self.labels[name] = label
            return
        self.values.setdefault(name, []).append(value)
        self.locations.setdefault(name, where)
        self.labels.setdefault(name, label)

    def withhold(self, names: Iterable[str], where: str) -> None:
        """Mark these fields withheld (redacted, read at `where`), those already given a value excepted."""
        for name in names:
            if name not in self.values:
                self.redacted.add(name)
                self.locations.setdefault(name, where)

    def merge(self, other: _ContactDraft) -> None:
        for key, vals in other.values.items():
            if key not in self.values:
                self.values[key] = list(vals)
                if key in other.locations:
                    self.locations[key] = other.locations[key]
        for key in other.redacted:
            if key not in self.values:
                self.redacted.add(key)
                self.locations.setdefault(key, other.locations.get(key, ""))
        self.handle = self.handle or other.handle


_CLIENT_PREAMBLE = re.compile(r"^\[(?:Querying |Redirected to )?(?P<host>[A-Za-z0-9.-]+\.[A-Za-z]{2,})(?::\d+)?\]$")


def tokenise(text: str) -> list[_Line]:
    """Split a response into lines with label/value where a label is recognisable."""
    lines: list[_Line] = []
    append = lines.append
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        stripped = line.lstrip()
        if not stripped or stripped[0] in "%#;" or _COMMENT.match(stripped) or _CLIENT_PREAMBLE.match(stripped):
            header = _COMMENT_HEADER.match(stripped)
            if header and role_of_header(header.group(1)) is not None:
                # Hostmaster.ua's "% Registrant:" / "% Administrative Contacts:" above each contact's object
                append(_Line(no, 0, header.group(1), "", line))
                continue
            append(_Line(no, 0, None, "", line if stripped else ""))
            continue
        indent = len(line) - len(stripped)
        if stripped[0] == "[" or (len(stripped) > 3 and stripped[1] == "." and "[" in stripped[:4]):
            m = _BRACKETED.match(stripped)
            if m:
                append(_Line(no, indent, m.group("label").strip(), m.group("value").strip(), line))
                continue
        split = split_label(stripped)
        if split is not None:
            append(_Line(no, indent, split[0], split[1], line))
            continue
        append(_Line(no, indent, None, stripped, line))
    return lines


#: A comment line that is only a section header: "% Registrant:".
_COMMENT_HEADER = re.compile(r"^[%#]+\s*([A-Za-z][A-Za-z ]{2,40}):\s*$")
_LABEL_SEP = re.compile(r"(?P<label>[^:#\[\]]{1,60}?)\s*(?:\.{2,}\s*)?(?P<sep>:|#(?=[\s.]))(?P<rest>.*)$")
#: A known label with a long note in parentheses before its colon (HKIRC: "Holder English Name (It should be
#: the same as your legal name on your HKID card or other relevant documents):  JACK BI")
_NOTED_LABEL = re.compile(r"(?P<label>[^:#\[\]()]{1,60}?)\s*\([^()]{1,240}\)\s*:(?P<rest>.*)$")
_LEADER = re.compile(r"^[\s.]+")  # dot leaders: "Registrar:..........NAME", "Nom#. . . .google.dz"
_TIME_LABEL = re.compile(r"\d{1,2}")
_YEAR = re.compile(r"\d{4}")  # "Record created on 2018-02-05 22:59" is a sentence with a time, not a label


@lru_cache(maxsize=65536)
def split_label(line: str) -> tuple[str, str] | None:
    """'Label: value', 'Label:value' (known labels), 'Label......: value', 'Label#. . . value' -> (label, value)."""
    m = _LABEL_SEP.match(line)
    if m is None:
        noted = _NOTED_LABEL.match(line)
        if noted is not None:
            label = noted.group("label").strip()
            if resolve_label(label) is not None or role_of_header(label) is not None:
                return label, noted.group("rest").strip()
        if "\t" in line:  # SWITCH's "Registrar<TAB>MarkMonitor"
            label, _, value = line.partition("\t")
            if resolve_label(label) is not None or role_of_header(label) is not None:
                return label.strip(), value.strip()
        return None
    label, rest = m.group("label").strip(), m.group("rest")
    if not label or label[-1] in "/" or _TIME_LABEL.fullmatch(label) or len(label.split()) > 8 or _YEAR.search(label):
        return None
    low = label.lower()
    if low.endswith(("http", "https", "ftp", "rwhois", "whois")) or rest.startswith("//"):
        return None
    if rest and not rest[0].isspace() and rest[0] != ".":
        # "Label:value" without a space: only for labels we know, never for URLs or times
        if resolve_label(label) is None and role_of_header(label) is None:
            return None
    value = _LEADER.sub("", rest).strip()
    return label, value


def _first_token(value: str) -> str:
    return value.split()[0] if value.split() else ""


#: Record fields that, inside a contact's section, describe that contact object (Hostmaster.ua: "status: linked").
_CONTACT_OBJECT_METADATA = frozenset({("record", "statuses")})
#: Labels that name a host inside a name-server section.
_HOST_WORDS = frozenset({"name", "host", "hostname", "host name", "server", "server name", "nameserver"})
#: A name server written as a zone-file record: "google.pt NS ns4.google.com." (DNS.PT)
_NS_RECORD = re.compile(r"^\S+\s+(?:\d+\s+)?(?:IN\s+)?NS\s+(\S+)", re.IGNORECASE)


def _clean_nameserver(value: str) -> str | None:
    record = _NS_RECORD.match(value)
    if record:
        value = record.group(1)
    token = _first_token(value.replace(",", " ")).strip(".").lower()
    if not token or not looks_like_domain(token):
        return None
    return normalise_domain(token)


#: JPRS's "[State] Connected (2019/03/31)": the date a registration in service runs to (not "Deleted (...)").
_STATE_DATE = re.compile(r"^\s*(?:connected|active|registered)\s*\((\d{4}/\d{1,2}/\d{1,2})\)", re.IGNORECASE)
#: Labels that open an object other than the domain's own: its "descr:" lines are not the holder's.
_OTHER_OBJECTS = frozenset({"nic hdl", "person", "role", "contact", "registrar", "organisation", "organization", "org",
                            "mntner", "irt"})
_STATUS_URL = re.compile(r"\(?https?://\S+\)?")
_STATUS_REMARK = re.compile(r"\([^()]*\)")  # "(Secured by CoCCA Premium Registry Lock)", "(paid and in zone)"
_STATUS_GLOSS = re.compile(r"\s+[-\u2013\u2014](?:\s.*)?\Z")  # "ok - Normal state.", "clientHold - status prohibits ..."


#: A sentence for readers where a status was expected: no registry's status word reads so.
_STATUS_PROSE = re.compile(r"\b(?:please|visit|for more information|for more info)\b|\bwww\.", re.IGNORECASE)


def _clean_statuses(value: str) -> list[str]:
    """The registry's status words of one status line, without the remarks registries print around them.

    RFC 5731's codes are single tokens; registries add a link (ICANN's epp# URL), a remark in
    parentheses (CoCCA's "(Secured by CoCCA Premium Registry Lock)", .ee's "(paid and in zone)", JPRS's
    "(2024/06/30)") or a gloss after a dash (.kz's "ok - Normal state."). The word is the status; a
    remark left on it made it an unknown status (or, past 80 characters, dropped it).
    """
    value = _STATUS_REMARK.sub(" ", _STATUS_URL.sub("", value))
    value = _STATUS_GLOSS.sub("", value)  # a gloss runs to the end of the line: one status per such line
    if _STATUS_PROSE.search(value):
        return []  # DNS Belgium's closing "Please visit www.dns.be for more info." under an empty "Flags:"
    parts = []
    for part in re.split(r"[,;]", value):
        part = " ".join(part.split()).rstrip(".")
        if part and len(part) <= 80:
            parts.append(part)
    return parts


class _Parser:
    """One pass over the tokenised lines, collecting record fields and contact drafts."""

    def __init__(self, lines: list[_Line], profile: WhoisProfile) -> None:
        self.lines = lines
        self.profile = profile
        self.record: dict[str, list[tuple[str, str]]] = {}  # field -> [(value, where)]
        self.contacts: dict[str, _ContactDraft] = {}
        self.handles: dict[str, _ContactDraft] = {}
        self.references: list[tuple[str, str, str, str]] = []  # (role, handle, label, where)
        self.name_claims: list[tuple[str, str, str]] = []  # (role, value, where) from "Registrant: X"
        #: the contact section opened by a comment header ("% Registrant:"), which holds that contact's object
        self.comment_section: str | None = None

    # -- helpers -------------------------------------------------------------------------
    def _resolve(self, label: str) -> tuple[str, str] | None:
        key = fold_label(label)
        if key in self.profile.labels:
            return self.profile.labels[key]
        return resolve_label(label)

    def _contact(self, role: str) -> _ContactDraft:
        return self.contacts.setdefault(role, _ContactDraft(role))

    def _record(self, name: str, value: str, line: _Line) -> None:
        if value:
            self.record.setdefault(name, []).append((value, f"line {line.no}"))

    # -- main loop -----------------------------------------------------------------------
    def run(self) -> None:
        """Walk the lines once; sections, value openers and continuations are the only state."""
        section: str | None = None  # a role, "registrar", "nameservers", "dates", "status", "domain"
        section_indent = -1
        section_indented = False  # True: the section ends at a line not indented below its header
        opener: tuple[str, str] | None = None  # target for unlabelled value lines after a header
        opener_indent = -1
        cont: tuple[str, str] | None = None  # target for continuation lines of a labelled value
        cont_indent = -1
        handle_obj: _ContactDraft | None = None
        block_start = True
        #: True from a section header until the first line after it: a blank line there does not close the
        #: section (Traficom's "Holder", a blank line, then "name...: ..."; HKIRC's the same with a colon)
        section_fresh = False

        def open_section(header: str, line: _Line, idx: int) -> None:
            nonlocal section, section_indent, section_indented, opener, opener_indent
            nonlocal opener_used, section_fresh
            opener_used = False
            section_fresh = True
            self.comment_section = None
            nxt = self._next_content(idx)
            section, section_indent = header, line.indent
            section_indented = nxt is not None and nxt.indent > line.indent
            opener, opener_indent = self._opener_for_header(header), line.indent

        opener_used = False
        for idx, line in enumerate(self.lines):
            if not line.text:
                handle_obj, block_start, cont = None, True, None
                nxt = self._next_content(idx)
                if opener is not None and not opener_used and nxt is not None and nxt.label is None:
                    continue  # "Name Servers:", a blank line, then the values
                if section_fresh and section is not None and nxt is not None and nxt.label is not None:
                    continue  # "Holder", a blank line, then that contact's labelled fields
                if not (section_indented and nxt is not None and nxt.indent > section_indent):
                    section, section_indent, section_indented, opener = None, -1, False, None
                continue
            if section_indented and line.indent <= section_indent:
                section, section_indent, section_indented, opener = None, -1, False, None
            section_fresh = False
            if line.label is None:
                if not line.value:
                    continue  # a comment line: neither data nor a block boundary
                # "Record created on 22-Apr-2003" is the record's date even inside a contact's block (EENet)
                m = _PHRASE_DATE.match(line.value)
                if m:
                    target = self._resolve(m.group("label"))
                    if target and target[0] == "record" and target[1] in ("created_at", "updated_at", "expires_at"):
                        self._record(target[1], m.group("value"), line)
                        continue
                if cont is not None and line.indent > cont_indent:
                    self._assign(cont, line.value, line)
                    continue
                if opener is not None and line.indent >= opener_indent:
                    # values below a label-only line, indented or not, up to the next blank line
                    self._assign(opener, line.value, line)
                    opener_used = True
                    continue
                m = _DOMAIN_LINE.match(line.value)
                if m and "domain" not in self.record:
                    self._record("domain", m.group(1), line)
                    continue
                header = self._header_of(line.value)
                if header is not None:
                    open_section(header, line, idx)
                    cont = None
                    block_start = False
                    continue
                if opener is not None and opener_indent == line.indent and section in ("nameservers",):
                    self._assign(opener, line.value, line)
                continue
            label_key = fold_label(line.label)
            cont = None
            if label_key in _ROLE_NAMING_LABELS and line.value:
                # "Contact: Registrant" (.pr), "Contact Type: owner" (.tn): the fields below are that role's;
                # not in IANA's record of a top-level domain ("domain: LIVE") that a referral chain puts above
                # the domain's own record: those are the TLD manager's contacts
                domains = self.record.get("domain", [])
                header = role_of_header(line.value) if not domains or "." in domains[-1][0] else None
                if header is not None:
                    open_section(header, line, idx)
                    block_start = False
                    continue
            if label_key == "source" and (handle_obj is not None or self.handles or self.references):
                # RIPE-style objects may follow each other without a blank line; "source:" closes each one
                handle_obj, block_start = None, True
                continue
            # the first line of a RIPE-style handle object
            if block_start and label_key in _OBJECT_OPENERS and _HANDLE_VALUE.match(line.value or ""):
                if label_key not in ("contact", "registrar") or self._block_has_contact_fields(idx):
                    handle_obj = self._handle_object(line.value)
                    if section in _IANA_ROLE:  # "% Registrant:" then the object: it is that role's
                        self.references.append((section, line.value, "section", f"line {line.no}"))
                    if label_key == "registrar" and "registrar" not in self.record:
                        self._record("registrar", line.value, line)
                    block_start = False
                    continue
            if block_start and (line.value or self._header_of(line.label) is None):
                # (a block opened by a header line is that role's section; one opened by an empty field,
                # NIC.AT's "personname:" of an organisation, may be an object whose handle comes last)
                trailing = self._trailing_handle(idx)
                role = role_of_header(line.label) if trailing is None and _HANDLE_VALUE.match(line.value) else None
                if trailing is not None:
                    # NIC.AT-style object: fields first, "nic-hdl:" last
                    handle_obj = self._handle_object(trailing)
                elif role is not None and label_key not in HANDLE_REFERENCE_LABELS and self._block_has_contact_fields(idx):
                    # "Domain registrant: mmr-170347" opening that contact's own object (.sk): other roles may
                    # refer to the same handle
                    handle_obj = self._handle_object(line.value)
                    self.references.append((role, line.value, label_key, f"line {line.no}"))
                    block_start = False
                    continue
            block_start = False
            if handle_obj is not None:
                if label_key == "anonymous" and line.value.strip().lower() in ("yes", "true", "1"):
                    # AFNIC: the holder "chose to restrict access to his/her personal data": every field it
                    # does not show is withheld, not missing ("Ano Nymous" stands in for the name)
                    handle_obj.redacted.update(CONTACT_FIELDS)
                    for fname in CONTACT_FIELDS:  # (AFNIC prints "anonymous:" after the fields it shows)
                        handle_obj.locations.setdefault(fname, f"line {line.no}")
                    continue
                # inside a contact object a bare word is a contact field ("state" is a region here)
                fname = FIELD_WORDS.get(label_key)
                if fname is None:
                    target = self._resolve(line.label)
                    fname = target[1] if target else None
                if label_key in ("contact", "person", "name", "nom"):
                    fname = "name"
                if fname in CONTACT_FIELDS or fname in ("identifier", "kind"):
                    handle_obj.add(fname, line.value, f"line {line.no}", label_key)
                    cont, cont_indent = ("handle:" + (handle_obj.handle or ""), fname), line.indent
                continue
            if not line.value:
                header = self._header_of(line.label)
                if header == "registrar" and self._names_a_contact(self._next_content(idx)):
                    continue  # NIC.AT's empty "registrar:" line, then "registrant: <handle>": a field left empty
                if header is not None:
                    open_section(header, line, idx)
                    # a header written as a comment ("% Technical Contact:") stands above an object that
                    # may open with its handle, as a block does
                    block_start = line.text.lstrip()[:1] in ("%", "#")
                    self.comment_section = header if block_start and header in _IANA_ROLE else None
                else:
                    target = self._target(line.label, section)
                    opener, opener_indent, opener_used = (target or ("ignore", "")), line.indent, False
                continue
            opener = None
            target = self._labelled(line, label_key, section)
            if target is not None:
                cont, cont_indent = target, line.indent

    @staticmethod
    def _names_a_contact(line: _Line | None) -> bool:
        """A line that refers to a contact ("registrant: NG123-NICAT", "tech-c: X"): it cannot be the first
        field of a registrar's block."""
        if line is None or not line.label or not _HANDLE_VALUE.match(line.value):
            return False
        return fold_label(line.label) in HANDLE_REFERENCE_LABELS or role_of_header(line.label) is not None

    def _handle_object(self, handle: str) -> _ContactDraft:
        """The draft a handle's object fills. An object printed again (Hostmaster.ua prints one contact
        once per role it holds) fills a draft that is dropped: its values are already there."""
        found = self.handles.get(handle)
        if found is not None and found.values:
            return _ContactDraft("", handle=handle)
        return self.handles.setdefault(handle, _ContactDraft("", handle=handle))

    def _next_content(self, idx: int) -> _Line | None:
        lines = self.lines
        for i in range(idx + 1, len(lines)):  # (no copy of the rest of the answer per call)
            if lines[i].text:
                return lines[i]
        return None

    def _trailing_handle(self, idx: int) -> str | None:
        """The handle of a block that names it in a later "nic-hdl:" line and holds no domain data."""
        handle = None
        for line in self.lines[idx : idx + 40]:
            if not line.text:
                break
            if not line.label:
                continue
            key = fold_label(line.label)
            if key == "source":
                break
            if key in ("nic hdl", "nic handle") and _HANDLE_VALUE.match(line.value):
                handle = line.value
            elif (resolve_label(line.label) or ("", ""))[0] == "record" and key not in ("changed", "source", "created"):
                return None
        return handle

    def _block_has_contact_fields(self, idx: int) -> bool:
        for line in self.lines[idx + 1 : idx + 12]:
            if not line.text:
                return False
            if line.label and (resolve_label(line.label) or ("", ""))[1] in CONTACT_FIELDS:
                return True
        return False

    def _header_of(self, text: str) -> str | None:
        key = fold_label(text)
        if not key or len(key) > 60:
            return None
        if key in self.profile.headers:
            return self.profile.headers[key]
        role = role_of_header(text)
        if role is not None and key not in ("org", "organization", "organisation"):
            return role
        if key in _REGISTRAR_HEADERS:
            return "registrar"
        if key in _REGISTRAR_CONTACT_HEADERS:
            return "registrar-contacts"
        if key in _NAMESERVER_HEADERS or resolve_label(text) == ("record", "nameservers"):
            return "nameservers"
        if key in _DATE_HEADERS:
            return "dates"
        if key in _STATUS_HEADERS:
            return "status"
        if key in _DOMAIN_HEADERS:
            return "domain"
        if key.startswith(("registrant s address", "registrant address")):
            return "registrant-address"
        return None

    @staticmethod
    def _opener_for_header(header: str) -> tuple[str, str] | None:
        return {
            "registrar": ("record", "registrar"),
            "nameservers": ("record", "nameservers"),
            "status": ("record", "statuses"),
            "domain": ("record", "domain"),
            "registrant-address": ("registrant", "street"),
        }.get(header, (header, "section") if header in _IANA_ROLE else None)

    def _target(self, label: str, section: str | None) -> tuple[str, str] | None:
        if section == "registrar-contacts":
            return ("ignore", "")
        key = fold_label(label)
        if section in _IANA_ROLE and key in FIELD_WORDS and key not in self.profile.labels:
            # inside a contact section a bare field word is that contact's ("Organization Name" is not a role)
            return (section, FIELD_WORDS[key])
        if section == "registrar" and FIELD_WORDS.get(key) in ("name", "organization"):
            return ("record", "registrar")  # TRABIS's "** Registrar:" then "Organization Name: ..."
        if section == "nameservers" and key in _HOST_WORDS:
            return ("record", "nameservers")  # ATI's "DNS servers" then "Name....: ns4.ati.tn."
        target = self._resolve(label)
        if target is None:
            return None
        if section is not None and section == self.comment_section and target in _CONTACT_OBJECT_METADATA:
            return ("ignore", "")  # Hostmaster.ua: a contact object's own status, not the domain's
        role, fname = target
        if role == "":
            if section in _IANA_ROLE:
                return (section, fname)
            if section == "registrar" and fname in ("name", "organization"):
                return ("record", "registrar")
            return None
        return target

    def _assign(self, target: tuple[str, str], value: str, line: _Line) -> None:
        role, fname = target
        where = f"line {line.no}"
        if role == "ignore":
            return
        if role.startswith("handle:"):
            obj = self.handles.get(role[len("handle:") :])
            if obj is not None and fname in ("street",):
                obj.add(fname, value, where)
            return
        if role == "record":
            if fname == "registrar" and "registrar" in self.record:
                return  # later lines of a registrar block are its address, not its name
            self._record(fname, value, line)
        elif fname == "section":
            # unlabelled lines under a role header: a name, or a redaction notice for the whole role
            draft = self._contact(role)
            if is_redaction_marker(value) or value.lower().startswith(("visit ", "see ")):
                if is_redaction_marker(value):
                    draft.withhold(CONTACT_FIELDS, where)
                return
            if not any(ch.isalnum() for ch in value):
                return  # TRABIS's "+" where a contact has no fax: nothing, not an address line
            value = value.rstrip(",").rstrip()  # TRABIS's "Istanbul," above the country
            # a block of bare lines: the name first, then the address (country and "postcode city" are
            # peeled off its end later); an email or phone number is recognised by its shape
            draft.locations.setdefault(FREE_FORM, where)
            named = _NAME_THEN_EMAIL.match(value)
            if named and FIELD_WORDS.get(fold_label(named.group(1))) == "email":
                draft.add("email", named.group(2), where)  # "Email jane@example.com": a label, not a name
            elif named:
                # TWNIC's "DNS Admin  dns-admin@google.com" (or "Jane Roe <jane@example.com>"): a person and
                # their mailbox; a name read from an earlier line of the block was the organisation's
                if ("name" in draft.values and "organization" not in draft.values and "street" not in draft.values
                        and "email" not in draft.values):
                    draft.values["organization"] = draft.values.pop("name")
                    draft.locations["organization"] = draft.locations.pop("name")
                if "name" not in draft.values:
                    draft.add("name", named.group(1), where)
                draft.add("email", named.group(2), where)
            elif "name" not in draft.values and "organization" not in draft.values:
                draft.add("name", value, where)
            elif _EMAIL_LIKE.match(value):
                draft.add("email", value, where)
            elif _PHONE_LIKE.match(value) and not (value.isdigit() and len(value) <= 7):
                # (seven digits alone are a postcode as often: ISOC-IL's "5512203")
                # a second number under the first is the fax (TWNIC, TRABIS print voice then fax)
                draft.add("fax" if "phone" in draft.values and "fax" not in draft.values else "phone", value, where)
            else:
                draft.add("street", value, where)
        elif role in _IANA_ROLE:
            self._contact(role).add(fname, value, where)

    def _labelled(self, line: _Line, label_key: str, section: str | None) -> tuple[str, str] | None:
        """Record one labelled line; return the target continuation lines should extend."""
        if label_key in HANDLE_REFERENCE_LABELS and _HANDLE_VALUE.match(line.value) and (
            label_key.endswith(" c") or label_key.endswith(" id") or section is None
        ):
            role = HANDLE_REFERENCE_LABELS[label_key]
            self.references.append((role, line.value, label_key, f"line {line.no}"))
            if label_key.endswith(" id") and self._contact(role).handle is None:
                # "Registry Registrant ID: C-123" (ICANN's format): the id of the contact whose fields follow
                self._contact(role).handle = line.value
            if not label_key.endswith((" c", " id")):
                self.name_claims.append((role, line.value, f"line {line.no}"))
            return None
        target = self._target(line.label or "", section)
        if target is None:
            role = role_of_header(line.label or "")
            if role is not None and section is None:
                # "Registrant: Google LLC" - a role label whose value is the holder's name
                self.name_claims.append((role, line.value, f"line {line.no}"))
            return None
        role, fname = target
        if role == "record":
            self._record(fname, line.value, line)
            return target if fname in ("nameservers", "statuses") else None
        if role in _IANA_ROLE:
            if fname == "handle":
                self._contact(role).handle = line.value
                self.references.append((role, line.value, label_key, f"line {line.no}"))
                return None
            self._contact(role).add(fname, line.value, f"line {line.no}", label_key)
            return target if fname == "street" else None
        return None

    # -- assembly --------------------------------------------------------------------------
    def _domain_object_holder(self) -> None:
        """The holder written into a RIPE-style domain object (ISNIC, ISOC-IL, the old DNS.hr): its
        "descr:" lines are the holder's name and address, and the object's own "e-mail:" and "phone:" are
        the holder's. Read only when no registrant was found otherwise, from the first block of "descr:"
        lines at or after the "domain:" line (ISOC-IL leaves a blank line between them), never from a
        contact's object."""
        blocks: list[list[_Line]] = [[]]
        for line in self.lines:
            if not line.text or (line.label and fold_label(line.label) == "source"):
                blocks.append([])
            elif line.label is not None:
                blocks[-1].append(line)
        seen_domain = False
        for block in blocks:
            keys = {fold_label(x.label or "") for x in block}
            seen_domain = seen_domain or "domain" in keys
            if "descr" not in keys:
                continue
            if not seen_domain or keys & _OTHER_OBJECTS:
                return  # the first "descr:" lines are another object's (a contact's, the registrar's)
            descr = [x for x in block if fold_label(x.label or "") == "descr" and x.value]
            if len(descr) < 2 or looks_like_domain(descr[0].value):
                return  # one line describes the domain (Hostmaster.ua's "descr: dle.in.ua"), it names no holder
            for line in descr:
                self._assign(("registrant", "section"), line.value, line)
            draft = self._contact("registrant")
            for line in block:
                target = resolve_label(line.label or "")
                if target is not None and target[0] == "" and target[1] in ("email", "phone", "fax") and line.value:
                    draft.add(target[1], line.value, f"line {line.no}")
            return

    def contacts_out(self) -> list[Contact]:
        # references to handle objects
        for role, handle, _label, _where in self.references:
            obj = self.handles.get(handle)
            if obj is not None:
                self._contact(role).merge(obj)
        referenced = {h for _r, h, _l, _w in self.references if h in self.handles}
        for role, value, where in self.name_claims:
            if value in referenced or not any(ch.isalnum() for ch in value):
                continue  # "admin-c: -" (.se) says there is no such contact
            if is_redaction_marker(value):  # "registrant: <data not disclosed>": the whole contact is withheld
                self._contact(role).withhold(CONTACT_FIELDS, where)
                continue
            if _looks_like_handle(value):
                self._contact(role).handle = value  # "holder: mmr8008-171440": a contact exists, its data is not shown
                continue
            draft = self._contact(role)
            if "name" not in draft.values and "organization" not in draft.values:
                draft.add("name", value, where)
            elif "organization" not in draft.values and value not in draft.values.get("name", ()):
                # "owner: Google Brasil Internet Ltda" beside "owner-c:" a person's object: the holder's name
                # is the organisation's, the object's the person's
                draft.add("organization", value, where)
        if not (self.contacts.get("registrant") and self.contacts["registrant"].values):
            self._domain_object_holder()
        policy = f"registry policy ({self.profile.name})"
        for role, withheld in self.profile.withheld_fields.items():
            if role in self.contacts:  # (a role the answer does not name at all is not made up here)
                self.contacts[role].withhold(withheld, policy)  # an older answer's values stand
        for role in self.profile.withheld_roles:
            if self.contacts.get(role) is not None and self.contacts[role].values:
                continue  # an older answer that did publish this role: its data stands as published
            self._contact(role).withhold(CONTACT_FIELDS, policy)
        out = []
        for role in _IANA_ROLE:
            draft = self.contacts.get(role)
            if draft is None:
                continue
            contact = _contact_from_draft(draft, self.profile.address_tail)
            if not contact.is_empty or contact.handle:
                out.append(contact)
        return out


def _withheld_by_the_server(contacts: list[Contact], notice: str) -> list[Contact]:
    """The contacts of an answer the server cut down ("Reduced information" at a rate limit): what it left out
    is withheld, not missing, and the holder is there though the answer shows none of its fields."""
    where = WITHHELD_BY_THE_SERVER + notice[:120]
    if not any(c.role is Role.REGISTRANT for c in contacts):
        contacts = [Contact(Role.REGISTRANT), *contacts]
    out = []
    for contact in contacts:
        withheld = {f for f in CONTACT_FIELDS if contact.state(f) is FieldState.MISSING}
        out.append(dataclasses.replace(contact, redacted=contact.redacted | withheld,
                                       locations=tuple(sorted({**{f: where for f in withheld},
                                                               **dict(contact.locations)}.items()))))
    return out


def _is_country_code(value: str) -> bool:
    return len(value) == 2 and value.isupper() and to_iso_country(value) is not None


def _contact_from_draft(draft: _ContactDraft, address_tail: tuple[str, ...] = ()) -> Contact:
    values = {k: list(v) for k, v in draft.values.items()}
    street = [s for s in values.get("street", []) if s]
    locations = dict(draft.locations)
    if (draft.redacted and FREE_FORM in locations and len(values.get("name", ())) == 1 and not street
            and "country" not in values and _is_country_code(values["name"][0])):
        # TWNIC: "Not displayed due to GDPR", then the holder's "FR" alone: the country, not a name
        values["country"] = values.pop("name")
        locations["country"] = locations.pop("name")
    if address_tail and len(street) > len(address_tail):
        tail = street[-len(address_tail) :]
        street = street[: -len(address_tail)]
        for fname, value in zip(address_tail, tail, strict=True):
            if fname not in values:
                values[fname] = [value]
                locations.setdefault(fname, locations.get("street", ""))
    city = _one(values.get("city"))
    postcode = _one(values.get("postcode"))
    country_value = _one(values.get("country"))
    # Address blocks given as bare lines: peel country, then "postcode city", off the end.
    peeled = peel_address_lines(street, country_value, city, postcode)
    street = peeled.street
    if peeled.country:
        country_value = peeled.country
        locations["country"] = locations.get("street", "")
    country = to_iso_country(country_value) if country_value else None
    if peeled.city:
        postcode, city = postcode or peeled.postcode, peeled.city
        locations.setdefault("city", locations.get("street", ""))
        locations.setdefault("postcode", locations.get("street", ""))
    if peeled.region and not values.get("region"):
        values["region"] = [peeled.region]
        locations.setdefault("region", locations.get("street", ""))
    names = {f: value for f in ("name", *NAME_PARTS) if (value := _one(values.get(f)))}
    join_name_parts(names, locations, draft.redacted)  # "Given name: Wai Man" + "Family name: Chan" (HKIRC)
    name = names.get("name")
    organization = _one(values.get("organization"))
    email = _one(values.get("email"))
    region, phone, fax = _one(values.get("region")), _one(values.get("phone")), _one(values.get("fax"))
    redacted = set(draft.redacted)
    # a value read after a redaction notice is the data itself (TWNIC: "Not displayed due to GDPR", then "FR")
    given = {"name": name, "organization": organization, "email": email, "city": city, "postcode": postcode,
             "country": country_value, "street": street, "region": region, "phone": phone, "fax": fax}
    redacted -= {key for key, val in given.items() if val}
    if withheld_street(street):
        street = []
        redacted.add("street")
    return Contact(
        role=Role(draft.role),
        handle=real_handle(draft.handle),
        name=name,
        organization=organization,
        email=email.lower() if email and "@" in email else email,
        phone=phone,
        fax=fax,
        street=tuple(street),
        city=city,
        region=region,
        postcode=postcode,
        country=country or country_value,
        country_published=country_value if country_value and country_value != country else None,
        identifier=_one(values.get("identifier")),
        kind=_one(values.get("kind")),
        redacted=frozenset(f for f in redacted if f in CONTACT_FIELDS),
        privacy_service=privacy_service_of([name, organization, email]),
        locations=tuple(sorted((k, v) for k, v in locations.items() if v)),
    )


#: What registries print after a registrar's name: its id ("(R84-AFIN)", "(9999)", "(IANA ID: 292)"), its
#: page ("( https://nic.at/registrar/434 )"), Nominet's tag ("[Tag = TUCOWS-CA]").
_REGISTRAR_SUFFIX = re.compile(
    r"\s*(?:\(\s*(?:R\d+-[A-Z0-9]+|\d+|https?://[^)]*?|IANA ID:? ?\d+)\s*\)|\bR\d+-[A-Z0-9]+"
    r"|\[\s*Tag\s*=\s*[^\]]*\])\s*$", re.I)


def registrar_name(value: str, handles: dict[str, _ContactDraft]) -> str:
    """The registrar's name: a registry handle resolved through its object, the registry's own id dropped."""
    obj = handles.get(value.strip())
    if obj is not None:
        named = _one(obj.values.get("organization")) or _one(obj.values.get("name"))
        if named:
            return named
    cleaned = _REGISTRAR_SUFFIX.sub("", value).strip()
    return cleaned or value


_HANDLE_SHAPE = re.compile(r"^(?=\S*\d)(?:[A-Za-z0-9]+-[A-Za-z0-9-]+|[A-Z0-9]{5,})$")


def _looks_like_handle(value: str) -> bool:
    """A registry contact handle ("mmr8008-171440", "GOOG1234") rather than a holder's name."""
    return bool(_HANDLE_SHAPE.match(value.strip()))


def _one(values: Iterable[str] | None) -> str | None:
    for v in values or ():
        v = v.strip()
        if v:
            return v
    return None


_PREAMBLE_BYTES = re.compile(rb"^\s*\[(?:Querying )?([A-Za-z0-9.-]+\.[A-Za-z]{2,})\]", re.MULTILINE)


def client_server_hint(body: bytes) -> str | None:
    """The server named by a whois client's preamble ('[Querying whois.nic.fr]' / '[whois.nic.fr]')."""
    if not body.lstrip()[:1] == b"[":
        return None
    hosts = _PREAMBLE_BYTES.findall(body[:400])
    return hosts[-1].decode("ascii").lower() if hosts else None


def extract_referral(text: str) -> str | None:
    """The registrar WHOIS server a thin registry refers to, if the response names one."""
    m = re.search(r"^\s*(?:Registrar WHOIS Server|Whois Server|ReferralServer)\s*:\s*(\S+)\s*$", text, re.I | re.M)
    if not m:
        return None
    value = m.group(1).strip()
    value = re.sub(r"^(?:r?whois|https?)://", "", value, flags=re.I).strip("/")
    return value.lower() or None


def parse_whois_text(
    raw: RawRecord, profile: WhoisProfile = GENERIC_PROFILE, tld: str | None = None
) -> ParseOutcome:
    """Parse one raw WHOIS response; never raises on bad input."""
    if not raw.body.strip():
        return ParseFailure(raw.sha256, PARSER_VERSION, "empty response", domain=raw.query or None)
    if len(raw.body) > MAX_WHOIS_BYTES:
        return ParseFailure(raw.sha256, PARSER_VERSION,
                            f"response too large for WHOIS ({len(raw.body)} bytes > {MAX_WHOIS_BYTES})",
                            domain=raw.query or None)
    tld = tld or (raw.query.rsplit(".", 1)[-1] if raw.query and "." in raw.query else None)
    try:
        decoded = decode(raw.body, tld=tld, declared=raw.charset)
    except DecodeError as exc:
        return ParseFailure(raw.sha256, PARSER_VERSION, str(exc), excerpt=repr(raw.body[:80]),
                            domain=raw.query or None)
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
    parser = _Parser(tokenise(text), profile)
    parser.run()
    rec = parser.record

    def first(name: str) -> tuple[str, str] | None:
        return rec[name][0] if rec.get(name) else None

    domain_item = first("domain")
    domain = None
    if domain_item and looks_like_domain(_first_token(domain_item[0])):
        domain = normalise_domain(_first_token(domain_item[0]))
    if domain is None and domain_item and tld and "." not in domain_item[0].strip(".") and (
            _first_token(domain_item[0]).lower() != tld.lower()) and looks_like_domain(
            f"{_first_token(domain_item[0])}.{tld}"):
        domain = normalise_domain(f"{_first_token(domain_item[0])}.{tld}")  # .be once printed "Domain: 9i"
    if domain is None and raw.query and looks_like_domain(raw.query):
        domain = normalise_domain(raw.query)
    if domain is None and raw.query and "." not in raw.query and domain_item and (
            normalise_domain(_first_token(domain_item[0])) == normalise_domain(raw.query)):
        domain = normalise_domain(raw.query)  # IANA's record of a TLD: "domain: COM"
    locations: dict[str, str] = {}
    dates = {}
    for key in ("created_at", "updated_at", "expires_at"):
        item = first(key)
        if item:
            dates[key] = parse_date(item[0], profile.date_offset_hours, profile.day_first)
            locations[key] = item[1]
    if "expires_at" not in dates and profile.expiry_in_state:
        # JPRS's .co.jp / .ne.jp: "[State] Connected (2010/09/30)", the date the registration runs to
        for value, where in rec.get("statuses", []):
            m = _STATE_DATE.search(value)
            if m:
                dates["expires_at"] = parse_date(m.group(1), profile.date_offset_hours, profile.day_first)
                locations["expires_at"] = where
                break
    nameservers: list[str] = []
    for value, _where in rec.get("nameservers", []):
        ns = _clean_nameserver(value)
        if ns and ns not in nameservers:
            nameservers.append(ns)
    statuses: list[str] = []
    for value, _where in rec.get("statuses", []):
        for s in _clean_statuses(value):
            if s not in statuses:
                statuses.append(s)
    contacts = parser.contacts_out()
    registrar = first("registrar")
    if registrar:
        locations["registrar"] = registrar[1]
        registrar = (registrar_name(registrar[0], parser.handles), registrar[1])
    # "Last updated on ..." also closes not-found answers (the database's own date): not registration data
    has_data = bool(
        dates.get("created_at") or dates.get("expires_at") or nameservers or registrar
        or any(c.state(f).value == "present" for c in contacts for f in ("name", "organization", "email"))
    )
    status = detect_status(text, has_registration_data=has_data, statuses=statuses,
                           ever_registered=bool(dates.get("created_at") or registrar or nameservers))
    if status is not ResponseStatus.REGISTERED:
        if status is ResponseStatus.UNKNOWN:
            excerpt = " ".join(text.split())[:200]
            return ParseFailure(raw.sha256, PARSER_VERSION, "no registration data recognised in the response",
                                excerpt=excerpt, domain=domain)
        return NoRegistration(status, raw.sha256, PARSER_VERSION, domain=domain,
                              reason=" ".join(text.split())[:160])
    if domain is None:
        return ParseFailure(raw.sha256, PARSER_VERSION, "registration data found but no domain name",
                            excerpt=" ".join(text.split())[:200])
    reduced = reduced_answer_line(text)
    if reduced:
        contacts = _withheld_by_the_server(contacts, reduced)
    iana = first("registrar_iana_id")
    return RegistrationRecord(
        domain=domain,
        status=status,
        registrar=registrar[0] if registrar else None,
        registrar_iana_id=iana[0] if iana and any(ch.isdigit() for ch in iana[0]) else None,  # not "not applicable"
        created_at=dates.get("created_at"),
        updated_at=dates.get("updated_at"),
        expires_at=dates.get("expires_at"),
        statuses=tuple(statuses),
        nameservers=tuple(nameservers),
        contacts=tuple(contacts),
        raw_sha256=raw.sha256,
        parser=f"{PARSER_VERSION}:{profile.name}",
        source=Source.WHOIS,
        locations=tuple(sorted(locations.items())),
    )
