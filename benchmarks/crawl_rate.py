"""Does the crawler keep a server's rate limit, and how close does it get? (a script, not a timed test)

    python benchmarks/crawl_rate.py [--rate N] [--domains D] [--protocol whois|rdap|both]

Starts a loopback WHOIS server and a loopback RDAP server that each allow N queries per second: any
query beyond N in any sliding one-second window is a violation (the server counts it and answers it
with a rate-limit refusal). Crawls D domains from each through `auditor crawl`'s code path, told the
same limit (``--rate SERVER=N``), and prints for each server the allowed rate, the achieved rate
(queries per second between the first and the last query the server saw), their ratio and the
violations. The goal: zero violations and a ratio of at least 95 %. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from auditor.crawl import CrawlOptions, run_crawl
from auditor.loopback.rdap_server import LoopbackRdapServer
from auditor.loopback.whois_server import LoopbackWhoisServer, RateLimit

LOOPBACK = ("127.0.0.0/8", "::1/128")


def whois_answer(domain: str) -> bytes:
    return (f"Domain Name: {domain}\r\nRegistrar: Bench Registrar\r\nCreation Date: 2020-01-02\r\n"
            f"Registrant Name: Bench Holder\r\nRegistrant Email: holder@{domain}\r\n").encode()


def rdap_answer(domain: str) -> bytes:
    return (b'{"objectClassName": "domain", "ldhName": "%s", "status": ["active"], '
            b'"events": [{"eventAction": "registration", "eventDate": "2020-01-02T00:00:00Z"}]}' % domain.encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="queries per second each server allows (default 20)")
    parser.add_argument("--domains", type=int, default=300, help="domains per server (default 300)")
    parser.add_argument("--protocol", choices=("whois", "rdap", "both"), default="both")
    args = parser.parse_args(argv)

    limit = RateLimit(per_second=args.rate)
    whois = LoopbackWhoisServer(whois_answer, fault=limit).start()
    rdap = LoopbackRdapServer(rdap_answer, fault=limit).start()
    try:
        with tempfile.TemporaryDirectory(prefix="crawl-rate-") as tmp:
            work = Path(tmp)
            domains = [f"bench{i:05d}.zz" for i in range(args.domains)]
            (work / "domains.txt").write_text("\n".join(domains) + "\n")
            options = CrawlOptions(
                protocol=args.protocol, whois_servers={"zz": whois.address}, rdap_urls={"zz": rdap.base_url},
                tuning={"rates": {whois.address: args.rate, f"127.0.0.1:{rdap.port}": args.rate},
                        "egress_networks": LOOPBACK, "allow_networks": LOOPBACK, "timeout": 10.0})
            started = time.monotonic()
            report = run_crawl([str(work / "domains.txt")], f"sqlite:///{work / 'bench.sqlite'}", options, work)
            elapsed = time.monotonic() - started
    finally:
        whois.stop()
        rdap.stop()

    print(f"{args.domains} domains per server, {elapsed:.1f} s in all (crawl process start-up included)")
    print(f"{'server':<8} {'allowed q/s':>12} {'achieved q/s':>13} {'ratio':>7} {'violations':>11} {'queries':>8} {'done':>6}")
    failed = report.exit_code != 0
    for name, server in (("whois", whois), ("rdap", rdap)):
        if args.protocol not in (name, "both"):
            continue
        achieved = server.log.achieved_rate()
        ratio = achieved / args.rate
        done = sum(s.done for s in report.servers if s.protocol == name)
        print(f"{name:<8} {args.rate:>12.2f} {achieved:>13.2f} {ratio:>6.1%} {server.log.violations:>11} "
              f"{len(server.queries):>8} {done:>6}")
        failed |= server.log.violations > 0 or ratio < 0.95 or done != args.domains
    print("goal: 0 violations, ratio >= 95 %:", "met" if not failed else "NOT met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
