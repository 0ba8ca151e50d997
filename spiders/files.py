"""Local files through the same loaders as `newsdedup run`: `scrapy crawl files -a path=seeds`.

The paths are expanded when the spider is made, before anything is crawled, so a path that does
not exist (or a glob or directory with nothing in it) stops the crawl with one error line and
exit status 2, as it stops `newsdedup run`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import Crawler

from pipeline.document import Document
from pipeline.errors import Drop, NewsdedupError, Rejected
from pipeline.loaders import expand_inputs, read_files
from pipeline.scrapy_pipeline import config_from_settings


class FilesSpider(scrapy.Spider):
    name = "files"

    def __init__(self, path: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not path:
            raise NewsdedupError("the files spider needs -a path=FILE_DIR_OR_GLOB[,MORE]")
        self.paths = [p for p in path.split(",") if p]
        self.files: list[Path] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> FilesSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        own = config_from_settings(crawler.settings).own_directories()
        spider.files = expand_inputs(spider.paths, leave_out=own)
        return spider

    async def start(self) -> AsyncIterator[Document | Rejected]:
        # the crawl's own page size limit (0: none), as for the pages it downloads
        max_bytes = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
        for item in read_files(self.files, max_bytes):
            yield Rejected.of(item) if isinstance(item, Drop) else item
