from __future__ import annotations

import gzip
import io
import json
import logging
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import pipeline.loaders
from pipeline.charset import decode_html
from pipeline.config import CleanConfig
from pipeline.document import Document, make_id
from pipeline.errors import Drop, NewsdedupError, Rejected
from pipeline.loaders import (
    document_from_html,
    document_from_text,
    expand_inputs,
    iter_documents,
    load_path,
    read_files,
)
from pipeline.process import process

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

FRENCH = (
    "Le président a déclaré jeudi que l’économie française était « solide », malgré la hausse "
    "des prix. Les syndicats ont répondu qu’ils manifesteraient à nouveau — dès la semaine "
    "prochaine, a précisé leur porte-parole."
)
RUSSIAN = (
    "Президент заявил в четверг, что экономика страны остаётся устойчивой, несмотря на рост "
    "цен. Профсоюзы ответили, что снова выйдут на улицы уже на следующей неделе."
)
POLISH = (
    "Prezydent powiedział w czwartek, że gospodarka pozostaje stabilna mimo wzrostu cen. "
    "Związkowcy zapowiedzieli, że w przyszłym tygodniu znów wyjdą na ulice — poinformował rzecznik."
)
POUNDS = (
    "The report — published on Monday — found that “most” of the £2bn fund had not been spent. "
    "Ministers said they’d review it."
)
HTTP_EQUIV = "text/html; charset=windows-1251"
ENGLISH = "The minister said on Thursday that the “recovery” was on track — despite rising prices."


def page(body: str, head: str = "") -> str:
    return (
        f"<!DOCTYPE html>\r\n<html><head>{head}<title>t</title></head>\r\n"
        f"<body><p>{body}</p></body></html>\r\n"
    )


def one(path: Path) -> Document | Drop:
    items = list(load_path(path))
    assert len(items) == 1, items
    return items[0]


def doc(path: Path) -> Document:
    item = one(path)
    assert isinstance(item, Document), item
    return item


def drop(path: Path) -> Drop:
    item = one(path)
    assert isinstance(item, Drop), item
    return item


def reasons(items: list[Document | Drop]) -> list[str]:
    return [i.reason if isinstance(i, Drop) else "doc" for i in items]


# --- formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".html", ".htm", ".HTML"])
def test_html_file_is_one_html_document(tmp_path: Path, suffix: str) -> None:
    raw = page(ENGLISH)
    path = tmp_path / f"a{suffix}"
    path.write_bytes(raw.encode("utf-8"))
    d = doc(path)
    assert d.html == raw.replace("\r\n", "\n")
    assert d.text == "" and d.url is None and d.source == str(path)
    assert d.id == make_id(None, d.html)


def test_text_file_is_one_text_document(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(f"Title\r\n\r\n{ENGLISH}\rmore\n".encode())
    d = doc(path)
    assert d.html is None and not d.is_html
    assert d.text == f"Title\n\n{ENGLISH}\nmore\n"
    assert d.id == make_id(None, d.text)


@pytest.mark.parametrize("name", ["a.html", "a.txt", "a.jsonl"])
def test_gzip_variants_load_like_the_plain_file(tmp_path: Path, name: str) -> None:
    content = (
        json.dumps({"url": "https://ex.example/a", "text": FRENCH}).encode() + b"\n"
        if name.endswith(".jsonl")
        else page(FRENCH).encode("utf-8")
    )
    plain, gz, by_magic = tmp_path / name, tmp_path / f"{name}.gz", tmp_path / "m" / name
    plain.write_bytes(content)
    gz.write_bytes(gzip.compress(content))
    by_magic.parent.mkdir()
    by_magic.write_bytes(gzip.compress(content))  # no .gz in the name: found by magic bytes
    expected = doc(plain)
    for path in (gz, by_magic):
        got = doc(path)
        assert (got.id, got.html, got.text, got.url) == (
            expected.id, expected.html, expected.text, expected.url,
        )  # fmt: skip


@pytest.mark.parametrize("name", ["a.html", "a.jsonl", "a.warc"])
def test_gzip_with_padding_after_its_end_loads_and_other_trailing_bytes_do_not(
    tmp_path: Path, name: str
) -> None:
    """A newline or NULs after the last gzip member are padding (``gzip -d`` reads past them);
    other bytes there are damage."""
    if name.endswith(".warc"):
        _warc(tmp_path / "plain.warc", gz=False)
        content = (tmp_path / "plain.warc").read_bytes()
    elif name.endswith(".jsonl"):
        content = json.dumps({"url": "https://ex.example/a", "text": FRENCH}).encode() + b"\n"
    else:
        content = page(FRENCH).encode("utf-8")
    whole = gzip.compress(content)
    expected = reasons(list(load_path(_write(tmp_path / f"whole-{name}.gz", whole))))
    for pad in (b"\n", b"\r\n", bytes(512)):
        padded = _write(tmp_path / f"pad-{name}.gz", whole + pad)
        assert reasons(list(load_path(padded))) == expected, pad
    half = len(content) // 2  # two members, as `cat a.gz b.gz` makes: one stream
    two = _write(
        tmp_path / f"two-{name}.gz", gzip.compress(content[:half]) + gzip.compress(content[half:])
    )
    assert reasons(list(load_path(two))) == expected
    junk = _write(tmp_path / f"junk-{name}.gz", whole + b"junk")
    assert reasons(list(load_path(junk)))[-1] == "bad_gzip"


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_jsonl_lines_become_documents_with_their_fields(tmp_path: Path) -> None:
    lines = [
        {"url": "https://ex.example/a", "html": page(ENGLISH), "title": "A", "author": "Ann",
         "published": "2024-05-01T10:00:00Z", "id": "ignored"},
        {"text": FRENCH},
        {"url": "https://ex.example/b", "html": page(FRENCH), "text": "also here"},
    ]  # fmt: skip
    path = tmp_path / "docs.jsonl"
    path.write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines[:1])
        + "\n\n  \n"
        + "\n".join(json.dumps(x) for x in lines[1:])
        + "\n",
        encoding="utf-8",
    )
    a, b, c = list(load_path(path))
    assert isinstance(a, Document) and isinstance(b, Document) and isinstance(c, Document)
    assert (a.source, b.source, c.source) == (f"{path}:1", f"{path}:4", f"{path}:5")
    assert a.html == page(ENGLISH).replace("\r\n", "\n") and a.text == ""
    assert (a.url, a.title, a.author, a.published) == (
        "https://ex.example/a", "A", "Ann", "2024-05-01T10:00:00+00:00",
    )  # fmt: skip
    assert a.id == make_id("https://ex.example/a") and a.id != "ignored"
    assert b.html is None and b.text == FRENCH and b.id == make_id(None, FRENCH)
    assert c.html is not None and c.text == ""  # html wins when both are given


