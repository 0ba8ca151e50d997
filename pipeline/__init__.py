"""newsdedup: collect news articles, clean them, group the ones that share a source."""

from __future__ import annotations

__version__ = "0.6.3"
