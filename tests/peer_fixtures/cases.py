"""Peer recordings as test cases: one raw response, where it came from, and what the peer expects.

Each loader reads one peer's layout (see each sub-folder's README in the peer-fixtures tree) and
turns its expected output into the harness's fields, normalising only what is notation:

* ``status`` - a set of acceptable `ResponseStatus` values;
* ``domain`` - an A-label; ``registrar`` and ``registrant`` - acceptable strings;
* ``created`` / ``updated`` / ``expires`` - acceptable `PeerTime` values;
* ``nameservers`` - a set of host names; ``statuses`` - the registry's status words;
* ``contacts`` - ``{(role, attribute): value}`` for the first contact of each role the peer asserts.

A field the peer leaves empty, ``nil`` or unsupported is not comparable and is left out.
"""

from __future__ import annotations

import ast
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from auditor.domains import normalise_domain
from auditor.records import ResponseStatus
from tests.peer_fixtures.weppos_spec import Symbol, read_spec

ENV_VAR = "AUDITOR_PEER_FIXTURES"
_ROOT = Path(__file__).resolve().parents[2]

REG = frozenset({ResponseStatus.REGISTERED})
AVAIL = frozenset({ResponseStatus.AVAILABLE})
THROTTLED = frozenset({ResponseStatus.THROTTLED})


def peer_root() -> Path | None:
    """The peer-fixtures folder: $AUDITOR_PEER_FIXTURES, else ../shared/peer-fixtures beside the repo."""
    env = os.environ.get(ENV_VAR)
    path = Path(env) if env else _ROOT.parent / "shared" / "peer-fixtures"
    return path if path.is_dir() else None


@dataclass(frozen=True, slots=True)
class PeerTime:
    """A peer's date: `value` is naive when the peer dropped the zone; `day_only` when only the date counts."""

    value: datetime
    day_only: bool


@dataclass(slots=True)
class Case:
    """One recorded response and the peer's expected parse of it."""

    peer: str
    path: Path
    query: str  # the domain asked for, "" when the recording does not say
    tld: str | None
    server: str  # the WHOIS server host, "" when unknown
    expected: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        root = peer_root()
        return str(self.path.relative_to(root)) if root and self.path.is_relative_to(root) else str(self.path)


# -- shared normalisation of peer notation -------------------------------------------------------

_PEER_TIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?)?\s*(?P<zone>Z|UTC|GMT|[+-]\d{2}:?\d{2})?$"
)


def peer_time(text: Any) -> PeerTime | None:
    """A peer's date string ('2011-03-30T19:36:27+0200', '2005-05-30', '2013-04-21 01:05:35') or None."""
    if not isinstance(text, str) or not text.strip():
        return None
    m = _PEER_TIME.match(text.strip())
    if not m:
        return None
    clock = m.group("time") or "00:00:00"
    if len(clock) == 5:
        clock += ":00"
    zone = m.group("zone")
    if zone in ("Z", "UTC", "GMT"):
        zone = "+00:00"
    elif zone and ":" not in zone:
        zone = zone[:3] + ":" + zone[3:]
    value = datetime.fromisoformat(f"{m.group('date')}T{clock}{zone or ''}")
    # midnight or no zone: the peer kept a calendar date (or dropped the zone), so only the day is comparable
    day_only = value.tzinfo is None or clock == "00:00:00"
    return PeerTime(value, day_only)


def _times(value: Any) -> tuple[PeerTime, ...]:
    values = value if isinstance(value, list) else [value]
    return tuple(t for t in (peer_time(v) for v in values) if t is not None)


def _names(values: Any) -> frozenset[str]:
    out = set()
    for v in values if isinstance(values, list) else [values]:
        if isinstance(v, str) and v.strip():
            out.add(normalise_domain(v.split()[0].rstrip(".")))
    return frozenset(out)


def _strings(*values: Any) -> tuple[str, ...]:
    return tuple(v.strip() for v in values if isinstance(v, str) and v.strip())


