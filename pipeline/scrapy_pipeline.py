"""The one Scrapy item pipeline: the same steps and the same outputs as ``newsdedup run``."""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from typing import Any, NoReturn

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from pipeline.config import CleanConfig, Config, GroupConfig, scrapy_out_and_state
from pipeline.crawl import articles_saved, crawl_failed, fail_crawl
from pipeline.document import Document
from pipeline.errors import Drop, NewsdedupError, Rejected
from pipeline.extract import quiet_extractors
from pipeline.process import process_or_drop
from pipeline.run import Run
from pipeline.seen import UrlStore, open_seen

log = logging.getLogger(__name__)


def _positive(settings: Any, name: str, kind: type[int] | type[float]) -> Any:
    """Setting ``name`` as a number above 0, or None when unset; a clear error otherwise."""
    value = settings.get(name)
    if value is None or value == "":
        return None
    try:
        number = kind(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(inf) from Python code
        number = math.nan
    if not math.isfinite(number):  # nan would turn the window off unseen; inf is no window
        what = "a whole number" if kind is int else "a number"
        raise NewsdedupError(f"{name} must be {what}, not {value!r}")
    if number <= 0:
        raise NewsdedupError(f"{name} must be more than 0, not {value!r}")
    return number


def config_from_settings(settings: Any) -> Config:
    """Build the run config from Scrapy settings (``-s NEWSDEDUP_OUT=DIR`` and friends)."""
    min_words = _positive(settings, "NEWSDEDUP_MIN_WORDS", int)
    out_dir, state = scrapy_out_and_state(settings)
    return Config(
        out_dir=out_dir,
        state=state,
        workers=1,
        clean=replace(
            CleanConfig(), min_words=CleanConfig().min_words if min_words is None else min_words
        ),
        group=replace(GroupConfig(), window_days=_positive(settings, "NEWSDEDUP_WINDOW", float)),
    )


def _article_urls(docs: list[Document]) -> list[str]:
    """The fetch and canonical URLs of articles, and those that redirected to them (a feed's
    tracking link): none of them is requested again."""
    return [
        u
        for d in docs
        for u in (d.source, d.url, *d.redirected_from)
        if u and u.startswith(("http://", "https://"))
    ]


class NewsdedupPipeline:
    """Cleans each item as it arrives; groups and writes everything when the spider closes.

    Grouping once at the end keeps the output independent of download order, and a crawl
    killed before the end commits nothing, so its rerun loses and duplicates nothing.
    """

    def __init__(self, crawler: Crawler, cfg: Config) -> None:
        self.crawler = crawler
        self.cfg = cfg
        self.run: Run | None = None
        self._seen: UrlStore | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NewsdedupPipeline:
        if crawler.settings.get("LOG_LEVEL") != "DEBUG":
            quiet_extractors()
        pipeline = cls(crawler, config_from_settings(crawler.settings))
        # The run is opened (state locked, directories checked) while the crawl is being set
        # up, so that a refusal stops it before the engine starts, with nothing to undo.
        pipeline._open()
        return pipeline

    def _stats_inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsdedup/{key}", count)

    def _open(self) -> None:
        run = Run(self.cfg).open()
        try:
            seen = open_seen(self.cfg.state)
        except BaseException:
            run.close()
            raise
        run.on_saved.append(self._saved)
        self._seen = seen
        self.run = run

    def _saved(self, docs: list[Document]) -> None:
        """Record the fetch and canonical URLs of the run's saved articles, new and already
        known: a rerun does not download them again, so the HTTP cache lets their pages go.

        Called once the run is saved, so a killed crawl records nothing it lost.
        """
        assert self._seen is not None
        urls = _article_urls(docs)
        self._seen.add(urls)
        self.crawler.signals.send_catch_log(signal=articles_saved, urls=urls)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        assert self.run is not None
        if isinstance(item, Rejected):
            self._drop(item.to_drop())
        if not isinstance(item, Document):
            return item
        doc = process_or_drop(item, self.cfg.clean)
        if isinstance(doc, Drop):
            self._drop(doc)
        self.run.add(doc)
        return doc

    def _drop(self, drop: Drop) -> NoReturn:
        assert self.run is not None
        self.run.drop(drop)
        self._stats_inc(f"dropped/{drop.reason}")
        raise DropItem(str(drop), log_level="INFO")

    def _crawl_drops(self) -> None:
        """Count in the run the pages the crawl dropped before they became items: too large,
        not HTML, a sitemap that cannot be read. The crawl counts them in its stats under the
        same names as this pipeline's own drops; the difference is theirs."""
        assert self.run is not None
        if self.crawler.stats is None:
            return
        prefix = "newsdedup/dropped/"
        own = self.run.summary.dropped
        for key, value in sorted(self.crawler.stats.get_stats().items()):
            if key.startswith(prefix) and isinstance(value, int):
                reason = key.removeprefix(prefix)
                if value > own[reason]:
                    self.run.count_drops(reason, value - own[reason])

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.run is None:
            return
        try:
            if crawl_failed(self.crawler):
                # The crawl gave up (its state went away): whatever came back since, what
                # it holds is partial. Closing the run without finishing commits nothing.
                log.warning("newsdedup: the crawl failed; nothing was committed, run it again")
                return
            self._crawl_drops()
            summary = self.run.finish()
        except NewsdedupError as err:
            # One line, and exit status 2 (see pipeline.crawl); it says what was saved.
            fail_crawl(self.crawler, err)
            return
        finally:
            self.run.close()
            self.run = None
            if self._seen is not None:
                self._seen.close()
                self._seen = None
        for key, value in (
            ("seen", summary.seen),
            ("written", summary.written),
            ("known", summary.known),
            ("clusters", summary.clusters),
        ):
            self._stats_inc(key, value)
        # Drops the run counted itself (duplicate_input) belong in the stats too, so that they
        # add up like the summary: seen = written + known + dropped.
        stats = self.crawler.stats
        for reason, n in summary.dropped.items():
            if stats is not None and n > stats.get_value(f"newsdedup/dropped/{reason}", 0):
                stats.set_value(f"newsdedup/dropped/{reason}", n)
        skipped = stats.get_value("newsdedup/skipped/seen", 0) if stats is not None else 0
        listing = stats.get_value("newsdedup/pages/listing", 0) if stats is not None else 0
        log.info(
            "newsdedup run summary:\n%s",
            summary.render(skipped_seen=skipped, listing_pages=listing),
        )
