"""Read local inputs (files, directories, globs) into Documents.

What is read, by extension (a trailing ``.gz`` is looked through, and gzip is recognised by its
magic bytes whatever the name):

- ``.html .htm .xhtml .shtml``: one HTML Document per file.
- ``.txt``: one plain-text Document per file.
- ``.jsonl .ndjson``: one item per non-blank line, an object with ``html`` or ``text`` (``html``
  wins when both are there) and optional ``url``, ``title``, ``published``, ``author`` (strings;
  a field of another type, or a ``published`` that is not an ISO 8601 or RFC 822 date of a
  calendar day, is ignored with a warning that names the line: ``2024-02-30``, ``2024-03`` and
  ``2024-W10`` are, ``20240305`` is 2024-03-05). Lines end with LF, CRLF or a lone CR; the text
  is UTF-8, or UTF-16/32 with or without a BOM; a file in a legacy code page (cp1252, cp1251,
  ...) is read in the one detected at its first line that is not UTF-8 and the lines after it.
- ``.warc``: one item per ``response`` or ``resource`` record. Other records (request, metadata,
  warcinfo, revisit, ...) are not inputs and yield nothing.
- Any other extension, or none: read as HTML when the content starts like an HTML page (saved
  pages are often called ``article.php`` or ``index``), as WARC when it starts with ``WARC/``,
  and otherwise dropped as ``unsupported_type``. Plain text under an unknown extension is not
  read: a directory tree holds many text files (code, CSV, logs, notes) that are not articles.

Every input unit yields exactly one item, a Document or a ``Drop`` (yielded, never raised), and
every file yields at least one, so no input disappears from the run summary. Drop reasons:

- ``broken_link``: a link to nothing (its target is missing, or links loop), named or met in a
  directory or glob.
- ``empty``: 0 bytes or only whitespace (a JSONL file: no non-blank line).
- ``binary``: a known binary signature (image, PDF, zip, ...), NUL bytes outside UTF-16, or bytes
  that are text in no plausible encoding.
- ``unsupported_type``: an extension we do not read whose content is not HTML or WARC, or a
  FIFO, socket or device found in a folder (never opened).
- ``bad_gzip``: truncated or corrupt gzip (the lines or records before the damage still load).
- ``bad_json``: a JSONL line that is not a JSON object.
- ``no_content``: a JSONL object without a non-blank ``html`` or ``text`` string, or a WARC file
  without a single response or resource record.
- ``bad_warc``: not a WARC file, a record cut short or unparseable (records before it load), a
  record whose Content-Length is wrong, whose gzip, deflate, ``br`` or chunked body does not
  decode or ends early, or that the archiver marked cut (``WARC-Truncated``).
- ``not_html``: a WARC response whose content type is not HTML.
- ``http_status``: a WARC response with a non-2xx status (a redirect or error page, not the
  article).
- ``too_large``: a file, JSONL line or WARC record content over the size limit once
  decompressed (``MAX_INPUT_BYTES`` unless the caller gives another); only the limit's worth
  is ever decompressed or held.
- ``unreadable``: a file removed, or failing to read, after the inputs were listed.

Decoding lives in ``pipeline.charset``.
"""

from __future__ import annotations

import errno
import glob
import gzip
import io
import json
import logging
import os
import re
import stat
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader
from warcio.statusandheaders import StatusAndHeadersParserException

from pipeline.charset import BOMS, decode, detect_codec
from pipeline.charset import decode_html as decode_html  # the spiders and benches decode bodies too
from pipeline.config import holds_state
from pipeline.dates import iso, parse_when
from pipeline.document import Document, make_id, without_surrogates
from pipeline.errors import Drop, NewsdedupError
from pipeline.logonce import OncePerKind

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

log = logging.getLogger(__name__)

_KINDS = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".shtml": "html",
    ".txt": "text",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".warc": "warc",
}
_GZIP_MAGIC = b"\x1f\x8b"
_BINARY_MAGIC = (
    b"%PDF-", b"\x89PNG", b"GIF87a", b"GIF89a", b"\xff\xd8\xff", b"PK\x03\x04", b"PK\x05\x06",
    b"\xd0\xcf\x11\xe0", b"\x7fELF", b"RIFF", b"OggS", b"\x1a\x45\xdf\xa3", b"7z\xbc\xaf\x27\x1c",
    b"Rar!", b"\xfd7zXZ", b"\x28\xb5\x2f\xfd", b"wOFF", b"wOF2",
)  # fmt: skip
_HTML_START = re.compile(
    rb"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]",
    re.IGNORECASE | re.DOTALL,
)
_SNIFF_BYTES = 4096
_CONTENT_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# One input's size limit (a file, a JSONL line, a WARC record's content, once decompressed):
# the crawl's DOWNLOAD_MAXSIZE, so both read the same pages. Over it: a ``too_large`` drop.
MAX_INPUT_BYTES = 10 * 1024 * 1024


