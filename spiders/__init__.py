"""Scrapy spiders: web sites, sitemaps, feeds and local files."""
