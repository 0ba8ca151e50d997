"""Shingles and MinHash signatures of an article, its passages and its whole text, vectorised.

Shingles are the character 5-grams of the normalised text, hashed to 32 bits with a polynomial
rolling hash over the whole document at once. Signatures apply datasketch's own ``affine32``
permutations and its ``_fmix`` premix to those hashes, so a passage signature here equals
``datasketch.MinHash(num_perm, seed=seed, scheme="affine32", hashfunc=identity)`` fed the same
shingle hashes: an index built here can be queried through datasketch and the other way round.
The scheme is pinned: signatures of another scheme silently match nothing.

A document's signature is the elementwise minimum over all its shingles, which is the minimum
of its passages' signatures and of its short lines' (headings, list items) that are not
passages of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from datasketch import LeanMinHash, MinHash
from datasketch.minhash import _fmix

from pipeline.document import unspaced_chars
from pipeline.group.normalize import normalize, text_hash
from pipeline.group.passages import is_heading, split_passages

U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
U16 = npt.NDArray[np.uint16]
_G = TypeVar("_G", bound=np.generic)

SCHEME = "affine32"
_BASE = np.uint32(0x01000193)  # odd: the polynomial map from 5 code points is close to injective
_NEWLINE = 10
_MIX = np.uint64(0x9E3779B97F4A7C15)


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[U32, U32]:
    """datasketch's own ``(a, b)`` parameters for ``num_perm`` affine32 permutations."""
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
    return np.ascontiguousarray(a, dtype=np.uint32), np.ascontiguousarray(b, dtype=np.uint32)


def _distinct(values: npt.NDArray[_G]) -> npt.NDArray[_G]:
    """Sorted distinct values (sorting beats numpy 2's hash-based ``unique`` at these sizes)."""
    ordered = np.sort(values)
    if ordered.size < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def shingle_hashes(norm: str, k: int) -> tuple[U32, npt.NDArray[np.bool_], I64]:
    """Hashes of every ``k``-character window of ``norm``, which windows are shingles, and the
    line each window starts on.

    A window that spans a newline straddles two passages and is a shingle of neither.
    """
    codes = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32)
    n = codes.size - k + 1
    if n <= 0:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=bool), empty
    h = np.zeros(n, dtype=np.uint32)
    with np.errstate(over="ignore"):
        for i in range(k):
            h *= _BASE
            h += codes[i : i + n]
    newline = codes == _NEWLINE
    lines = np.cumsum(newline, dtype=np.int64)
    line_of_start = lines[:n] - newline[:n]
    # A window [i, i+k) holds a newline when its last character is on a later line.
    valid = lines[k - 1 : k - 1 + n] == line_of_start
    valid &= ~newline[:n]
    return h, valid, line_of_start


def apply_permutations(hashes: U32, num_perm: int, seed: int) -> U32:
    """The permuted values, one row per permutation and one column per shingle: MinHash takes
    row minima. (This layout keeps each row contiguous, which makes the minima several times
    faster than one row per shingle.)"""
    a, b = permutations(num_perm, seed)
    with np.errstate(over="ignore"):
        mixed = _fmix(hashes.astype(np.uint32, copy=False), 32)
        out: U32 = np.multiply.outer(a, mixed)
        out += b[:, None]
    return out


def band_keys(minhash: U32, bands: int, rows: int, salt: int = 0) -> I64:
    """One 64-bit key per band of each signature row (``n x bands``), as signed integers.

    Two signatures share a key exactly when they agree on that band (up to 64-bit collisions),
    which is what datasketch's ``MinHashLSH`` tests with the band's bytes.
    """
    if bands * rows > minhash.shape[-1]:
        raise ValueError(f"{bands} bands x {rows} rows exceed {minhash.shape[-1]} permutations")
    sig = np.atleast_2d(minhash)
    values = sig[:, : bands * rows].reshape(sig.shape[0], bands, rows).astype(np.uint64)
    with np.errstate(over="ignore"):
        key = np.full((sig.shape[0], bands), np.uint64(salt) * _MIX, dtype=np.uint64)
        key += np.arange(1, bands + 1, dtype=np.uint64)[None, :] * np.uint64(0xBF58476D1CE4E5B9)
        for r in range(rows):
            key ^= values[:, :, r]
            key *= _MIX
            key ^= key >> np.uint64(31)
    return key.view(np.int64)


