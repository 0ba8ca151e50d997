"""Turn bytes of unknown encoding into text.

Decoding (``decode_html``; plain text the same way without the ``<meta>`` scan), first that
applies: a BOM; UTF-16 without a BOM when NUL bytes keep its rhythm; valid UTF-8 with a few
stray NUL bytes, without them (more NULs than that, or not UTF-8: not text); UTF-8 when the
bytes are valid UTF-8, or mostly so (the stray bytes read as cp1252, the usual way pages mix
encodings);
the declared charset (HTTP header), then ``<meta charset>``/http-equiv/XML declaration, each only
if it decodes cleanly; charset-normalizer among the encodings web pages use, overruled by the
code page of the language it finds. UTF-8 comes before the declarations on purpose: legacy text
is practically never valid multi-byte UTF-8, so a legacy label on such bytes is stale (a page
re-encoded without updating its ``<meta>``).
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

# Browsers only look at the start for a charset declaration; saved pages put long scripts first.
_UTF16_SNIFF_BYTES = 4096
_META_SCAN_BYTES = 16384
_META_CHARSET = re.compile(rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""\s*<\?xml\s[^>]*?encoding\s*=\s*["']([\w.:-]+)""", re.IGNORECASE)
BOMS = (
    # UTF-32 LE first: its BOM starts with the UTF-16 LE one.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Labels that browsers read as a larger encoding (WHATWG Encoding Standard): pages declared
# latin-1 routinely carry cp1252 quotes and dashes.
_LABEL_ALIASES = {"x-sjis": "shift_jis", "windows-874": "cp874", "iso-8859-8-i": "iso8859-8"}
_CODEC_SUPERSETS = {
    "iso8859-1": "cp1252", "ascii": "cp1252", "iso8859-9": "cp1254", "tis-620": "cp874",
    "iso8859-11": "cp874", "gb2312": "gb18030", "gbk": "gb18030", "shift_jis": "cp932",
    "euc_kr": "cp949", "big5": "big5hkscs",
}  # fmt: skip
# Detection picks among the legacy encodings web pages actually use: DOS, Mac and EBCDIC code
# pages fit English text as well as cp1252 does and would otherwise win by accident.
_WEB_ENCODINGS = (
    "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
    "iso8859_2", "iso8859_5", "iso8859_7", "iso8859_15", "koi8_r", "koi8_u", "cp866", "cp874",
    "gb18030", "big5hkscs", "euc_jp", "cp932", "cp949",
)  # fmt: skip
# ISO-8859 puts C1 control characters at 0x80-0x9f, which real text never contains: there
# these bytes are cp125x punctuation (the reason WHATWG reads latin-1 labels as cp1252).
_C1_BYTES = re.compile(rb"[\x80-\x9f]")
# The Windows code page of a language (as charset-normalizer names it) for the Latin-script
# languages, where the detector's own choice among the cp125x pages is close to a coin toss.
_LANGUAGE_CODE_PAGES = dict.fromkeys(
    ["English", "French", "German", "Dutch", "Italian", "Spanish", "Portuguese", "Danish",
     "Swedish", "Norwegian", "Finnish", "Indonesian"], "cp1252",
) | dict.fromkeys(
    ["Polish", "Czech", "Slovak", "Hungarian", "Slovene", "Croatian", "Romanian"], "cp1250"
)  # fmt: skip
_CP1252_FALLBACK = "newsdedup.cp1252"


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("cp1252", "replace"), exc.end


# An error handler, not a loop over the bad spans: the codec calls it from C, so a long page
# with stray bytes is still decoded in one pass.
codecs.register_error(_CP1252_FALLBACK, _cp1252_fallback)


def decode_html(data: bytes, declared: str | None = None) -> str:
    """Decode an HTML page; ``declared`` is the charset from the HTTP header, if any.

    The order is in the module docstring. Bytes that are text in no plausible encoding still
    give a string (the declared charset or UTF-8, with replacement characters).
    """
    text = decode(data, declared, html=True)
    if text is None:
        text = data.decode(_codec(declared) or "utf-8", "replace")
    return text.removeprefix("\ufeff")


def decode(data: bytes, declared: str | None, *, html: bool) -> str | None:
    """``data`` as text, or None when it is text in no plausible encoding."""
    for bom, bom_codec in BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(bom_codec, "replace")
    if b"\x00" in data:
        utf16 = _utf16_without_bom(data[:_UTF16_SNIFF_BYTES])
        try:
            return data.decode(utf16) if utf16 else _with_stray_nuls(data)
        except UnicodeDecodeError:
            return None
    labels = (declared, _declared_in_html(data) if html else None)
    codecs_named = [c for c in map(_codec, labels) if c is not None]
    if data.isascii():
        # 7-bit encodings (ISO-2022) are ASCII bytes too: their declaration still counts
        seven_bit = [c for c in codecs_named if c.startswith("iso2022")]
        return data.decode(seven_bit[0], "replace") if seven_bit else data.decode("ascii")
    utf8 = _utf8(data)
    if utf8 is not None:
        return utf8
    for codec in codecs_named:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return _detect(data)


def _detect(data: bytes) -> str | None:
    """``data`` decoded in the encoding ``detect_codec`` picks for it."""
    picked = _pick(data)
    return None if picked is None else picked[1]


def detect_codec(data: bytes) -> str | None:
    """The legacy web encoding ``data`` reads best in (see ``_pick``); None when none does."""
    picked = _pick(data)
    return None if picked is None else picked[0]


def _pick(data: bytes) -> tuple[str, str] | None:
    """charset-normalizer's pick among the legacy web encodings, overruled by the code page of
    the language it finds: the codec and ``data`` decoded in it.

    English with a few accented names and a pound sign reads as well in cp1250 ("Ł2bn") as in
    cp1252 to the detector, and Polish as well in cp1252 ("powiedzia³"); the language tells.
    """
    has_c1 = _C1_BYTES.search(data) is not None
    candidates = [c for c in _WEB_ENCODINGS if not (has_c1 and c.startswith("iso8859"))]
    matches = charset_normalizer.from_bytes(data, cp_isolation=candidates)
    best = matches.best()
    if best is None:
        return None
    preferred = _LANGUAGE_CODE_PAGES.get(best.language)
    if preferred and any(
        preferred in m.could_be_from_charset and m.chaos <= best.chaos for m in matches
    ):
        try:
            return preferred, data.decode(preferred)
        except UnicodeDecodeError:
            pass
    return str(best.encoding), str(best)


def _with_stray_nuls(data: bytes) -> str | None:
    """Strict UTF-8 text with a few NUL bytes in it (a CMS that let one through), without
    them; None for anything else. Random binary data has a NUL every 256 bytes or so and is
    never valid UTF-8; the bound is far below the one and the check excludes the other."""
    if data.count(b"\x00") > len(data) // 2000 + 1:
        return None
    try:
        return data.replace(b"\x00", b"").decode("utf-8")
    except UnicodeDecodeError:
        return None


def _utf8(data: bytes) -> str | None:
    """UTF-8, tolerating stray single bytes when valid multi-byte sequences are the majority."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8", "replace")
    bad = lenient.count("\ufffd") - data.count("\ufffd".encode())
    good = len(lenient) - len(lenient.encode("ascii", "ignore")) - bad
    # A chance valid sequence in legacy text (cp1251 "С»") is rare next to the invalid bytes
    # around it; in real mixed pages the UTF-8 sequences outnumber the stray bytes.
    if good < max(bad, 1):
        return None
    return data.decode("utf-8", _CP1252_FALLBACK)


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 LE/BE when NUL bytes keep its rhythm (Latin script puts one in every other byte)."""
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if half == 0 or len(sample) % 2:
        return None
    if odd > 0.3 * half and even < 0.02 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.02 * half:
        return "utf-16-be"
    return None


def _declared_in_html(data: bytes) -> str | None:
    head = data[:_META_SCAN_BYTES]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def _codec(label: str | None) -> str | None:
    """Python's codec for a charset label, or None when unknown or useless here.

    UTF-16/32 labels are ignored: those encodings were handled by the BOM and NUL checks, and a
    page whose declaration could be read as ASCII is not UTF-16 (the WHATWG rule).
    """
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(_LABEL_ALIASES.get(label, label)).name
        b"a".decode(name)  # raises for codecs that do not decode bytes to text (rot13, hex)
    except (LookupError, UnicodeError):
        return None
    if name.startswith(("utf-16", "utf-32")):
        return None
    return _CODEC_SUPERSETS.get(name, name)


_XML_DECLARATION = re.compile(r"""\A(\s*<\?xml\s[^>]*?)\bencoding\s*=\s*["'][^"']*["']""")


def xml_as_utf8(data: bytes, declared: str | None = None) -> bytes:
    """An XML document (a feed, a sitemap) in UTF-8, for parsers that read its bytes.

    A byte order mark, or the NULs of UTF-16/32 without one, tell the encoding; else the
    document's own declaration rules (the bytes are returned as they are); else the charset of
    the HTTP header (``declared``), which an XML parser never sees. Without any of these the
    bytes stay as they are (UTF-8 by the XML rule). Re-encoded text declares UTF-8.
    """
    text: str | None = None
    for bom, codec in BOMS:
        if data.startswith(bom):
            if codec == "utf-8":
                return data
            text = data[len(bom) :].decode(codec, "replace")
            break
    else:
        wide = _utf16_without_bom(data[:_UTF16_SNIFF_BYTES]) if b"\x00" in data[:4] else None
        if wide is not None:
            text = data.decode(wide, "replace")
        elif _XML_ENCODING.match(data):
            return data
        else:
            named = _codec(declared)
            if named is None or named in ("utf-8", "ascii"):
                return data
            try:
                text = data.decode(named)
            except UnicodeDecodeError:
                return data
    return _XML_DECLARATION.sub(r'\1encoding="UTF-8"', text, count=1).encode("utf-8")