# --- finding the files -------------------------------------------------------------------------


def expand_inputs(inputs: Sequence[str | Path], leave_out: Sequence[str | Path] = ()) -> list[Path]:
    """Files, directories (recursive, through links) and globs to a sorted list of unique files.

    A file reached by several paths (a link and its target, a folder and a file in it both
    named) is read once, under the first of its paths in sorted order, with a warning.

    Hidden files and directories are skipped inside a directory or glob (as the shell does), but
    read when named. So are files under the ``leave_out`` directories (the run's own output and
    state: ``newsdedup run .`` must not read back what earlier runs wrote). The order depends
    only on the paths, never on the order of ``inputs``.
    """
    outside = [Path(d).resolve() for d in leave_out]
    found: dict[Path, Path] = {}
    again: Counter[Path] = Counter()  # a file -> how many more paths reached it
    left_out = 0
    for name in inputs:
        named = os.path.isfile(name)  # False, not an error, when it cannot be read
        for path in _expand_one(str(name)):
            key = Path(os.path.realpath(path))  # (Path.resolve raises on a link loop)
            if not named and any(key.is_relative_to(d) for d in outside):
                left_out += 1
                continue
            if key in found:
                again[key] += 1
            if key not in found or path.parts < found[key].parts:
                found[key] = path
    if again:
        log.warning(
            "read once, though reached by more than one path (a link, or an input named "
            "twice): %d file(s), %d extra path(s)",
            len(again),
            again.total(),
        )
    if left_out:
        where = ", ".join(str(d) for d in leave_out)
        if not found:
            raise NewsdedupError(f"no inputs outside the output and state directories ({where})")
        log.warning(
            "left out %d files under the output and state directories (%s)", left_out, where
        )
    return sorted(found.values(), key=lambda p: p.parts)


def _expand_one(name: str) -> list[Path]:
    if not name.strip():  # Path("") is the current folder: an unset shell variable, likely
        raise NewsdedupError(f"an input path is empty: {name!r}")
    path = Path(name)
    try:
        if _dangling(path):
            return [path]  # a counted broken_link drop, not an argument error
        if path.is_dir():
            under = _files_under(path)
            if not under:
                raise NewsdedupError(f"no files under: {name}")
            return under
        if path.exists():
            return [_checked_file(path)]
        if not any(c in name for c in "*?["):
            raise NewsdedupError(f"no such file or directory: {name}")
        files: list[Path] = []
        known: dict[Path, bool] = {}
        fixed = len(_fixed_part(name).parts)
        for match in sorted(glob.glob(name, recursive=True)):
            hit = Path(match)
            # a folder the glob matched, or one below its fixed part that a matched file is in
            folders = [hit, *hit.parents][: max(0, len(hit.parts) - fixed)]
            if any(_output_folder(d, known) for d in folders):
                continue
            if hit.is_dir():
                files.extend(_files_under(hit))
            elif hit.is_file():
                files.append(_checked_file(hit))
            elif _dangling(hit):
                files.append(hit)  # a counted broken_link drop
    except PermissionError as exc:
        raise NewsdedupError(f"permission denied: {exc.filename or name}") from exc
    if not files:
        raise NewsdedupError(f"no files match: {name}")
    return files


def _fixed_part(pattern: str) -> Path:
    """The leading folders of a glob pattern that hold no wildcard."""
    parts = Path(pattern).parts
    fixed = next((i for i, part in enumerate(parts) if any(c in part for c in "*?[")), len(parts))
    return Path(*parts[:fixed])


def _checked_file(path: Path) -> Path:
    if not path.is_file():
        raise NewsdedupError(f"not a regular file: {path}")
    if not os.access(path, os.R_OK):
        raise NewsdedupError(f"permission denied: {path}")
    return path


def _walk_error(exc: OSError) -> None:
    if isinstance(exc, PermissionError):
        raise NewsdedupError(f"permission denied: {exc.filename}") from exc
    raise NewsdedupError(f"cannot read directory {exc.filename}: {exc.strerror}") from exc