def lean_minhash(hashvalues: U32, seed: int) -> LeanMinHash:
    """A datasketch ``LeanMinHash`` for APIs that need one (a Redis adapter, tests)."""
    return LeanMinHash(seed=seed, hashvalues=hashvalues, scheme=SCHEME)


@dataclass(slots=True)
class Signature:
    """Everything grouping compares about one document, derived from its text alone.

    ``spans`` are the passages long enough to count, as ``[start, end)`` offsets into the text,
    and ``norms`` their normalised text. Everything else is derived on first use: the MinHash
    signatures (only articles entering the index need them; an earlier article read back to
    be verified does not), and the exact shingle sets (only articles that meet a candidate
    need them): ``by_hash`` is the passages' inverted index, ``doc_shingles`` the sorted
    distinct shingles of the whole text (short lines too).

    A batch holds the signatures of all its articles until it is grouped, so they are kept
    lean: passage numbers in 16 bits (``MAX_PASSAGES``), positions in 32, and the whole
    text's shingles only as the two parts below.
    """

    spans: list[tuple[int, int]]
    text: str = field(repr=False)
    norms: list[str] = field(repr=False)
    text_hash: bytes
    length: int  # characters, less those of passages the text repeats word for word
    num_perm: int
    seed: int
    _windows: U32 = field(repr=False)  # shingles of kept passages, in text order
    _owner: U16 = field(repr=False)  # the kept passage of each of those
    _rest: U32 = field(repr=False)  # shingles of the other lines (short ones, headings)
    _passage_minhash: U32 | None = field(default=None, repr=False)
    _doc_minhash: U32 | None = field(default=None, repr=False)
    _doc: U32 | None = field(default=None, repr=False)
    _by_hash: tuple[U16, I32] | None = field(default=None, repr=False)
    _sizes: I64 | None = field(default=None, repr=False)
    _passage_shingles: U32 | None = field(default=None, repr=False)
    _numbers: dict[int, frozenset[str]] | None = field(default=None, repr=False)
    _heading: list[bool] | None = field(default=None, repr=False)

    @property
    def passage_minhash(self) -> U32:
        """One signature row per passage (``len(spans) x num_perm``)."""
        if self._passage_minhash is None:
            self._minhashes()
        assert self._passage_minhash is not None
        return self._passage_minhash

    @property
    def doc_minhash(self) -> U32:
        """The whole text's signature: the minimum over all its shingles."""
        if self._doc_minhash is None:
            self._minhashes()
        assert self._doc_minhash is not None
        return self._doc_minhash

    def _minhashes(self) -> None:
        num_perm, seed, windows, owner = self.num_perm, self.seed, self._windows, self._owner
        # A passage's windows are contiguous in text order: one reduceat per block of windows
        # gives the minima of the passages in it; a passage across blocks takes the least.
        starts = np.flatnonzero(np.concatenate(([True], owner[1:] != owner[:-1])))
        passage_mh = np.full((starts.size if windows.size else 0, num_perm), _U32_MAX, np.uint32)
        for w0 in range(0, windows.size, _BLOCK):
            w1 = min(w0 + _BLOCK, windows.size)
            first, last = np.searchsorted(starts, [w0, w1 - 1], side="right") - 1
            cuts = np.concatenate(([0], starts[first + 1 : last + 1] - w0))
            permuted = apply_permutations(windows[w0:w1], num_perm, seed)
            part = passage_mh[first : last + 1]
            np.minimum(part, np.minimum.reduceat(permuted, cuts, axis=1).T, out=part)
        doc_mh = passage_mh.min(axis=0) if passage_mh.size else np.full(num_perm, _U32_MAX)
        for r0 in range(0, self._rest.size, _BLOCK):
            rest = apply_permutations(self._rest[r0 : r0 + _BLOCK], num_perm, seed)
            doc_mh = np.minimum(doc_mh, rest.min(axis=1))
        self._passage_minhash = np.ascontiguousarray(passage_mh, dtype=np.uint32)
        self._doc_minhash = np.ascontiguousarray(doc_mh, dtype=np.uint32)

    @property
    def doc_shingles(self) -> U32:
        if self._doc is None:
            self._doc = _distinct(np.concatenate((self._windows, self._rest)))
        assert self._doc is not None
        return self._doc

    def by_hash(self) -> tuple[U16, I32]:
        """Every distinct (shingle, passage) pair sorted by shingle (the passages' inverted
        index): the passage, and the shingle's position in ``passage_shingles``."""
        if self._by_hash is None:
            code = _distinct(
                (self._windows.astype(np.uint64) << np.uint64(32)) | self._owner.astype(np.uint64)
            )
            hashes = (code >> np.uint64(32)).astype(np.uint32)
            owner = (code & np.uint64(0xFFFF)).astype(np.uint16)
            del code
            first = np.empty(hashes.size, dtype=bool)
            first[:1] = True
            np.not_equal(hashes[1:], hashes[:-1], out=first[1:])
            self._sizes = np.bincount(owner, minlength=len(self.spans)).astype(np.int64)
            self._passage_shingles = hashes[first]
            position = np.cumsum(first, dtype=np.int32)
            position -= 1
            self._by_hash = (owner, position)
        return self._by_hash

    @property
    def passage_shingles(self) -> U32:
        """The sorted distinct shingles of all passages together."""
        if self._passage_shingles is None:
            self.by_hash()
        assert self._passage_shingles is not None
        return self._passage_shingles

    @property
    def sizes(self) -> I64:
        """How many distinct shingles each passage has."""
        if self._sizes is None:
            self.by_hash()
        assert self._sizes is not None
        return self._sizes

    def passage_set(self, i: int) -> U32:
        """The sorted distinct shingles of passage ``i``."""
        owner, position = self.by_hash()
        found: U32 = self.passage_shingles[position[owner == i]]
        return found

    def heading(self, i: int) -> bool:
        """Whether passage ``i`` is a heading, list or table line (see ``is_heading``)."""
        if self._heading is None:
            self._heading = [is_heading(self.text, s, e) for s, e in self.spans]
        return self._heading[i]

    def numbers(self, i: int) -> frozenset[str]:
        """The numbers passage ``i`` states, as normalised tokens ("5", "30 thousand" -> "30")."""
        if self._numbers is None:
            self._numbers = {}
        found = self._numbers.get(i)
        if found is None:
            found = frozenset(w for w in self.norms[i].split() if w[0].isdigit())
            self._numbers[i] = found
        return found


