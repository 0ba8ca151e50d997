"""The same grouping behaviour on both index adapters: embedded (SQLite) and Redis."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import redis
from redis_server import RedisServer

import pipeline.group.bandstore
import pipeline.group.index
import pipeline.group.sqlite_index
from pipeline.config import GroupConfig
from pipeline.document import Document
from pipeline.group import GroupResult, explain, group, open_index
from pipeline.group.batch import _Batch, _estimates
from pipeline.group.index import Collisions

FIXTURES = Path(__file__).parent / "fixtures" / "group"
STORIES = json.loads((FIXTURES / "stories.json").read_text(encoding="utf-8"))
CFG = GroupConfig()

NewState = Callable[[], str]


@pytest.fixture(params=["embedded", "redis"])
def new_state(request: pytest.FixtureRequest, tmp_path: Path) -> NewState:
    """Makes empty states of one adapter: directories, or databases of the test server."""
    made: list[str] = []
    if request.param == "embedded":

        def directory() -> str:
            made.append(str(tmp_path / f"state{len(made)}"))
            return made[-1]

        return directory
    server: RedisServer = request.getfixturevalue("redis_server")
    server.flush()

    def database() -> str:
        made.append(server.url(len(made)))
        return made[-1]

    return database


def doc(id_: str, text: str, published: str | None = "2021-07-09T10:00:00Z") -> Document:
    return Document(
        id=id_,
        source=f"test:{id_}",
        url=f"https://{id_}.example/news/{id_}",
        text=text,
        published=published,
    )


def seed_docs() -> list[Document]:
    a = (FIXTURES / "seed_stratnews.txt").read_text(encoding="utf-8")
    b = (FIXTURES / "seed_southfront.txt").read_text(encoding="utf-8")
    return [
        doc("stratnews", a, "2021-07-09T08:00:00Z"),
        doc("southfront", b, "2021-07-09T14:00:00Z"),
    ]


def sentences(text: str) -> list[str]:
    return [s for p in text.split("\n\n") for s in p.replace(". ", ".\n").split("\n") if s]


def corpus() -> list[Document]:
    docs = [*seed_docs(), doc("border", STORIES["border"], "2021-07-09T12:00:00Z")]
    for i, name in enumerate(["harbor", "vaccine", "wildfire", "chips", "election"]):
        text, day = STORIES[name], f"2024-03-1{i}"
        docs.append(doc(name, text, f"{day}T08:00:00Z"))
        docs.append(doc(f"{name}-trim", "\n\n".join(text.split("\n\n")[:2]), f"{day}T11:00:00Z"))
        s = sentences(text)
        rewrite = "\n\n".join([f"{s[0]} {s[2]}", STORIES["filler"][i % len(STORIES["filler"])]])
        docs.append(doc(f"{name}-rewrite", rewrite, f"{day}T15:00:00Z"))
    docs.append(doc("copy-of-harbor", STORIES["harbor"], "2024-03-11T09:00:00Z"))
    return docs


def run(docs: Sequence[Document], state: str, cfg: GroupConfig = CFG) -> GroupResult:
    index = open_index(state, cfg)
    try:
        result = group(docs, index, cfg)
        index.commit()
    finally:
        index.close()
    return result


def snapshot(state: str, ids: Iterable[str], cfg: GroupConfig = CFG) -> dict[str, Any]:
    """Everything the state says about ``ids``: assignments, frequencies, evidence."""
    ids = list(ids)
    index = open_index(state, cfg)
    try:
        records = index.get_records(ids)
        evidence = index.evidence_of(records)
    finally:
        index.close()
    assert sorted(records) == sorted(ids), "the state lacks some of the articles"
    return {
        "records": {
            i: (r.cluster_id, r.parent, r.relation, r.df.tolist(), r.text_hash, r.length)
            for i, r in sorted(records.items())
        },
        "evidence": sorted(
            (
                e.a,
                e.b,
                e.exact,
                round(e.jaccard, 6),
                [(m.i, m.j, round(m.similarity, 6), m.a_start, m.b_start) for m in e.matches],
            )
            for e in evidence
        ),
    }


def test_seeds_group_by_wire_overlap_on_the_two_reuters_sentences(new_state: NewState) -> None:
    a, b = seed_docs()
    result = run([b, a], new_state())
    assert [c.members for c in result.clusters] == [["southfront", "stratnews"]]
    assert (b.cluster_id, b.relation, b.duplicate_of) == ("stratnews", "wire_overlap", "stratnews")
    (link,) = result.clusters[0].links
    assert link.relation == "wire_overlap" and len(link.passages) == 2
    strat = sorted(p.a_text if link.a == "stratnews" else p.b_text for p in link.passages)
    assert strat[0].startswith("However, Tariq Arian, a spokesperson for the Afghan interior")
    assert strat[1].startswith("Senior security officials told Reuters that the Islam Qala")


def test_exact_and_near_duplicates(new_state: NewState) -> None:
    original = doc("orig", STORIES["harbor"], "2024-03-04T08:00:00Z")
    copy = doc("copy", STORIES["harbor"].upper(), "2024-03-04T09:00:00Z")
    edited = STORIES["harbor"].replace(". ", ", they said. ", 1)
    near = doc("near", edited, "2024-03-04T10:00:00Z")
    run([near, copy, original], new_state())
    assert (copy.relation, copy.duplicate_of) == ("exact", "orig")
    assert (near.relation, near.duplicate_of, near.cluster_id) == ("near_duplicate", "orig", "orig")


def test_identical_texts_join_without_sharing_a_band(new_state: NewState) -> None:
    """Only pairs sharing enough LSH bands are candidates; identical texts are found by their
    hash whatever the band rule, while an edited copy then goes unseen."""
    cfg = replace(CFG, doc_min_bands=CFG.doc_bands + 1, passage_min_bands=CFG.passage_bands + 1)
    original = doc("orig", STORIES["vaccine"], "2024-03-04T08:00:00Z")
    copy = doc("copy", STORIES["vaccine"], "2024-03-04T09:00:00Z")
    edited = STORIES["vaccine"].replace(
        "Paediatricians welcomed", "Doctors who treat children praised"
    )
    near = doc("near", edited, "2024-03-04T12:00:00Z")
    run([original, copy, near], new_state(), cfg)
    assert (copy.relation, copy.duplicate_of) == ("exact", "orig")
    assert (near.relation, near.cluster_id) == (None, "near")
    # With the default rule the edited copy is a near duplicate.
    run([original, copy, near], new_state())
    assert (near.relation, near.duplicate_of) == ("near_duplicate", "orig")


def test_two_batches_give_the_one_batch_state(new_state: NewState) -> None:
    docs = corpus()
    ids = [d.id for d in docs]
    one = new_state()
    run([replace(d) for d in docs], one)
    shuffled = [replace(d) for d in docs]
    random.Random(7).shuffle(shuffled)
    two = new_state()
    run(shuffled[: len(docs) // 2], two)
    result = run(shuffled[len(docs) // 2 :], two)
    expected = snapshot(one, ids)
    assert any(r[2] for r in expected["records"].values()), "nothing in the state is linked"
    assert snapshot(two, ids) == expected
    assert result.clusters and all(len(c.members) >= 2 for c in result.clusters)


FOOTER = (
    "This story was produced by the Harbour Desk with support from the regional press fund.\n\n"
    "Our reporters follow the editorial code of the national press council in every story."
)


def test_a_footer_that_becomes_common_in_a_later_batch_unlinks_what_it_linked(
    new_state: NewState,
) -> None:
    """Two footer sentences link articles until more than max_passage_df articles share them:
    from then on they are boilerplate. When that happens in a later batch, the links they made
    earlier are undone, and a cluster that lost a member is reported though nothing new
    joined it, with the member it lost as a cluster of one."""
    a, b = seed_docs()
    a.text, b.text = f"{a.text}\n\n{FOOTER}", f"{b.text}\n\n{FOOTER}"
    bodies = ["harbor", "vaccine", "bridge", "election", "wildfire", "chips", "border"]
    footed = [doc(f"f-{n}", f"{STORIES[n]}\n\n{FOOTER}") for n in bodies]
    docs = [a, b, *footed]
    first = [replace(a), replace(b), replace(footed[0])]
    # the footer counts in the first batch, and is boilerplate once all are in
    assert len(first) <= CFG.max_passage_df < len(docs)
    one, two = new_state(), new_state()
    run([replace(d) for d in docs], one)
    before = run(first, two)
    assert [sorted(c.members) for c in before.clusters] == [["f-harbor", "southfront", "stratnews"]]
    after = run([replace(d) for d in footed[1:]], two)
    ids = [d.id for d in docs]
    got, expected = snapshot(two, ids), snapshot(one, ids)
    assert got["records"] == expected["records"]
    # The footer pairs verified in the first batch keep their evidence (it is re-decided as
    # frequencies change, and now counts nothing); the one-batch state never verified them.
    assert set(map(str, expected["evidence"])) <= set(map(str, got["evidence"]))
    assert [sorted(c.members) for c in after.clusters] == [
        ["f-harbor"],
        ["southfront", "stratnews"],
    ]
    alone = after.clusters[0]
    assert (alone.cluster_id, alone.canonical) == ("f-harbor", "f-harbor")
    assert alone.links == []  # its only link, the footer, counts nothing now


def test_a_cluster_that_falls_apart_reports_each_former_member_alone(
    new_state: NewState,
) -> None:
    """The newest clusters line that lists an article says where it is: when a cluster falls
    apart (its one shared text became boilerplate), each former member gets a line of its own,
    and articles that were never in a cluster get none."""
    bodies = ["harbor", "vaccine", "bridge", "election", "wildfire", "chips", "border"]
    footed = [doc(f"f-{n}", f"{STORIES[n]}\n\n{FOOTER}") for n in bodies]
    state = new_state()
    first = run([replace(d) for d in footed[:2]], state)
    assert [c.members for c in first.clusters] == [["f-harbor", "f-vaccine"]]
    after = run([replace(d) for d in footed[2:]], state)
    assert [(c.cluster_id, c.members) for c in after.clusters] == [
        ("f-harbor", ["f-harbor"]),
        ("f-vaccine", ["f-vaccine"]),
    ]
    assert after.relations == {"singleton": 5}
    records = snapshot(state, [d.id for d in footed])["records"]
    assert {i: r[:3] for i, r in records.items()} == {d.id: (d.id, None, None) for d in footed}


def test_known_skips_stored_articles_and_uncommitted_work_is_discarded(
    new_state: NewState,
) -> None:
    state = new_state()
    a, b = seed_docs()
    index = open_index(state, CFG)
    group([a, b], index, CFG)
    index.close()  # no commit
    index = open_index(state, CFG)
    try:
        assert index.known(["stratnews", "southfront"]) == set()
        group([replace(a)], index, CFG)
        index.commit()
        assert index.known(["stratnews", "southfront", "nobody"]) == {"stratnews"}
        result = group([replace(b), replace(a)], index, CFG)  # a again: skipped
        index.commit()
    finally:
        index.close()
    assert result.relations == {"wire_overlap": 1}
    assert [c.members for c in result.clusters] == [["southfront", "stratnews"]]


def test_explain_reads_the_stored_evidence(new_state: NewState) -> None:
    state = new_state()
    run([*seed_docs(), doc("border", STORIES["border"], "2021-07-09T12:00:00Z")], state)
    index = open_index(state, CFG)
    try:
        linked = explain(index, "southfront", "stratnews", CFG)
        apart = explain(index, "border", "stratnews", CFG)
    finally:
        index.close()
    assert linked.linked and linked.relation == "wire_overlap" and linked.same_cluster
    assert linked.compared and len(linked.passages) >= 2
    assert not apart.same_cluster


def boilerplate_corpus(n: int) -> list[Document]:
    """``n`` unrelated articles (sentences of the stories, shuffled) sharing a footer."""
    pool = [
        s
        for name in ("harbor", "vaccine", "bridge", "election", "wildfire", "chips")
        for s in sentences(STORIES[name])
    ]
    footer = "Subscribe to our newsletter for the latest headlines delivered every morning."
    rng = random.Random(3)
    docs = []
    for i in range(n):
        body = rng.sample(pool, 3)
        docs.append(doc(f"site{i:02d}", "\n\n".join([*body, footer]), f"2024-04-{i % 28 + 1:02d}"))
    return docs


def test_a_line_in_full_buckets_is_common_everywhere_on_both_adapters(
    new_state: NewState,
) -> None:
    cfg = replace(CFG, hot_bucket=4, max_passage_df=2)
    docs = boilerplate_corpus(9)
    state = new_state()
    run(docs[:3], state, cfg)  # below the limit: the footer is an ordinary shared passage
    run(docs[3:], state, cfg)
    records = snapshot(state, [d.id for d in docs], cfg)["records"]
    # Every article's footer (its last passage) is too common to count now, whichever batch
    # it came in, though its buckets took only four of the nine.
    assert all(r[3][-1] > cfg.max_passage_df for r in records.values())
    # Articles sharing two body sentences link; the footer never counts towards a link.
    index = open_index(state, cfg)
    try:
        footers = [
            p
            for x, y in itertools.combinations([d.id for d in docs], 2)
            for p in explain(index, x, y, cfg).passages
            if p.pair.a_text.startswith("Subscribe to our newsletter")
        ]
    finally:
        index.close()
    assert len(footers) == 36 and not any(p.counted for p in footers)


def test_one_page_cannot_fill_a_bucket_with_its_own_lines(new_state: NewState) -> None:
    """A listing page repeats two stock lines, word for word and with a number changed: it
    enters their buckets once, so later articles carrying the lines still meet one another
    and find them too common to count, rather than linking through them."""
    cfg = replace(CFG, hot_bucket=8)
    first = "Continue reading the full story on our website, where you can also leave a comment."
    second = "Share this article with your friends and family on social media using the buttons."
    lines = []
    for j in range(60):
        lines += [f"Teaser {j}: a local story, number {j}, from the year {1900 + j}.", first]
        lines += [f"{j} {first}", first.replace("comment.", f"comment {j}."), second]
        lines += [f"{j} {second}", second.replace("buttons.", f"buttons {j}.")]
    listing = doc("list0", "\n\n".join(lines), "2024-01-01T00:00:00Z")
    names = ["harbor", "vaccine", "bridge", "election", "wildfire", "chips", "border"]
    articles = [
        doc(
            f"art{i}", "\n\n".join([*sentences(STORIES[n])[:4], first, second]), f"2024-02-0{i + 1}"
        )
        for i, n in enumerate(names)
    ]
    state = new_state()
    run([listing], state, cfg)
    run(articles, state, cfg)
    records = snapshot(state, [d.id for d in articles], cfg)["records"]
    assert all(min(r[3][-2:]) > cfg.max_passage_df for r in records.values())
    assert all(d.relation is None for d in articles)


def test_a_full_bucket_counts_past_the_asking_articles_own_copies(new_state: NewState) -> None:
    """The earliest carriers of a two-line footer are copies of one story: a late copy of it
    does not count them, but still finds the footer common through the others the full
    bucket yields, and does not link to unrelated stories through the footer."""
    cfg = replace(CFG, hot_bucket=16)
    footer = (
        "Copyright 2024 The Associated Press. All rights reserved. This material may not be "
        "published or broadcast.\n\nFollow our live coverage and get breaking news alerts "
        "delivered to your phone every single day."
    )
    story = STORIES["harbor"]
    others = ["vaccine", "bridge", "election", "wildfire", "chips", "border"]
    docs = [doc(f"x{i}", f"{story}\n\n{footer}", f"2024-03-01T0{i}:00:00Z") for i in range(4)]
    docs += [
        doc(f"u{i}", f"{STORIES[others[i]]}\n\n{footer}", f"2024-03-02T0{i}:00:00Z")
        for i in range(3)
    ]
    rng = random.Random(1)
    pool = [line for name in others[3:] for line in sentences(STORIES[name])]
    docs += [
        doc(f"f{i:02d}", "\n\n".join([*rng.sample(pool, 3), footer]), f"2024-03-03T{i:02d}:00")
        for i in range(10)
    ]
    state = new_state()
    run(docs, state, cfg)
    late = doc("xlate", f"{story}\n\n{footer}", "2024-03-05T00:00:00Z")
    run([late], state, cfg)
    records = snapshot(state, ["xlate", "u0"], cfg)["records"]
    assert min(records["xlate"][3][-2:]) > cfg.max_passage_df
    assert late.cluster_id == "x0" and late.relation == "exact"
    index = open_index(state, cfg)
    try:
        assert not any(explain(index, "xlate", u, cfg).linked for u in ("u0", "u1", "u2"))
    finally:
        index.close()


def test_a_page_repeating_its_text_is_covered_by_a_cut_of_it(new_state: NewState) -> None:
    """A page that shows its text twice, and a cut version of it on the same site (also
    twice): the cut covers the page's text, repeated or not, so they link."""
    paragraphs = STORIES["harbor"].split("\n\n")
    full = "\n\n".join(paragraphs * 2)
    cut = "\n\n".join(paragraphs[:-1] * 2)
    docs = [
        replace(doc("full", full, "2024-03-04T08:00:00Z"), url="https://site.example/a/full"),
        replace(doc("cut", cut, "2024-03-04T09:00:00Z"), url="https://site.example/a/cut"),
    ]
    run(docs, new_state())
    assert docs[1].cluster_id == "full" and docs[1].relation == "wire_overlap"


