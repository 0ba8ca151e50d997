"""Dates as feeds, sitemaps and JSONL inputs give them, and as ``Document.published`` keeps them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

__all__ = ["day_of", "is_older", "iso", "parse_when"]

# an ISO 8601 week without its day ("2024-W10", "2024W10T08:00"): Python reads it as the Monday
_WEEK_WITHOUT_DAY = re.compile(r"\d{4}-?W\d{2}(?![-\d])", re.IGNORECASE)
# An RFC 822 date's year written in three or four digits ("05 Mar 0024"), which the email
# module reads as a two-digit one (2024).
_LONG_YEAR = re.compile(r"\b\d{1,2}\s+[A-Za-z]+\.?\s+(\d{3,4})\b")


def parse_when(text: str | None) -> datetime | date | None:
    """A W3C/ISO 8601 date or datetime (sitemaps, Atom) or an RFC 822 one (RSS), else None.

    A date without a time is a date, in any of ISO 8601's forms (``2024-03-05``, ``20240305``,
    ``2024-W10-2``), not midnight of it; a year of four digits is the year written, below 100
    too. What names no calendar day is None: a day that does not exist (``2024-02-30``), a
    month (``2024-03``) or a week (``2024-W10``). A datetime whose UTC time falls outside the
    years 1-9999 (``0001-01-01T00:00+01:00``) is None too: it has no UTC day to compare or
    write.
    """
    if not text:
        return None
    text = text.strip()
    if _WEEK_WITHOUT_DAY.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
            written = _LONG_YEAR.search(text)
            if written is not None and int(written.group(1)) != when.year:
                when = when.replace(year=int(written.group(1)))  # as written
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if when.tzinfo is not None:
        try:
            when.astimezone(UTC)
        except OverflowError:
            return None
    return when


def day_of(when: datetime | date) -> date:
    """The calendar day, in UTC when the time zone is known."""
    if isinstance(when, datetime):
        return when.astimezone(UTC).date() if when.tzinfo else when.date()
    return when


def iso(when: datetime | date | None) -> str | None:
    """ISO 8601 for ``Document.published``: UTC when the zone is known, a bare date for a date."""
    if when is None:
        return None
    if isinstance(when, datetime) and when.tzinfo:
        return when.astimezone(UTC).isoformat()
    return when.isoformat()


def is_older(when: datetime | date | None, since: date | None) -> bool:
    """True when ``when`` is known and before ``since``; an undated entry is never too old."""
    return since is not None and when is not None and day_of(when) < since