def _files_under(directory: Path) -> list[Path]:
    if not os.access(directory, os.R_OK | os.X_OK):
        raise NewsdedupError(f"permission denied: {directory}")
    files = []
    walked: dict[str, str] = {}  # a real directory -> the path it was read under
    # Links to directories are followed (a tree assembled from links is common), each real
    # directory once, so that a link loop ends. Sorted, so that a directory reached by two
    # paths is read under the first in sorted order, whatever order the listing gives.
    for root, dirs, names in os.walk(directory, onerror=_walk_error, followlinks=True):
        real = os.path.realpath(root)
        if real in walked:
            dirs[:] = []
            log.warning("read once: %s is the folder %s, read already", root, walked[real])
            continue
        walked[real] = root
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and not _output_folder(Path(root, d))
        )
        for name in names:
            path = Path(root, name)
            if name.startswith("."):
                continue
            if path.is_file():
                files.append(_checked_file(path))
            else:  # a link to nothing, a FIFO, a socket: counted drops, never opened
                files.append(path)
    return files


def _dangling(path: Path) -> bool:
    """A link to nothing: its target is missing, or it is part of a loop of links."""
    return path.is_symlink() and not os.path.exists(path)


def _output_folder(directory: Path, known: dict[Path, bool] | None = None) -> bool:
    """A folder newsdedup writes (a run's output, with its runs/, or a state): what it holds
    was read once already. Left out with a warning; name a file in it to read it again.
    ``known``: the answers so far, so that each folder is looked at (and named) once."""
    if known is not None and directory in known:
        return known[directory]
    try:
        kind = (
            "output"
            if (directory / "articles.jsonl").is_file() and (directory / "clusters.jsonl").is_file()
            else "state"
            if holds_state(directory)
            else None
        )
    except PermissionError:  # not ours to tell: reading it names the folder that is denied
        kind = None
    if kind is not None:
        log.warning("left out %s: a newsdedup %s folder", directory, kind)
    if known is not None:
        known[directory] = kind is not None
    return kind is not None


# --- reading them ------------------------------------------------------------------------------


def iter_documents(inputs: Sequence[str | Path]) -> Iterator[Document | Drop]:
    """Every Document or Drop from ``inputs``, file by file in ``expand_inputs`` order.

    The inputs are expanded at once, so a bad argument raises before anything is read.
    """
    return read_files(expand_inputs(inputs))


def read_files(
    paths: Sequence[Path], max_bytes: int = MAX_INPUT_BYTES
) -> Iterator[Document | Drop]:
    """Every Document or Drop from files ``expand_inputs`` already found, without looking them
    up again. ``max_bytes``: the size limit of one input (0: none)."""
    return (item for path in paths for item in load_path(path, max_bytes))


def load_path(path: Path, max_bytes: int = MAX_INPUT_BYTES) -> Iterator[Document | Drop]:
    """The items of one file: one for HTML or text, one per line or record for JSONL or WARC.

    A file that cannot be read once the run has begun (removed, or a read error) is an
    ``unreadable`` drop: the items read from it before count as they are.
    """
    if _dangling(path):
        yield Drop("broken_link", str(path), _why_dangling(path))
        return
    limit = max_bytes if max_bytes > 0 else None
    try:
        special = _special_kind(path)
        if special is not None:  # never opened: a FIFO would block
            yield Drop("unsupported_type", str(path), special)
            return
        name = path.name.lower().removesuffix(".gz")
        kind = _KINDS.get(os.path.splitext(name)[1]) or _sniff_kind(path)
        if isinstance(kind, Drop):
            yield kind
        elif kind is None:
            yield Drop("unsupported_type", str(path), os.path.splitext(name)[1] or "no extension")
        elif kind == "jsonl":
            yield from _load_jsonl(path, limit)
        elif kind == "warc":
            yield from _load_warc(path, limit)
        else:
            yield _load_file(path, limit, html=kind == "html")
    except OSError as exc:
        yield Drop("unreadable", str(path), exc.strerror or str(exc))


def _special_kind(path: Path) -> str | None:
    """What a file that is not a regular file is (a FIFO, a socket, a device), else None."""
    mode = os.stat(path).st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO, not a regular file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file"
    return "a device or other special file, not a regular file"


def _too_large(source: str, limit: int) -> Drop:
    return Drop("too_large", source, f"over the limit of {limit:,} bytes")


