"""Local files through the same loaders as `newsdedup run`: `scrapy crawl files -a path=seeds`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy

from pipeline.document import Document
from pipeline.errors import Drop, NewsdedupError, Rejected
from pipeline.loaders import expand_inputs, iter_documents
from pipeline.scrapy_pipeline import config_from_settings


class FilesSpider(scrapy.Spider):
    name = "files"

    def __init__(self, path: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not path:
            raise NewsdedupError("the files spider needs -a path=FILE_DIR_OR_GLOB[,MORE]")
        self.paths = [p for p in path.split(",") if p]

    async def start(self) -> AsyncIterator[Document | Rejected]:
        own = config_from_settings(self.settings).own_directories()
        for item in iter_documents(expand_inputs(self.paths, leave_out=own)):
            yield Rejected.of(item) if isinstance(item, Drop) else item
