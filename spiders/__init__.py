"""Collection with Scrapy: the WHOIS and RDAP spiders, their download handlers, politeness and the crawl process.

`auditor crawl` (auditor/crawl.py) plans the targets and runs ``python -m spiders.run``; everything here
runs inside that process. docs/crawling.md describes the whole; each module says what it owns:

- servers.py: which server to ask about a domain, and how (bundled WHOIS map, RDAP bootstrap, overrides)
- politeness.py: per-server rate, quota, one query at a time, back-off and pauses (backed by the store)
- guard.py: the SSRF guard for referrals and related links, and the loopback-only sandbox
- handlers.py: the ``whois://`` download handler and the polite HTTP(S) handler
- outcome.py: what an answer means for the crawl (ok, not_found, rate_limited, error)
- base.py, whois.py, rdap.py: the spiders, driven by the store's frontier
- pipelines.py: each answer stored with its frontier update in one transaction
- settings.py, job.py, run.py: the Scrapy settings, the job file, the process's entry point
"""
