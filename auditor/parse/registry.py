"""The parser registry: which WHOIS profile reads which server's answers, keyed by server, then by TLD.

Both tables are data under `registries/`: `servers.toml` (every ccTLD's port-43 hosts, or why it
has none) and `profiles.toml` (what a registry does differently). They are read once. A registry
whose format the generic parser reads needs no profile; a TLD without one gets the generic parser.
Whom the crawler asks, and with which query, is a different question with its own data
(`auditor/data/whois-servers.json`, 1,600 zones); a test keeps the two maps in agreement.

>>> profile_for("whois.denic.de", None).name, profile_for(None, "jp").name, profile_for(None, "zz").name
('denic', 'jprs', 'generic')
>>> server_for("dk"), server_for("co.za"), server_for("ao")
('whois.punktum.dk', 'coza-whois.registry.net.za', None)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from auditor.parse.labels import fold_label
from auditor.parse.whois_text import GENERIC_PROFILE, WhoisProfile
from auditor.records import CONTACT_FIELDS

_DATA = Path(__file__).with_name("registries")
_ROLES = frozenset({"registrant", "administrative", "technical", "billing"})


@dataclass(frozen=True, slots=True)
class TldEntry:
    """One TLD's WHOIS service: its hosts (current first), or a note saying why there is none."""

    tld: str
    servers: tuple[str, ...]
    note: str = ""
    zones: tuple[tuple[str, str], ...] = ()


def _target(spec: str) -> tuple[str, str]:
    scope, _, fname = spec.partition(".")
    if scope != "record" and scope not in _ROLES or not fname:
        raise ValueError(f"profiles.toml: label target {spec!r} is not 'record.<field>' or '<role>.<field>'")
    return scope, fname


def _role(role: str) -> str:
    if role not in _ROLES:
        raise ValueError(f"profiles.toml: {role!r} is not a role ({', '.join(sorted(_ROLES))})")
    return role


def _field(fname: str) -> str:
    if fname not in CONTACT_FIELDS:
        raise ValueError(f"profiles.toml: {fname!r} is not a contact field ({', '.join(CONTACT_FIELDS)})")
    return fname


def _profile(name: str, spec: dict) -> WhoisProfile:
    return WhoisProfile(
        name=name,
        labels={fold_label(k): _target(v) for k, v in spec.get("labels", {}).items()},
        withheld_roles=tuple(spec.get("withheld_roles", ())),
        withheld_fields={_role(role): tuple(_field(f) for f in fields)
                         for role, fields in spec.get("withheld_fields", {}).items()},
        date_offset_hours=float(spec.get("date_offset_hours", 0.0)),
        day_first=bool(spec.get("day_first", True)),
        address_tail=tuple(spec.get("address_tail", ())),
        headers={fold_label(k): v for k, v in spec.get("headers", {}).items()},
        expiry_in_state=bool(spec.get("expiry_in_state", False)),
    )


@lru_cache(maxsize=1)
def profiles_by_server() -> dict[str, WhoisProfile]:
    """Server host -> profile, from profiles.toml."""
    data = tomllib.loads((_DATA / "profiles.toml").read_text("utf-8"))
    out: dict[str, WhoisProfile] = {}
    for name, spec in data.items():
        profile = _profile(name, spec)
        for host in spec.get("servers", ()):
            out[host.lower()] = profile
    return out


@lru_cache(maxsize=1)
def tld_table() -> dict[str, TldEntry]:
    """TLD -> its WHOIS service, from servers.toml."""
    data = tomllib.loads((_DATA / "servers.toml").read_text("utf-8"))
    return {
        tld: TldEntry(tld, tuple(spec.get("servers", ())), spec.get("note", ""),
                      tuple(sorted(spec.get("zones", {}).items())))
        for tld, spec in data.items()
    }


def server_for(zone: str | None) -> str | None:
    """The current port-43 host of a TLD or second-level zone ('co.za'), None when it has none."""
    if not zone:
        return None
    zone = zone.lower().strip(".")
    entry = tld_table().get(zone.rsplit(".", 1)[-1])
    if entry is None:
        return None
    zones = dict(entry.zones)
    if zone in zones:
        return zones[zone]
    return entry.servers[0] if entry.servers else None


def profile_for(server: str | None, tld: str | None) -> WhoisProfile:
    """The profile for a server, else for any of the TLD's servers, else the generic one."""
    by_server = profiles_by_server()
    if server and server.lower() in by_server:
        return by_server[server.lower()]
    entry = tld_table().get((tld or "").lower().strip("."))
    if entry is not None:
        for host in entry.servers:
            if host in by_server:
                return by_server[host]
    return GENERIC_PROFILE
