"""The embedded adapter: records, evidence, LSH through band runs, transactions, files."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import pipeline.group.batch
from pipeline.config import GroupConfig
from pipeline.group.bandstore import FANOUT, BandStore
from pipeline.group.batch import _agreements, _could_link, _pack, _packed, make_signature
from pipeline.group.index import (
    SKETCH_BITS,
    Collisions,
    DocRecord,
    LshEntry,
    contains,
    distinct_rows,
    earliest_of_each,
    fan_out,
    open_index,
    shared_bands,
    unique_sorted,
)
from pipeline.group.links import Evidence, Match
from pipeline.group.sqlite_index import _Members

FIXTURES = Path(__file__).parent / "fixtures" / "group"
SEED_A = (FIXTURES / "seed_stratnews.txt").read_text(encoding="utf-8")
SEED_B = (FIXTURES / "seed_southfront.txt").read_text(encoding="utf-8")
CFG = GroupConfig()


def record(id_: str, text: str) -> DocRecord:
    sig = make_signature(text, CFG)
    n = len(sig.spans)
    return DocRecord(
        id=id_,
        published=1.0e9,
        length=len(text),
        site="x.example",
        text_hash=sig.text_hash,
        text=text,
        df=np.arange(n, dtype=np.uint16),
        sketch=np.zeros((n + 1, CFG.num_perm), dtype=np.uint8),
        cluster_id=id_,
    )


def entry(id_: str, text: str) -> LshEntry:
    sig = make_signature(text, CFG)
    return LshEntry(id_, sig.passage_minhash, sig.doc_minhash, sig.text_hash)


def test_records_and_evidence_round_trip(tmp_path: Path) -> None:
    index = open_index(str(tmp_path), CFG)
    try:
        index.put_records([record("a", SEED_A), record("b", SEED_B)])
        ev = Evidence("a", "b", False, 0.25, [Match(1, 2, 0.5, False, 10, 20, 30, 40)])
        index.add_evidence([ev])
        index.set_assignments({"b": ("a", "a", "wire_overlap")})
        index.commit()
    finally:
        index.close()
    index = open_index(str(tmp_path), CFG)
    try:
        got = index.get_records(["a", "b", "nope"])
        assert set(got) == {"a", "b"} and got["a"].text == SEED_A
        assert np.array_equal(got["a"].df, record("a", SEED_A).df)
        assert (got["b"].cluster_id, got["b"].parent, got["b"].relation) == (
            "a",
            "a",
            "wire_overlap",
        )
        assert index.get_records(["a"], text=False)["a"].text == ""
        (back,) = index.evidence_of(["b"])
        assert back == Evidence("a", "b", False, pytest.approx(0.25), ev.matches)  # type: ignore[arg-type]
        assert index.members(["a", "zzz"]) == {"a": ["a", "b"], "zzz": []}
        assert index.known(["a", "c"]) == {"a"}
    finally:
        index.close()


def test_insert_then_query_finds_a_batch_mate_and_an_earlier_article(tmp_path: Path) -> None:
    index = open_index(str(tmp_path), CFG)
    try:
        index.put_records([record("a", SEED_A)])
        index.insert_lsh([entry("a", SEED_A)])
        index.query_lsh([entry("a", SEED_A)])
        index.commit()
        # A second writer (another process would do the same) sees the committed article.
        other = open_index(str(tmp_path), CFG)
        try:
            batch = [entry("b", SEED_B), entry("c", SEED_B)]
            other.put_records([record("b", SEED_B), record("c", SEED_B)])
            other.insert_lsh(batch)
            found = other.query_lsh(batch)
            mine, _, theirs, _ = passage_pairs(found)
            pairs = {
                (found.ids[m], found.ids[o])
                for m, o in zip(mine.tolist(), theirs.tolist(), strict=True)
            }
            assert ("b", "a") in pairs and ("b", "c") in pairs and ("c", "b") in pairs
            docs = {
                (found.ids[m], found.ids[o])
                for m, o in zip(found.doc_mine.tolist(), found.doc_other.tolist(), strict=True)
            }
            assert ("b", "c") in docs  # identical texts: document band and text hash
            assert all(found.ids[m] != found.ids[o] for m, o in zip(mine, theirs, strict=True))
        finally:
            other.close()  # not committed: gone
    finally:
        index.close()
    index = open_index(str(tmp_path), CFG)
    try:
        assert index.known(["a", "b", "c"]) == {"a"}
    finally:
        index.close()


def passage_pairs(found: Collisions, most: int = 1 << 22) -> tuple[Any, ...]:
    """Every pair ``found.pairs`` makes, in one piece."""
    parts = list(found.pairs(most))
    if not parts:
        return tuple(np.zeros(0, dtype=np.int64) for _ in range(4))
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


def met_by_first_passage(found: Collisions) -> set[str]:
    _, mine_passage, other, _ = passage_pairs(found)
    pairs = zip(other.tolist(), mine_passage.tolist(), strict=True)
    return {found.ids[o] for o, p in pairs if p == 0}


def test_full_buckets_yield_their_earliest_articles_and_stop_growing(tmp_path: Path) -> None:
    cfg = GroupConfig(hot_bucket=4, max_passage_df=1)  # full at 4 articles
    line = "Sign up for our free daily newsletter to get the top stories in your inbox."

    def text(name: str) -> str:
        return f"{line}\n\nStory {name} is about something else entirely, told at its length."

    # Canonical order: the earliest published first.
    published = {
        "d0": 5.0,
        "d1": 3.0,
        "d2": 6.0,
        "d3": 1.0,
        "d4": 4.0,
        "d5": 2.0,
        "d6": 0.0,
        "e": 7.0,
    }

    def put(index: Any, ids: list[str]) -> set[str]:
        """Store and query ``ids`` as one batch: the articles their line (passage 0) met."""
        recs = [record(i, text(i)) for i in ids]
        for rec in recs:
            rec.published = 1.0e9 + published[rec.id]
        index.put_records(recs)
        index.insert_lsh([entry(i, text(i)) for i in ids])
        return met_by_first_passage(index.query_lsh([entry(i, text(i)) for i in ids]))

    index = open_index(str(tmp_path), cfg)
    try:
        assert put(index, ["d0"]) == set()
        assert put(index, ["d1", "d2"]) == {"d0", "d1", "d2"}
        # d3, d4 and d5 come in one batch and all enter the bucket: it holds six, more than
        # it takes, and from now on it takes no more.
        assert put(index, ["d3", "d4", "d5"]) >= {"d0", "d1", "d2", "d3", "d4", "d5"}
        # It yields its four earliest: d3, d5, d1, d4, and never d6, which came too late.
        assert put(index, ["d6"]) == {"d3", "d5", "d1", "d4"}
        index.commit()
    finally:
        index.close()
    index = open_index(str(tmp_path), cfg)
    try:  # the same from a later run
        assert put(index, ["e"]) == {"d3", "d5", "d1", "d4"}
    finally:
        index.close()


def test_a_full_bucket_must_show_a_passage_too_common() -> None:
    with pytest.raises(ValueError, match="hot_bucket"):
        GroupConfig(hot_bucket=6, max_passage_df=5)
    assert GroupConfig(hot_bucket=7, max_passage_df=5).hot_bucket == 7


def test_distinct_rows_even_under_one_fingerprint() -> None:
    first, same = distinct_rows(np.array([[3, 4], [5, 6], [3, 4]], dtype=np.int64))
    assert same[0] == same[2] != same[1] and sorted(first.tolist()) == [0, 1]
    # Two rows made to share a fingerprint (the weights are c and c squared, mod 2**64):
    # compared exactly, they stay apart.
    c = 0x9E3779B97F4A7C15
    w1, w2 = c % 2**64, c * c % 2**64
    first, same = distinct_rows(np.array([[0, w1], [w2, 0], [0, w1]], dtype=np.uint64))
    assert same[0] == same[2] != same[1] and sorted(first.tolist()) == [0, 1]


def test_unique_sorted_and_contains_agree_with_numpy() -> None:
    rng = np.random.default_rng(5)
    values = rng.integers(-(2**40), 2**40, size=5000) // 2**30  # many repeats
    assert np.array_equal(unique_sorted(values), np.unique(values))
    probe = rng.integers(-(2**10), 2**10, size=3000)
    assert np.array_equal(contains(unique_sorted(values), probe), np.isin(probe, values))
    assert not contains(unique_sorted(np.zeros(0, dtype=np.int64)), probe).any()


@pytest.mark.parametrize("seed", range(6))
def test_the_vectorised_choice_of_earliest_articles_is_earliest_of_each(seed: int) -> None:
    """The embedded adapter chooses a full bucket's articles in a vectorised form of
    ``earliest_of_each`` (the Redis adapter's): both must yield the same rows."""
    rng = np.random.default_rng(seed)
    articles = int(rng.integers(5, 400))
    refs = np.sort(rng.choice(10**6, size=articles, replace=False)).astype(np.int64)
    # A canonical place per article; some have no record (rank refs.size: never chosen).
    rank = rng.permutation(articles).astype(np.int64)
    rank[rng.random(articles) < 0.05] = articles
    buckets = int(rng.integers(1, 40))
    rows = int(rng.integers(1, 3000))
    bucket = rng.integers(0, buckets, size=rows).astype(np.int64)
    pos = rng.integers(0, articles, size=rows).astype(np.int64)
    value = np.arange(rows, dtype=np.int64) * 7 + 3  # each row told apart by its value
    members = _Members(bucket, value, refs, pos, rank)
    ours = set(rng.choice(refs, size=int(rng.integers(0, articles)), replace=False).tolist())
    most = int(rng.integers(1, 12))
    got_bucket, got_value = members.earliest(most, ours)
    got = sorted(zip(got_bucket.tolist(), got_value.tolist(), strict=True))
    key = {int(refs[n]): int(rank[n]) for n in range(articles) if rank[n] < articles}
    want = []
    for b in range(buckets):
        here = np.flatnonzero(bucket == b)
        chosen = set(
            earliest_of_each({int(refs[pos[r]]) for r in here} & key.keys(), key, ours, most)
        )
        want += [(b, int(value[r])) for r in here if int(refs[pos[r]]) in chosen]
    assert got == sorted(want)
    assert got  # every bucket holds some article with a record


def test_fan_out_hands_each_row_to_every_member_of_its_group() -> None:
    rows, members = fan_out(np.array([2, 0, 3]), np.array([0, 2, 2, 1]))
    assert sorted(zip(rows.tolist(), members.tolist(), strict=True)) == [(0, 1), (0, 2), (1, 0)]
    rows, members = fan_out(np.zeros(0, dtype=np.int64), np.array([0, 1]))
    assert rows.size == members.size == 0


@pytest.mark.parametrize("most", [1, 3, 50, 1 << 20])
def test_collisions_hand_each_find_to_every_passage_of_its_group(most: int) -> None:
    """``Collisions.pairs``, a part at a time, makes every (batch passage, find) pair of one
    group once, but a passage found for its own article."""
    rng = np.random.default_rng(most)
    for _ in range(20):
        groups, articles = int(rng.integers(1, 8)), int(rng.integers(1, 6))
        passages = int(rng.integers(0, 15))
        finds = int(rng.integers(0, 15))
        col = Collisions(
            [f"a{n}" for n in range(articles + 4)],
            found=rng.integers(0, groups, finds),
            other=rng.integers(0, articles + 4, finds),
            other_passage=rng.integers(0, 9, finds),
            batch_group=rng.integers(0, groups, passages),
            batch_article=rng.integers(0, articles, passages),
            batch_passage=rng.integers(0, 9, passages),
        )
        want = sorted(
            (int(col.batch_article[j]), int(col.batch_passage[j]), int(col.other[k]))
            + (int(col.other_passage[k]),)
            for k in range(finds)
            for j in range(passages)
            if col.found[k] == col.batch_group[j] and col.batch_article[j] != col.other[k]
        )
        parts = list(col.pairs(most))
        got = sorted(
            (m, mp, o, op)
            for part in parts
            for m, mp, o, op in zip(*(c.tolist() for c in part), strict=True)
        )
        assert got == want
        assert all(part[0].size <= max(most, passages) for part in parts)


def test_band_runs_merge_in_levels_and_garbage_is_collected(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)
    store = BandStore(tmp_path / "bands", db)
    db.execute("BEGIN IMMEDIATE")
    for i in range(FANOUT):
        store.insert("p", np.array([i, 100], dtype=np.int64), np.array([i, i], dtype=np.int64))
    db.execute("COMMIT")
    levels = [lvl for (lvl,) in db.execute("SELECT level FROM runs")]
    assert levels == [1]
    found, counts = store.lookup("p", np.array([100, 3, 999], dtype=np.int64))
    assert counts.tolist() == [FANOUT, 1, 0]
    assert sorted(found.value[found.query == 0].tolist()) == list(range(FANOUT))
    _, limited = store.lookup("p", np.array([100], dtype=np.int64), limit=FANOUT)
    assert store.lookup("p", np.array([100], dtype=np.int64), limit=FANOUT)[0].query.size == 0
    assert limited.tolist() == [FANOUT]
    # A rolled-back run leaves files no row names; the next writer deletes them.
    db.execute("BEGIN IMMEDIATE")
    store.insert("p", np.array([5], dtype=np.int64), np.array([5], dtype=np.int64))
    db.execute("ROLLBACK")
    assert len(list((tmp_path / "bands").glob("*.npy"))) == 2 + 2 * FANOUT + 2
    db.execute("BEGIN IMMEDIATE")
    store.collect_garbage()
    db.execute("COMMIT")
    assert len(list((tmp_path / "bands").glob("*.npy"))) == 2
    assert store.lookup("p", np.array([5], dtype=np.int64))[1].tolist() == [1]


def test_band_runs_keep_32_bit_keys_and_48_bit_values(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)
    store = BandStore(tmp_path / "bands", db)
    top_key, top_value, value = (1 << 32) - 1, (1 << 48) - 1, (12345 << 16) | 65535
    keys = np.array([0, top_key, 7], dtype=np.int64)
    store.insert("p", keys, np.array([top_value, 0, value], dtype=np.int64))
    found, counts = store.lookup("p", np.array([top_key, 7, 0, 1 << 32, -1], dtype=np.int64))
    assert counts.tolist() == [1, 1, 1, 0, 0]
    assert dict(zip(found.query.tolist(), found.value.tolist(), strict=True)) == {
        0: 0,
        1: value,
        2: top_value,
    }
    with pytest.raises(ValueError):
        store.insert("p", np.array([1 << 32], dtype=np.int64), np.array([0], dtype=np.int64))
    with pytest.raises(ValueError):
        store.insert("p", np.array([1], dtype=np.int64), np.array([1 << 48], dtype=np.int64))


def test_sketches_keep_their_values(tmp_path: Path) -> None:
    rec = record("a", SEED_A)
    top = 1 << SKETCH_BITS
    rec.sketch = np.random.default_rng(1).integers(0, top, size=rec.sketch.shape, dtype=np.uint8)
    index = open_index(str(tmp_path), CFG)
    try:
        index.put_records([rec])
        index.commit()
        assert np.array_equal(index.sketches(["a"])["a"], rec.sketch)
        assert np.array_equal(index.get_records(["a"], text=False)["a"].sketch, rec.sketch)
    finally:
        index.close()


def test_band_runs_past_max_rows_stay_side_by_side(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)
    store = BandStore(tmp_path / "bands", db, max_rows=2 * FANOUT - 1)
    for i in range(FANOUT + 1):
        store.insert("p", np.array([i, 100], dtype=np.int64), np.array([i, i], dtype=np.int64))
    # Eight runs of two rows would merge into one of 16: more than max_rows, so none merge.
    assert [lvl for (lvl,) in db.execute("SELECT level FROM runs")] == [0] * (FANOUT + 1)
    found, counts = store.lookup("p", np.array([100, 3], dtype=np.int64))
    assert counts.tolist() == [FANOUT + 1, 1]
    assert sorted(found.value[found.query == 0].tolist()) == list(range(FANOUT + 1))


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_band_lookups_a_part_at_a_time_find_what_every_run_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Keys are searched a part at a time (sorted within a part when it is large): every
    part size finds each stored row of each key, in the same order as searching all keys at
    once, and counts every key's rows, full buckets (``limit``) yielding none."""
    monkeypatch.setattr(pipeline.group.bandstore, "_SORTED_QUERIES", 16)
    rng = np.random.default_rng(chunk)
    db = sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)
    store = BandStore(tmp_path / "bands", db, max_rows=150)
    stored: list[tuple[int, int]] = []
    for r in range(FANOUT + 3):  # some runs merge, later ones stay side by side
        keys = rng.integers(0, 60, size=int(rng.integers(1, 40)), dtype=np.int64)
        values = np.arange(keys.size, dtype=np.int64) + 1000 * r
        store.insert("p", keys, values)
        stored += zip(keys.tolist(), values.tolist(), strict=True)
    assert len(store._runs("p")) > 2
    held = Counter(k for k, _ in stored)
    queries = np.concatenate(
        [rng.integers(-2, 70, size=300, dtype=np.int64), np.array([1 << 32], dtype=np.int64)]
    )
    for limit in (None, 3, 6):
        whole, whole_counts = store.lookup("p", queries, limit=limit)
        monkeypatch.setattr(pipeline.group.bandstore, "_LOOKUP_CHUNK", chunk)
        found, counts = store.lookup("p", queries, limit=limit)
        monkeypatch.undo()
        monkeypatch.setattr(pipeline.group.bandstore, "_SORTED_QUERIES", 16)
        assert counts.tolist() == whole_counts.tolist() == [held[k] for k in queries.tolist()]
        assert found.query.tolist() == whole.query.tolist()
        assert found.value.tolist() == whole.value.tolist()
        got = Counter(zip(found.query.tolist(), found.value.tolist(), strict=True))
        want = Counter(
            (q, v)
            for q, key in enumerate(queries.tolist())
            if limit is None or held[key] < limit
            for k, v in stored
            if k == key
        )
        assert got == want and got


