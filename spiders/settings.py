"""Scrapy settings of the crawl: handlers, the pipeline, and politeness that Scrapy's defaults would break.

- One query at a time per server (``CONCURRENT_REQUESTS_PER_DOMAIN = 1``, one download slot per
  server); the pace is the politeness gate's (spiders/politeness.py), so Scrapy's own delay is 0 and
  its random jitter off: ``DOWNLOAD_DELAY_JITTER`` (formerly ``RANDOMIZE_DOWNLOAD_DELAY``) waits
  0.5x-1.5x the delay and half the waits would break a 1 query/s limit.
- AutoThrottle on, starting at no extra delay: it only ever slows a server down further when its
  answers get slow (the WHOIS handler sets ``download_latency`` for it). With a target concurrency
  of 0.5 a slow server is left idle at least as long as it took to answer.
- Scrapy's retry middleware off: refusals and failures are retried by the spiders, per server, with
  back-off, and recorded; a 404 or 429 reaches the spider (``HTTPERROR_ALLOW_ALL``).
- No compression: the crawler sends no Accept-Encoding, so the bytes kept as evidence are the bytes the
  server sent; a server that compresses anyway is inflated by the RDAP spider, never beyond the size cap.
- No duplicate filter and no JOBDIR: the frontier in the store is the one list of work, and survives
  a SIGKILL, which JOBDIR does not.
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import Settings

from spiders.job import CrawlJob

SETTINGS: dict[str, Any] = {
    "BOT_NAME": "registration-auditor",
    "SPIDER_MODULES": [],
    "DOWNLOAD_HANDLERS": {
        "whois": "spiders.handlers.WhoisDownloadHandler",
        "http": "spiders.handlers.PoliteHttpDownloadHandler",
        "https": "spiders.handlers.PoliteHttpDownloadHandler",
    },
    "ITEM_PIPELINES": {"spiders.pipelines.RawRecordPipeline": 100},
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 0,
    "AUTOTHROTTLE_MAX_DELAY": 60,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 0.5,
    "RETRY_ENABLED": False,
    "HTTPERROR_ALLOW_ALL": True,
    "REDIRECT_MAX_TIMES": 3,
    "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",
    "ROBOTSTXT_OBEY": False,
    "COOKIES_ENABLED": False,
    "COMPRESSION_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,  # a crawler opens no listening ports
    "DOWNLOAD_TIMEOUT": 60,
    "DOWNLOAD_MAXSIZE": 4 * 1024 * 1024,
    "DOWNLOAD_WARNSIZE": 1024 * 1024,
    "WHOIS_CONNECT_TIMEOUT": 10,
    "WHOIS_READ_TIMEOUT": 20,
    "WHOIS_MAXSIZE": 1024 * 1024,
    "LOG_LEVEL": "INFO",
}


def build_settings(job: CrawlJob) -> Settings:
    """The settings above with the job's timeouts, size caps, concurrency and User-Agent."""
    settings = Settings(SETTINGS)
    settings.setdict({
        "CONCURRENT_REQUESTS": job.concurrency,
        "DOWNLOAD_TIMEOUT": job.timeout,
        "DOWNLOAD_MAXSIZE": job.rdap_max_bytes,
        "WHOIS_CONNECT_TIMEOUT": job.connect_timeout,
        "WHOIS_READ_TIMEOUT": job.read_timeout,
        "WHOIS_MAXSIZE": job.whois_max_bytes,
        "USER_AGENT": job.user_agent,
        "LOG_LEVEL": job.log_level,
    }, priority="cmdline")
    return settings
