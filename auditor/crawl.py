"""Collection by crawling: domain sources -> targets -> the crawl process -> the audit stage.

`run_crawl` reads the sources (auditor/sources.py), picks each domain's server (spiders/servers.py:
the bundled WHOIS map and RDAP bootstrap, or the run's overrides), writes the targets into the
store's frontier, and runs the Scrapy crawl in a child process (``python -m spiders.run``: a Twisted
reactor runs once per process, and a child that dies with its parent cannot keep querying servers
while a restarted crawl does the same). While it runs, the frontier is read twice a second for the
progress display. The same job name (by default derived from the sources) continues where the
store says the last run stopped.

With a Redis URL (``tuning["redis_url"]``) the crawl is distributed (spiders/shared.py): `run_crawl`
also queues the job's open targets in Redis and publishes the job's settings there, then crawls as one
worker; `run_worker` joins a published job as another worker (on this machine or another, with the same
database) and crawls until no worker has anything left. Every worker's answers go to the one store, so
the seeding command audits the whole job when its own crawl process ends.

`audit_crawl` hands what the job collected (ok, not_found and rate_limited answers; failed attempts
are reported, not parsed) to exactly the audit `auditor audit` runs, with the crawl's per-server
counts under ``collection`` in summary.json.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from auditor.errors import AuditorError, ConfigError
from auditor.pipeline import AuditOptions, AuditResult, CollectTotals, Progress, audit_collected, import_inputs
from auditor.records import utcnow
from auditor.sources import DomainList, parse_source, read_domains
from auditor.store import CrawlStore
from spiders.guard import AddressGuard
from spiders.job import DB_URL_ENV, REDIS_URL_ENV, CrawlJob
from spiders.politeness import Policies
from spiders.servers import NoServerError, RdapDirectory, Target, WhoisDirectory

PROTOCOLS = ("auto", "whois", "rdap", "both")
#: How many unfinished targets and skipped domains summary.json lists one by one (all are counted).
LIST_LIMIT = 1000
#: Seconds between two looks at the frontier while the crawl runs.
POLL_SECONDS = 0.5


class CrawlError(AuditorError):
    """The crawl process could not run."""

    slug = "crawl-error"


@dataclass
class CrawlOptions:
    """What to crawl with which servers; `tuning` holds the crawl process's settings (spiders/job.py `CrawlJob`)."""

    protocol: str = "auto"
    whois_servers: dict[str, str] = field(default_factory=dict)  # zone or "*" -> HOST[:PORT]
    rdap_urls: dict[str, str] = field(default_factory=dict)  # zone or "*" -> base URL
    whois_map: Path | None = None
    rdap_bootstrap: Path | None = None
    job: str | None = None
    tuning: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    """The targets to crawl and the domains no server could be found for (with the reason)."""

    targets: list[Target] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    sources: list[DomainList] = field(default_factory=list)


@dataclass
class ServerCount:
    """One server's progress: its targets (when it is a registry's) and every answer it gave, by outcome."""

    protocol: str
    server: str
    targets: int = 0
    done: int = 0
    answers: Counter[str] = field(default_factory=Counter)

    @property
    def remaining(self) -> int:
        return self.targets - self.done


@dataclass
class CrawlReport:
    """What a crawl run did: its job, per-server counts, what is left and why, the process's exit."""

    job: str
    db_url: str
    started_at: str
    finished_at: str
    targets: dict[str, int]
    servers: list[ServerCount]
    unfinished: list[dict[str, Any]]
    plan: Plan
    exit_code: int
    log: Path
    policies: dict[str, dict[str, Any]]

    def details(self) -> dict[str, Any]:
        """summary.json's ``collection`` section."""
        return {
            "kind": "crawl",
            "job": self.job,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "sources": [{"source": s.source.describe(), "domains": len(s.domains), "rejected": s.rejected[:LIST_LIMIT]}
                        for s in self.plan.sources],
            "targets": self.targets,
            "servers": {f"{s.protocol} {s.server}": {
                "protocol": s.protocol, "targets": s.targets, "done": s.done, "remaining": s.remaining,
                **{k: s.answers.get(k, 0) for k in ("ok", "not_found", "rate_limited", "error")},
                "policy": self.policies.get(s.server)} for s in self.servers},
            "unfinished": self.unfinished[:LIST_LIMIT],
            "unfinished_total": len(self.unfinished),
            "skipped": self.plan.skipped[:LIST_LIMIT],
            "skipped_total": len(self.plan.skipped),
            "process": {"exit_code": self.exit_code, "log": str(self.log)},
        }