@pytest.mark.parametrize("big", [False, True])
def test_pairs_sharing_bands_sorted_as_one_number_are_those_shared_bands_keeps(big: bool) -> None:
    """The embedded adapter counts the rows of each (batch passage, stored passage) pair as
    one number per pair, sorted in place; past 64 bits it sorts on the two columns. Either
    way: the distinct pairs with enough rows, sorted, as ``shared_bands`` picks them."""
    from pipeline.group.sqlite_index import _pairs_sharing_bands

    rng = np.random.default_rng(int(big))
    for _ in range(30):
        n = int(rng.integers(0, 400))
        upassage = rng.integers(0, 40, size=n, dtype=np.int64)
        value = rng.integers(0, 30, size=n, dtype=np.int64) + ((1 << 58) if big else 1000)
        for least in (1, 2, 3):
            keep = shared_bands((upassage, value), least)
            want = sorted(set(zip(upassage[keep].tolist(), value[keep].tolist(), strict=True)))
            got_u, got_v = _pairs_sharing_bands(upassage.copy(), value.copy(), least)
            assert list(zip(got_u.tolist(), got_v.tolist(), strict=True)) == want


def test_packed_sketches_count_equal_values_exactly() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 1 << SKETCH_BITS, size=(200, CFG.num_perm), dtype=np.uint8)
    b = a.copy()
    changed = rng.random(a.shape) < rng.random((200, 1))  # 0% to 100% of each row changed
    # a changed value differs in one bit only at times, so every bit position is exercised
    flips = np.uint8(1) << rng.integers(0, SKETCH_BITS, size=a.shape, dtype=np.uint8)
    b[changed] ^= flips[changed]
    packed = _pack(np.vstack([a, b]))
    assert np.array_equal(_agreements(packed[:200], packed[200:]), (a == b).sum(axis=1))


