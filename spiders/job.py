"""The contract between `auditor crawl` and the crawl process: one JSON file, written before the crawl starts.

The targets themselves are not in it: they are rows of the store's frontier (``crawl_target``), which
is what makes a crawl resumable. This file only says how to crawl them, and is kept beside the
results as a record of the run's settings. The database and Redis URLs in the file have their password
hidden; the crawl process gets the real ones from the ``AUDITOR_CRAWL_DB_URL`` and
``AUDITOR_CRAWL_REDIS_URL`` environment variables. With a Redis URL the crawl is one worker of a
distributed crawl (spiders/shared.py): the job's settings are published in Redis for the other workers.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.db import redact_url

#: How the crawl process gets the database URL (with its password), which the job file does not hold.
DB_URL_ENV = "AUDITOR_CRAWL_DB_URL"
#: How the crawl process gets the Redis URL of a distributed crawl (with its password).
REDIS_URL_ENV = "AUDITOR_CRAWL_REDIS_URL"

USER_AGENT = f"registration-auditor/{__version__} (data-quality audit; one query at a time, within published limits)"


@dataclass
class CrawlJob:
    """How to crawl: the job's name, the database, politeness, timeouts, the SSRF allowances."""

    job: str
    db_url: str
    protocols: tuple[str, ...] = ("whois", "rdap")
    # politeness (see spiders/politeness.py)
    rates: dict[str, float] = field(default_factory=dict)
    quotas: dict[str, int] = field(default_factory=dict)
    policy_file: str | None = None
    max_attempts: int = 3
    backoff_base: float = 5.0
    backoff_max: float = 900.0
    give_up_after: int = 5
    concurrency: int = 16
    # referrals and related links (see spiders/guard.py)
    follow_referrals: bool = True
    allow_networks: tuple[str, ...] = ()
    egress_networks: tuple[str, ...] = ()  # when set, the only networks the crawl may connect to
    whois_map: str | None = None
    whois_aliases: dict[str, str] = field(default_factory=dict)
    # transport
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    timeout: float = 60.0
    whois_max_bytes: int = 1024 * 1024
    rdap_max_bytes: int = 4 * 1024 * 1024
    user_agent: str = USER_AGENT
    log_level: str = "INFO"
    # a distributed crawl (see spiders/shared.py): the shared frontier and budget, this worker's name
    redis_url: str | None = None
    redis_prefix: str = "auditor:crawl"
    lease_seconds: float = 30.0
    worker: str | None = None

    def to_json(self) -> str:
        """The job as JSON."""
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CrawlJob:
        """Inverse of `to_json` (unknown keys are an error, so a typo never passes silently)."""
        data: dict[str, Any] = json.loads(text)
        for key in ("protocols", "allow_networks", "egress_networks"):
            if key in data:
                data[key] = tuple(data[key])
        return cls(**data)

    def write(self, path: Path) -> Path:
        """Write the job file, passwords hidden; returns its path."""
        hidden = replace(self, db_url=redact_url(self.db_url), redis_url=redact_url(self.redis_url) if self.redis_url else None)
        path.write_text(hidden.to_json() + "\n", encoding="utf-8")
        return path

    def with_db_from_env(self) -> CrawlJob:
        """The job with the real database (and Redis) URL, when the parent passed them in the environment."""
        job = replace(self, db_url=os.environ[DB_URL_ENV]) if os.environ.get(DB_URL_ENV) else self
        return replace(job, redis_url=os.environ[REDIS_URL_ENV]) if os.environ.get(REDIS_URL_ENV) else job