# -- planning ----------------------------------------------------------------------------------
def read_sources(specs: Sequence[str], timeout: float = 30.0) -> list[DomainList]:
    """Every source's domains (InputError for a source that cannot be read at all)."""
    return [read_domains(parse_source(spec), timeout) for spec in specs]


def plan_targets(domains: Iterable[str], options: CrawlOptions) -> Plan:
    """Each domain's server(s), by the protocol choice.

    ``auto`` asks RDAP where the registry has a service (bootstrap or --rdap-url), else WHOIS; naming
    only a WHOIS server (or only an RDAP URL) means that protocol; ``both`` asks both.
    """
    if options.protocol not in PROTOCOLS:
        raise ConfigError(f"unknown protocol {options.protocol!r}; one of {', '.join(PROTOCOLS)}")
    try:
        whois = WhoisDirectory(options.whois_map, options.whois_servers)
        rdap = RdapDirectory(options.rdap_bootstrap, options.rdap_urls)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"server map: {exc}") from exc
    protocol = options.protocol
    if protocol == "auto" and bool(options.whois_servers) != bool(options.rdap_urls):
        protocol = "whois" if options.whois_servers else "rdap"
    elif protocol == "auto" and options.whois_servers and options.rdap_urls:
        protocol = "both"
    plan = Plan()
    for domain in domains:
        wanted = {"whois": ["whois"], "rdap": ["rdap"], "both": ["rdap", "whois"]}.get(protocol) or (
            ["rdap"] if rdap.base_for(domain) else ["whois"])
        for name in wanted:
            try:
                plan.targets.append((rdap if name == "rdap" else whois).target(domain))
            except (NoServerError, ValueError) as exc:
                plan.skipped.append({"domain": domain, "protocol": name, "reason": str(exc)})
    return plan


def job_name(specs: Sequence[str], protocol: str) -> str:
    """The default job: the same sources (by absolute path) and protocol continue the same crawl."""
    names = []
    for spec in specs:
        source = parse_source(spec)
        if source.kind != "axfr":
            source = replace(source, location=str(Path(source.location).resolve()))
        names.append(source.describe())
    return "crawl-" + hashlib.sha256("\n".join([protocol, *sorted(names)]).encode()).hexdigest()[:12]


# -- running -------------------------------------------------------------------------------------
def make_job(name: str, db_url: str, options: CrawlOptions) -> CrawlJob:
    """The crawl process's settings; an unknown tuning key is a ConfigError."""
    try:
        job = CrawlJob(job=name, db_url=db_url, whois_map=str(options.whois_map) if options.whois_map else None, **options.tuning)
        Policies(Path(job.policy_file) if job.policy_file else None, job.rates, job.quotas)
        AddressGuard(job.allow_networks, job.egress_networks)
    except TypeError as exc:
        raise ConfigError(f"crawl settings: {exc}") from exc
    except (OSError, ValueError) as exc:
        raise ConfigError(f"crawl settings: {exc}") from exc
    return job


def snapshot(store: CrawlStore, job: str) -> list[ServerCount]:
    """Per-server counts from the store: targets by registry server, answers by the server that gave them."""
    counts: dict[tuple[str, str], ServerCount] = {}
    for protocol, server, state, n in store.target_counts(job):
        entry = counts.setdefault((protocol, server), ServerCount(protocol, server))
        entry.targets += n
        if state == "done":
            entry.done += n
    for protocol, server, status, n in store.response_counts(job):
        counts.setdefault((protocol, server), ServerCount(protocol, server)).answers[status] += n
    return [counts[k] for k in sorted(counts)]


