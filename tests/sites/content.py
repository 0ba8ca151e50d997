"""The fixture sites' articles: ``<site>/articles/*.txt``, a header of ``key: value`` lines,
a blank line, then paragraphs separated by blank lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(slots=True)
class Article:
    title: str
    path: str
    published: datetime
    author: str
    section: str
    tags: list[str]
    paragraphs: list[str]
    old_path: str | None = None
    flaky: int = 0
    padding: str | None = None
    listed: str = "home"

    @property
    def author_path(self) -> str:
        return f"/author/{slug(self.author)}/"


def slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def load_articles(folder: Path) -> list[Article]:
    articles = []
    for path in sorted(folder.glob("*.txt")):
        head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        meta = dict(line.split(": ", 1) for line in head.splitlines())
        articles.append(
            Article(
                title=meta["title"],
                path=meta["path"],
                published=datetime.fromisoformat(meta["published"]),
                author=meta["author"],
                section=meta["section"],
                tags=[t.strip() for t in meta.get("tags", "").split(",") if t.strip()],
                paragraphs=[p.strip() for p in body.split("\n\n") if p.strip()],
                old_path=meta.get("old_path"),
                flaky=int(meta.get("flaky", "0")),
                padding=meta.get("padding"),
                listed=meta.get("listed", "home"),
            )
        )
    articles.sort(key=lambda a: a.published, reverse=True)
    return articles