def _why_dangling(path: Path) -> str:
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a loop of links"
    return f"a link to {os.readlink(path)}, which is not there"


def _sniff_kind(path: Path) -> str | Drop | None:
    """``"warc"`` or ``"html"`` by the first bytes, None for neither; a ``bad_gzip`` Drop when
    damage hides the bytes that would tell."""
    with _open_stream(path) as (stream, gz):
        head = stream.read(_SNIFF_BYTES)
    if gz is not None and gz.error is not None and len(head) < _SNIFF_BYTES:
        return Drop("bad_gzip", str(path), gz.error)
    if not head.strip():
        return Drop("empty", str(path))
    if head.startswith(b"WARC/"):
        return "warc"
    for bom, codec in BOMS:
        if head.startswith(bom):
            head = head[len(bom) :].decode(codec, "ignore").encode("utf-8")
            break
    return "html" if _HTML_START.match(head) else None


def _load_file(path: Path, limit: int | None, *, html: bool) -> Document | Drop:
    with _open_stream(path) as (stream, gz):
        data = _read_capped(stream, limit)
    if gz is not None and gz.error is not None:
        return Drop("bad_gzip", str(path), gz.error)
    if data is None:
        assert limit is not None
        return _too_large(str(path), limit)
    return _document_from_bytes(data, source=str(path), url=None, html=html)


_READ_PART = 1 << 20


def _read_capped(stream: IO[bytes], limit: int | None) -> bytes | None:
    """All of ``stream``, or None when it holds more than ``limit`` bytes (the rest unread:
    a decompression bomb is not inflated)."""
    if limit is None:
        return stream.read()
    # A part at a time: read(limit + 1) would set aside the whole limit first, which a limit
    # raised far past the machine's memory (to mean "none") cannot have.
    parts, total = [], 0
    while chunk := stream.read(min(_READ_PART, limit + 1 - total)):
        parts.append(chunk)
        total += len(chunk)
        if total > limit:
            return None
    return b"".join(parts)


def text_or_drop(
    data: bytes, *, source: str, html: bool, declared: str | None = None
) -> str | Drop:
    """A file's or a fetched page's bytes as text, or why they are none: ``empty``, ``binary``."""
    if not data or data.isspace():
        return Drop("empty", source)
    if data.startswith(_BINARY_MAGIC):
        return Drop("binary", source, "binary file signature")
    text = decode(data, declared, html=html)
    if text is None:
        return Drop("binary", source, "not text in any plausible encoding")
    if not text or text.isspace():
        return Drop("empty", source)
    return text


def _document_from_bytes(
    data: bytes, *, source: str, url: str | None, html: bool, declared: str | None = None
) -> Document | Drop:
    text = text_or_drop(data, source=source, html=html, declared=declared)
    if isinstance(text, Drop):
        return text
    if html:
        return document_from_html(text, source=source, url=url)
    return document_from_text(text, source=source, url=url)


def _normalise(text: str) -> str:
    text = text.removeprefix("\ufeff")
    if "\r" in text:  # the scan is much cheaper than a replace that finds nothing
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def document_from_html(html: str, *, source: str, url: str | None) -> Document:
    """An HTML Document; the id comes from the URL, or from the page when there is none."""
    html = _normalise(html)
    return Document(id=make_id(url, html), source=source, url=url, html=html)


def document_from_text(text: str, *, source: str, url: str | None = None) -> Document:
    """A plain-text Document (``html`` stays None, so extraction leaves it alone)."""
    text = _normalise(text)
    return Document(id=make_id(url, text), source=source, url=url, text=text)


# --- gzip streams ------------------------------------------------------------------------------