def run_targets(store: CrawlStore, job: CrawlJob, plan: Plan, work_dir: Path,
                on_progress: Callable[[list[ServerCount]], None] | None = None) -> CrawlReport:
    """Seed the frontier with the plan (and the shared queue, when distributed), run the crawl process to its end, and report."""
    work_dir.mkdir(parents=True, exist_ok=True)
    started = utcnow()
    store.seed_targets(job.job, [{"domain": t.domain, "protocol": t.protocol, "server": t.server, "url": t.url,
                                  "query": t.query} for t in plan.targets])
    if job.redis_url:
        from spiders.shared import SharedFrontier, seed_from_store, worker_name

        job = replace(job, worker=job.worker or worker_name())
        with _redis_errors(job.redis_url):
            frontier = SharedFrontier.for_job(job)
            frontier.publish(job)
            seed_from_store(store, frontier, job.job, job.protocols)
    return _crawl(store, job, plan, work_dir, started, "crawl", on_progress)


def run_worker(db_url: str, redis_url: str, prefix: str, job_name: str | None, work_dir: Path,
               on_progress: Callable[[list[ServerCount]], None] | None = None) -> CrawlReport:
    """Join a distributed crawl as one more worker: the job's settings come from Redis, the database is ours to name.

    Crawls until no worker has anything queued or leased, then reports on the whole job.
    """
    from spiders.shared import SharedFrontier, connect, worker_name

    with _redis_errors(redis_url):
        try:
            published = SharedFrontier.published(connect(redis_url), prefix, job_name)
        except LookupError as exc:
            raise ConfigError(str(exc)) from exc
    job = replace(published, db_url=db_url, redis_url=redis_url, redis_prefix=prefix, worker=worker_name())
    work_dir.mkdir(parents=True, exist_ok=True)
    store = CrawlStore(db_url)
    try:
        return _crawl(store, job, Plan(), work_dir, utcnow(), f"worker-{job.worker}", on_progress)
    finally:
        store.close()


@contextlib.contextmanager
def _redis_errors(url: str | None) -> Iterator[None]:
    """Redis connection and protocol errors as a CrawlError that names the server (password hidden)."""
    from redis.exceptions import RedisError

    from auditor.db import redact_url

    try:
        yield
    except RedisError as exc:
        raise CrawlError(f"Redis {redact_url(url or '')}: {exc}") from exc


def _crawl(store: CrawlStore, job: CrawlJob, plan: Plan, work_dir: Path, started: datetime, stem: str,
           on_progress: Callable[[list[ServerCount]], None] | None) -> CrawlReport:
    """Run the crawl process (when there is anything to ask) and report on the job from the store."""
    job_file = job.write(work_dir / f"{stem}.json")
    log = work_dir / f"{stem}.log"
    exit_code = 0
    if job.redis_url:
        from spiders.shared import SharedFrontier

        with _redis_errors(job.redis_url):
            frontier = SharedFrontier.for_job(job)
            work = any(frontier.remaining(protocol) for protocol in job.protocols)
    else:
        work = any(store.open_servers(job.job, protocol) for protocol in ("whois", "rdap"))
    if work:  # else: nothing left to ask
        exit_code = _run_process(job_file, log, job.db_url, job.redis_url,
                                 lambda: on_progress(snapshot(store, job.job)) if on_progress else None)
    servers = snapshot(store, job.job)
    if on_progress:
        on_progress(servers)
    if exit_code == 2 or exit_code < 0:
        raise CrawlError(f"the crawl process stopped (exit {exit_code}); see {log}:\n{_tail(log)}")
    states = Counter({state: 0 for state in ("pending", "done", "rate_limited", "error")})
    for _protocol, _server, state, n in store.target_counts(job.job):
        states[state] += n
    policies = Policies(Path(job.policy_file) if job.policy_file else None, job.rates, job.quotas)
    unfinished = [{"domain": t["domain"], "protocol": t["protocol"], "server": t["server"], "state": t["state"],
                   "attempts": t["attempts"], "note": t["note"]} for t in store.unfinished_targets(job.job)]
    return CrawlReport(
        job=job.job, db_url=job.db_url, started_at=started.isoformat(), finished_at=utcnow().isoformat(),
        targets={"total": sum(states.values()), **dict(states)}, servers=servers, unfinished=unfinished, plan=plan,
        exit_code=exit_code, log=log,
        policies={s.server: _policy_dict(policies, s.server) for s in servers},
    )


