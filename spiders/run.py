"""The crawl process: ``python -m spiders.run JOB.json [--with-parent]``, started by `auditor crawl`.

A Twisted reactor runs once per process, so every crawl gets a process of its own; the caller (the
CLI, the demo, a test) stays free to crawl again. With ``--with-parent`` the process exits as soon as
its standard input closes, which is when its parent dies, even by SIGKILL: an orphaned crawl would
keep querying servers while a restarted one does the same.

With a Redis URL in the job the process is one worker of a distributed crawl (spiders/shared.py): its
targets are leases on the shared queue, its politeness budget is booked in Redis, and a thread keeps its
leases alive; on a clean stop (Ctrl-C) it hands back what it still holds.

Exit status: 0 when the crawl ran to its end, 1 when it logged errors (see the log), 2 on bad input.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path

from scrapy.crawler import AsyncCrawlerProcess

from auditor.store import CrawlStore
from spiders.guard import AddressGuard
from spiders.job import CrawlJob
from spiders.politeness import Backoff, Policies, Politeness
from spiders.rdap import RdapSpider
from spiders.settings import build_settings
from spiders.shared import RedisBudget, SharedFrontier, SharedPoliteness
from spiders.whois import WhoisSpider

SPIDERS = (WhoisSpider, RdapSpider)


def exit_with_parent() -> None:
    """Exit at once when standard input reaches its end (the parent holding the pipe is gone)."""

    def watch() -> None:
        try:
            while os.read(0, 4096):  # the raw descriptor: no buffer lock to hold at interpreter exit
                pass
        finally:
            os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def run(job: CrawlJob) -> int:
    """Crawl the job's open targets with one spider per protocol, in this process."""
    policies = Policies(Path(job.policy_file) if job.policy_file else None, job.rates, job.quotas)
    backoff = Backoff(job.backoff_base, job.backoff_max, job.give_up_after)
    guard = AddressGuard(job.allow_networks, job.egress_networks)
    frontier: SharedFrontier | None = None
    store = CrawlStore(job.db_url)
    if job.redis_url:
        frontier = SharedFrontier.for_job(job)
        politeness: Politeness = SharedPoliteness(RedisBudget(frontier.client, job.redis_prefix), policies, backoff)
        frontier.start_heartbeat()
    else:
        politeness = Politeness(store, policies, backoff)
    process = AsyncCrawlerProcess(build_settings(job))
    crawlers = []
    try:
        for spider_cls in SPIDERS:
            protocol = spider_cls.protocol
            if protocol in job.protocols and (frontier.remaining(protocol) if frontier else store.open_servers(job.job, protocol)):
                crawler = process.create_crawler(spider_cls)
                crawlers.append(crawler)
                process.crawl(crawler, job=job, store=store, politeness=politeness, guard=guard, frontier=frontier)
        if crawlers:
            process.start()
    finally:
        if frontier is not None:
            frontier.stop()
    errors = sum(int(c.stats.get_value("log_count/ERROR", 0) or 0) for c in crawlers if c.stats)
    store.close()
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the crawl process."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--with-parent" in args:
        args.remove("--with-parent")
        exit_with_parent()
    if len(args) != 1:
        print("usage: python -m spiders.run JOB.json [--with-parent]", file=sys.stderr)
        return 2
    try:
        job = CrawlJob.from_json(Path(args[0]).read_text(encoding="utf-8")).with_db_from_env()
    except (OSError, ValueError, TypeError) as exc:
        print(f"cannot read the crawl job {args[0]}: {exc}", file=sys.stderr)
        return 2
    logging.getLogger("asyncio").setLevel(logging.WARNING)
    return run(job)


if __name__ == "__main__":
    sys.exit(main())
