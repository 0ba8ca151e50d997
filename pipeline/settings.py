"""Scrapy settings module (``scrapy.cfg`` points here)."""

from __future__ import annotations

from pipeline import __version__

BOT_NAME = "newsdedup"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
# Our "scrapy crawl": newsdedup's errors (a locked state, a bad -a argument) as one line.
COMMANDS_MODULE = "pipeline.scrapy_commands"

ITEM_PIPELINES = {"pipeline.scrapy_pipeline.NewsdedupPipeline": 300}

# Where results and grouping state go; override with -s NEWSDEDUP_OUT=DIR -s NEWSDEDUP_STATE=DIR.
# An empty state is the "state" directory inside NEWSDEDUP_OUT.
NEWSDEDUP_OUT = "output"
NEWSDEDUP_STATE = ""

LOG_LEVEL = "INFO"
# Requests are known by their URL's normal form, as articles are (pipeline.crawl)
REQUEST_FINGERPRINTER_CLASS = "pipeline.crawl.ArticleFingerprinter"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

# --- Crawling politely -------------------------------------------------------------------------
USER_AGENT = f"newsdedup/{__version__} (+https://github.com/newsdedup/newsdedup)"
ROBOTSTXT_OBEY = True

# AutoThrottle adapts the delay to each server's response time; it never goes below
# DOWNLOAD_DELAY and never sends more than CONCURRENT_REQUESTS_PER_DOMAIN at once to one site.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY = 0.25
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2

DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # a bigger page is a counted drop: newsdedup/dropped/too_large
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2  # three tries in all, on the codes below and on connection errors and timeouts
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 10

# Revalidate listing, feed and sitemap pages on reruns instead of downloading them again
# (RFC 2616 rules without heuristic freshness; only responses with a validator or a lifetime
# are stored). The cache lives in the
# state directory: <NEWSDEDUP_STATE>/httpcache; it can be deleted at any time. The pages of
# articles a run saved leave it then: they are not fetched again (pipeline.crawl.SeenSkip).
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "pipeline.crawl.ValidatingPolicy"
HTTPCACHE_STORAGE = "pipeline.crawl.StateDirCacheStorage"
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_GZIP = True

# Links and redirects from public sites never reach loopback or private addresses (start URLs
# are exempt: the operator named them). Set to 1 for intranet crawls and tests.
NEWSDEDUP_ALLOW_PRIVATE = False

SPIDER_MIDDLEWARES = {
    "pipeline.crawl.CrawlScope": 50,
}
DOWNLOADER_MIDDLEWARES = {
    # Scrapy's own, in their places, logging what is routine as such: a page given up after
    # its retries at INFO (the spider counts it), a robots.txt that cannot be downloaded as
    # one WARNING line without a traceback.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "pipeline.crawl.RobotsTxt": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "pipeline.crawl.Retry": 550,
    # Before RobotsTxtMiddleware (100): a refused host's robots.txt is not fetched either.
    "pipeline.crawl.AddressGuard": 50,
    "pipeline.crawl.SeenSkip": 60,
    "pipeline.crawl.OversizeDrop": 70,
    # After RetryMiddleware (550) for responses, so it sees a 429 before the retry is made.
    "pipeline.crawl.RetryAfter": 560,
}