def test_a_story_copied_more_than_a_bucket_holds_still_takes_its_rewrites(
    new_state: NewState,
) -> None:
    """More credited copies of a report than a passage bucket holds, on as many sites: a cut
    and a rewrite of it, in the same run or later, still join it; unrelated articles sharing
    its outlets' credit lines do not."""
    cfg = replace(CFG, hot_bucket=8)
    text = STORIES["harbor"]
    original = doc("orig", text, "2024-03-04T08:00:00Z")
    copies = [
        doc(
            f"copy{i:02d}",
            f"{text}\n\nRepublished by outlet {i} under licence; more of its coverage online.",
            f"2024-03-04T{9 + i // 6:02d}:{i % 6 * 10:02d}:00Z",
        )
        for i in range(20)
    ]
    s = sentences(text)
    trim = doc("trim", "\n\n".join(text.split("\n\n")[:2]), "2024-03-05T08:00:00Z")
    rewrite = doc(
        "rewrite",
        "\n\n".join([f"{s[0]} {s[2]}", STORIES["filler"][0]]),
        "2024-03-05T09:00:00Z",
    )
    derived = [trim, rewrite]
    for split in (False, True):
        state = new_state()
        docs = [replace(d) for d in [original, *copies, *derived]]
        if split:  # the copies first, the derived articles in a later run
            run(docs[:-2], state, cfg)
            run(docs[-2:], state, cfg)
        else:
            run(docs, state, cfg)
        by_id = {d.id: d for d in docs}
        assert {d.cluster_id for d in docs} == {"orig"}, split
        assert by_id["trim"].relation == by_id["rewrite"].relation == "wire_overlap"


