"""RawRecordPipeline: each settled answer is written with its frontier update in one transaction.

The raw record goes through the store's insert-ignore (an identical answer is stored once), the link
row ties it to the job and attempt, and the target's state moves on, all or nothing: a crawl killed
between two answers loses at most the answer in flight, which the next run asks for again. The spider
decides how (`FrontierSpider.commit`): a distributed crawl stores a settlement only once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spiders.base import Settled

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler


class RawRecordPipeline:
    """Stores `Settled` items through the spider's `CrawlStore`."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Settled):
            spider: Any = self.crawler.spider
            spider.commit(item)  # CrawlStore.record_answer; in a distributed crawl, only if no other worker settled it first
        return item