def _status_words(value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    return tuple(v for v in values if isinstance(v, str) and v.strip())


def _put(expected: dict[str, Any], key: str, value: Any) -> None:
    if value:
        expected[key] = value


# -- weppos/whois-parser ---------------------------------------------------------------------------

_WEPPOS_STATUS = {
    "registered": ResponseStatus.REGISTERED, "redemption": ResponseStatus.REGISTERED,
    "inactive": ResponseStatus.REGISTERED, "expired": ResponseStatus.REGISTERED,
    "suspended": ResponseStatus.REGISTERED, "available": ResponseStatus.AVAILABLE,
    "reserved": ResponseStatus.RESERVED, "unavailable": ResponseStatus.RESERVED,
    "invalid": ResponseStatus.INVALID_QUERY, "incomplete": ResponseStatus.UNKNOWN,
}
_WEPPOS_ROLES = {"registrant_contacts": "registrant", "admin_contacts": "administrative",
                 "technical_contacts": "technical"}
_WEPPOS_CONTACT_ATTRS = {"name": "name", "organization": "organization", "email": "email",
                         "country_code": "country", "country": "country", "city": "city", "zip": "postcode"}


def _weppos_expected(spec: dict[str, list[Any]], case_name: str) -> dict[str, Any]:
    expected: dict[str, Any] = {}

    def eq(prop: str, index: int | None = None, attr: str | None = None) -> Any:
        for a in spec.get(prop, ()):
            if a.op == "==" and a.index == index and a.attr == attr:
                return a.value
        return None

    def flag(prop: str) -> bool:
        return eq(prop) is True

    status = eq("status")
    if case_name.startswith("response_throttled") or flag("response_throttled?") or flag("response_blocked?"):
        expected["status"] = THROTTLED
    elif flag("response_unavailable?"):
        expected["status"] = frozenset({ResponseStatus.THROTTLED, ResponseStatus.UNKNOWN})
    elif flag("response_incomplete?"):
        expected["status"] = frozenset({ResponseStatus.UNKNOWN})
    elif isinstance(status, Symbol) and status.name in _WEPPOS_STATUS:
        expected["status"] = frozenset({_WEPPOS_STATUS[status.name]})
    elif flag("reserved?"):
        expected["status"] = frozenset({ResponseStatus.RESERVED})
    elif flag("invalid?"):
        expected["status"] = frozenset({ResponseStatus.INVALID_QUERY})
    elif flag("available?"):
        expected["status"] = AVAIL
    elif flag("registered?"):
        expected["status"] = REG
    if isinstance(status, list):
        _put(expected, "statuses", _status_words(status))
    domain = eq("domain")
    if isinstance(domain, str) and domain:
        expected["domain"] = normalise_domain(domain)
    for prop, key in (("created_on", "created"), ("updated_on", "updated"), ("expires_on", "expires")):
        for a in spec.get(prop, ()):
            if a.op == "TIME" and a.index is None:
                _put(expected, key, _times(_weppos_time(a.value)))
    _put(expected, "registrar", _strings(eq("registrar", None, "name"), eq("registrar", None, "organization")))
    names = [a.value for a in spec.get("nameservers", ()) if a.op == "==" and a.attr == "name"]
    _put(expected, "nameservers", _names(names))
    contacts: dict[tuple[str, str], str] = {}
    for prop, role in _WEPPOS_ROLES.items():
        for a in spec.get(prop, ()):
            if a.op == "==" and a.index == 0 and a.attr in _WEPPOS_CONTACT_ATTRS and isinstance(a.value, str) and a.value:
                contacts.setdefault((role, _WEPPOS_CONTACT_ATTRS[a.attr]), a.value)
    _put(expected, "contacts", contacts)
    _put(expected, "registrant", _strings(contacts.get(("registrant", "name")), contacts.get(("registrant", "organization"))))
    return expected


def _weppos_time(text: str) -> str:
    """'2011-03-30 19:36:27 +0200' / '... UTC' / '... WAT' -> a string `peer_time` reads (unknown zones dropped)."""
    text = text.strip()
    m = re.match(r"^(\d{4}-\d{2}-\d{2})[T ]?(\d{2}:\d{2}(?::\d{2})?)?(?:\.\d+)?\s*(.*)$", text)
    if not m:
        return text
    zone = m.group(3).strip()
    zone = {"Z": "Z", "UTC": "Z", "GMT": "Z"}.get(zone, zone if re.fullmatch(r"[+-]\d{2}:?\d{2}", zone) else "")
    return f"{m.group(1)}{'T' + m.group(2) if m.group(2) else ''}{zone}"


def weppos_cases(root: Path) -> Iterator[Case]:
    base = root / "weppos-whois-parser" / "responses"
    for txt in sorted(base.rglob("*.txt")):
        rel = txt.relative_to(base).parts
        server = rel[0]
        zone = rel[1] if len(rel) == 3 else ""
        spec_path = txt.with_suffix(".expected")
        expected = _weppos_expected(read_spec(spec_path.read_text("utf-8")), txt.stem) if spec_path.exists() else {}
        if txt.stem.startswith("response_throttled"):
            expected["status"] = THROTTLED
        query = expected.get("domain", "")
        tld = zone.rsplit(".", 1)[-1] if zone else None
        yield Case("weppos", txt, query, tld, server, expected)


# -- richardpenman/whois (python-whois) ------------------------------------------------------------

def _python_whois_cases(base: Path, peer: str) -> Iterator[Case]:
    for raw in sorted((base / "whois").iterdir()):
        exp_path = base / "expected" / raw.name
        expected: dict[str, Any] = {}
        if exp_path.exists():
            data = json.loads(exp_path.read_text("utf-8"))
            names = data.get("domain_name")
            first = names[0] if isinstance(names, list) and names else names
            if isinstance(first, str) and first:
                expected["status"] = REG
                expected["domain"] = normalise_domain(first)
            for src, key in (("creation_date", "created"), ("updated_date", "updated"), ("expiration_date", "expires")):
                _put(expected, key, _times(data.get(src)))
            registrar = data.get("registrar")
            _put(expected, "registrar", _strings(*(registrar if isinstance(registrar, list) else [registrar])))
            _put(expected, "statuses", _status_words(data.get("status")))
        yield Case(peer, raw, raw.name, raw.name.rsplit(".", 1)[-1], "", expected)


def python_whois_cases(root: Path) -> Iterator[Case]:
    yield from _python_whois_cases(root / "richardpenman-whois" / "samples", "python-whois")


def python_whois_pr119_cases(root: Path) -> Iterator[Case]:
    yield from _python_whois_cases(root / "richardpenman-whois" / "unmerged-pr119" / "samples", "python-whois-pr119")


# -- likexian/whois-parser -------------------------------------------------------------------------

_LIKEXIAN_ROLES = {"registrant": "registrant", "administrative": "administrative", "technical": "technical",
                   "billing": "billing"}
_LIKEXIAN_ATTRS = ("name", "organization", "email", "country", "city", "postal_code")


def likexian_cases(root: Path) -> Iterator[Case]:
    base = root / "likexian-whois-parser" / "testdata"
    for raw in sorted((base / "noterror").iterdir()):
        if raw.suffix in (".json", ".pre", ".md"):
            continue
        tld, _, domain = raw.name.partition("_")
        expected: dict[str, Any] = {"status": REG}
        exp_path = raw.with_name(raw.name + ".json")
        if exp_path.exists():
            data = json.loads(exp_path.read_text("utf-8"))
            dom = data.get("domain") or {}
            _put(expected, "domain", normalise_domain(dom.get("punycode") or dom.get("domain") or ""))
            _put(expected, "statuses", _status_words(dom.get("status")))
            _put(expected, "nameservers", _names(dom.get("name_servers") or []))
            for src, key in (("created_date", "created"), ("updated_date", "updated"), ("expiration_date", "expires")):
                _put(expected, key, _times(dom.get(src + "_in_time")))
            _put(expected, "registrar", _strings((data.get("registrar") or {}).get("name")))
            contacts: dict[tuple[str, str], str] = {}
            for src, role in _LIKEXIAN_ROLES.items():
                for attr in _LIKEXIAN_ATTRS:
                    value = (data.get(src) or {}).get(attr)
                    if isinstance(value, str) and value.strip():
                        contacts[(role, "postcode" if attr == "postal_code" else attr)] = value.strip()
            _put(expected, "contacts", contacts)
            reg = data.get("registrant") or {}
            _put(expected, "registrant", _strings(reg.get("name"), reg.get("organization")))
        yield Case("likexian", raw, domain, tld, "", expected)
    for raw in sorted((base / "notfound").iterdir()):
        tld, _, domain = raw.name.partition("_")
        yield Case("likexian", raw, domain, tld, "", {"status": AVAIL})


# -- io-developer/php-whois --------------------------------------------------------------------------

def php_whois_cases(root: Path) -> Iterator[Case]:
    base = root / "io-developer-php-whois" / "tld"
    for raw in sorted(base.rglob("*.txt")):
        zone = raw.parent.name.lstrip(".")
        tld = zone.rsplit(".", 1)[-1]
        expected: dict[str, Any] = {}
        query = raw.stem
        if raw.stem.startswith("free"):
            expected["status"] = AVAIL
            query = ""
        exp_path = raw.with_suffix(".json")
        if exp_path.exists():
            data = json.loads(exp_path.read_text("utf-8"))
            if data.get("domainName"):
                expected["status"] = REG
                expected["domain"] = normalise_domain(data["domainName"])
                query = data["domainName"]
            _put(expected, "nameservers", _names(data.get("nameServers") or []))
            for src, key in (("creationDate", "created"), ("updatedDate", "updated"), ("expirationDate", "expires")):
                _put(expected, key, _times(data.get(src)))
            _put(expected, "statuses", _status_words(data.get("states") or []))
            _put(expected, "registrant", _strings(data.get("owner")))
            _put(expected, "registrar", _strings(data.get("registrar")))
        yield Case("php-whois", raw, query, tld, "", expected)


# -- mboot-github/WhoisDomain ------------------------------------------------------------------------

_MBOOT_LINE = re.compile(r"^(?P<key>[a-z_]+)\s+(?P<type>\S+)\s+(?P<value>.*)$")


def _mboot_value(kind: str, text: str) -> Any:
    if kind == "NoneType":
        return None
    if kind == "datetime.datetime":
        return text.strip()
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return text.strip()


def whoisdomain_cases(root: Path) -> Iterator[Case]:
    base = root / "mboot-whoisdomain"
    for folder in sorted(p for p in (base / "testdata").iterdir() if p.is_dir()):
        raw = folder / "input"
        if not raw.exists():
            continue
        table: dict[str, Any] = {}
        out = folder / "output"
        if out.exists():
            for line in out.read_text("utf-8").splitlines():
                m = _MBOOT_LINE.match(line.strip())
                if m and m.group("key") not in table:
                    table[m.group("key")] = _mboot_value(m.group("type"), m.group("value"))
        expected: dict[str, Any] = {}
        if isinstance(table.get("name"), str) and table["name"]:
            expected["status"] = REG
            expected["domain"] = normalise_domain(table["name"])
        for src, key in (("creation_date", "created"), ("last_updated", "updated"), ("expiration_date", "expires")):
            _put(expected, key, _times(table.get(src)))
        _put(expected, "registrar", _strings(table.get("registrar")))
        _put(expected, "nameservers", _names(table.get("name_servers") or []))
        statuses = [s for s in table.get("statuses") or [] if isinstance(s, str)]
        _put(expected, "statuses", tuple(statuses))
        _put(expected, "registrant", _strings(table.get("registrant")))
        country = table.get("registrant_country")
        if isinstance(country, str) and country.strip():
            expected["contacts"] = {("registrant", "country"): country.strip()}
        tld = folder.name.rsplit(".", 1)[-1]
        yield Case("whoisdomain", raw, folder.name, tld, "", expected)
    for raw in sorted((base / "testdata-head").rglob("input")):
        yield Case("whoisdomain", raw, raw.parent.name, raw.parent.name.rsplit(".", 1)[-1], "", {})


LOADERS = {
    "weppos": weppos_cases,
    "python-whois": python_whois_cases,
    "python-whois-pr119": python_whois_pr119_cases,
    "likexian": likexian_cases,
    "php-whois": php_whois_cases,
    "whoisdomain": whoisdomain_cases,
}


def all_cases(root: Path | None = None) -> list[Case]:
    """Every WHOIS recording of every peer (RDAP documents are tested separately)."""
    root = root or peer_root()
    if root is None:
        return []
    return [case for loader in LOADERS.values() for case in loader(root)]


#: Peer expectations we dispute, with the evidence in the recording. They are left out of the agreement
#: figures and counted apart ("disputed" in the table); docs/parser-conformance.md lists them.
DISPUTED: dict[tuple[str, str], str] = {
    ("io-developer-php-whois/tld/.lu/free.txt", "status"): "'%% Maximum query rate reached': a rate-limit refusal, not a not-found answer",
    ("io-developer-php-whois/tld/.hk/free.txt", "status"): "'Please maintain at least 10-second time before starting another enquiry': a refusal",
    ("io-developer-php-whois/tld/.nz/free.txt", "status"): "'query_status: 440 Request Denied': a refusal",
    ("io-developer-php-whois/tld/.ga/free.txt", "status"): "'can temporarily not be answered. Please try again.': a refusal",
    ("io-developer-php-whois/tld/.ml/free.txt", "status"): "'can temporarily not be answered. Please try again.': a refusal",
    ("io-developer-php-whois/tld/.qa/free.txt", "status"): "'Reserved by QDR': the name is reserved",
    ("io-developer-php-whois/tld/.am/google.com.am.txt", "status"): "'Reserved name: Reserved brand name', no registration data",
    ("likexian-whois-parser/testdata/notfound/name_login.name", "status"): "'Not available for registration. Second level domain name is reserved.'",
    ("mboot-whoisdomain/testdata/net.tw/input", "status"): "'Domain Name: net.tw reserved name', no registration data",
    ("likexian-whois-parser/testdata/noterror/tk_google.tk", "expires"): "Freenom writes month first (its other dates: 12/18/2001, 06/27/2018); '03/02/2020' is 2 March",
    ("likexian-whois-parser/testdata/noterror/tk_zcore.tk", "expires"): "Freenom writes month first (11/29/2016 in the same answer); '01/03/2022' is 3 January",
    ("richardpenman-whois/samples/whois/google.cl", "created"): "'2002-10-22 17:48:23 CLST' is Chile's summer time, UTC-3: 20:48:23 UTC (the peer drops the zone)",
    ("richardpenman-whois/samples/whois/google.cl", "expires"): "'... CLST' is Chile's summer time, UTC-3 (the peer drops the zone)",
}