def test_both_adapters_store_the_same_state(redis_server: RedisServer, tmp_path: Path) -> None:
    redis_server.flush()
    cfg = replace(CFG, hot_bucket=5, max_passage_df=3)
    docs = corpus() + boilerplate_corpus(8)
    ids = [d.id for d in docs]
    states = [str(tmp_path / "embedded"), redis_server.url(3)]
    for state in states:
        batches = [docs[i::3] for i in range(3)]
        for batch in batches:
            run([replace(d) for d in batch], state, cfg)
    embedded, remote = (snapshot(s, ids, cfg) for s in states)
    assert remote == embedded
    # the shared footer filled its buckets: both adapters yielded the same sample
    assert all(r[3][-1] > cfg.max_passage_df for i, r in remote["records"].items() if "site" in i)


def test_a_much_copied_text_joins_every_copy(new_state: NewState) -> None:
    """More near copies of one text than an LSH bucket holds: every one still joins it."""
    copies = CFG.hot_bucket + 6
    original = doc("orig", STORIES["harbor"], "2024-03-04T08:00:00Z")
    docs = [original] + [
        doc(f"copy{i:03d}", f"{STORIES['harbor']}\n\nFiled by desk {i}.", "2024-03-04T09:00:00Z")
        for i in range(copies)
    ]
    run(docs, new_state())
    assert {d.cluster_id for d in docs} == {"orig"}
    assert {d.relation for d in docs[1:]} == {"near_duplicate"}