def test_jsonl_bad_lines_are_dropped_and_the_good_ones_still_load(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text(
        "\n".join([
            json.dumps({"text": "first"}),
            '{"text": "cut off',
            json.dumps(["a", "list"]),
            json.dumps({"url": "https://ex.example/x", "title": "no body"}),
            json.dumps({"text": "   "}),
            json.dumps({"html": 42}),
            "[" * 100_000 + "]" * 100_000,
            '{"text": "x", "n": ' + "9" * 5000 + "}",
            json.dumps({"text": "last"}),
        ]),
        encoding="utf-8",
    )  # fmt: skip
    items = list(load_path(path))
    assert reasons(items) == ["doc", "bad_json", "bad_json", "no_content", "no_content",
                              "no_content", "bad_json", "bad_json", "doc"]  # fmt: skip
    assert [i.source for i in items] == [f"{path}:{n}" for n in range(1, 10)]
    details = [i.detail for i in items if isinstance(i, Drop)]
    assert details[-2:] == ["nested too deeply", "a number of more than 4,300 digits"]
    assert re.fullmatch(r"[A-Z][\w ]+ at column \d+", details[0]), details[0]
    assert details[0] == "Invalid control character at column 18"  # one "at"
    assert [i.text for i in items if isinstance(i, Document)] == ["first", "last"]


def test_jsonl_in_cp1252_and_utf16_still_loads(tmp_path: Path) -> None:
    line = json.dumps({"text": FRENCH}, ensure_ascii=False)
    cp = tmp_path / "cp.jsonl"
    cp.write_bytes(line.encode("cp1252") + b"\n")
    u16 = tmp_path / "u16.jsonl"
    u16.write_bytes((line + "\n" + line + "\n").encode("utf-16"))
    assert doc(cp).text == FRENCH
    assert [d.text for d in load_path(u16) if isinstance(d, Document)] == [FRENCH, FRENCH]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_jsonl_in_utf16_or_utf32_without_a_bom_loads(tmp_path: Path, encoding: str) -> None:
    line = json.dumps({"text": FRENCH}, ensure_ascii=False)
    path = tmp_path / "wide.jsonl"
    path.write_bytes((line + "\n" + "{broken\n" + line + "\n").encode(encoding))
    items = list(load_path(path))
    assert reasons(items) == ["doc", "bad_json", "doc"]
    assert [d.text for d in items if isinstance(d, Document)] == [FRENCH, FRENCH]


@pytest.mark.parametrize("newline", ["\r", "\r\n"])
def test_jsonl_lines_ended_by_cr_alone_or_crlf_are_each_an_item(
    tmp_path: Path, newline: str
) -> None:
    lines = [json.dumps({"text": f"item {i}"}) for i in range(3)]
    path = tmp_path / "mac.jsonl.gz"
    path.write_bytes(gzip.compress(newline.join([*lines[:2], "{broken", lines[2]]).encode()))
    items = list(load_path(path))
    assert reasons(items) == ["doc", "doc", "bad_json", "doc"]
    assert [i.source for i in items] == [f"{path}:{n}" for n in range(1, 5)]
    assert [d.text for d in items if isinstance(d, Document)] == ["item 0", "item 1", "item 2"]


def test_truncated_jsonl_gzip_keeps_the_complete_lines(tmp_path: Path) -> None:
    rng = random.Random(3)
    lines = [
        json.dumps(
            {"text": f"{i} " + " ".join(rng.choice(["alpha", "beta", "gamma"]) for _ in range(200))}
        )
        for i in range(300)
    ]
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "docs.jsonl.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    items = list(load_path(path))
    good = [i for i in items if isinstance(i, Document)]
    assert 0 < len(good) < len(lines)
    assert [d.text for d in good] == [json.loads(x)["text"] for x in lines[: len(good)]]
    assert reasons(items)[len(good) :] == ["bad_gzip"]
    assert items[-1].source == f"{path}:{len(good) + 1}"


# --- WARC --------------------------------------------------------------------------------------


def _warc(path: Path, *, gz: bool) -> None:
    with path.open("wb") as out:
        w = WARCWriter(out, gzip=gz)
        w.write_record(w.create_warcinfo_record(path.name, {"software": "test"}))

        def response(url: str, status: str, ctype: str, body: bytes) -> None:
            http = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
            w.write_record(
                w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http)
            )

        # the charset is only in the HTTP header: the page has no <meta>
        response(
            "https://ru.example/a",
            "200 OK",
            "text/html; charset=windows-1251",
            page(RUSSIAN).encode("cp1251"),
        )
        request = StatusAndHeaders(
            "GET /a HTTP/1.1", [("Host", "ru.example")], is_http_request=True
        )
        w.write_record(
            w.create_warc_record(
                "https://ru.example/a", "request", payload=io.BytesIO(b""), http_headers=request
            )
        )
        response("https://ru.example/logo.png", "200 OK", "image/png", b"\x89PNG\r\n\x1a\n....")
        response("https://ru.example/gone", "404 Not Found", "text/html", page("gone").encode())
        # a resource record (no HTTP headers) is an input too
        w.write_record(
            w.create_warc_record(
                "file:///saved/page.html",
                "resource",
                payload=io.BytesIO(page(ENGLISH).encode("utf-16")),
                warc_content_type="text/html",
            )
        )
        response("https://fr.example/b", "200 OK", "text/html", page(FRENCH).encode("utf-8"))


@pytest.mark.parametrize("name", ["a.warc", "a.warc.gz"])
def test_warc_response_records_are_the_inputs(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    _warc(path, gz=name.endswith(".gz"))
    items = list(load_path(path))
    assert reasons(items) == ["doc", "not_html", "http_status", "doc", "doc"]
    ru, resource, fr = items[0], items[3], items[4]
    assert isinstance(ru, Document) and isinstance(fr, Document)
    assert isinstance(resource, Document) and resource.html == page(ENGLISH).replace("\r\n", "\n")
    assert ru.url == "https://ru.example/a" and ru.id == make_id("https://ru.example/a")
    assert ru.html is not None and RUSSIAN in ru.html
    assert fr.html is not None and FRENCH in fr.html
    assert all(i.source.startswith(f"{path}#urn:uuid:") for i in items)
    assert len({i.source for i in items}) == len(items)


@pytest.mark.parametrize("name", ["a.warc", "a.warc.gz"])
def test_truncated_warc_keeps_the_complete_records(tmp_path: Path, name: str) -> None:
    whole = tmp_path / f"whole-{name}"
    _warc(whole, gz=name.endswith(".gz"))
    data = whole.read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: len(data) - 40])  # inside the last response
    items = list(load_path(path))
    assert reasons(items)[:4] == ["doc", "not_html", "http_status", "doc"]
    assert reasons(items)[4:] == ["bad_gzip" if name.endswith(".gz") else "bad_warc"]


