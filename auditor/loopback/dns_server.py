"""A small authoritative DNS server on loopback (UDP and TCP, port 0), serving zone files.

Used by `auditor demo` and by the tests, so DNS rules run against a real protocol peer and never
leave the machine. Named faults make resolver failures reproducible: a name mapped to
``servfail`` answers SERVFAIL, ``timeout`` never answers, ``refused`` answers REFUSED.
Over TCP it also answers zone transfers (AXFR, RFC 5936) of the zones it holds, the crawl's
AXFR domain source; a fault on the zone's apex applies to its transfer too.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone

FAULTS = ("servfail", "timeout", "refused")


class ZoneData:
    """Zones by origin, with longest-suffix look-up."""

    def __init__(self, zones: Mapping[str, dns.zone.Zone], faults: Mapping[str, str] | None = None) -> None:
        self.zones = {dns.name.from_text(origin): zone for origin, zone in zones.items()}
        self.faults = {dns.name.from_text(name): kind for name, kind in (faults or {}).items()}
        for kind in self.faults.values():
            if kind not in FAULTS:
                raise ValueError(f"unknown DNS fault {kind!r}; known: {', '.join(FAULTS)}")

    @classmethod
    def from_directory(cls, directory: Path, faults: Mapping[str, str] | None = None) -> ZoneData:
        """Load every `<origin>.zone` file of a directory."""
        zones = {}
        for path in sorted(directory.glob("*.zone")):
            origin = path.name[: -len(".zone")] + "."
            zones[origin] = dns.zone.from_file(str(path), origin=origin, relativize=False)
        return cls(zones, faults)

    def answer(self, query: dns.message.Message) -> dns.message.Message | None:
        """The response to a query, or None to stay silent (the timeout fault)."""
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if not query.question:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = query.question[0]
        qname, qtype = question.name, question.rdtype
        for name, kind in self.faults.items():
            if qname == name or qname.is_subdomain(name):
                if kind == "timeout":
                    return None
                response.set_rcode(dns.rcode.SERVFAIL if kind == "servfail" else dns.rcode.REFUSED)
                response.flags &= ~dns.flags.AA
                return response
        zone = self._zone_for(qname)
        if zone is None:
            response.flags &= ~dns.flags.AA
            response.set_rcode(dns.rcode.REFUSED)
            return response
        node = zone.get_node(qname)
        soa = zone.find_rrset(zone.origin, dns.rdatatype.SOA)
        if node is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            response.authority.append(soa)
            return response
        rdataset = node.get_rdataset(dns.rdataclass.IN, qtype)
        if rdataset is None:
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname is not None:
                response.answer.append(_rrset(qname, cname))
            else:
                response.authority.append(soa)
            return response
        response.answer.append(_rrset(qname, rdataset))
        return response

    def transfer(self, query: dns.message.Message) -> list[dns.message.Message]:
        """The messages of an AXFR: the SOA, every other record, the SOA again; REFUSED for a zone not held."""
        qname = query.question[0].name
        if any(qname == name or qname.is_subdomain(name) for name in self.faults):
            answer = self.answer(query)
            return [answer] if answer is not None else []
        zone = self.zones.get(qname)
        if zone is None:
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.REFUSED)
            return [response]
        soa = zone.find_rrset(zone.origin, dns.rdatatype.SOA)
        rrsets = [_rrset(name, rdataset) for name, node in sorted(zone.nodes.items()) for rdataset in node.rdatasets
                  if not (name == zone.origin and rdataset.rdtype == dns.rdatatype.SOA)]
        records = [soa, *rrsets, soa]
        messages = []
        for i in range(0, len(records), _AXFR_RRSETS_PER_MESSAGE):
            response = dns.message.make_response(query)
            response.flags |= dns.flags.AA
            response.answer.extend(records[i : i + _AXFR_RRSETS_PER_MESSAGE])
            messages.append(response)
        return messages

    def _zone_for(self, qname: dns.name.Name) -> dns.zone.Zone | None:
        best = None
        for origin, zone in self.zones.items():
            if qname.is_subdomain(origin) and (best is None or len(origin) > len(best[0])):
                best = (origin, zone)
        return best[1] if best else None


#: Records per AXFR message: keeps each message well under the 64 KiB a TCP DNS message may hold.
_AXFR_RRSETS_PER_MESSAGE = 200


def _rrset(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    rrset = dns.rrset.RRset(name, rdataset.rdclass, rdataset.rdtype)
    rrset.update(rdataset)
    return rrset


class _UDPHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        try:
            query = dns.message.from_wire(data)
        except Exception:  # noqa: BLE001 - garbage in, no answer out
            return
        self.server.queries += 1  # type: ignore[attr-defined]
        response = self.server.zone_data.answer(query)  # type: ignore[attr-defined]
        if response is not None:
            sock.sendto(response.to_wire(max_size=65535 if query.edns >= 0 else 512), self.client_address)


class _TCPHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        conn: socket.socket = self.request
        conn.settimeout(5)
        try:
            header = _recv_exact(conn, 2)
            (length,) = struct.unpack("!H", header)
            query = dns.message.from_wire(_recv_exact(conn, length))
        except Exception:  # noqa: BLE001
            return
        self.server.queries += 1  # type: ignore[attr-defined]
        if query.question and query.question[0].rdtype == dns.rdatatype.AXFR:
            for message in self.server.zone_data.transfer(query):  # type: ignore[attr-defined]
                wire = message.to_wire(max_size=65535)
                conn.sendall(struct.pack("!H", len(wire)) + wire)
            return
        response = self.server.zone_data.answer(query)  # type: ignore[attr-defined]
        if response is not None:
            wire = response.to_wire()
            conn.sendall(struct.pack("!H", len(wire)) + wire)


def _recv_exact(conn: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("short read")
        buf += chunk
    return buf


class _UDPServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True
    allow_reuse_address = True


class _TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class LoopbackDnsServer:
    """Context manager: an authoritative server on 127.0.0.1, same port for UDP and TCP."""

    def __init__(self, zone_data: ZoneData, host: str = "127.0.0.1") -> None:
        self.zone_data = zone_data
        self.host = host
        self._udp: _UDPServer | None = None
        self._tcp: _TCPServer | None = None
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        assert self._udp is not None
        return int(self._udp.server_address[1])

    @property
    def address(self) -> str:
        """HOST:PORT, the form `--resolver` takes."""
        return f"{self.host}:{self.port}"

    @property
    def queries(self) -> int:
        """Queries answered or ignored so far (UDP + TCP)."""
        return (self._udp.queries if self._udp else 0) + (self._tcp.queries if self._tcp else 0)  # type: ignore[attr-defined]

    def start(self) -> LoopbackDnsServer:
        for _attempt in range(20):
            udp = _UDPServer((self.host, 0), _UDPHandler)
            try:
                tcp = _TCPServer((self.host, udp.server_address[1]), _TCPHandler)
            except OSError:
                udp.server_close()
                continue
            break
        else:
            raise OSError("could not bind UDP and TCP on the same loopback port")
        for server in (udp, tcp):
            server.zone_data = self.zone_data  # type: ignore[attr-defined]
            server.queries = 0  # type: ignore[attr-defined]
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._udp, self._tcp = udp, tcp
        return self

    def stop(self) -> None:
        for server in (self._udp, self._tcp):
            if server is not None:
                server.shutdown()
                server.server_close()

    def __enter__(self) -> LoopbackDnsServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
