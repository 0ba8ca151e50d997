"""Signatures equal datasketch's for the same shingles, and LSH bands agree with MinHashLSH."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.group import signatures
from pipeline.group.passages import split_passages
from pipeline.group.signatures import band_keys, lean_minhash, shingle_hashes, signature

FIXTURES = Path(__file__).parent / "fixtures" / "group"
SEED_A = (FIXTURES / "seed_stratnews.txt").read_text(encoding="utf-8")
SEED_B = (FIXTURES / "seed_southfront.txt").read_text(encoding="utf-8")


def sig(text: str, num_perm: int = 64):  # type: ignore[no-untyped-def]
    return signature(text, shingle_chars=5, num_perm=num_perm, seed=1, min_chars=30)


def datasketch_minhash(hashes: np.ndarray, num_perm: int = 64) -> np.ndarray:
    m = MinHash(num_perm=num_perm, seed=1, scheme="affine32", hashfunc=lambda x: x)
    m.update_batch(hashes.tolist())
    return np.asarray(m.hashvalues)


def test_passage_and_document_signatures_equal_datasketch() -> None:
    for text in (SEED_A, SEED_B):
        s = sig(text)
        assert len(s.spans) >= 15
        for i in range(len(s.spans)):
            assert np.array_equal(s.passage_minhash[i], datasketch_minhash(s.passage_set(i)))
        assert np.array_equal(s.doc_minhash, datasketch_minhash(s.doc_shingles))
    s = sig(SEED_A, num_perm=128)
    assert np.array_equal(s.doc_minhash, datasketch_minhash(s.doc_shingles, 128))


def test_shingles_do_not_cross_lines() -> None:
    hashes, valid, line = shingle_hashes("abcdefg\nhijklmn", 5)
    both = set(hashes[valid].tolist())
    left, lv, _ = shingle_hashes("abcdefg", 5)
    right, rv, _ = shingle_hashes("hijklmn", 5)
    assert both == set(left[lv].tolist()) | set(right[rv].tolist())
    assert line[valid].tolist() == [0, 0, 0, 1, 1, 1]


def test_band_keys_collide_exactly_when_datasketch_lsh_finds_the_pair() -> None:
    a, b = sig(SEED_A), sig(SEED_B)
    lsh = MinHashLSH(num_perm=64, params=(21, 3))
    for i, row in enumerate(a.passage_minhash):
        lsh.insert(f"a{i}", lean_minhash(row, seed=1))
    by_datasketch = {
        (int(k[1:]), j)
        for j, row in enumerate(b.passage_minhash)
        for k in lsh.query(lean_minhash(row, seed=1))
    }
    ka, kb = band_keys(a.passage_minhash, 21, 3), band_keys(b.passage_minhash, 21, 3)
    ours = {
        (i, j) for i in range(ka.shape[0]) for j in range(kb.shape[0]) if (ka[i] == kb[j]).any()
    }
    assert ours == by_datasketch
    assert ours  # the two shared Reuters sentences collide in some band


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(SEED_A.split(". ") + SEED_B.split(". ")), min_size=1, max_size=12))
def test_signatures_depend_on_the_text_alone(pieces: list[str]) -> None:
    text = ". ".join(pieces)
    one, two = sig(text), sig(text)
    assert one.spans == two.spans and one.text_hash == two.text_hash
    assert np.array_equal(one.passage_minhash, two.passage_minhash)
    assert np.array_equal(one.doc_minhash, two.doc_minhash)
    assert np.array_equal(one.doc_shingles, two.doc_shingles)
    # The document's signature is the minimum of everything it contains.
    if one.passage_minhash.shape[0]:
        assert (one.doc_minhash <= one.passage_minhash.min(axis=0)).all()


@pytest.mark.parametrize("block", [7, 100, 1000])
def test_signatures_permuted_in_blocks_equal_datasketch(
    monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """Shingles are permuted a block at a time (a book-length text would otherwise take
    gigabytes): passages that straddle blocks, or span several, keep their exact minima."""
    monkeypatch.setattr(signatures, "_BLOCK", block)
    s = sig(SEED_A + "\n\n" + SEED_B)
    assert s._windows.size > 5 * block
    for i in range(len(s.spans)):
        assert np.array_equal(s.passage_minhash[i], datasketch_minhash(s.passage_set(i)))
    assert np.array_equal(s.doc_minhash, datasketch_minhash(s.doc_shingles))


def test_a_passage_repeated_word_for_word_is_one_passage() -> None:
    line = "Sign up for our free daily newsletter to get the top stories in your inbox."
    body = "The harbour authority approved the new container terminal on Tuesday evening."
    once = sig(f"{line}\n\n{body}")
    twice = sig(f"{line}\n\n{body}\n\n{line.upper()}\n\n{line}")
    # The repeats (in other case too: passages compare normalised) are not passages of their
    # own; the first occurrence is, and every shingle still counts for the whole text.
    assert [twice.text[s:e] for s, e in twice.spans] == [line, body]
    assert twice.length == len(twice.text) - 2 * len(line)  # repeats are not counted
    assert np.array_equal(twice.passage_minhash, once.passage_minhash)
    assert np.array_equal(twice.doc_minhash, datasketch_minhash(twice.doc_shingles))


def _plain_sets(s: signatures.Signature) -> tuple[list[set[int]], set[int]]:
    """Each passage's shingles and the whole text's, straight from ``shingle_hashes``."""
    passages = []
    for norm in s.norms:
        hashes, valid, _ = shingle_hashes(norm, 5)
        passages.append(set(hashes[valid].tolist()))
    lines = signatures.normalize("\n".join(s.text[a:b] for a, b in split_passages(s.text)))
    hashes, valid, _ = shingle_hashes(lines, 5)
    return passages, set(hashes[valid].tolist())


@pytest.mark.parametrize(
    ("text", "other_lines"),
    [
        (SEED_A, False),
        # Lines too short to be passages: their shingles count for the whole text only.
        (SEED_A + "\n\nShort line\n\nThe end\n\n" + SEED_B, True),
        # More passages than 8 bits can number, one of them repeated word for word.
        (
            "\n\n".join(
                f"Line number {i} of a long listing, with words {i * 7}." for i in range(300)
            )
            + "\n\nLine number 3 of a long listing, with words 21.",
            False,
        ),
    ],
)
def test_lean_signatures_hold_every_shingle_set(text: str, other_lines: bool) -> None:
    """Passage numbers are kept in 16 bits and the whole text's shingles as two parts: each
    passage's set, its size and the whole text's set are still the plain ones."""
    s = sig(text)
    passages, whole = _plain_sets(s)
    assert len(passages) == len(s.spans) > 2
    for i, expected in enumerate(passages):
        assert s.passage_set(i).tolist() == sorted(expected)
    assert s.sizes.tolist() == [len(p) for p in passages]
    assert s.passage_shingles.tolist() == sorted(set().union(*passages))
    assert s.doc_shingles.tolist() == sorted(whole)
    assert (whole > set().union(*passages)) is other_lines


def test_passages_are_numbered_up_to_the_16_bit_limit() -> None:
    """A text of more passages than MAX_PASSAGES keeps the first MAX_PASSAGES; the last of
    them is numbered 65534 and still has its own shingles."""
    n = signatures.MAX_PASSAGES + 5
    text = "\n".join(f"Row {i:06d} of the table of all the figures." for i in range(n))
    s = sig(text)
    assert len(s.spans) == signatures.MAX_PASSAGES
    last = signatures.MAX_PASSAGES - 1
    assert s.text[slice(*s.spans[last])] == f"Row {last:06d} of the table of all the figures."
    hashes, valid, _ = shingle_hashes(s.norms[last], 5)
    assert s.passage_set(last).tolist() == sorted(set(hashes[valid].tolist()))
    assert s.sizes[last] == len(set(hashes[valid].tolist()))