class _GzipReader(io.RawIOBase):
    """Decompressed gzip that ends quietly where the data is cut or corrupt, noting why.

    warcio takes an EOFError for the normal end of an archive, so a truncated ``.warc.gz`` would
    otherwise lose its last records without a word; the callers check ``error`` at the end.
    Members follow one another as one stream (``cat a.gz b.gz``). After the last one, newlines,
    spaces and NULs are padding, as ``gzip -d`` reads them; any other byte there is an error.
    """

    _PADDING = b" \t\r\n\0"

    def __init__(self, fileobj: IO[bytes]) -> None:
        super().__init__()
        self._raw = fileobj
        self._member = zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer, checked
        self._input = b""
        self.error: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        if self.error is not None:
            return 0
        view = memoryview(buffer)
        try:
            data = self._decompress(len(view))
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            self.error = str(exc) or type(exc).__name__
            return 0
        view[: len(data)] = data
        return len(data)

    def _decompress(self, size: int) -> bytes:
        """Up to ``size`` bytes of decompressed data; b"" at the end of the last member."""
        while True:
            if self._member.eof and not self._next_member():
                return b""
            if not self._input:
                self._input = self._raw.read(1 << 16)
                if not self._input:
                    raise EOFError("gzip data ends before the end of its member")
            data = self._member.decompress(self._input, size)
            self._input = self._member.unconsumed_tail
            if data:
                return data

    def _next_member(self) -> bool:
        """Start the member after the one that ended; False when only padding is left."""
        rest = self._member.unused_data + self._input
        while len(rest) < 2 and (more := self._raw.read(1 << 16)):
            rest += more
        if rest[:2] == _GZIP_MAGIC:
            self._member = zlib.decompressobj(wbits=31)
            self._input = rest
            return True
        while True:
            if rest.strip(self._PADDING):
                raise gzip.BadGzipFile(f"not gzip data after the last member ({rest[:8]!r})")
            rest = self._raw.read(1 << 16)
            if not rest:
                self._input = b""
                return False


@contextmanager
def _open_stream(path: Path) -> Iterator[tuple[io.BufferedReader[Any], _GzipReader | None]]:
    with path.open("rb") as raw:
        if raw.peek(2)[:2] != _GZIP_MAGIC:
            yield raw, None
            return
        gz = _GzipReader(raw)
        with io.BufferedReader(gz, 1 << 16) as stream:
            yield stream, gz


# --- JSONL -------------------------------------------------------------------------------------


def _load_jsonl(path: Path, limit: int | None) -> Iterator[Document | Drop]:
    lineno = 0
    cut_at: int | None = None
    seen = False
    with _open_stream(path) as (stream, gz):
        lines: Iterator[bytes | str | _LongLine] = _lines(stream, limit)
        head = stream.peek(4)[:4]
        for bom, codec in BOMS:
            if head.startswith(bom) and codec != "utf-8":
                # the plain codec name, so that the BOM is consumed rather than kept as text
                text = io.TextIOWrapper(stream, encoding=codec[:6], errors="replace")
                lines = _lines(text, limit)
                break
        else:
            wide = _json_without_bom(head)
            if wide is not None:
                lines = _lines(io.TextIOWrapper(stream, encoding=wide, errors="replace"), limit)
        # the file's legacy encoding, when a line is not UTF-8: detected once, on that line and
        # what follows it, so that a short line is not read in a code page of its own
        legacy: str | None = None
        for lineno, line in enumerate(lines, 1):
            if isinstance(line, _LongLine):
                seen = True
                assert limit is not None
                yield _too_large(f"{path}:{lineno}", limit)
                continue
            if gz is not None and gz.error is not None and not _ends_line(line):
                cut_at = lineno  # the line the damage cut short: reported once, below
                break
            if _blank(line):
                continue
            seen = True
            if legacy is None and isinstance(line, bytes) and not _utf8_or_binary(line):
                legacy = detect_codec(line + stream.peek(_LEGACY_SAMPLE)[:_LEGACY_SAMPLE]) or ""
            yield _jsonl_item(line, f"{path}:{lineno}", legacy or None)
        if gz is not None and gz.error is not None:
            yield Drop("bad_gzip", f"{path}:{cut_at or lineno + 1}", gz.error)
            return
    if not seen:
        yield Drop("empty", str(path))


class _LongLine(NamedTuple):
    """A line over the size limit, skipped without being held in memory."""


def _lines(stream: IO[Any], limit: int | None) -> Iterator[Any]:
    """Lines ended by LF, CRLF or a lone CR, as text mode reads them (bytes, or str from a
    text stream); a ``_LongLine`` for one longer than ``limit``.

    A raw CR cannot be inside a JSON string, so splitting at one never cuts a valid item.
    """
    newline = "\n" if isinstance(stream, io.TextIOBase) else b"\n"
    while line := stream.readline(-1 if limit is None else limit + 1):
        if limit is not None and len(line) > limit:
            while line and not line.endswith(newline):  # the rest of it, a piece at a time
                line = stream.readline(1 << 20)
            yield _LongLine()
            continue
        if isinstance(line, bytes) and b"\r" in line.rstrip(b"\r\n"):
            yield from line.splitlines(keepends=True)
        else:
            yield line