MAX_PASSAGES = 65535  # passage numbers are stored in 16 bits
# Shingles permuted at a time: num_perm x 4 bytes each (16 MiB at 64 permutations), so that a
# book-length text does not take gigabytes (every one at once: 2.3 GiB for 9 MB of text).
_BLOCK = 1 << 16
_U32_MAX = np.iinfo(np.uint32).max


def signature(
    text: str, *, shingle_chars: int, num_perm: int, seed: int, min_chars: int
) -> Signature:
    """Compute a document's signature; deterministic in ``text`` and the parameters alone."""
    spans_all = split_passages(text)
    norms = normalize("\n".join([text[s:e] for s, e in spans_all])).split("\n") if spans_all else []
    if len(norms) != len(spans_all):
        raise AssertionError("normalised passages out of step with their spans")
    hashes, valid, line = shingle_hashes("\n".join(norms), shingle_chars)
    lengths = np.fromiter((len(n) for n in norms), dtype=np.int64, count=len(norms))
    # A character of Chinese, Japanese, Thai, ... holds about what two of a spaced script do
    # (one word for two against one for six): it counts twice towards the minimum.
    weighted = lengths + np.fromiter(map(unspaced_chars, norms), dtype=np.int64, count=len(norms))
    long_enough = np.flatnonzero((weighted >= min_chars) & (lengths >= shingle_chars))
    # A passage the article repeats word for word (a line a page shows twice) is one passage:
    # its later occurrences are not passages of their own, and not part of the article's
    # length either (which coverage divides by).
    seen: set[str] = set()
    kept_list = []
    repeated = 0
    for i in long_enough.tolist():
        if norms[i] not in seen:
            seen.add(norms[i])
            kept_list.append(i)
        else:
            repeated += spans_all[i][1] - spans_all[i][0]
    kept = np.array(kept_list[:MAX_PASSAGES], dtype=np.int64)
    # Renumber kept passages 0..n-1; windows of other lines get -1.
    rank = np.full(len(norms) + 1, -1, dtype=np.int64)
    rank[kept] = np.arange(kept.size)
    owner = rank[line] if line.size else line
    take = valid & (owner >= 0)
    spans = [spans_all[i] for i in kept]
    return Signature(
        spans=spans,
        text=text,
        norms=[norms[i] for i in kept],
        text_hash=text_hash(norms),
        length=len(text) - repeated,
        num_perm=num_perm,
        seed=seed,
        _windows=hashes[take],
        _owner=owner[take].astype(np.uint16),  # below MAX_PASSAGES
        _rest=hashes[valid & ~take],
    )
