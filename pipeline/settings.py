"""Scrapy settings module (``scrapy.cfg`` points here)."""

from __future__ import annotations

BOT_NAME = "newsdedup"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

ITEM_PIPELINES = {"pipeline.scrapy_pipeline.NewsdedupPipeline": 300}

# Where results and grouping state go; override with -s NEWSDEDUP_OUT=DIR -s NEWSDEDUP_STATE=DIR.
NEWSDEDUP_OUT = "output"
NEWSDEDUP_STATE = "output/state"

LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