@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_the_link_precheck_in_blocks_decides_as_in_one_piece(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Two long articles are compared a block of passages at a time (all at once, two texts of
    30,000 passages needed 54 GiB): the decision is the same whatever the block."""
    monkeypatch.setattr(pipeline.group.batch, "_CHUNK", chunk)
    rng = np.random.default_rng(11)
    a = rng.integers(0, 1 << SKETCH_BITS, size=(40, CFG.num_perm), dtype=np.uint8)
    b = rng.integers(0, 1 << SKETCH_BITS, size=(30, CFG.num_perm), dtype=np.uint8)
    need = min(CFG.min_shared_passages, CFG.min_shared_with_headings)
    decisions = []
    for shared in range(need + 1):
        b2 = b.copy()
        b2[:shared] = a[5 : 5 + shared]  # ``shared`` passages of b are copies of a's
        decisions.append(_could_link(_pack(a), _pack(b2), CFG))
    assert decisions == [False] * need + [True]


def test_sketches_are_read_and_packed_a_chunk_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stored and in-batch sketches, read a few articles at a time, give the same table and
    row offsets as packing them all at once."""
    monkeypatch.setattr(pipeline.group.batch, "_PACK_CHUNK", 2)
    rng = np.random.default_rng(5)
    texts = {f"d{i}": f"{SEED_A[: 400 + 300 * i]}" for i in range(5)}
    stored = {}
    for id_, text in texts.items():
        rec = record(id_, text)
        rec.sketch = rng.integers(0, 256, size=rec.sketch.shape, dtype=np.uint8)
        stored[id_] = rec
    index = open_index(str(tmp_path), CFG)
    try:
        index.put_records([stored[i] for i in ("d0", "d2", "d3")])
        own = {i: stored[i].sketch for i in ("d1", "d4")}  # the batch's own, not in the index
        ids = ["d4", "d0", "d3", "d1", "d2"]
        packed, base = _packed(ids, own, index)
    finally:
        index.close()
    tables = [stored[i].sketch for i in ids]
    assert np.array_equal(packed, _pack(np.vstack(tables)))
    assert base.tolist() == np.concatenate(([0], np.cumsum([t.shape[0] for t in tables]))).tolist()


def test_a_pair_collides_when_it_shares_enough_bands() -> None:
    # One row per shared band: (1, 7) shares three, (1, 8) and (2, 7) one each, (3, 9) two.
    first = np.array([1, 2, 1, 3, 1, 1, 3], dtype=np.int64)
    second = np.array([7, 7, 8, 9, 7, 7, 9], dtype=np.int64)
    pair = (first, second)
    assert shared_bands(pair, 1).all()
    assert shared_bands(pair, 2).tolist() == [True, False, False, True, True, True, True]
    assert shared_bands(pair, 3).tolist() == [True, False, False, False, True, True, False]
    assert shared_bands((first[:0], second[:0]), 2).size == 0


def test_counting_shared_bands_by_one_key_or_by_columns_agrees() -> None:
    """Columns too wide for one 63-bit key are sorted one after another, with the same result."""
    rng = np.random.default_rng(11)
    columns = [rng.integers(0, 8, size=5000, dtype=np.int64) for _ in range(4)]
    wide = [c * np.int64(1 << 40) for c in columns]  # 4 x 42 bits: no single key
    for least in (2, 3, 4):
        expected = shared_bands(tuple(columns), least)
        assert 0 < expected.sum() < expected.size
        assert np.array_equal(shared_bands(tuple(wide), least), expected)
        counts = Counter(zip(*(c.tolist() for c in columns), strict=True))
        rows = zip(*(c.tolist() for c in columns), strict=True)
        assert expected.tolist() == [counts[r] >= least for r in rows]


def test_a_state_folder_that_cannot_hold_a_state_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file where the band runs' folder goes: one line naming the state, not a traceback,
    and the database is closed again."""
    from pipeline.errors import NewsdedupError

    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def recording(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(sqlite3, "connect", recording)
    (tmp_path / "bands").write_text("")
    with pytest.raises(NewsdedupError, match="cannot open grouping state .*File exists"):
        open_index(str(tmp_path), GroupConfig())
    (db,) = opened
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        db.execute("SELECT 1")
