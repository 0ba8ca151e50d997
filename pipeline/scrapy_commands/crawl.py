"""``scrapy crawl``, with newsdedup's errors as one line instead of a traceback.

An operator's mistake (``-a since=yesterday``, a locked or unwritable state, a bad
``NEWSDEDUP_*`` setting) stops the crawl before it starts. Scrapy's own ``crawl`` reports that
as a failed start and leaves the exception to asyncio, which prints the whole traceback. This
command collects the crawl's outcome itself: a ``NewsdedupError`` is logged as one line,
``newsdedup: error: ...``, and the exit status is 2, as with ``newsdedup run``. Any other
exception is handed back to asyncio (or Twisted) as before. A crawl that started but could
not commit (its Redis state went away) ends with status 2 too (``pipeline.crawl.FAILED``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred

from pipeline.crawl import crawl_failed, crawl_stat
from pipeline.errors import NewsdedupError

log = logging.getLogger("newsdedup")


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one spider: scrapy crawl SPIDER [-a NAME=VALUE ...]")
        assert self.crawler_process is not None
        self._error: NewsdedupError | None = None
        spiders = sorted(self.crawler_process.spider_loader.list())
        if args[0] not in spiders:  # Scrapy's loader raises a KeyError, printed as a traceback
            self._report(
                NewsdedupError(f"no spider named {args[0]!r}; the spiders: {', '.join(spiders)}")
            )
            self.exitcode = 2
            return
        crawler = self._create_crawler(args[0])
        outcome = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(outcome, asyncio.Future):
            outcome.add_done_callback(self._collect)
        elif isinstance(outcome, Deferred):  # under Twisted's own reactor
            outcome.addErrback(self._collect_failure)
        self.crawler_process.start()
        if self._error is not None or crawl_failed(crawler):
            self.exitcode = 2
        elif crawl_stat(crawler, "finish_reason") == "shutdown":
            # Stopped by a signal (Ctrl-C, a scheduler's stop): Scrapy's own exit status
            # stays 0, since what was fetched was written; the log says it was cut short.
            log.warning(
                "newsdedup: the crawl was stopped before its end; what it had was written, "
                "and the next run fetches the rest"
            )
        elif self.crawler_process.bootstrap_failed:
            self.exitcode = 1

    def _collect(self, task: asyncio.Future[Any]) -> None:
        if task.cancelled():
            return
        exc = task.exception()  # retrieved here, so asyncio does not print it again
        if isinstance(exc, NewsdedupError):
            self._report(exc)
        elif exc is not None:
            task.get_loop().call_exception_handler(
                {"message": "the crawl failed", "exception": exc, "future": task}
            )

    def _collect_failure(self, failure: Any) -> Any:
        if failure.check(NewsdedupError):
            self._report(failure.value)
            return None
        return failure

    def _report(self, exc: NewsdedupError) -> None:
        self._error = exc
        log.error("newsdedup: error: %s", exc)
