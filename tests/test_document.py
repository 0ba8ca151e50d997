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


def test_one_article_one_id_however_its_url_is_spelled() -> None:
    """An international host and a path or query in any percent-encoding give one id: a feed
    that escapes in lower case and a page that links the raw form name the same article."""
    spellings = [
        [
            "https://пример.рф/новости/1",
            "https://ПРИМЕР.РФ/новости/1/",
            "https://xn--e1afmkfd.xn--p1ai/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/1",
            "https://xn--e1afmkfd.xn--p1ai/%d0%bd%d0%be%d0%b2%d0%be%d1%81%d1%82%d0%b8/1",
        ],
        ["https://x.example/café?q=naïve", "https://x.example/caf%c3%a9?q=na%C3%AFve"],
        ["https://x.example/~user/a-b", "https://x.example/%7Euser/a%2db"],
    ]
    for forms in spellings:
        assert len({canonical_url(u) for u in forms}) == 1, forms
        assert len({make_id(u) for u in forms}) == 1, forms
    assert canonical_url(spellings[0][0]) == spellings[0][2]
    # reserved characters stay escaped: "a%2Fb" is one path segment, "a/b" two
    assert canonical_url("https://x.example/a%2fb") == "https://x.example/a%2Fb"
    assert make_id("https://x.example/a%2Fb") != make_id("https://x.example/a/b")
    # a plain ASCII URL is as before (ids of existing articles do not move)
    assert canonical_url("https://example.com/news/1?id=5") == "https://example.com/news/1?id=5"
