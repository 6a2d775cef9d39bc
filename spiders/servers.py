"""Which server to ask about a domain, and how: the bundled WHOIS map and RDAP bootstrap, with per-run overrides.

Both tables are data under ``auditor/data/``: ``whois-servers.json`` (zone -> port-43 servers, and the
query format a server needs: ``-T dn,ace {domain}`` for DENIC, ``{domain}/e`` for JPRS, ...) and
``rdap-dns.json`` (IANA's RDAP bootstrap file, RFC 9224). An override names a server for every
domain (``HOST[:PORT]``, ``URL``) or for one zone (``zz=HOST[:PORT]``, ``zz=URL``); the longest zone
wins, the map comes last.

>>> whois = WhoisDirectory()
>>> t = whois.target("example.de"); (t.server, t.query)
('whois.denic.de:43', '-T dn,ace example.de')
>>> whois.target("example.jp").query, whois.target("example.dk").query
('example.jp/e', '--show-handles example.dk')
>>> WhoisDirectory(overrides={"zz": "127.0.0.1:4343"}).target("a.zz").url
'whois://127.0.0.1:4343/a.zz'
>>> RdapDirectory(overrides={"*": "http://127.0.0.1:8080/rdap"}).target("a.zz").url
'http://127.0.0.1:8080/rdap/domain/a.zz'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

DATA = Path(__file__).resolve().parent.parent / "auditor" / "data"
WHOIS_MAP = DATA / "whois-servers.json"
RDAP_BOOTSTRAP = DATA / "rdap-dns.json"
WHOIS_PORT = 43


class NoServerError(LookupError):
    """No server is known for the domain (or its registry publishes none); the message says which."""


@dataclass(frozen=True, slots=True)
class Target:
    """What to ask about one domain: the server (its politeness key, ``host:port``), the URL and the query line."""

    domain: str
    protocol: str  # whois | rdap
    server: str
    url: str
    query: str | None = None


def split_host_port(spec: str, default_port: int) -> tuple[str, int]:
    """'host', 'host:port', '[v6]:port' or '[v6]' to (host, port)."""
    spec = spec.strip()
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        port = rest.lstrip(":")
    elif spec.count(":") == 1:
        host, port = spec.split(":")
    else:
        host, port = spec, ""
    if not host or (port and not port.isdigit()) or not 0 < int(port or default_port) < 65536:
        raise ValueError(f"{spec!r} is not HOST[:PORT]")
    return host.lower().rstrip("."), int(port or default_port)


def server_key(host: str, port: int) -> str:
    """The name a server goes by in policies, counters and the summary: ``host:port``."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def url_server_key(url: str) -> str:
    """The politeness key of an HTTP(S) or whois:// URL."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80, "whois": WHOIS_PORT}.get(parts.scheme, 0)
    return server_key((parts.hostname or "").lower(), parts.port or default)


def _zones_of(domain: str) -> list[str]:
    """The zones a domain is under, longest first: a.b.co.uk -> b.co.uk, co.uk, uk."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(1, len(labels))]


def _pick(overrides: dict[str, str], domain: str) -> str | None:
    for zone in _zones_of(domain):
        if zone in overrides:
            return overrides[zone]
    return overrides.get("*")


@lru_cache(maxsize=4)
def _load_json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


class WhoisDirectory:
    """Zone -> port-43 server and its query format."""

    def __init__(self, map_path: Path | None = None, overrides: dict[str, str] | None = None) -> None:
        data = _load_json(map_path or WHOIS_MAP)
        self.zones: dict[str, dict[str, Any]] = data.get("zones", {})
        self.servers: dict[str, dict[str, Any]] = data.get("servers", {})
        self.overrides = {k.strip(".").lower(): v for k, v in (overrides or {}).items()}

    def query_format(self, host: str, port: int) -> str:
        """The server's query line with ``{domain}`` for the name (plain domain when not listed)."""
        spec = self.servers.get(server_key(host, port)) or self.servers.get(host) or {}
        return str(spec.get("query", "{domain}"))

    def target(self, domain: str) -> Target:
        """Where to ask about `domain`; NoServerError when no server is known or the registry has none."""
        spec = _pick(self.overrides, domain)
        if spec is None:
            for zone in _zones_of(domain):
                entry = self.zones.get(zone)
                if entry is None:
                    continue
                if not entry.get("servers"):
                    raise NoServerError(f".{zone}: {entry.get('note') or 'no WHOIS server'}")
                spec = entry["servers"][0]
                break
        if spec is None:
            raise NoServerError(f"no WHOIS server known for .{domain.rsplit('.', 1)[-1]} (name one with --whois-server)")
        return self.for_server(domain, spec)

    def for_server(self, domain: str, spec: str) -> Target:
        """The target of `domain` at a given ``HOST[:PORT]`` (also used for referrals)."""
        host, port = split_host_port(spec, WHOIS_PORT)
        query = self.query_format(host, port).replace("{domain}", domain)
        key = server_key(host, port)
        return Target(domain, "whois", key, f"whois://{key}/{quote(domain)}", query)


class RdapDirectory:
    """TLD -> RDAP base URL, from the IANA bootstrap file (RFC 9224) and per-run overrides."""

    def __init__(self, bootstrap: Path | None = None, overrides: dict[str, str] | None = None) -> None:
        data = _load_json(bootstrap or RDAP_BOOTSTRAP)
        self.bases: dict[str, list[str]] = {}
        for entry in data.get("services", []):
            if not (isinstance(entry, list) and len(entry) >= 2):
                continue
            urls = sorted(entry[1], key=lambda u: not str(u).startswith("https:"))  # HTTPS first (RFC 9224 4)
            for tld in entry[0]:
                self.bases[str(tld).lower().strip(".")] = [str(u) for u in urls]
        self.overrides = {k.strip(".").lower(): v for k, v in (overrides or {}).items()}
        for value in self.overrides.values():
            if urlsplit(value).scheme not in ("http", "https"):
                raise ValueError(f"{value!r} is not an http(s) URL")

    def base_for(self, domain: str) -> str | None:
        """The RDAP base URL for a domain, or None when its registry has no RDAP service listed."""
        base = _pick(self.overrides, domain)
        if base is None:
            for zone in _zones_of(domain):
                if zone in self.bases and self.bases[zone]:
                    base = self.bases[zone][0]
                    break
        return base

    def target(self, domain: str) -> Target:
        """Where to ask about `domain`; NoServerError when no RDAP service is known."""
        base = self.base_for(domain)
        if base is None:
            raise NoServerError(f"no RDAP service listed for .{domain.rsplit('.', 1)[-1]} (name one with --rdap-url)")
        return url_target(domain, domain_url(base, domain))


def domain_url(base: str, domain: str) -> str:
    """RFC 9082 lookup path under a base URL (the base keeps its own path)."""
    return f"{base.rstrip('/')}/domain/{quote(domain)}"


def url_target(domain: str, url: str) -> Target:
    """An RDAP target at a full URL (a bootstrap base, or a related link)."""
    return Target(domain, "rdap", url_server_key(url), url)