def _blank(line: bytes | str) -> bool:
    """Whether a line holds nothing but whitespace (and a byte order mark)."""
    if isinstance(line, bytes):
        return not line.removeprefix(b"\xef\xbb\xbf").strip()
    return not line.removeprefix("\ufeff").strip()


def _json_without_bom(head: bytes) -> str | None:
    """UTF-16 or UTF-32 without a BOM, told by the NULs around the first character (RFC 4627)."""
    return _WIDE_JSON.get("".join("0" if b == 0 else "x" for b in head))


_WIDE_JSON = {"000x": "utf-32-be", "0x0x": "utf-16-be", "x000": "utf-32-le", "x0x0": "utf-16-le"}


def _ends_line(line: bytes | str) -> bool:
    return line.endswith((b"\n", b"\r")) if isinstance(line, bytes) else line.endswith("\n")


_LEGACY_SAMPLE = 1 << 16  # bytes after a line that is not UTF-8 to tell the file's encoding


def _utf8_or_binary(line: bytes) -> bool:
    """Whether a line is ASCII or UTF-8, or holds NUL bytes (which ``decode`` judges)."""
    if line.isascii() or b"\x00" in line:
        return True
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _jsonl_item(line: bytes | str, source: str, legacy: str | None = None) -> Document | Drop:
    if isinstance(line, bytes):
        # JSON is UTF-8 by rule, but exports in a legacy code page exist: ``legacy`` is the
        # file's, tried after UTF-8; NUL bytes make it None
        decoded = decode(line, legacy, html=False)
        if decoded is None:
            return Drop("bad_json", source, "not text")
        line = decoded
    try:
        obj = json.loads(line.removeprefix("\ufeff"))
    except json.JSONDecodeError as exc:
        return Drop("bad_json", source, f"{exc.msg.removesuffix(' at')} at column {exc.colno}")
    except RecursionError:
        return Drop("bad_json", source, "nested too deeply")
    except ValueError:  # Python's limit on integer digits; all else is a JSONDecodeError
        return Drop("bad_json", source, "a number of more than 4,300 digits")
    if not isinstance(obj, dict):
        return Drop("bad_json", source, f"a JSON {type(obj).__name__}, not an object")
    url = _str_field(obj, "url", source)
    html, text = _str_field(obj, "html", source), _str_field(obj, "text", source)
    if html is not None:
        doc = document_from_html(html, source=source, url=url)
    elif text is not None:
        doc = document_from_text(text, source=source, url=url)
    else:
        return Drop("no_content", source, "no html or text field")
    doc.title = _str_field(obj, "title", source)
    doc.author = _str_field(obj, "author", source)
    published = _str_field(obj, "published", source)
    doc.published = iso(parse_when(published))
    # What the record states wins over what its page says (as its url does).
    doc.given = frozenset(
        name for name in ("title", "author", "published") if getattr(doc, name) is not None
    )
    if published and doc.published is None:
        _field_warning(
            "published",
            "%s: 'published' %r is not a calendar day in ISO 8601 or RFC 822 form: ignored",
            source,
            published[:40],
        )
    return doc


# A JSONL field ignored: the first of each kind in a process is a warning, the rest are logged
# at info (``-v``), so a file of a million such lines does not flood the log.
_field_warning = OncePerKind(log, " (further ones logged with -v)")


def _str_field(obj: dict[str, Any], key: str, source: str) -> str | None:
    """A non-blank string field, or None; a field of another type is named in a warning. A
    lone surrogate escape (``"\\ud800"``, valid JSON but not text) becomes U+FFFD."""
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        kind = type(value).__name__
        _field_warning(
            f"type {key}", "%s: %r is a JSON %s, not a string: ignored", source, key, kind
        )
        return None
    return without_surrogates(value) if isinstance(value, str) and value.strip() else None


# --- WARC --------------------------------------------------------------------------------------

# warcio raises AttributeError on a record cut inside its HTTP headers.
_WARC_ERRORS = (ArchiveLoadFailed, StatusAndHeadersParserException, ValueError, AttributeError)


class _BadWarc(Exception):
    pass


class _BadPayload(Exception):
    """A record whose framing is sound but whose content cannot be decoded: only it is lost."""


class _TooLarge(Exception):
    """A record whose content is over the size limit, once decompressed."""


class _Record(NamedTuple):
    url: str | None
    status: str | None  # None without HTTP headers (a resource record)
    content_type: str | None
    payload: bytes