def _near_copies(n: int) -> list[Document]:
    """Near copies of one story, each with a footer of its own; the later the id, the earlier
    published (so neither id nor arrival order is the canonical order)."""
    return [
        doc(
            f"copy{i:03d}",
            f"{STORIES['harbor']}\n\nFiled by desk {i}.",
            f"2024-03-04T{23 - i:02d}:00:00Z",
        )
        for i in range(n)
    ]


def test_a_crowded_whole_article_bucket_yields_its_earliest_articles(
    new_state: NewState,
) -> None:
    """Copies beyond doc_bucket_cap in a whole-article bucket: a query meets the cap's worth
    that come first in the canonical order (earliest published), not the first stored or the
    first by id, and the copies still make one cluster under the earliest."""
    cfg = replace(CFG, doc_bucket_cap=5, max_earlier_links=3)
    copies = _near_copies(14)
    state = new_state()
    run(copies[7:], state, cfg)  # the earliest published arrive first...
    run(copies[:7], state, cfg)  # ...and the latest later: by arrival, the first are 7 to 13
    assert {d.cluster_id for d in copies} == {"copy013"}
    late = doc("late", f"{STORIES['harbor']}\n\nFiled by a late desk.", "2024-03-05T08:00:00Z")
    index = open_index(state, cfg)
    try:
        batch = _Batch([late], index, cfg)
        found = index.query_lsh(batch.insert())
        met = {found.ids[k] for k in found.doc_other.tolist()}
        index.rollback()
    finally:
        index.close()
    assert met == {f"copy{i:03d}" for i in range(9, 14)}


