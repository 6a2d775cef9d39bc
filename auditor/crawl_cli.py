"""`auditor crawl`: arguments, the per-server progress display and the closing table; the work is in auditor/crawl.py.

``auditor crawl SOURCE... --out DIR`` crawls and audits; with ``--redis URL`` it also queues the job in
Redis for other workers, crawls as one of them, and audits once no worker has anything left.
``auditor crawl --worker --redis URL --db URL`` joins such a job (docs/crawling.md, "Distributed crawl").
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from auditor.crawl import (
    PROTOCOLS,
    CrawlOptions,
    CrawlReport,
    ServerCount,
    audit_crawl,
    run_crawl,
    run_worker,
    unfinished_by_reason,
)
from auditor.errors import ConfigError

#: Exit status when the crawl stopped with domains left (quota used up, server paused): re-run to continue.
EXIT_INCOMPLETE = 3


def _zone_value(text: str, option: str) -> tuple[str, str]:
    """'[ZONE=]VALUE' -> (zone or '*', value); a zone never contains ':' or '/'."""
    zone, sep, value = text.partition("=")
    if sep and zone and not any(c in zone for c in ":/["):
        return zone.strip(".").lower(), value
    return "*", text


def _server_value(text: str, option: str, kind: type) -> tuple[str, Any]:
    server, sep, value = text.rpartition("=")
    if not sep or not server:
        raise ConfigError(f"{option} {text!r}: expected SERVER=VALUE (SERVER is host, host:port or *)")
    try:
        return server.lower(), kind(value)
    except ValueError as exc:
        raise ConfigError(f"{option} {text!r}: {value!r} is not a number") from exc


def add_crawl_parser(subparsers: Any) -> None:
    """Register `auditor crawl` (called by auditor.cli.build_parser)."""
    from auditor.cli import _add_dns_options

    p = subparsers.add_parser(
        "crawl", help="collect WHOIS/RDAP records politely (resumable), then audit them",
        description="Crawl the domains of SOURCE over RDAP and/or port-43 WHOIS within each server's published "
                    "limits, keep every answer, then audit what was collected exactly like `auditor audit`. "
                    "Running the same command again continues where it stopped. With --redis, several workers "
                    "(auditor crawl --worker) share the crawl.")
    p.add_argument("sources", nargs="*", metavar="SOURCE",
                   help="domains.txt | zone:FILE[#ORIGIN] (or *.zone) | axfr://HOST[:PORT]/ZONE | csv:FILE[#COLUMN] (or *.csv)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="where findings.jsonl, summary.json, report.html, crawl.json and crawl.log go "
                        "(required, except for a --worker: its job file and log)")
    p.add_argument("--db", default=None, metavar="URL", help="SQLite file or postgresql:// URL (default: $AUDITOR_DB or ./auditor.sqlite)")
    g = p.add_argument_group("servers")
    g.add_argument("--protocol", choices=PROTOCOLS, default="auto",
                   help="auto: RDAP where the registry has it, else WHOIS (default); naming only --whois-server or "
                        "only --rdap-url picks that protocol")
    g.add_argument("--whois-server", action="append", default=[], metavar="[ZONE=]HOST[:PORT]",
                   help="ask this port-43 server (for every domain, or for one zone); repeatable")
    g.add_argument("--rdap-url", action="append", default=[], metavar="[ZONE=]URL",
                   help="ask this RDAP base URL (for every domain, or for one zone); repeatable")
    g.add_argument("--whois-map", type=Path, metavar="FILE", help="a TLD -> WHOIS server map instead of the bundled one")
    g.add_argument("--rdap-bootstrap", type=Path, metavar="FILE",
                   help="an IANA RDAP bootstrap file (dns.json) instead of the bundled snapshot")
    g = p.add_argument_group("politeness")
    g.add_argument("--rate", action="append", default=[], metavar="SERVER=QPS",
                   help="queries per second for a server (host, host:port, or * for the default); repeatable")
    g.add_argument("--quota", action="append", default=[], metavar="SERVER=N",
                   help="queries per rolling 24 hours for a server; repeatable")
    g.add_argument("--policies", type=Path, metavar="FILE", help="a server policy file instead of the bundled one")
    g.add_argument("--max-attempts", type=int, default=3, metavar="N",
                   help="tries per domain and run after a rate limit or a failure (default 3)")
    g.add_argument("--backoff", type=float, default=5.0, metavar="SECONDS", help="first back-off (default 5, doubling)")
    g.add_argument("--max-backoff", type=float, default=900.0, metavar="SECONDS",
                   help="longest back-off; a server asking for longer is paused for the run (default 900)")
    g.add_argument("--give-up-after", type=int, default=5, metavar="N",
                   help="refusals or failures in a row before a server is paused for the run (default 5)")
    g.add_argument("--contact", metavar="EMAIL|URL", help="added to the User-Agent so operators can reach you")
    g = p.add_argument_group("transport and referrals")
    g.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="whole answer (default 60)")
    g.add_argument("--connect-timeout", type=float, default=10.0, metavar="SECONDS", help="TCP connect (default 10)")
    g.add_argument("--read-timeout", type=float, default=20.0, metavar="SECONDS",
                   help="silence while reading a WHOIS answer (default 20)")
    g.add_argument("--no-referrals", action="store_true", help="do not follow registrar referrals or related links")
    g.add_argument("--allow-referrals-to", action="append", default=[], metavar="CIDR",
                   help="let referrals point into this non-public network (refused by default); repeatable")
    g.add_argument("--connect-only-to", action="append", default=[], metavar="CIDR",
                   help="connect to addresses in these networks only, and resolve no host names (a sandbox); repeatable")
    g.add_argument("--job", metavar="NAME", help="crawl job name (default: derived from the sources; same job = resume)")
    g = p.add_argument_group("distributed crawl (docs/crawling.md)")
    g.add_argument("--redis", metavar="URL",
                   help="share the frontier and every server's rate and quota with other workers through this Redis "
                        "(redis://HOST:PORT/DB); the database must be one all workers reach (postgresql://)")
    g.add_argument("--worker", action="store_true",
                   help="no SOURCE: join the job a seeding command published in --redis (the one with work left, or "
                        "--job NAME), crawl until no worker has anything left, then exit without auditing; every "
                        "crawl setting comes from the published job")
    g.add_argument("--redis-prefix", default="auditor:crawl", metavar="PREFIX", help="Redis key prefix (default auditor:crawl)")
    g.add_argument("--lease", type=float, default=30.0, metavar="SECONDS",
                   help="how long a worker holds a domain without a heartbeat; a dead worker's domains are asked "
                        "again after this (default 30)")
    g = p.add_argument_group("audit (as auditor audit)")
    _add_dns_options(g)
    g.add_argument("--select", nargs="*", default=(), metavar="ID", help="only rules whose id starts with these")
    g.add_argument("--exclude", nargs="*", default=(), metavar="ID", help="skip rules whose id starts with these")
    g.add_argument("--profile", default=None, help="required-field profile for INC001 (see auditor audit --help)")
    g.add_argument("--config", default=None, metavar="FILE", help="auditor.toml")
    p.add_argument("--quiet", action="store_true", help="no progress display")


def crawl_options(args: argparse.Namespace) -> CrawlOptions:
    """CrawlOptions from the command line."""
    from spiders.job import USER_AGENT

    whois = dict(_zone_value(v, "--whois-server") for v in args.whois_server)
    rdap = dict(_zone_value(v, "--rdap-url") for v in args.rdap_url)
    tuning: dict[str, Any] = {
        "rates": dict(_server_value(v, "--rate", float) for v in args.rate),
        "quotas": dict(_server_value(v, "--quota", int) for v in args.quota),
        "policy_file": str(args.policies) if args.policies else None,
        "max_attempts": args.max_attempts, "backoff_base": args.backoff, "backoff_max": args.max_backoff,
        "give_up_after": args.give_up_after, "timeout": args.timeout, "connect_timeout": args.connect_timeout,
        "read_timeout": args.read_timeout, "follow_referrals": not args.no_referrals,
        "allow_networks": tuple(args.allow_referrals_to),
        "egress_networks": tuple(args.connect_only_to),
        "user_agent": f"{USER_AGENT[:-1]}; contact: {args.contact})" if args.contact else USER_AGENT,
        "redis_url": args.redis, "redis_prefix": args.redis_prefix, "lease_seconds": args.lease,
    }
    for name in ("max_attempts", "give_up_after"):
        if tuning[name] < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1")
    for name in ("backoff_base", "timeout", "connect_timeout", "read_timeout", "lease_seconds"):
        if tuning[name] <= 0:
            raise ConfigError(f"{name.replace('_', ' ')} must be above 0 seconds")
    return CrawlOptions(protocol=args.protocol, whois_servers=whois, rdap_urls=rdap, whois_map=args.whois_map,
                        rdap_bootstrap=args.rdap_bootstrap, job=args.job, tuning=tuning)


class CrawlDisplay:
    """One bar per registry server: domains done of its total, its answers by outcome, time left."""

    def __init__(self, enabled: bool = True) -> None:
        from auditor.cli import console

        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[answers]}"),
            TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(), console=console, disable=not enabled)
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> CrawlDisplay:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, servers: list[ServerCount]) -> None:
        for s in servers:
            if not s.targets:
                continue  # a registrar's server: its answers are in the closing table
            key = f"{s.protocol} {s.server}"
            answers = (f"ok {s.answers['ok']} · not found {s.answers['not_found']} · "
                       f"rate-limited {s.answers['rate_limited']} · error {s.answers['error']}")
            if key not in self.tasks:
                self.tasks[key] = self.progress.add_task(key, total=s.targets, answers=answers)
            self.progress.update(self.tasks[key], total=s.targets, completed=s.done, answers=answers)


def print_crawl(report: CrawlReport) -> None:
    """The per-server table and what is left."""
    from auditor.cli import out

    table = Table(title=f"Crawl {report.job}", show_header=True)
    for col in ("server", "domains", "done", "ok", "not found", "rate-limited", "error", "limit"):
        table.add_column(col, justify="left" if col in ("server", "limit") else "right")
    for s in report.servers:
        policy = report.policies.get(s.server) or {}
        limit = f"{policy.get('rate')}/s" + (f", {policy['quota_per_24h']}/24 h" if policy.get("quota_per_24h") else "")
        table.add_row(f"{s.protocol} {s.server}", str(s.targets or ""), str(s.done if s.targets else ""),
                      *(str(s.answers.get(k, 0)) for k in ("ok", "not_found", "rate_limited", "error")), limit)
    out.print(table)
    for reason, n in sorted(unfinished_by_reason(report).items()):
        out.print(f"left for the next run: {n} domain(s), {reason}", markup=False)
    for skipped in report.plan.skipped[:5]:
        out.print(f"skipped {skipped['domain']} ({skipped['protocol']}): {skipped['reason']}", markup=False)
    if len(report.plan.skipped) > 5:
        out.print(f"... and {len(report.plan.skipped) - 5} more skipped (listed in summary.json)")
    if report.exit_code:
        out.print(f"the crawl process reported errors (exit {report.exit_code}); see {report.log}", markup=False)


def cmd_worker(args: argparse.Namespace) -> int:
    """Join a distributed crawl and work until its shared frontier is empty (no audit)."""
    from auditor.cli import default_db, out

    if args.sources:
        raise ConfigError("a --worker takes no SOURCE: it takes its work from the shared frontier in --redis "
                          "(the seeding command, auditor crawl SOURCE... --redis URL, reads the sources)")
    if not args.redis:
        raise ConfigError("--worker needs --redis URL: the shared frontier to take work from")
    if args.lease <= 0:
        raise ConfigError("--lease must be above 0 seconds")
    work_dir = args.out or Path(tempfile.mkdtemp(prefix="auditor-crawl-worker-"))
    with CrawlDisplay(enabled=not args.quiet) as display:
        report = run_worker(args.db or default_db(), args.redis, args.redis_prefix, args.job, work_dir, display.update)
    print_crawl(report)
    out.print(f"worker log: {report.log}", markup=False)
    return EXIT_INCOMPLETE if report.unfinished else 0


def cmd_crawl(args: argparse.Namespace) -> int:
    """Crawl, then audit what was collected (or, with --worker, only crawl a shared job)."""
    from auditor.cli import RichProgress, audit_options, default_db, print_summary

    if args.worker:
        return cmd_worker(args)
    if not args.sources:
        raise ConfigError("no SOURCE to crawl (or --worker --redis URL to join a distributed crawl)")
    if args.out is None:
        raise ConfigError("--out DIR is required: where the audit's files go")
    options = crawl_options(args)
    audit = audit_options(args)
    args.out.mkdir(parents=True, exist_ok=True)
    db_url = args.db or default_db()
    with CrawlDisplay(enabled=not args.quiet) as display:
        report = run_crawl(args.sources, db_url, options, args.out, display.update)
    print_crawl(report)
    with RichProgress(enabled=not args.quiet) as progress:
        result = audit_crawl(report, args.out, audit, progress)
    print_summary(result.summary, result.out_dir)
    if report.unfinished:
        return EXIT_INCOMPLETE
    return 0