def _load_warc(path: Path, limit: int | None) -> Iterator[Document | Drop]:
    seen = False
    with _open_stream(path) as (stream, gz):
        while not (head := stream.peek(1)).strip():  # blank space only, so far
            if not head:  # the end: nothing but blank space (or nothing) in the file
                yield (
                    Drop("bad_gzip", str(path), gz.error)
                    if gz and gz.error
                    else Drop("empty", str(path))
                )
                return
            stream.read(len(head))
        archive = ArchiveIterator(stream)
        records = iter(archive)
        while True:
            errors = archive.err_count
            # archive.offset is where this record starts (in the uncompressed stream)
            start = archive.offset
            try:
                warc_record = next(records)
                record = _read_record(warc_record, limit)
            except StopIteration:
                break
            except _TooLarge:
                seen = True
                archive.read_to_end()
                assert limit is not None
                yield _too_large(_record_source(path, warc_record, start), limit)
                continue
            except _BadPayload as exc:
                seen = True
                archive.read_to_end()
                yield Drop("bad_warc", _record_source(path, warc_record, start), str(exc))
                continue
            except (_BadWarc, *_WARC_ERRORS) as exc:
                detail = str(exc) or type(exc).__name__
                if isinstance(exc, AttributeError):  # warcio's own slip on broken headers
                    detail = "record headers that cannot be read: cut or corrupt"
                yield _warc_damage(path, start, gz, detail)
                return
            # Reading on to the next record shows whether this one ended where its
            # Content-Length said: warcio counts the miss (and warns on stderr) but goes on.
            archive.read_to_end()
            if archive.err_count > errors:
                seen = True  # the file is accounted for: not also ``no_content``
                yield Drop(
                    "bad_warc",
                    _record_source(path, warc_record, start),
                    "Content-Length does not match the record; the records after it may be lost",
                )
            elif record is not None:
                seen = True
                yield _warc_item(record, _record_source(path, warc_record, start))
        if gz is not None and gz.error is not None:
            yield _warc_damage(path, archive.offset, gz, gz.error)
            return
        if gz is None and _has_more(stream, archive.offset):
            # warcio ends quietly at a record cut inside its WARC headers
            yield Drop("bad_warc", f"{path}#{archive.offset}", "the file ends inside a record")
            return
    if not seen:
        yield Drop("no_content", str(path), "no response or resource records")


def _warc_damage(path: Path, offset: int, gz: _GzipReader | None, detail: str) -> Drop:
    if gz is not None and gz.error is not None:
        return Drop("bad_gzip", f"{path}#{offset}", gz.error)
    return Drop("bad_warc", f"{path}#{offset}", detail)


def _record_id(record: Any) -> str:
    return str(record.rec_headers.get_header("WARC-Record-ID") or "").strip("<>")


def _record_source(path: Path, record: Any, offset: int) -> str:
    """A record's name in drops and sources: its WARC-Record-ID, else where it starts."""
    return f"{path}#{_record_id(record) or offset}"


def _has_more(stream: IO[bytes], offset: int) -> bool:
    """Whether anything but blank lines follows ``offset`` in the (seekable) ``stream``."""
    stream.seek(offset)
    while chunk := stream.read(1 << 16):
        if chunk.strip():
            return True
    return False


def _read_record(record: Any, limit: int | None) -> _Record | None:
    """What we need of a warcio record; None for records that are not inputs. Its content is
    read only when it can be an article: a video's is skipped unread."""
    if record.format != "warc" or not record.rec_type:
        raise _BadWarc("not a WARC record")
    length = record.rec_headers.get_header("Content-Length")
    if length is None or not length.strip().isdigit():
        # Every WARC record has one. Missing or empty, the file ends inside the record's
        # headers (warcio reads them to the end of the file); otherwise it is not a number.
        raise _BadWarc(f"record without a valid Content-Length ({length!r}): cut or corrupt")
    if record.rec_type not in ("response", "resource"):
        return None
    http = record.http_headers
    status = None if http is None else str(http.get_statuscode() or "")
    content_type = record.content_type if http is None else http.get_header("Content-Type")
    mime = _parse_content_type(content_type)[0]
    payload = b""
    if (status is None or status.startswith("2")) and mime in (None, *_HTML_TYPES):
        truncated = record.rec_headers.get_header("WARC-Truncated")
        if truncated:
            raise _BadPayload(f"the capture was cut short (WARC-Truncated: {truncated})")
        body = _read_capped(record.raw_stream, limit)
        if body is None:
            raise _TooLarge()
        payload = _decoded(body, http, limit)
    while record.raw_stream.read(1 << 16):  # to the end: a record cut short shows a shortfall
        pass
    if isinstance(record.raw_stream, LimitReader) and record.raw_stream.limit > 0:
        raise _BadWarc(f"record {_record_id(record)} cut short")
    return _Record(
        url=record.rec_headers.get_header("WARC-Target-URI") or None,
        status=status,
        content_type=content_type,
        payload=payload,
    )


