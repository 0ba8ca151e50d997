from __future__ import annotations

from pipeline.document import Document, canonical_url, make_id


def test_canonical_url_folds_case_tracking_fragment_and_slash() -> None:
    a = canonical_url("HTTPS://Example.COM:443/news/story/?utm_source=x&b=2&a=1#top")
    assert a == "https://example.com/news/story?a=1&b=2"


def test_canonical_url_keeps_meaningful_query_and_port() -> None:
    assert canonical_url("http://example.com:8080/a?id=7") == "http://example.com:8080/a?id=7"


def test_tracking_parameters_are_whole_names_not_prefixes() -> None:
    """``ref`` tracks a visit; ``refid`` or ``reference`` may select the article."""
    tracked = "https://example.com/a?ref=home&fbclid=x1&utm_campaign=y&ref_src=twsrc"
    assert canonical_url(tracked) == "https://example.com/a"
    assert make_id("https://example.com/a?refid=123") != make_id("https://example.com/a?refid=456")
    assert canonical_url("https://example.com/a?reference=9&gclid=z") == (
        "https://example.com/a?reference=9"
    )


def test_ids_are_stable_and_url_based_when_there_is_a_url() -> None:
    assert make_id("https://example.com/a?utm_medium=rss") == make_id("https://EXAMPLE.com/a/")
    assert make_id("https://example.com/a") != make_id("https://example.com/b")
    assert make_id(None, "same text") == make_id(None, b"same text")
    assert make_id(None, "one text") != make_id(None, "another text")
    assert len(make_id(None, "x")) == 16


def test_repr_never_holds_the_page() -> None:
    doc = Document(id="x", source="s", html="<html>" + "big " * 1000, text="words " * 1000)
    assert "big" not in repr(doc) and "words" not in repr(doc)
