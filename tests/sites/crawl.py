"""Run real ``scrapy crawl`` processes against the fixture sites and read what they did."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# Fast and permissive enough for a test on 127.0.0.1; everything else as in pipeline.settings.
TEST_SETTINGS = {
    "NEWSDEDUP_ALLOW_PRIVATE": "1",
    "AUTOTHROTTLE_ENABLED": "0",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
    "DOWNLOAD_MAXSIZE": "100000",
    "LOG_LEVEL": "INFO",
}

_STAT = re.compile(r"^\s*[{ ]'([^']+)': (\d+),?}?$")


@dataclass(slots=True)
class Crawl:
    returncode: int
    log: str
    stats: dict[str, int]
    articles: list[dict[str, Any]]  # the records this run wrote

    @property
    def emitted(self) -> set[str]:
        """Fetch URLs of the articles this run wrote."""
        return {a["source"] for a in self.articles}

    def stat(self, key: str) -> int:
        return self.stats.get(key, 0)

    @property
    def balanced(self) -> bool:
        """The run summary's identity on the crawl's stats: ``seen`` counts every page dropped
        by the crawl (too large, not HTML) as well as every item."""
        drops = sum(v for k, v in self.stats.items() if k.startswith("newsdedup/dropped/"))
        seen = self.stat("newsdedup/seen")
        return (
            seen > 0
            and seen == self.stat("newsdedup/written") + self.stat("newsdedup/known") + drops
        )


def command(
    spider: str,
    args: dict[str, str],
    out: Path,
    state: Path,
    settings: dict[str, str] | None = None,
) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider]
    for key, value in args.items():
        cmd += ["-a", f"{key}={value}"]
    merged = {**TEST_SETTINGS, "NEWSDEDUP_OUT": str(out), "NEWSDEDUP_STATE": str(state)}
    merged.update(settings or {})
    for key, value in merged.items():
        cmd += ["-s", f"{key}={value}"]
    return cmd


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    return env


def crawl(
    spider: str,
    args: dict[str, str],
    out: Path,
    state: Path,
    settings: dict[str, str] | None = None,
    timeout: float = 120,
) -> Crawl:
    """Run one crawl to its end (cwd = repository root, as an operator would)."""
    proc = subprocess.run(
        command(spider, args, out, state, settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment(),
    )
    return finished(proc.returncode, proc.stderr, out)


def dead_source(
    spider: str,
    url: str,
    tmp: Path,
    reason: str = "http_status",
    settings: dict[str, str] | None = None,
) -> Crawl:
    """A crawl (into ``tmp``) from ``url``, which fails or leads to a feed or sitemap that
    does: the failure is one drop counted under ``reason`` and a warning, and the run's
    summary balances."""
    out = tmp / re.sub(r"\W+", "_", url)
    run = crawl(spider, {"url": url}, out, tmp / "state", {"RETRY_TIMES": "0", **(settings or {})})
    assert run.returncode == 0, run.log[-3000:]
    assert run.stat(f"newsdedup/dropped/{reason}") == 1, (url, run.stats)
    assert run.balanced
    assert "a start URL, feed or sitemap, so nothing it lists was read" in run.log
    return run


def finished(returncode: int, log: str, out: Path) -> Crawl:
    """A crawl's result from its exit status, its log and its output directory."""
    stats = parse_stats(log)
    if returncode == 0 and not stats:
        # Every count defaults to 0 (``Crawl.stat``): a log whose stats went unread must not
        # pass for a crawl that counted nothing.
        raise AssertionError(f"no stats dump in the crawl's log:\n{log[-3000:]}")
    return Crawl(returncode, log, stats, written(out, stats))


def written(out: Path, stats: dict[str, int]) -> list[dict[str, Any]]:
    """articles.jsonl holds the newest run's new articles; a run that wrote none leaves it."""
    path = out / "articles.jsonl"
    if not stats.get("newsdedup/written") or not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def start(
    spider: str,
    args: dict[str, str],
    out: Path,
    state: Path,
    settings: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start a crawl in the background (to be killed)."""
    return subprocess.Popen(
        command(spider, args, out, state, settings),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=environment(),
    )


def parse_stats(log: str) -> dict[str, int]:
    """The integer stats from Scrapy's end-of-crawl dump."""
    _, _, dump = log.rpartition("Dumping Scrapy stats:")
    stats: dict[str, int] = {}
    for line in dump.splitlines()[1:]:
        match = _STAT.match(line)
        if match:
            stats[match.group(1)] = int(match.group(2))
        if line.rstrip().endswith("}"):
            break
    return stats
