"""Exceptions shared by every step."""

from __future__ import annotations

from dataclasses import dataclass


class NewsdedupError(Exception):
    """A problem the user can fix (bad argument, unreadable path, locked state).

    The CLI prints it as one line and exits non-zero.
    """


class Drop(Exception):
    """A page that is not (or no longer) an article: counted under ``dropped/<reason>``.

    ``source`` names the input it came from so that the summary and the log can say which.
    """

    def __init__(self, reason: str, source: str = "", detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.source = source
        self.detail = detail

    def __repr__(self) -> str:
        return f"Drop({self.reason!r}, source={self.source!r})"

    def __str__(self) -> str:
        where = f" {self.source}" if self.source else ""
        more = f" ({self.detail})" if self.detail else ""
        return f"dropped/{self.reason}{where}{more}"


@dataclass(frozen=True, slots=True)
class Rejected:
    """A drop travelling as a Scrapy item (exceptions cannot be items), so the item pipeline
    counts it like every other input."""

    reason: str
    source: str
    detail: str = ""

    @classmethod
    def of(cls, drop: Drop) -> Rejected:
        return cls(drop.reason, drop.source, drop.detail)

    def to_drop(self) -> Drop:
        return Drop(self.reason, source=self.source, detail=self.detail)