def test_bad_and_empty_warcs(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.warc"
    garbage.write_bytes(b"this is not an archive at all\r\n" * 5)
    only_request = tmp_path / "request.warc"
    with only_request.open("wb") as out:
        w = WARCWriter(out, gzip=False)
        request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "x.example")], is_http_request=True)
        w.write_record(
            w.create_warc_record(
                "https://x.example/", "request", payload=io.BytesIO(b""), http_headers=request
            )
        )
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(gzip.compress(b""))
    assert drop(garbage).reason == "bad_warc"
    assert drop(only_request).reason == "no_content"
    assert drop(empty).reason == "empty"
    # A drop crossing Scrapy as an item keeps what the log says about it.
    bad = drop(garbage)
    assert bad.detail and str(Rejected.of(bad).to_drop()) == str(bad)


# --- encodings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "head"),
    [
        (FRENCH, "cp1252", '<meta charset="windows-1252">'),
        (FRENCH, "cp1252", ""),
        (RUSSIAN, "cp1251", f'<meta http-equiv="Content-Type" content="{HTTP_EQUIV}">'),
        (RUSSIAN, "cp1251", ""),
        (RUSSIAN, "koi8-r", "<meta charset='KOI8-R'>"),
        (RUSSIAN, "koi8-r", ""),
        (POUNDS, "cp1252", ""),
        (POLISH, "cp1250", ""),
        (FRENCH, "latin-1", "<meta charset=iso-8859-1>"),
    ],
)  # fmt: skip
def test_legacy_encoded_pages_decode(tmp_path: Path, text: str, encoding: str, head: str) -> None:
    body = text if encoding != "latin-1" else text.replace("’", "'").replace("—", "-")
    path = tmp_path / "p.html"
    path.write_bytes(page(body, head).encode(encoding))
    assert doc(path).html == page(body, head).replace("\r\n", "\n")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_bom_and_utf16_files_decode_without_the_bom(tmp_path: Path, encoding: str) -> None:
    raw = f"{RUSSIAN}\r\n{FRENCH}\n"
    data = raw.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        data = codecs_bom(encoding) + data
    path = tmp_path / "a.txt"
    path.write_bytes(data)
    assert doc(path).text == raw.replace("\r\n", "\n")
    html = tmp_path / "a.html"
    html.write_bytes(page(FRENCH).encode(encoding))
    assert doc(html).html == page(FRENCH).replace("\r\n", "\n")


def codecs_bom(encoding: str) -> bytes:
    return "\ufeff".encode(encoding)


def test_utf16_without_bom_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "a.html"
    path.write_bytes(page(ENGLISH).encode("utf-16-le"))
    assert doc(path).html == page(ENGLISH).replace("\r\n", "\n")


def test_invalid_utf8_that_is_plausible_cp1252_is_decoded_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(f"{FRENCH}\n\n{ENGLISH}\n".encode("cp1252"))
    assert doc(path).text == f"{FRENCH}\n\n{ENGLISH}\n"


@pytest.mark.parametrize(
    ("html", "encoding"),
    [
        (f"<html><head><title>News</title></head><body><h1>Update</h1><p>{POUNDS}</p>"
         f"<p>{POUNDS}</p></body></html>", "cp1252"),
        (f"<html><head><title>x</title></head><body><p>{POLISH}</p><p>{POLISH}</p></body></html>",
         "cp1250"),
    ],
)  # fmt: skip
def test_the_language_found_picks_the_code_page(html: str, encoding: str) -> None:
    # charset-normalizer alone reads the first as cp1250 ("Ł2bn") and the second as cp1252
    # ("powiedzia³"): it finds the language right but not the code page
    assert decode_html(html.encode(encoding)) == html


def test_utf8_page_with_stray_cp1252_quotes_is_repaired() -> None:
    data = page(RUSSIAN + " " + FRENCH).encode("utf-8") + "“quoted” – here".encode("cp1252")
    assert decode_html(data) == page(RUSSIAN + " " + FRENCH) + "“quoted” – here"


def test_stale_legacy_meta_on_a_utf8_page_loses_to_the_bytes() -> None:
    html = page(FRENCH, '<meta charset="iso-8859-1">')
    assert decode_html(html.encode("utf-8")) == html


def test_declared_charset_comes_before_meta() -> None:
    data = page(RUSSIAN, '<meta charset="windows-1252">').encode("cp1251")
    assert decode_html(data, "windows-1251") == page(RUSSIAN, '<meta charset="windows-1252">')
    # the meta alone is honoured even though it is wrong here: no valid UTF-8 to say otherwise
    assert decode_html(data) == data.decode("cp1252")


def test_seven_bit_declared_encodings_are_honoured() -> None:
    text = "東京で会議が開かれた。"
    html = page(text, '<meta charset="iso-2022-jp">')
    assert decode_html(html.encode("iso-2022-jp")) == html


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufeff")))
def test_utf8_and_bom_text_round_trips(text: str) -> None:
    assert decode_html(text.encode("utf-8")) == text
    assert decode_html(text.encode("utf-16")) == text
    assert decode_html(codecs_bom("utf-8") + text.encode("utf-8")) == text


def test_document_constructors_normalise() -> None:
    h = document_from_html(
        "\ufeff<p>a</p>\r\n", source="s", url="https://ex.example/a?utm_source=x"
    )
    assert h.html == "<p>a</p>\n" and h.id == make_id("https://ex.example/a")
    t = document_from_text("\ufeffa\r\nb\rc", source="s")
    assert t.text == "a\nb\nc" and t.html is None and t.id == make_id(None, "a\nb\nc")


# --- bad files ---------------------------------------------------------------------------------


