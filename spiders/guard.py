"""SSRF guard: a referral or related link from a response may not point into a private network.

A WHOIS answer's ``Registrar WHOIS Server`` and an RDAP ``related`` link are written by whoever runs
the server; followed blindly they make the crawler knock on the operator's own internal services
(``10.0.0.0/8``, ``169.254.169.254``, ``localhost``). Targets taken from responses are resolved and
refused when any address is loopback, private, link-local, multicast, reserved or otherwise not
global, unless a network was explicitly allowed (``--allow-referrals-to 127.0.0.0/8``; the tests do
that for their loopback servers). The WHOIS handler then connects to the address it checked, so a
second DNS answer cannot swap it; the HTTP handler resolves again (see docs/crawling.md).

>>> forbidden_kind("10.1.2.3"), forbidden_kind("169.254.169.254"), forbidden_kind("::ffff:127.0.0.1")
('private', 'link-local', 'loopback')
>>> forbidden_kind("192.0.2.1"), forbidden_kind("100.64.0.1"), forbidden_kind("8.8.8.8")
('private', 'not global', None)
>>> AddressGuard(["127.0.0.0/8"]).check("127.0.0.1", ["127.0.0.1"])
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable


class RefusedTargetError(Exception):
    """A referral or related link points at an address the guard does not allow."""


def forbidden_kind(address: str) -> str | None:
    """Why an address may not be the target of a referral, or None when it is a public unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, test in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                       ("multicast", ip.is_multicast), ("unspecified", ip.is_unspecified),
                       ("private", ip.is_private), ("reserved", ip.is_reserved), ("not global", not ip.is_global)):
        if test:
            return kind
    return None


class AddressGuard:
    """Refuses targets in non-public networks, except those explicitly allowed.

    With `egress` set, the crawl may connect only to addresses in those networks, and host names are not
    resolved at all (a resolver query would itself leave them): the demo and the tests crawl with
    ``egress=("127.0.0.0/8", "::1/128")`` so that nothing, even a referral, can leave the machine.
    """

    def __init__(self, allowed: Iterable[str] = (), egress: Iterable[str] = ()) -> None:
        self.allowed = tuple(ipaddress.ip_network(n, strict=False) for n in allowed)
        self.egress = tuple(ipaddress.ip_network(n, strict=False) for n in egress)

    async def addresses(self, host: str, port: int, untrusted: bool) -> list[str]:
        """The addresses to connect to for `host`; RefusedTargetError when the guard says no.

        The SSRF check comes before the egress check, so a refused referral is reported as such, and a
        sandboxed crawl still never resolves a host name.
        """
        if self.egress and not _is_ip(host):
            raise RefusedTargetError(f"{host}: this crawl may only connect to {_networks(self.egress)} "
                                     "(host names are not resolved)")
        addresses = await (self.resolve_checked(host, port) if untrusted else resolve(host, port))
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if self.egress and not any(ip.version == net.version and ip in net for net in self.egress):
                raise RefusedTargetError(f"{host}: this crawl may only connect to {_networks(self.egress)}")
        return addresses

    def check(self, host: str, addresses: Iterable[str]) -> None:
        """Raise RefusedTargetError unless every address of `host` is public or allowed."""
        for address in addresses:
            kind = forbidden_kind(address)
            if kind is None:
                continue
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if not any(ip.version == net.version and ip in net for net in self.allowed):
                shown = host if host == address else f"{host} ({address})"
                raise RefusedTargetError(f"refused to follow a link to {shown}: a {kind} address "
                                         "(allow a network with --allow-referrals-to)")

    async def resolve_checked(self, host: str, port: int) -> list[str]:
        """Resolve `host` and check every address; returns the addresses to connect to."""
        addresses = await resolve(host, port)
        self.check(host, addresses)
        return addresses


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _networks(nets: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> str:
    return ", ".join(str(n) for n in nets)


#: Resolved addresses are reused this long: one DNS query per server every few minutes, not per WHOIS query.
RESOLVE_TTL = 300.0
_resolved: dict[tuple[str, int], tuple[float, list[str]]] = {}


async def resolve(host: str, port: int) -> list[str]:
    """The addresses of a host (an IP literal resolves to itself), in resolver order, cached for `RESOLVE_TTL`."""
    if _is_ip(host):
        return [host]
    loop = asyncio.get_running_loop()
    cached = _resolved.get((host, port))
    if cached is not None and cached[0] > loop.time():
        return cached[1]
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    _resolved[(host, port)] = (loop.time() + RESOLVE_TTL, addresses)
    return addresses
