"""Scrapy settings for crawls that share one frontier in Redis (scrapy-redis).

Select with ``SCRAPY_SETTINGS_MODULE=pipeline.settings_redis`` and point every process at the
same server::

    SCRAPY_SETTINGS_MODULE=pipeline.settings_redis scrapy crawl site -a url=https://example.com/ \\
        -s REDIS_URL=redis://HOST:6379/1 -s NEWSDEDUP_STATE=redis://HOST:6379/0

Everything else is ``pipeline.settings``. ``NEWSDEDUP_FRONTIER`` in the environment is the
default ``REDIS_URL``. The frontier (``<spider>:requests``, ``<spider>:dupefilter``) lives
while one of its crawls does; ``pipeline.frontier`` says when it goes. Crawls of different
jobs with one spider need their own keys (``-s SCHEDULER_QUEUE_KEY=job1:%(spider)s:requests
-s SCHEDULER_DUPEFILTER_KEY=job1:%(spider)s:dupefilter``) or their own database.
"""

from __future__ import annotations

import os

import pipeline.settings as _base
from pipeline.settings import *  # noqa: F403

SCHEDULER = "pipeline.frontier.Scheduler"
DUPEFILTER_CLASS = "pipeline.frontier.DupeFilter"
SCHEDULER_QUEUE_CLASS = "scrapy_redis.queue.PriorityQueue"  # honours Request.priority
SCHEDULER_PERSIST = True
REDIS_URL = os.environ.get("NEWSDEDUP_FRONTIER", "redis://127.0.0.1:6379/0")

# Listing pages are cached per machine for revalidation; with the frontier shared, another
# process fetches them next time, so a local cache only costs disk.
HTTPCACHE_ENABLED = False

EXTENSIONS = {**getattr(_base, "EXTENSIONS", {}), "pipeline.frontier.SharedFrontier": 500}