def _bad_files(root: Path) -> dict[str, str]:
    """Each bad file and the reason it must be dropped for."""
    rng = random.Random(11)
    noise = bytes(rng.randrange(1, 256) for _ in range(4000))  # no NUL: only detection rejects it
    whole = gzip.compress(page(FRENCH * 40).encode())
    files = {
        "empty.html": (b"", "empty"),
        "blank.txt": (b" \r\n\t \n", "empty"),
        "blank.html.gz": (gzip.compress(b"\n\n  "), "empty"),
        "nul.txt": (b"abc\x00\x01\x02\x03def" * 50, "binary"),
        "image.html": (b"\x89PNG\r\n\x1a\n" + noise, "binary"),
        "noise.txt": (noise, "binary"),
        "report.pdf": (b"%PDF-1.7\n" + noise, "unsupported_type"),
        "photo.png": (b"\x89PNG\r\n\x1a\n" + noise, "unsupported_type"),
        "letter.docx": (b"PK\x03\x04" + noise, "unsupported_type"),
        "notes.md": (b"# Notes\n\nSome plain text, not an article.\n", "unsupported_type"),
        "cut.html.gz": (whole[: len(whole) // 2], "bad_gzip"),
        "cut-in-gzip-header.warc.gz": (whole[:6], "bad_gzip"),
        "corrupt.txt.gz": (whole[:10] + bytes(200) + whole[210:], "bad_gzip"),
        # Under a name that says nothing, damage that hides the first bytes is still bad gzip.
        "corrupt.page.gz": (whole[:10] + bytes(200) + whole[210:], "bad_gzip"),
        "notes.md.gz": (
            gzip.compress(b"# Notes\n\nPlain text, not an article.\n"),
            "unsupported_type",
        ),
        "blank.jsonl": (b"\n \n", "empty"),
    }
    for name, (data, _) in files.items():
        (root / name).write_bytes(data)
    return {name: reason for name, (_, reason) in files.items()}


def test_every_bad_file_is_exactly_one_drop_with_its_reason(tmp_path: Path) -> None:
    expected = _bad_files(tmp_path)
    for name, reason in expected.items():
        assert drop(tmp_path / name).reason == reason, name
    items = list(iter_documents([tmp_path]))
    assert len(items) == len(expected)
    assert Counter(reasons(items)) == Counter(expected.values())
    assert {i.source for i in items} == {str(tmp_path / n) for n in expected}


def test_unknown_extension_is_read_when_it_is_html(tmp_path: Path) -> None:
    saved = tmp_path / "article.php"
    saved.write_text("<!-- saved from url=(0022)https://ex.example/ -->\n" + page(ENGLISH))
    bare = tmp_path / "index"
    bare.write_bytes(gzip.compress(page(FRENCH).encode("cp1252")))
    assert doc(saved).html is not None
    assert FRENCH in (doc(bare).html or "")


@settings(max_examples=60, deadline=None)
@given(
    st.binary(max_size=3000), st.sampled_from([".html", ".txt", ".jsonl", ".warc", ".bin", ".gz"])
)
def test_any_bytes_give_items_not_exceptions(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "f" + suffix)
        path.write_bytes(data)
        items = list(load_path(path))
    assert items and all(isinstance(i, Document | Drop) for i in items)
    assert all(i.source.startswith(str(path)) for i in items)


# --- finding files -----------------------------------------------------------------------------


def _tree(root: Path) -> None:
    for rel in ["b/2.html", "b/sub/3.txt", "a/1.html", "a-z.txt", ".hidden/x.html", "b/.dot.html"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(page(rel))


def test_directories_are_walked_recursively_in_a_fixed_order(tmp_path: Path) -> None:
    _tree(tmp_path)
    got = expand_inputs([tmp_path])
    assert got == [tmp_path / "a" / "1.html", tmp_path / "a-z.txt", tmp_path / "b" / "2.html",
                   tmp_path / "b" / "sub" / "3.txt"]  # fmt: skip
    inputs = [tmp_path / "b", str(tmp_path / "a" / "1.html"), tmp_path, f"{tmp_path}/b/**/*.txt"]
    for _ in range(5):
        random.shuffle(inputs)
        assert expand_inputs(inputs) == got
    # a hidden file is read when it is named
    assert expand_inputs([tmp_path / "b" / ".dot.html"]) == [tmp_path / "b" / ".dot.html"]


def test_linked_directories_are_walked_once_and_link_loops_end(tmp_path: Path) -> None:
    tree, elsewhere = tmp_path / "tree", tmp_path / "elsewhere"
    tree.mkdir()
    elsewhere.mkdir()
    (tree / "own.txt").write_text(ENGLISH)
    (elsewhere / "linked.txt").write_text(FRENCH)
    (tree / "linked").symlink_to(elsewhere, target_is_directory=True)
    (tree / "again").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "loop").symlink_to(tree, target_is_directory=True)
    got = expand_inputs([tree])
    assert got == [tree / "again" / "linked.txt", tree / "own.txt"]


def test_a_folder_reached_by_a_link_is_read_under_its_first_path_in_sorted_order(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Not under whichever path the listing gives first: the source written, and which copy
    wins a duplicate, must not depend on the filesystem."""
    pairs = [("aa", "zz"), ("zz", "aa"), ("link", "real"), ("real", "link"), ("alpha", "beta")]
    # made in both orders: a listing's order often follows the order entries were made in
    for n, (link, real, link_first) in enumerate((*p, f) for p in pairs for f in (False, True)):
        tree = tmp_path / f"t{n}"
        tree.mkdir()
        if link_first:
            (tree / link).symlink_to(tree / real, target_is_directory=True)
        (tree / real).mkdir()
        (tree / real / "a.txt").write_text(ENGLISH)
        if not link_first:
            (tree / link).symlink_to(tree / real, target_is_directory=True)
        with caplog.at_level(logging.WARNING, logger="pipeline.loaders"):
            assert expand_inputs([tree]) == [tree / min(link, real) / "a.txt"]
        assert f"read once: {tree / max(link, real)} is the folder" in caplog.text
        caplog.clear()


def test_an_empty_input_path_is_an_error_not_the_current_folder() -> None:
    """``Path("")`` is ``.``: ``newsdedup run "$UNSET"`` would read the whole folder."""
    for name in ("", " "):
        with pytest.raises(NewsdedupError, match="an input path is empty"):
            expand_inputs([name])


def test_a_file_reached_twice_is_read_once_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "a.txt").write_text(ENGLISH)
    (tmp_path / "b.txt").write_text(FRENCH)
    for n in range(3):
        (tmp_path / f"also-a{n}.txt").symlink_to(tmp_path / "a.txt")
    with caplog.at_level(logging.WARNING, logger="pipeline.loaders"):
        got = expand_inputs([tmp_path, tmp_path / "b.txt"])
    assert got == [tmp_path / "a.txt", tmp_path / "b.txt"]
    assert "named twice): 2 file(s), 4 extra path(s)" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="pipeline.loaders"):
        assert expand_inputs([tmp_path / "b.txt"]) == [tmp_path / "b.txt"]
    assert "read once" not in caplog.text


def test_dangling_links_in_a_directory_are_counted_drops(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ENGLISH)
    (tmp_path / "gone.txt").symlink_to(tmp_path / "deleted.txt")
    (tmp_path / "self").symlink_to(tmp_path / "self")  # a loop of links
    files = expand_inputs([tmp_path])
    assert files == [tmp_path / "a.txt", tmp_path / "gone.txt", tmp_path / "self"]
    # as the run reads them: the expanded list goes through iter_documents
    items = list(iter_documents(files))
    assert reasons(items) == ["doc", "broken_link", "broken_link"]
    assert [i.source for i in items[1:]] == [str(tmp_path / "gone.txt"), str(tmp_path / "self")]
    assert str(tmp_path / "deleted.txt") in items[1].detail
    assert items[2].detail == "a loop of links"
    # named, or matched by a glob, the same
    assert expand_inputs([tmp_path / "gone.txt"]) == [tmp_path / "gone.txt"]
    assert expand_inputs([f"{tmp_path}/*.txt"]) == [tmp_path / "a.txt", tmp_path / "gone.txt"]


def test_output_and_state_folders_met_in_a_walk_are_left_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "a.txt").write_text(ENGLISH)
    out = tmp_path / "daily"
    (out / "runs" / "r1").mkdir(parents=True)
    for folder in (out, out / "runs" / "r1"):
        (folder / "articles.jsonl").write_text("{}\n")
        (folder / "clusters.jsonl").write_text("")
    state = tmp_path / "shared-state"
    state.mkdir()
    (state / "groups.sqlite").write_bytes(b"SQLite format 3\x00")
    (state / "notes.txt").write_text(FRENCH)
    # only articles.jsonl is not an output folder
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "articles.jsonl").write_text("{}\n")
    with caplog.at_level(logging.WARNING, logger="newsdedup"):
        got = expand_inputs([tmp_path])
    assert got == [tmp_path / "a.txt", tmp_path / "export" / "articles.jsonl"]
    assert f"left out {out}: a newsdedup output folder" in caplog.text
    assert f"left out {state}: a newsdedup state folder" in caplog.text
    # named, a file in them is read
    assert expand_inputs([out / "articles.jsonl"]) == [out / "articles.jsonl"]
    # a glob leaves them out too, whether it matches the folder or files in it
    assert expand_inputs([f"{tmp_path}/*"]) == got
    assert expand_inputs([f"{tmp_path}/**/*.jsonl"]) == [tmp_path / "export" / "articles.jsonl"]
    # but a glob inside one (its fixed part) is read as asked
    assert expand_inputs([f"{out}/*.jsonl"]) == [out / "articles.jsonl", out / "clusters.jsonl"]


def test_globs(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert expand_inputs([f"{tmp_path}/**/*.html"]) == [tmp_path / "a" / "1.html",
                                                       tmp_path / "b" / "2.html"]  # fmt: skip
    assert expand_inputs([f"{tmp_path}/[ab]"]) == [tmp_path / "a" / "1.html",
                                                  tmp_path / "b" / "2.html",
                                                  tmp_path / "b" / "sub" / "3.txt"]  # fmt: skip


def test_paths_that_name_nothing_raise(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(page("x"))
    with pytest.raises(NewsdedupError, match=r"^no such file or directory: .*missing\.html$"):
        expand_inputs([tmp_path / "a.html", tmp_path / "missing.html"])
    with pytest.raises(NewsdedupError, match=r"^no files match: .*\*\.warc$"):
        expand_inputs([f"{tmp_path}/*.warc"])
    with pytest.raises(NewsdedupError, match="no such file or directory"):
        iter_documents([tmp_path / "missing"])  # raises at the call, before any reading
    (tmp_path / "void" / ".git").mkdir(parents=True)
    (tmp_path / "void" / ".git" / "x.html").write_text(page("x"))
    with pytest.raises(NewsdedupError, match=r"^no files under: .*void$"):
        expand_inputs([tmp_path / "void"])  # hidden files only: nothing to read
    assert expand_inputs([]) == []


def test_unreadable_paths_raise(tmp_path: Path) -> None:
    # Without the permission to bypass file modes (as root has), in a child process.
    base = Path(tempfile.mkdtemp(prefix="newsdedup-perm-"))
    try:
        (base / "secret.html").write_text(page("x"))
        (base / "secret.html").chmod(0)
        (base / "locked").mkdir()
        (base / "locked" / "a.html").write_text(page("x"))
        (base / "locked").chmod(0)
        (base / "outer" / "inner").mkdir(parents=True)
        (base / "outer" / "inner").chmod(0)
        prefix: list[str] = []
        if os.geteuid() == 0:
            if not shutil.which("setpriv"):
                pytest.skip("running as root without setpriv to drop the override")
            caps = "-dac_override,-dac_read_search"
            prefix = ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}"]
        code = (
            "import sys\nfrom pipeline.loaders import expand_inputs\n"
            "from pipeline.errors import NewsdedupError\n"
            "try:\n    expand_inputs(sys.argv[1:])\n"
            "except NewsdedupError as e:\n    print(e)\nelse:\n    print('no error')\n"
        )
        # each error names the path that is denied, one that exists
        denied = {
            base / "secret.html": base / "secret.html",
            base / "locked": base / "locked",
            base / "locked" / "a.html": base / "locked" / "a.html",
            base: base / "secret.html",
            base / "outer": base / "outer" / "inner",
        }
        for target, named in denied.items():
            out = subprocess.run(
                [*prefix, sys.executable, "-c", code, str(target)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
            assert out.stdout == f"permission denied: {named}\n", (target, out.stdout, out.stderr)
    finally:
        (base / "locked").chmod(0o755)
        (base / "outer" / "inner").chmod(0o755)
        shutil.rmtree(base)


# --- seeds -------------------------------------------------------------------------------------


def test_seeds_are_two_text_documents_with_stable_ids(tmp_path: Path) -> None:
    items = list(iter_documents([SEEDS]))
    assert len(items) == 2 and all(isinstance(i, Document) for i in items)
    docs = [i for i in items if isinstance(i, Document)]
    assert all(d.html is None and len(d.text.split()) > 200 for d in docs)
    assert [d.id for d in docs] == [
        make_id(None, p.read_text("utf-8")) for p in sorted(SEEDS.iterdir())
    ]
    # the same content elsewhere, with CRLF line ends and compressed, keeps its id
    for p in sorted(SEEDS.iterdir()):
        (tmp_path / f"copy-{p.name}.gz").write_bytes(
            gzip.compress(p.read_bytes().replace(b"\n", b"\r\n"))
        )
    copies = [i for i in iter_documents([tmp_path]) if isinstance(i, Document)]
    assert [d.id for d in copies] == [d.id for d in docs]
    assert len({d.id for d in docs}) == 2


def test_jsonl_fields_of_the_wrong_type_are_named_and_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "dump.jsonl"
    line = {"url": 12345, "text": FRENCH * 5, "title": ["a", "list"], "author": "R. Roe"}
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    with caplog.at_level("INFO", logger="pipeline.loaders"):
        (doc,) = load_path(path)
    assert isinstance(doc, Document)
    assert doc.url is None and doc.title is None and doc.author == "R. Roe"
    assert f"{path}:1: 'url' is a JSON int, not a string: ignored" in caplog.text
    assert f"{path}:1: 'title' is a JSON list, not a string: ignored" in caplog.text


def test_jsonl_text_that_cannot_be_utf8_and_dates_that_are_not_dates(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A lone surrogate escape is valid JSON but not text: it becomes U+FFFD instead of failing
    the run where the text is hashed or written. A date that does not parse is named and left
    out, so the output keeps to its schema."""
    path = tmp_path / "dump.jsonl"
    path.write_text(
        '{"text": "' + "word " * 100 + 'end \\ud800", "title": "T \\udfff", '
        '"url": "https://ex.example/\\ud800", "published": "99999-99-99"}\n'
        + json.dumps({"text": "other " * 100, "published": "Wed, 01 May 2024 10:00:00 GMT"})
        + "\n",
        encoding="utf-8",
    )
    with caplog.at_level("INFO", logger="pipeline.loaders"):
        first, second = load_path(path)
    assert isinstance(first, Document) and isinstance(second, Document)
    assert first.text.endswith("end \ufffd") and first.title == "T \ufffd"
    assert first.url == "https://ex.example/\ufffd" and first.published is None
    assert (
        f"{path}:1: 'published' '99999-99-99' is not a calendar day in ISO 8601 or RFC 822 form: "
        "ignored" in caplog.text
    )
    assert second.published == "2024-05-01T10:00:00+00:00"


def test_a_jsonl_date_that_names_no_calendar_day_is_left_out_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A day that does not exist, a month or a week is not made into a day; a date in ISO
    8601's basic form is that date, not midnight of it."""
    given = ["2024-02-30", "2024-13-01", "2024-03", "2024-W10", "20240305", "2024-02-29"]
    path = tmp_path / "dump.jsonl"
    path.write_text(
        "".join(
            json.dumps({"text": f"story {n} " * 100, "published": p}) + "\n"
            for n, p in enumerate(given)
        ),
        encoding="utf-8",
    )
    with caplog.at_level("INFO", logger="pipeline.loaders"):
        docs = list(load_path(path))
    assert [d.published for d in docs if isinstance(d, Document)] == [
        None,
        None,
        None,
        None,
        "2024-03-05",
        "2024-02-29",
    ]
    for line, value in enumerate(given[:4], start=1):
        assert f"{path}:{line}: 'published' '{value}' is not a calendar day" in caplog.text
    assert f"{path}:5:" not in caplog.text and f"{path}:6:" not in caplog.text


def test_ignored_jsonl_fields_warn_once_of_each_kind_then_at_info(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of many lines with the same fault does not flood the log: the first of each
    kind is a warning, the others are logged at info (``-v``), every one naming its line."""
    monkeypatch.setattr(pipeline.loaders._field_warning, "seen", set())
    path = tmp_path / "dump.jsonl"
    path.write_text(
        "".join(
            json.dumps({"text": f"story {n} " * 100, "published": "2024-03", "title": n}) + "\n"
            for n in range(5)
        ),
        encoding="utf-8",
    )
    with caplog.at_level("INFO", logger="pipeline.loaders"):
        docs = list(load_path(path))
    assert len(docs) == 5 and all(isinstance(d, Document) for d in docs)
    for fault in ("'published' '2024-03' is not a calendar day", "'title' is a JSON int"):
        records = [r for r in caplog.records if fault in r.getMessage()]
        assert [r.levelname for r in records] == ["WARNING"] + ["INFO"] * 4
        assert [r.getMessage().split(": ", 1)[0] for r in records] == [
            f"{path}:{line}" for line in range(1, 6)
        ]
        assert "further ones logged with -v" in records[0].getMessage()


def test_a_page_with_a_stray_nul_byte_is_read_without_it(tmp_path: Path) -> None:
    """A CMS that let one NUL through: the page is text, not binary (random binary data has
    a NUL every 256 bytes and is never valid UTF-8)."""
    html = page(FRENCH * 40).encode()
    at = html.index(b"<p>") + 3
    (tmp_path / "stray.html").write_bytes(html[:at] + b"\x00" + html[at:])
    (doc,) = load_path(tmp_path / "stray.html")
    assert isinstance(doc, Document) and doc.html is not None
    assert doc.html == html.decode().replace("\r\n", "\n")  # the NUL is gone, nothing else
    (tmp_path / "many.html").write_bytes(html.replace(b" ", b" \x00"))  # a NUL in every word
    (dropped,) = load_path(tmp_path / "many.html")
    assert isinstance(dropped, Drop) and dropped.reason == "binary"


@pytest.mark.parametrize("url", ["http://e.com:abc/x", "http://e.com:99999/", "http://[::1/x"])
def test_jsonl_url_that_cannot_be_parsed_still_loads(tmp_path: Path, url: str) -> None:
    """A port that is not a number or a broken IPv6 host must not abort the run: the URL is
    kept as given and the id comes from it."""
    path = tmp_path / "dump.jsonl"
    path.write_text(json.dumps({"url": url, "text": FRENCH * 5}) + "\n", encoding="utf-8")
    loaded = doc(path)
    assert loaded.url == url
    assert loaded.id == make_id(url)


@pytest.mark.parametrize("label", ["rot13", "hex", "base64", "zlib", "undefined"])
def test_charset_label_naming_a_codec_that_is_not_text_is_ignored(label: str) -> None:
    data = page("Caf\xe9 cr\xe8me", f'<meta charset="{label}">').encode("cp1252")
    assert decode_html(data) == data.decode("cp1252")
    assert decode_html(data, label) == data.decode("cp1252")


def _raw_record(n: int, *, length_off_by: int = 0) -> bytes:
    """One response record written by hand, its page on one line (as minified HTML is), with
    a Content-Length that may lie by ``length_off_by`` bytes."""
    body = page(f"Record {n}. " + FRENCH * 3).encode()
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + body
    head = (
        "WARC/1.0\r\nWARC-Type: response\r\n"
        f"WARC-Record-ID: <urn:uuid:{n}>\r\nWARC-Target-URI: https://x.example/{n}\r\n"
        "WARC-Date: 2024-01-01T00:00:00Z\r\nContent-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(block) + length_off_by}\r\n\r\n"
    )
    return head.encode() + block + b"\r\n\r\n"


@pytest.mark.parametrize("off_by", [-300, 300])
def test_warc_record_whose_content_length_lies_is_a_bad_warc_drop(
    tmp_path: Path, off_by: int
) -> None:
    """Too short a length would cut the page, too long a one swallows the next record: either
    way the record is damaged and must be counted, not written cut or lost without a word."""
    path = tmp_path / "a.warc"
    path.write_bytes(_raw_record(3) + _raw_record(4, length_off_by=off_by) + _raw_record(5))
    items = list(load_path(path))
    assert reasons(items)[:2] == ["doc", "bad_warc"]
    bad = items[1]
    assert isinstance(bad, Drop) and "Content-Length" in (bad.detail or "")
    written = [i for i in items if isinstance(i, Document)]
    assert all("Record 4." not in (d.html or "") for d in written)


def test_a_warc_whose_only_record_is_a_damaged_warcinfo_is_one_drop(tmp_path: Path) -> None:
    """The file holds no input, and its one record is damaged: one ``bad_warc``, not that
    and a ``no_content`` too (one file, counted once)."""
    info = b"software: test\r\n"
    head = (
        "WARC/1.0\r\nWARC-Type: warcinfo\r\nWARC-Record-ID: <urn:uuid:9>\r\n"
        f"WARC-Date: 2024-01-01T00:00:00Z\r\nContent-Length: {len(info) - 3}\r\n\r\n"
    )
    path = tmp_path / "info.warc"
    path.write_bytes(head.encode() + info + b"\r\n\r\n")
    assert reasons(list(load_path(path))) == ["bad_warc"]


def test_plain_warc_cut_inside_a_record_header_is_a_bad_warc_drop(tmp_path: Path) -> None:
    """warcio ends quietly at a record cut inside its WARC headers; the loss is counted."""
    whole = _raw_record(3) + _raw_record(4)
    # in the WARC headers, right after "Content-Length:", in the HTTP headers
    for cut in (len(_raw_record(3)) + n for n in (25, 150, 197, 300)):
        path = tmp_path / f"cut{cut}.warc"
        path.write_bytes(whole[:cut])
        assert reasons(list(load_path(path))) == ["doc", "bad_warc"], cut


def test_brotli_encoded_warc_responses_are_decoded(tmp_path: Path) -> None:
    brotli = pytest.importorskip("brotli")
    path = tmp_path / "a.warc"
    with path.open("wb") as out:
        w = WARCWriter(out, gzip=False)
        for n, body, encoding in [
            (1, brotli.compress(page(FRENCH).encode()), "br"),
            (2, b"\x8b\x00not brotli at all", "br"),
            (3, page(ENGLISH).encode(), None),
        ]:
            headers = [("Content-Type", "text/html")]
            if encoding:
                headers.append(("Content-Encoding", encoding))
            http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
            w.write_record(
                w.create_warc_record(
                    f"https://x.example/{n}",
                    "response",
                    payload=io.BytesIO(body),
                    http_headers=http,
                )
            )
    items = list(load_path(path))
    assert reasons(items) == ["doc", "bad_warc", "doc"]
    first, bad = items[0], items[1]
    assert isinstance(first, Document) and FRENCH in (first.html or "")
    assert isinstance(bad, Drop) and "br" in (bad.detail or "")


# --- HTTP codings, size limit, files that change under the run --------------------------------


def _coded_warc(
    path: Path, records: list[tuple[bytes, list[tuple[str, str]], dict[str, str]]]
) -> None:
    """A WARC of HTML responses: (body as sent, extra HTTP headers, extra WARC headers)."""
    with path.open("wb") as out:
        w = WARCWriter(out, gzip=False)
        for n, (body, headers, warc_headers) in enumerate(records):
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html"), *headers], protocol="HTTP/1.1"
            )
            record = w.create_warc_record(
                f"https://x.example/{n}", "response", payload=io.BytesIO(body), http_headers=http
            )
            for name, value in warc_headers.items():
                record.rec_headers.add_header(name, value)
            w.write_record(record)


def _chunked(data: bytes, size: int = 700, *, last: bool = True) -> bytes:
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    return body + (b"0\r\n\r\n" if last else b"")


def test_warc_bodies_cut_short_in_their_coding_are_counted_not_written_cut(
    tmp_path: Path,
) -> None:
    """A gzip or chunked body that ends early holds part of the page: written, it would be an
    article cut short without a word. A capture the archiver itself cut (WARC-Truncated) too."""
    html = page(" ".join([FRENCH] * 40)).encode()
    deflated = zlib_compress(html)
    raw_deflate = zlib_compress(html, raw=True)
    gz = gzip.compress(html)
    records = [
        (gz, [("Content-Encoding", "gzip")], {}),  # 0 whole
        (gz[: len(gz) // 2], [("Content-Encoding", "gzip")], {}),  # 1 cut
        (_chunked(html), [("Transfer-Encoding", "chunked")], {}),  # 2 whole
        (_chunked(html, last=False), [("Transfer-Encoding", "chunked")], {}),  # 3 no last chunk
        (_chunked(html)[:-900], [("Transfer-Encoding", "chunked")], {}),  # 4 ends in a chunk
        (_chunked(gz), [("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")], {}),
        (deflated, [("Content-Encoding", "deflate")], {}),  # 6 zlib-wrapped, as the standard
        (raw_deflate, [("Content-Encoding", "deflate")], {}),  # 7 raw, as some servers send
        (deflated[:-40], [("Content-Encoding", "deflate")], {}),  # 8 cut
        (html, [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")], {}),  # 9 stored
        (html, [], {"WARC-Truncated": "length"}),  # 10
        (b"\x1f\x8b\x08\x00garbage" * 20, [("Content-Encoding", "gzip")], {}),  # 11
    ]
    path = tmp_path / "coded.warc"
    _coded_warc(path, records)
    items = list(load_path(path))
    assert reasons(items) == [
        "doc", "bad_warc", "doc", "bad_warc", "bad_warc", "doc",
        "doc", "doc", "bad_warc", "doc", "bad_warc", "bad_warc",
    ]  # fmt: skip
    for item in items:
        if isinstance(item, Document):
            assert item.html is not None and item.html.count(FRENCH) == 40
    details = [i.detail or "" for i in items if isinstance(i, Drop)]
    assert "cut short" in details[0] and "last" in details[1] and "inside a chunk" in details[2]
    assert "WARC-Truncated: length" in details[4] and "does not decode" in details[5]


def zlib_compress(data: bytes, *, raw: bool = False) -> bytes:
    import zlib

    packer = zlib.compressobj(wbits=-15 if raw else 15)
    return packer.compress(data) + packer.flush()


def test_inputs_over_the_size_limit_are_too_large_drops_and_the_rest_loads(
    tmp_path: Path,
) -> None:
    big = page(ENGLISH * 2000).encode()  # about 190 kB
    small = page(FRENCH).encode()
    limit = 100_000
    (tmp_path / "big.html").write_bytes(big)
    (tmp_path / "bomb.html.gz").write_bytes(gzip.compress(big))  # small on disk, big inside
    (tmp_path / "small.html.gz").write_bytes(gzip.compress(small))
    lines = [json.dumps({"html": s.decode()}) for s in (small, big, small)]
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n")
    video = b"\x00\x00\x00\x18ftypmp42" + bytes(300_000)
    _coded_warc(
        tmp_path / "a.warc",
        [(gzip.compress(big), [("Content-Encoding", "gzip")], {}), (small, [], {})],
    )
    with (tmp_path / "a.warc").open("ab") as out:  # a video bigger than the limit: not read
        w = WARCWriter(out, gzip=False)
        http = StatusAndHeaders("200 OK", [("Content-Type", "video/mp4")], protocol="HTTP/1.1")
        w.write_record(
            w.create_warc_record(
                "https://x.example/v", "response", payload=io.BytesIO(video), http_headers=http
            )
        )

    def loaded(name: str, max_bytes: int = limit) -> list[str]:
        return reasons(list(read_files([tmp_path / name], max_bytes)))

    assert loaded("big.html") == ["too_large"]
    assert loaded("bomb.html.gz") == ["too_large"]
    assert loaded("small.html.gz") == ["doc"]
    assert loaded("a.jsonl") == ["doc", "too_large", "doc"]
    assert loaded("a.warc") == ["too_large", "doc", "not_html"]
    # 0: no limit
    assert loaded("bomb.html.gz", 0) == ["doc"]
    assert loaded("a.jsonl", 0) == ["doc", "doc", "doc"]
    assert loaded("a.warc", 0) == ["doc", "doc", "not_html"]
    bomb = list(read_files([tmp_path / "bomb.html.gz"], limit))[0]
    assert isinstance(bomb, Drop) and "100,000 bytes" in (bomb.detail or "")


def test_a_file_gone_or_special_when_read_is_a_counted_drop(tmp_path: Path) -> None:
    """Inputs are listed first and read later: a file removed in between is an ``unreadable``
    drop, not the end of the run; a FIFO or socket in a folder is counted, and never opened
    (opening a FIFO would wait for a writer)."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.html").write_text(page(FRENCH))
    (folder / "b.html").write_text(page(ENGLISH))
    os.mkfifo(folder / "pipe.html")
    files = expand_inputs([folder])
    assert [f.name for f in files] == ["a.html", "b.html", "pipe.html"]
    (folder / "b.html").unlink()
    items = list(read_files(files))
    assert reasons(items) == ["doc", "unreadable", "unsupported_type"]
    assert "No such file" in (items[1].detail or "")  # type: ignore[union-attr]
    assert "FIFO" in (items[2].detail or "")  # type: ignore[union-attr]


def test_empty_gzip_and_bom_only_jsonl_are_empty(tmp_path: Path) -> None:
    (tmp_path / "x.gz").write_bytes(b"")
    (tmp_path / "bom.jsonl").write_bytes(b"\xef\xbb\xbf\n\n")
    assert drop(tmp_path / "x.gz").reason == "empty"
    assert drop(tmp_path / "bom.jsonl").reason == "empty"


def test_a_warc_of_blank_space_is_empty(tmp_path: Path) -> None:
    (tmp_path / "blank.warc").write_bytes(b" \r\n\t\n" * 30_000)
    (tmp_path / "blank.warc.gz").write_bytes(gzip.compress(b"\n" * 200_000))
    assert drop(tmp_path / "blank.warc").reason == "empty"
    assert drop(tmp_path / "blank.warc.gz").reason == "empty"


@pytest.mark.parametrize(
    ("codec", "short", "long"),
    [
        ("cp1252", "Façade rénovée à Besançon", FRENCH),
        ("cp1251", "Снова в пути", RUSSIAN),
        ("cp1250", "Żółw się spóźnił", POLISH),
    ],
)
def test_a_jsonl_in_a_legacy_code_page_is_read_in_one_encoding(
    tmp_path: Path, codec: str, short: str, long: str
) -> None:
    """A short line alone reads in several code pages ("à" is "ŕ" in cp1250): the file's
    encoding is told from the first line that is not UTF-8 and the lines after it."""
    lines = [{"text": short}] + [{"text": f"{long} ({n})"} for n in range(6)]
    path = tmp_path / "legacy.jsonl"
    path.write_bytes(
        b"\n".join(json.dumps(x, ensure_ascii=False).encode(codec) for x in lines) + b"\n"
    )
    items = list(load_path(path))
    assert all(isinstance(i, Document) for i in items)
    assert [i.text for i in items] == [x["text"] for x in lines]  # type: ignore[union-attr]


def test_a_jsonl_records_own_fields_win_over_its_pages_metadata(tmp_path: Path) -> None:
    """A record stating its title, author and date keeps them whatever its ``html`` says; a
    record stating none gets the page's."""
    head = (
        '<meta property="og:title" content="Page headline">'
        '<meta name="author" content="Page Author">'
        '<meta property="article:published_time" content="2019-03-02T08:00:00Z">'
    )
    html = page(ENGLISH * 30, head)
    given = {"title": "Record headline", "author": "Record Author", "published": "2024-01-01"}
    path = tmp_path / "dump.jsonl"
    path.write_text(
        json.dumps({"html": html, "url": "https://ex.example/1", **given})
        + "\n"
        + json.dumps({"html": html, "url": "https://ex.example/2"})
        + "\n",
        encoding="utf-8",
    )
    stated, bare = (process(d, CleanConfig()) for d in load_path(path))  # type: ignore[arg-type]
    assert (stated.title, stated.author, stated.published) == tuple(given.values())
    assert (bare.title, bare.author) == ("Page headline", "Page Author")
    assert bare.published is not None and bare.published.startswith("2019-03-02")