def test_both_adapters_choose_the_same_copies_from_a_crowded_bucket(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    redis_server.flush()
    # Passage buckets fill up too (hot_bucket), as they do for copies past 64, and yield
    # their samples only.
    cfg = replace(CFG, doc_bucket_cap=4, max_earlier_links=2, hot_bucket=6, max_passage_df=4)
    docs = _near_copies(12) + [
        doc(f"same{i:02d}", STORIES["vaccine"], None if i % 3 else "2024-03-01") for i in range(9)
    ]
    ids = [d.id for d in docs]
    states = [str(tmp_path / "embedded"), redis_server.url(4)]
    for state in states:
        for batch in (docs[1::2], docs[::2]):
            run([replace(d) for d in batch], state, cfg)
    embedded, remote = (snapshot(s, ids, cfg) for s in states)
    assert remote == embedded
    clusters = {r[0] for r in embedded["records"].values()}
    assert clusters == {"copy011", "same00"}


def _bytes_sent(server: RedisServer) -> int:
    client = redis.Redis(host="127.0.0.1", port=server.port)
    try:
        return int(client.info("stats")["total_net_output_bytes"])
    finally:
        client.close()


def test_redis_reads_each_crowded_bucket_once_however_many_copies(
    redis_server: RedisServer,
) -> None:
    """Copies of one text in one batch fill the same passage buckets and crowd the same
    whole-article buckets: each is read once, so what the server sends grows with the number
    of copies, not with its square (every copy read every filled bucket's members: 21 GiB
    for 2,000 copies)."""
    redis_server.flush()
    cfg = replace(CFG, hot_bucket=4, max_passage_df=2, doc_bucket_cap=5)
    sent = []
    for n, db in ((30, 5), (120, 6)):
        copies = [doc(f"copy{i:03d}", STORIES["harbor"]) for i in range(n)]
        before = _bytes_sent(redis_server)
        run(copies, redis_server.url(db), cfg)
        sent.append(_bytes_sent(redis_server) - before)
        assert {d.cluster_id for d in copies} == {"copy000"}
    assert sent[1] < 6 * sent[0]  # four times the copies: 16 times the bytes if quadratic


def test_copies_earlier_than_a_crowded_buckets_stored_ones_join_their_cluster(
    new_state: NewState,
) -> None:
    """More copies than doc_bucket_cap stored, then copies that come before all of them in the
    canonical order (dated, where the stored ones are undated): the later run still meets
    the stored cluster and moves it whole, as one run of all of them would. (Passage buckets
    are full, as they are past 64 copies, and yield their samples only.)"""
    cfg = replace(CFG, doc_bucket_cap=5, max_earlier_links=3, hot_bucket=4, max_passage_df=2)
    text = STORIES["harbor"]
    undated = [doc(f"desk{i:02d}", f"{text}\n\nFiled by desk {i}.", None) for i in range(8)]
    day = "2024-03-04T08:00:00Z"
    dated = [doc(f"wire{i:02d}", f"{text}\n\nWire copy {i}.", day) for i in range(8)]
    ids = [d.id for d in undated + dated]
    state, once = new_state(), new_state()
    run(undated, state, cfg)
    run(dated, state, cfg)
    run([replace(d) for d in undated + dated], once, cfg)
    clusters = {r[0] for r in snapshot(state, ids, cfg)["records"].values()}
    assert clusters == {r[0] for r in snapshot(once, ids, cfg)["records"].values()}
    assert len(clusters) == 1


def test_a_batch_whose_passages_all_fall_in_full_buckets(new_state: NewState) -> None:
    """One more copy of a text whose every passage bucket is full: nothing to store there."""
    cfg = replace(CFG, hot_bucket=4, max_passage_df=2)
    state = new_state()
    run([doc(f"copy{i}", STORIES["harbor"]) for i in range(cfg.hot_bucket + 1)], state, cfg)
    late = doc("late", STORIES["harbor"], "2021-07-10T10:00:00Z")
    run([late], state, cfg)
    assert late.cluster_id == "copy0"


def _every_passage_row(
    self: _Batch, col: Collisions, packed: Any, base: Any
) -> tuple[Any, Any, Any, Any]:
    """What ``_Batch._passage_rows`` gives without thinning: every close pair of passages the
    query found, each with the smaller id first."""
    parts = list(col.pairs())
    if not parts:
        return tuple(np.zeros(0, dtype=np.int64) for _ in range(4))  # type: ignore[return-value]
    mine, mp, other, op = (np.concatenate(column) for column in zip(*parts, strict=True))
    swap = np.array([col.ids[m] > col.ids[o] for m, o in zip(mine, other, strict=True)], bool)
    a, pa = np.where(swap, other, mine), np.where(swap, op, mp)
    b, pb = np.where(swap, mine, other), np.where(swap, mp, op)
    close = _estimates(packed, base[a] + 1 + pa, base[b] + 1 + pb) >= self.cfg.candidate_estimate
    return a[close], pa[close], b[close], pb[close]


def _copies_everywhere() -> list[Document]:
    """Stories with near copies on other sites, identical copies on other sites, one page at
    three addresses of one site, and pages of one site alike (a story and a line each)."""
    docs = corpus() + boilerplate_corpus(6)
    vaccine, wildfire, chips = STORIES["vaccine"], STORIES["wildfire"], STORIES["chips"]
    docs += [
        doc(f"vcopy{i:02d}", f"{vaccine}\n\nRepublished by outlet {i} under licence.")
        for i in range(12)
    ]
    docs += [doc(f"wcopy{i:02d}", wildfire, "2024-03-12T20:00:00Z") for i in range(6)]
    docs += [
        Document(
            id=f"addr{i}",
            source=f"test:addr{i}",
            url=f"https://same.example/wildfire?ref={i}",
            text=wildfire,
            published="2024-03-13T08:00:00Z",
        )
        for i in range(3)
    ]
    docs += [
        Document(
            id=f"desk{i}",
            source=f"test:desk{i}",
            url=f"https://desk.example/page{i}",
            text=f"{chips}\n\nThis page was updated at {i} o'clock with reactions.",
            published="2024-03-13T09:00:00Z",
        )
        for i in range(4)
    ]
    return docs


def test_rows_between_copies_are_thinned_without_changing_the_state(
    new_state: NewState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Of the passage pairs between two near copies that count nowhere in each other's
    frequencies, one per pair of articles is kept: the state is the one every pair makes, in
    one run or two, with full buckets, pairs made a few at a time."""
    # Whole-article buckets yield 2 articles: most copies meet through their passages.
    cfg = replace(CFG, hot_bucket=8, doc_bucket_cap=2, max_earlier_links=2)
    monkeypatch.setattr(pipeline.group.index, "PAIRS_AT_ONCE", 40)
    made = {"thinned": 0, "every": 0}
    thinning = _Batch._passage_rows

    def counting(name: str, rows: Any) -> Any:
        def count(self: _Batch, col: Collisions, packed: Any, base: Any) -> Any:
            out = rows(self, col, packed, base)
            made[name] += out[0].size
            return out

        return count

    docs = _copies_everywhere()
    ids = [d.id for d in docs]
    for split in (False, True):
        batches = [docs[0::2], docs[1::2]] if split else [docs]
        snapshots = []
        for name, rows in (("thinned", thinning), ("every", _every_passage_row)):
            monkeypatch.setattr(_Batch, "_passage_rows", counting(name, rows))
            state = new_state()
            for batch in batches:
                run([replace(d) for d in batch], state, cfg)
            snapshots.append(snapshot(state, ids, cfg))
        assert snapshots[0] == snapshots[1], split
        # The copies' pairs were most of them.
        assert made["thinned"] < made["every"] / 2, made
        made.update(thinned=0, every=0)
        records = snapshots[0]["records"]
        for story, copies in (("vaccine", "vcopy"), ("wildfire", "wcopy"), ("wildfire", "addr")):
            cluster = {r[0] for i, r in records.items() if i.startswith(copies)}
            assert cluster == {records[story][0]}, (story, copies, split)


def test_rows_found_judged_a_part_at_a_time_are_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded adapter searches band keys and judges the rows it finds a part at a
    time (``bandstore._LOOKUP_CHUNK``, ``sqlite_index._ROWS_AT_ONCE``), leaving out before
    counting bands the rows that could only pair a passage with its own article: parts of a
    few rows find the same passage pairs as whole batches, over two runs with full buckets,
    and make the same state."""
    cfg = replace(CFG, hot_bucket=8, doc_bucket_cap=2, max_earlier_links=2)
    docs = _copies_everywhere()
    ids = [d.id for d in docs]
    pairs_of = pipeline.group.sqlite_index.SqliteIndex._passage_pairs
    found: list[list[list[int]]] = [[], []]
    snapshots = []
    for small in (False, True):

        def spy(self: Any, *args: Any, _out: list[list[int]] = found[small]) -> Any:
            result = pairs_of(self, *args)
            _out.extend(column.tolist() for column in result)
            return result

        monkeypatch.setattr(pipeline.group.sqlite_index.SqliteIndex, "_passage_pairs", spy)
        if small:
            monkeypatch.setattr(pipeline.group.bandstore, "_LOOKUP_CHUNK", 50)
            monkeypatch.setattr(pipeline.group.sqlite_index, "_ROWS_AT_ONCE", 7)
        state = str(tmp_path / f"state{int(small)}")
        for batch in (docs[0::2], docs[1::2]):
            run([replace(d) for d in batch], state, cfg)
        snapshots.append(snapshot(state, ids, cfg))
    assert found[0] == found[1] and len(found[0][0]) > 100
    assert snapshots[0] == snapshots[1]
    records = snapshots[0]["records"]
    assert {r[0] for i, r in records.items() if i.startswith("vcopy")} == {records["vaccine"][0]}