def _policy_dict(policies: Policies, server: str) -> dict[str, Any]:
    p = policies.for_server(server)
    return {"rate": p.rate, "quota_per_24h": p.quota, "group": p.group, "source": p.source}


def _run_process(job_file: Path, log: Path, db_url: str, redis_url: str | None, poll: Callable[[], None]) -> int:
    """Run ``python -m spiders.run`` until it exits; on Ctrl-C stop it gracefully, then re-raise."""
    env = {**os.environ, DB_URL_ENV: db_url}  # the job file holds the URLs with their passwords hidden
    if redis_url:
        env[REDIS_URL_ENV] = redis_url
    with log.open("ab") as log_handle:
        proc = subprocess.Popen([sys.executable, "-m", "spiders.run", str(job_file), "--with-parent"],
                                stdin=subprocess.PIPE, stdout=log_handle, stderr=subprocess.STDOUT, env=env)
        try:
            while proc.poll() is None:
                poll()
                time.sleep(POLL_SECONDS)
        except BaseException:
            _stop(proc)
            raise
        finally:
            if proc.stdin:
                proc.stdin.close()
        return proc.returncode


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Ask the crawl to stop as Ctrl-C would (answers in flight are settled), then make sure it does."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:])
    except OSError:
        return ""


def run_crawl(specs: Sequence[str], db_url: str, options: CrawlOptions, work_dir: Path,
              on_progress: Callable[[list[ServerCount]], None] | None = None) -> CrawlReport:
    """Read the sources, plan, and crawl (continuing the job when it was started before)."""
    job = make_job(options.job or job_name(specs, options.protocol), db_url, options)  # bad options fail first
    sources = read_sources(specs, timeout=float(options.tuning.get("timeout", 30.0)))
    domains = list(dict.fromkeys(d for s in sources for d in s.domains))
    plan = plan_targets(domains, options)
    plan.sources = sources
    store = CrawlStore(db_url)
    try:
        return run_targets(store, job, plan, work_dir, on_progress)
    finally:
        store.close()


# -- auditing what was collected ------------------------------------------------------------------
def collected(store: CrawlStore, report: CrawlReport) -> CollectTotals:
    """The job's answers as the audit's collected input; failed targets become input errors with the reason."""
    raws = store.collected_raw(report.job)
    started = datetime.fromisoformat(report.started_at)
    errors = [{"input": f"{u['protocol']} {u['server']} {u['domain']}", "reason": u["note"] or u["state"]}
              for u in report.unfinished if u["state"] == "error"]
    return CollectTotals(files=len(report.plan.sources), raw_records=raws, new_raw=sum(r.fetched_at >= started for r in raws),
                         errors=errors, details=report.details())


def audit_crawl(report: CrawlReport, out_dir: Path, options: AuditOptions | None = None,
                progress: Progress | None = None, also_import: Sequence[str | Path] = ()) -> AuditResult:
    """Audit what the crawl collected (plus any files to import beside it) exactly like `auditor audit`."""
    store = CrawlStore(report.db_url)
    try:
        totals = collected(store, report)
        if also_import:
            imported = import_inputs(store, also_import, progress or _Quiet(),
                                     (options or AuditOptions()).commit_every, (options or AuditOptions()).memory_check)
            totals.files += imported.files
            totals.raw_records.extend(imported.raw_records)
            totals.new_raw += imported.new_raw
            totals.errors.extend(imported.errors)
        return audit_collected(store, totals, out_dir, options, progress)
    finally:
        store.close()


class _Quiet:
    def stage(self, name: str, total: int | None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass


def unfinished_by_reason(report: CrawlReport) -> dict[str, int]:
    """How many targets are left, by server and reason (for the closing message)."""
    reasons: dict[str, int] = defaultdict(int)
    for u in report.unfinished:
        reasons[f"{u['protocol']} {u['server']}: {u['note'] or u['state']}"] += 1
    return dict(reasons)