def _decoded(body: bytes, http: Any, limit: int | None) -> bytes:
    """An HTTP body with its transfer and content codings undone; ``_BadPayload`` when one was
    cut short or does not decode, ``_TooLarge`` when it decompresses to over ``limit``.

    Archivers that store the body decoded but keep the headers exist (warcio reads such a body
    as it is): a body that is not chunked, or not compressed, from its first bytes is taken
    as it is.
    """
    if http is None:
        return body
    if (http.get_header("Transfer-Encoding") or "").strip().lower() == "chunked":
        body = _dechunked(body)
    coding = (http.get_header("Content-Encoding") or "").strip().lower()
    if coding in ("gzip", "x-gzip", "deflate"):
        return _inflated(body, coding, limit)
    if coding == "br":
        try:
            import brotli
        except ImportError as exc:  # Scrapy installs it; a bare install may lack it
            raise _BadPayload("Content-Encoding br, and brotli is not installed") from exc
        try:
            data = bytes(brotli.decompress(body))
        except brotli.error as exc:
            raise _BadPayload(f"Content-Encoding br does not decode: {exc}") from exc
        if limit is not None and len(data) > limit:
            raise _TooLarge()
        return data
    return body  # identity, or a coding not known: the bytes tell (``binary``) what they are


_CHUNK_SIZE = re.compile(rb"[0-9a-fA-F]{1,8}")


def _dechunked(body: bytes) -> bytes:
    """A chunked body's data; the body as it is when it does not start with a chunk."""
    parts: list[bytes] = []
    pos = 0
    while True:
        eol = body.find(b"\n", pos)
        size_field = body[pos : eol if eol >= 0 else len(body)].split(b";")[0].strip()
        if eol < 0 or not _CHUNK_SIZE.fullmatch(size_field):
            if pos == 0:
                return body  # stored decoded
            if pos >= len(body.rstrip()):
                raise _BadPayload("the chunked body ends before its last (empty) chunk")
            raise _BadPayload(f"the chunked body has a bad chunk size at byte {pos}")
        size = int(size_field, 16)
        if size == 0:
            return b"".join(parts)
        start = eol + 1
        if start + size > len(body):
            raise _BadPayload("the chunked body ends inside a chunk")
        parts.append(body[start : start + size])
        pos = start + size
        pos += 2 if body[pos : pos + 2] == b"\r\n" else 1 if body[pos : pos + 1] == b"\n" else 0


def _inflated(body: bytes, coding: str, limit: int | None) -> bytes:
    """A gzip or deflate body decompressed, checked to its end."""
    error: zlib.error | None = None
    # deflate is zlib-wrapped by the standard, raw by some servers
    for wbits in (15, -15) if coding == "deflate" else (31,):
        inflater = zlib.decompressobj(wbits)
        try:
            data = inflater.decompress(body, 0 if limit is None else limit + 1)
        except zlib.error as exc:
            error = exc
            continue
        if limit is not None and len(data) > limit:
            raise _TooLarge()
        if not inflater.eof:
            raise _BadPayload(f"the {coding} body is cut short")
        return data
    compressed = body.startswith(_GZIP_MAGIC) if coding != "deflate" else body[:1] == b"\x78"
    if compressed:
        raise _BadPayload(f"Content-Encoding {coding} does not decode: {error}")
    return body  # stored decoded


def _warc_item(record: _Record, source: str) -> Document | Drop:
    if record.status is not None and not record.status.startswith("2"):
        return Drop("http_status", source, record.status or "no status")
    mime, charset = _parse_content_type(record.content_type)
    if mime is None and _HTML_START.match(record.payload[:_SNIFF_BYTES]):
        mime = "text/html"
    if mime not in _HTML_TYPES:
        return Drop("not_html", source, mime or "no content type")
    return _document_from_bytes(
        record.payload, source=source, url=record.url, html=True, declared=charset
    )


def _parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    mime = value.split(";", 1)[0].strip().lower() or None
    match = _CONTENT_CHARSET.search(value)
    return mime, match.group(1) if match else None
