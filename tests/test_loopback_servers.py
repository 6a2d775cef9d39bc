"""The loopback WHOIS and RDAP servers play each named fault as a real server would, on the wire."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request

import pytest

from auditor.loopback.rdap_server import LoopbackRdapServer
from auditor.loopback.whois_server import (
    Drop,
    Garbage,
    Hang,
    LoopbackWhoisServer,
    Oversize,
    QuotaExhausted,
    RateLimit,
    Referral,
    Refuse,
    Trickle,
    domain_of_query,
)


def ask(server: LoopbackWhoisServer, query: str, timeout: float = 2.0) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as conn:
        conn.sendall(query.encode() + b"\r\n")
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
        return data


def get(server: LoopbackRdapServer, path: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(server.base_url + path.lstrip("/"), timeout=2) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.mark.parametrize(("line", "domain"), [
    ("example.zz", "example.zz"), ("-T dn,ace Example.DE", "example.de"), ("example.jp/e", "example.jp"),
    ("domain=example.name", "example.name"), ("--show-handles example.dk", "example.dk"),
])
def test_query_formats_are_understood(line: str, domain: str) -> None:
    assert domain_of_query(line) == domain


def test_answers_records_and_no_match_and_logs_queries() -> None:
    with LoopbackWhoisServer({"a.zz": b"Domain Name: a.zz\r\n"}) as server:
        assert ask(server, "a.zz") == b"Domain Name: a.zz\r\n"
        assert ask(server, "-T dn,ace b.zz").startswith(b'No match for domain "B.ZZ"')
        assert server.queries == ["a.zz", "-T dn,ace b.zz"]


def test_a_client_that_closes_without_asking_is_not_a_query() -> None:
    """A crawl worker killed between connecting and sending its line asked nothing (an empty line still counts)."""
    import socket
    import time

    with LoopbackWhoisServer({"a.zz": b"Domain Name: a.zz\r\n"}) as server:
        socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
            conn.sendall(b"\r\n")
            conn.recv(1024)
        deadline = time.monotonic() + 5
        while len(server.queries) < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)  # the closed connection's handler has long finished by now
        assert server.queries == [""]


def test_stamped_answers_differ() -> None:
    with LoopbackWhoisServer({"a.zz": b"x\r\n"}, stamp=True) as server:
        assert ask(server, "a.zz") != ask(server, "a.zz")


def test_hang_never_answers() -> None:
    with LoopbackWhoisServer(fault=Hang(), hang_limit=5) as server, pytest.raises(TimeoutError):
        ask(server, "a.zz", timeout=0.3)


def test_drop_resets_and_cut_resets_after_some_bytes() -> None:
    with LoopbackWhoisServer(fault=Drop()) as server, pytest.raises(ConnectionResetError):
        ask(server, "a.zz")
    with LoopbackWhoisServer({"a.zz": b"0123456789" * 10}, fault=Drop(after=25)) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=2) as conn:
            conn.sendall(b"a.zz\r\n")
            time.sleep(0.2)
            assert conn.recv(100) == b"0123456789" * 2 + b"01234"
            with pytest.raises(ConnectionResetError):
                conn.recv(100)


def test_trickle_is_slow_but_never_silent_long() -> None:
    with LoopbackWhoisServer({"a.zz": b"abcdef"}, fault=Trickle(chunk=2, interval=0.1)) as server:
        started = time.monotonic()
        assert ask(server, "a.zz") == b"abcdef"
        assert time.monotonic() - started >= 0.25


def test_oversize_and_garbage() -> None:
    with LoopbackWhoisServer(fault=Oversize(size=200_000)) as server:
        assert len(ask(server, "a.zz")) >= 200_000
    with LoopbackWhoisServer(fault=Garbage(size=300)) as server:
        body = ask(server, "a.zz")
        assert len(body) == 300 and body == ask(server, "a.zz")  # the same bytes for the same domain


def test_refuse_means_nobody_listens() -> None:
    with LoopbackWhoisServer(fault=Refuse()) as server, pytest.raises(ConnectionRefusedError):
        ask(server, "a.zz")


def test_rate_limit_counts_violations_in_any_second() -> None:
    with LoopbackWhoisServer({"a.zz": b"ok\r\n"}, fault=RateLimit(per_second=3)) as server:
        answers = [ask(server, "a.zz") for _ in range(5)]
        assert answers[:3] == [b"ok\r\n"] * 3 and all(b"rate limit exceeded" in a for a in answers[3:])
        assert server.log.violations == 2
        time.sleep(1.05)
        assert ask(server, "a.zz") == b"ok\r\n"


def test_rate_limit_first_n_and_quota_exhausted() -> None:
    with LoopbackWhoisServer({"a.zz": b"ok\r\n"}, faults={"a.zz": RateLimit(first=2)}) as server:
        assert [b"rate limit" in ask(server, "a.zz") for _ in range(3)] == [True, True, False]
    with LoopbackWhoisServer({"a.zz": b"ok\r\n"}, fault=QuotaExhausted(after=1)) as server:
        assert ask(server, "a.zz") == b"ok\r\n"
        assert b"quota exceeded" in ask(server, "a.zz")


def test_referral_names_the_other_server() -> None:
    with LoopbackWhoisServer(fault=Referral(to="127.0.0.1:4343")) as server:
        assert b"Registrar WHOIS Server: 127.0.0.1:4343" in ask(server, "a.zz")


def test_rdap_found_not_found_and_429() -> None:
    with LoopbackRdapServer({"a.zz": b'{"objectClassName": "domain", "ldhName": "a.zz"}'},
                            faults={"b.zz": RateLimit(first=1, retry_after=7)}) as server:
        status, headers, body = get(server, "domain/a.zz")
        assert status == 200 and headers["Content-Type"] == "application/rdap+json" and b"a.zz" in body
        assert get(server, "domain/c.zz")[0] == 404
        status, headers, body = get(server, "domain/b.zz")
        assert status == 429 and headers["Retry-After"] == "7" and json.loads(body)["errorCode"] == 429
        assert get(server, "domain/b.zz")[0] == 404  # the rate limit was for the first query only
        assert server.queries == ["/domain/a.zz", "/domain/c.zz", "/domain/b.zz", "/domain/b.zz"]


def test_rdap_related_link_and_quota() -> None:
    with LoopbackRdapServer(fault=Referral(to="http://127.0.0.1:9/")) as server:
        status, _headers, body = get(server, "domain/a.zz")
        links = json.loads(body)["links"]
        assert status == 200 and links[0]["rel"] == "related" and links[0]["href"] == "http://127.0.0.1:9/domain/a.zz"
    with LoopbackRdapServer(lambda d: b"{}", fault=QuotaExhausted(after=0)) as server:
        status, headers, _body = get(server, "domain/a.zz")
        assert status == 429 and headers["Retry-After"] == "86400"
