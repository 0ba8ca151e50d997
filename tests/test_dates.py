"""``pipeline.dates``: the dates feeds, sitemaps and JSONL give, read and written one way."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.dates import day_of, is_older, iso, parse_when


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-14", "2024-05-14"),
        ("2024-05-14T08:30:00+02:00", "2024-05-14T06:30:00+00:00"),
        ("2024-05-14T08:30:00Z", "2024-05-14T08:30:00+00:00"),
        ("2024-05-14T08:30:00", "2024-05-14T08:30:00"),  # no zone: kept as written
        ("Tue, 14 May 2024 06:00:00 GMT", "2024-05-14T06:00:00+00:00"),
        # a date without a time is that date, in ISO 8601's basic and week forms too
        ("20240514", "2024-05-14"),
        ("2024-W20-2", "2024-05-14"),
        ("20240514T0830", "2024-05-14T08:30:00"),
        # no calendar day: none is made up
        ("2024-02-30", None),
        ("2023-02-29", None),
        ("2024-13-01", None),
        ("2024-02-30T10:00:00Z", None),
        ("2024-05", None),
        ("2024", None),
        ("2024-W20", None),
        ("2024W20", None),
        ("2024-W20T08:30", None),
        ("yesterday", None),
        ("", None),
        (None, None),
        # No UTC day exists for these: unknown, not an error that ends a feed.
        ("0001-01-01T00:00:00+01:00", None),
        ("9999-12-31T23:59:59-05:00", None),
        ("Fri, 31 Dec 9999 23:00:00 -0500", None),
    ],
)
def test_parse_when_and_iso(text: str | None, expected: str | None) -> None:
    assert iso(parse_when(text)) == expected


def test_day_of_and_is_older() -> None:
    when = parse_when("2024-05-14T23:30:00-02:00")  # the next day in UTC
    assert when is not None
    assert day_of(when) == date(2024, 5, 15)
    assert is_older(when, date(2024, 5, 16))
    assert not is_older(when, date(2024, 5, 15))
    assert not is_older(parse_when("0001-01-01T00:00:00+01:00"), date(2024, 1, 1))
    assert not is_older(None, date(2024, 1, 1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tue, 05 Mar 0024 01:00:00 +0000", "0024-03-05T01:00:00+00:00"),  # not 2024
        ("05 Mar 0999 01:00:00 GMT", "0999-03-05T01:00:00+00:00"),
        ("Sat, 01 Jan 0001 00:00:00 +0100", None),  # its UTC day is in year 0
        ("Thu, 29 Feb 0100 10:00:00 GMT", None),  # 100 was no leap year
        ("Wed, 01 May 24 10:00:00 GMT", "2024-05-01T10:00:00+00:00"),  # two digits: RFC 2822
        ("Wed, 01 May 2024 10:00:00 GMT", "2024-05-01T10:00:00+00:00"),
    ],
)
def test_an_rfc822_year_of_four_digits_is_the_year_written(text: str, expected: str | None) -> None:
    assert iso(parse_when(text)) == expected
