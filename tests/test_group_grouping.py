"""group(): the three relations, the round-up rule, windows, incremental runs and persistence."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import GroupConfig
from pipeline.document import Document
from pipeline.errors import NewsdedupError
from pipeline.group import Cluster, GroupResult, group, open_index

FIXTURES = Path(__file__).parent / "fixtures" / "group"
STORIES = json.loads((FIXTURES / "stories.json").read_text(encoding="utf-8"))
FILLER: list[str] = STORIES["filler"]
CFG = GroupConfig()


def doc(
    id_: str, text: str, published: str | None = "2021-07-09T10:00:00Z", site: str | None = None
) -> Document:
    return Document(
        id=id_,
        source=f"test:{id_}",
        url=f"https://{site or id_ + '.example'}/news/{id_}",
        text=text,
        published=published,
    )


def seed_docs() -> tuple[Document, Document]:
    a = (FIXTURES / "seed_stratnews.txt").read_text(encoding="utf-8")
    b = (FIXTURES / "seed_southfront.txt").read_text(encoding="utf-8")
    return doc("stratnews", a, "2021-07-09T08:00:00Z"), doc("southfront", b, "2021-07-09T14:00:00Z")


def sentences(text: str) -> list[str]:
    return [s for p in text.split("\n\n") for s in p.replace(". ", ".\n").split("\n") if s]


def run(docs: Sequence[Document], state: Path, cfg: GroupConfig = CFG) -> GroupResult:
    index = open_index(str(state), cfg)
    try:
        result = group(docs, index, cfg)
        index.commit()
    finally:
        index.close()
    return result


def assignment(docs: Iterable[Document]) -> dict[str, tuple[str | None, str | None, str | None]]:
    return {d.id: (d.cluster_id, d.relation, d.duplicate_of) for d in docs}


def cluster_of(result: GroupResult, id_: str) -> Cluster | None:
    return next((c for c in result.clusters if id_ in c.members), None)


# -- the seeds -------------------------------------------------------------------------------


def test_seeds_group_by_wire_overlap_on_the_two_reuters_sentences(tmp_path: Path) -> None:
    a, b = seed_docs()
    result = run([b, a], tmp_path)
    assert [c.members for c in result.clusters] == [["southfront", "stratnews"]]
    cluster = result.clusters[0]
    # Earliest published is canonical and names the cluster.
    assert cluster.canonical == cluster.cluster_id == "stratnews"
    assert (a.cluster_id, a.relation, a.duplicate_of) == ("stratnews", None, None)
    assert (b.cluster_id, b.relation, b.duplicate_of) == ("stratnews", "wire_overlap", "stratnews")
    (link,) = cluster.links
    assert link.relation == "wire_overlap" and link.merged
    pairs = sorted(link.passages, key=lambda p: p.a_start)
    assert len(pairs) == 2
    texts = {link.a: a.text if link.a == "stratnews" else b.text}
    texts[link.b] = a.text if link.b == "stratnews" else b.text
    for p in pairs:
        assert texts[link.a][p.a_start : p.a_end] == p.a_text
        assert texts[link.b][p.b_start : p.b_end] == p.b_text
    strat = sorted(p.a_text if link.a == "stratnews" else p.b_text for p in pairs)
    south = sorted(p.b_text if link.a == "stratnews" else p.a_text for p in pairs)
    assert strat[0].startswith("However, Tariq Arian, a spokesperson for the Afghan interior")
    assert strat[1].startswith("Senior security officials told Reuters that the Islam Qala")
    assert south[0].startswith("Tariq Arian, spokesman for the Afghan interior ministry")
    assert south[1].startswith("Two senior security officials told Reuters on condition")
    assert link.similarity == pytest.approx(sum(p.similarity for p in pairs) / 2)
    assert all(0.33 <= p.similarity < 0.8 for p in pairs)
    assert link.coverage is not None and 0 < link.coverage < 0.2
    assert result.relations == {"canonical": 1, "wire_overlap": 1}


def test_an_independent_article_on_the_same_topic_does_not_join(tmp_path: Path) -> None:
    a, b = seed_docs()
    other = doc("border", STORIES["border"], "2021-07-09T12:00:00Z")
    result = run([a, b, other], tmp_path)
    assert other.cluster_id == "border" and other.relation is None
    assert [c.members for c in result.clusters] == [["southfront", "stratnews"]]
    assert result.relations["singleton"] == 1


def test_a_cite_of_one_sentence_does_not_join(tmp_path: Path) -> None:
    a, b = seed_docs()
    quoted = sentences(a.text)[1]  # the Islam Qala sentence, word for word
    cite_text = "\n\n".join(
        [FILLER[0], f"As one report put it: {quoted} Officials declined to comment.", FILLER[1]]
    )
    cite = doc("cite", cite_text, "2021-07-10T09:00:00Z")
    result = run([a, b, cite], tmp_path)
    assert cite.cluster_id == "cite" and cite.relation is None
    assert [c.members for c in result.clusters] == [["southfront", "stratnews"]]


def test_a_pair_sharing_one_sentence_is_not_even_verified(tmp_path: Path) -> None:
    a, b = seed_docs()
    quoted = sentences(a.text)[1]
    cite_text = "\n\n".join([FILLER[0], f"As one report put it: {quoted}", FILLER[1]])
    run([a, b, doc("cite", cite_text, "2021-07-10T09:00:00Z")], tmp_path)
    index = open_index(str(tmp_path), CFG)
    try:
        # The quote collides with its source, but one shared passage can never make a link:
        # no exact comparison, no evidence kept.
        assert index.evidence_of(["cite"]) == []
        assert [(e.a, e.b) for e in index.evidence_of(["stratnews"])] == [
            ("southfront", "stratnews")
        ]
    finally:
        index.close()


def test_passage_frequencies_stop_counting_above_the_limit(tmp_path: Path) -> None:
    footer = "Subscribe to our newsletter for the latest headlines delivered every morning."
    texts = {n: STORIES[n] for n in ("harbor", "vaccine", "bridge", "election", "wildfire")}
    texts |= {n: STORIES[n] for n in ("chips", "border")} | {"filler": "\n\n".join(FILLER)}
    names = sorted(texts)
    docs = [doc(n, f"{texts[n]}\n\n{footer}") for n in names]
    run(docs, tmp_path)
    index = open_index(str(tmp_path), CFG)
    try:
        records = index.get_records(names, text=False)
    finally:
        index.close()
    # Seven other articles share each footer: more than max_passage_df, stored as limit + 1.
    assert len(names) - 1 > CFG.max_passage_df + 1
    assert {int(r.df[-1]) for r in records.values()} == {CFG.max_passage_df + 1}
    assert all(d.relation is None for d in docs)


# -- exact and near duplicates ---------------------------------------------------------------


def test_exact_duplicate_differing_in_case_quotes_and_spacing(tmp_path: Path) -> None:
    original = doc("orig", STORIES["harbor"], "2024-03-04T08:00:00Z")
    text = STORIES["harbor"].replace("Monday", "MONDAY").replace(", ", " ,  ").upper()
    copy = doc("copy", text.replace("'", "\u2019"), "2024-03-04T09:00:00Z")
    result = run([copy, original], tmp_path)
    assert copy.relation == "exact" and copy.duplicate_of == "orig"
    (link,) = result.clusters[0].links
    assert (link.relation, link.similarity, link.passages) == ("exact", 1.0, [])


def _parent_chain_ends_at_the_canonical(cluster: Cluster) -> None:
    assert set(cluster.joined) == set(cluster.members) - {cluster.canonical}
    for member in cluster.joined:
        seen = {member}
        while member != cluster.canonical:
            member = cluster.joined[member][0]
            assert member in cluster.members and member not in seen
            seen.add(member)


def test_many_copies_of_one_text_list_one_link_each_not_every_pair(tmp_path: Path) -> None:
    """30 copies of one wire text: each joins through one parent, and the cluster lists the
    29 links they joined through, not the 435 pairs (200 copies made a 2 MB line)."""
    copies = [
        doc(f"c{n:02d}", STORIES["harbor"], f"2024-03-04T{8 + n // 6:02d}:{n % 6 * 10:02d}:00Z")
        for n in range(30)
    ]
    (cluster,) = run(copies, tmp_path).clusters
    assert cluster.canonical == "c00" and len(cluster.members) == 30
    _parent_chain_ends_at_the_canonical(cluster)
    assert {relation for _, relation in cluster.joined.values()} == {"exact"}
    assert len(cluster.links) == 29
    assert {tuple(sorted((k.a, k.b))) for k in cluster.links} == {
        tuple(sorted((m, parent))) for m, (parent, _) in cluster.joined.items()
    }
    assert all(k.merged for k in cluster.links)


def _copies(n: int, start_hour: int = 8, footer: bool = False) -> list[Document]:
    return [
        doc(
            f"c{k:03d}",
            STORIES["harbor"]
            + (f"\n\nRepublished by outlet {k} with its own footer." if footer else ""),
            f"2024-03-{4 + (start_hour * 60 + k) // 1440:02d}T"
            f"{(start_hour * 60 + k) // 60 % 24:02d}:{k % 60:02d}:00Z",
        )
        for k in range(n)
    ]


def _evidence_rows(state: Path) -> int:
    with sqlite3.connect(state / "groups.sqlite") as db:
        return int(db.execute("SELECT count(*) FROM evidence").fetchone()[0])


@pytest.mark.parametrize("footer", [False, True])
def test_copies_of_one_story_cost_a_bounded_number_of_pairs_each(
    tmp_path: Path, footer: bool
) -> None:
    """120 copies (exact, or near duplicates with footers of their own): each is verified
    against at most max_earlier_links earlier ones, and they make the one cluster, with the
    same members and canonical as when every pair is verified."""
    cfg = replace(CFG, max_earlier_links=20)
    copies = _copies(120, footer=footer)
    (cluster,) = run(copies, tmp_path / "capped", cfg).clusters
    every = replace(CFG, max_earlier_links=10_000)
    (full,) = run(_copies(120, footer=footer), tmp_path / "full", every).clusters
    assert sorted(cluster.members) == sorted(full.members) == [d.id for d in copies]
    assert cluster.canonical == full.canonical == "c000"
    _parent_chain_ends_at_the_canonical(cluster)
    assert _evidence_rows(tmp_path / "full") == 120 * 119 // 2
    assert _evidence_rows(tmp_path / "capped") <= 120 * 20


def test_an_original_arriving_after_many_copies_still_roots_them_all(tmp_path: Path) -> None:
    cfg = replace(CFG, max_earlier_links=20)
    run(_copies(60, start_hour=9), tmp_path, cfg)
    original = doc("orig", STORIES["harbor"], "2024-03-04T07:00:00Z")
    (cluster,) = run([original], tmp_path, cfg).clusters
    assert cluster.canonical == "orig" and len(cluster.members) == 61
    assert {parent for parent, _ in cluster.joined.values()} == {"orig"}


def test_many_pages_sharing_furniture_do_not_crowd_out_a_wire_link(tmp_path: Path) -> None:
    """Only near copies are capped: 30 earlier pages of a site that share a long footer with
    an article (candidates, never links) leave its wire overlap with a story of another site
    in place, in one run or split into two in either order."""
    rng = random.Random(7)
    words = "council budget river school market bakery festival tram library weather".split()
    footer = " ".join(FILLER[:4])
    pages = [
        doc(
            f"x{k:03d}",
            " ".join(
                " ".join(rng.choice(words) for _ in range(9)).capitalize() + f" number {k}."
                for _ in range(3)
            )
            + "\n\n"
            + footer,
            f"2024-03-02T{k // 60:02d}:{k % 60:02d}:00Z",
            site="pressx.example",
        )
        for k in range(30)
    ]
    paras = STORIES["harbor"].split("\n\n")
    story = [
        doc("orig", STORIES["harbor"], "2024-03-01T06:00:00Z", site="wire.example"),
        doc("late", "\n\n".join([paras[0], paras[1], footer]), "2024-03-05T12:00:00Z",
            site="pressx.example"),
    ]  # fmt: skip
    cfg = replace(CFG, max_earlier_links=10)
    for n, batches in enumerate([[pages + story], [pages, story], [story, pages]]):
        docs = [replace(d) for d in pages + story]
        by_id = {d.id: d for d in docs}
        for batch in batches:
            run([by_id[d.id] for d in batch], tmp_path / str(n), cfg)
        state = open_index(str(tmp_path / str(n)), cfg)
        try:
            late = state.get_records(["late"], text=False)["late"]
        finally:
            state.close()
        assert (late.cluster_id, late.relation) == ("orig", "wire_overlap"), batches


def test_a_cluster_re_rooted_by_a_later_run_says_how_every_member_joins(tmp_path: Path) -> None:
    """The first run's article is canonical in its run; the second brings an earlier
    original: its cluster line says what the first one's relation and parent now are."""
    original = doc("orig", STORIES["harbor"], "2024-03-04T08:00:00Z")
    copy = doc("copy", STORIES["harbor"], "2024-03-04T09:00:00Z")
    first = run([copy], tmp_path)
    assert copy.duplicate_of is None and first.clusters == []
    (cluster,) = run([original], tmp_path).clusters
    assert cluster.canonical == "orig"
    assert cluster.joined == {"copy": ("orig", "exact")}


def test_near_duplicate_with_a_changed_sentence(tmp_path: Path) -> None:
    original = doc("orig", STORIES["vaccine"], "2024-03-04T08:00:00Z")
    edited = STORIES["vaccine"].replace(
        "Paediatricians welcomed the decision", "Doctors who treat children praised the move"
    )
    copy = doc("copy", edited, "2024-03-04T12:00:00Z")
    run([original, copy], tmp_path)
    assert copy.relation == "near_duplicate" and copy.duplicate_of == "orig"


def test_trim_joins_its_original(tmp_path: Path) -> None:
    original = doc("orig", STORIES["bridge"], "2024-03-04T08:00:00Z")
    trimmed = doc("trim", "\n\n".join(STORIES["bridge"].split("\n\n")[:2]), "2024-03-04T10:00:00Z")
    run([trimmed, original], tmp_path)
    assert trimmed.cluster_id == "orig"
    assert trimmed.relation in ("near_duplicate", "wire_overlap")


# -- the round-up ------------------------------------------------------------------------------


ROUNDUP_STORIES = ["harbor", "vaccine", "bridge", "election", "wildfire", "chips"]


def roundup_docs(
    published: str | None, stories_published: str | None = "earlier"
) -> list[Document]:
    names = ROUNDUP_STORIES
    originals = [
        doc(
            n,
            STORIES[n],
            f"2024-03-0{i + 1}T08:00:00Z" if stories_published == "earlier" else stories_published,
        )
        for i, n in enumerate(names)
    ]
    # A daily round-up: two sentences of each story, between short lines of its own.
    parts = []
    for n in names:
        s = sentences(STORIES[n])
        parts.append(f"{n.title()} news in brief. {s[0]} {s[1]}")
    roundup = doc("roundup", "\n\n".join(parts), published)
    return [roundup, *originals]


@pytest.mark.parametrize(
    ("published", "stories_published"),
    [
        ("2024-03-09T18:00:00Z", "earlier"),  # dated: the round-up comes after its sources
        (None, None),  # nothing dated: the longest text looks first
        ("2024-03-09", "2024-03-09"),  # one date for all, no time: no order either
    ],
)
def test_a_roundup_is_linked_to_every_story_but_merges_none_of_them(
    tmp_path: Path, published: str | None, stories_published: str | None
) -> None:
    docs = roundup_docs(published, stories_published)
    result = run(docs, tmp_path)
    by_id = {d.id: d for d in docs}
    stories = ROUNDUP_STORIES
    # The stories stay apart: at most one of them shares a cluster with the round-up.
    assert len({by_id[s].cluster_id for s in stories}) == len(stories)
    joined = [s for s in stories if by_id[s].cluster_id == by_id["roundup"].cluster_id]
    assert len(joined) <= 1
    # Every story is linked to the round-up; the links it did not merge through are evidence.
    links = {frozenset((k.a, k.b)): k for c in result.clusters for k in c.links}
    if stories_published == "earlier":
        assert len(joined) == 1
        (cluster,) = result.clusters
        assert {frozenset(("roundup", s)) for s in stories} <= set(links)
        merged = {tuple(sorted(k)) for k, v in links.items() if v.merged}
        assert merged == {tuple(sorted(("roundup", joined[0])))}
        assert all(links[frozenset(("roundup", s))].relation == "wire_overlap" for s in stories)


def test_roundup_links_survive_in_the_index_as_evidence(tmp_path: Path) -> None:
    from pipeline.group import explain

    docs = roundup_docs("2024-03-09T18:00:00Z")
    run(docs, tmp_path)
    index = open_index(str(tmp_path), CFG)
    try:
        verdicts = {s: explain(index, "roundup", s, CFG) for s in ("harbor", "vaccine", "bridge")}
    finally:
        index.close()
    assert all(v.linked and v.relation == "wire_overlap" for v in verdicts.values())
    assert sum(v.same_cluster for v in verdicts.values()) <= 1


# -- window_days -------------------------------------------------------------------------------


def test_window_days_bounds_wire_overlap_when_both_dates_are_known(tmp_path: Path) -> None:
    a, b = seed_docs()
    cfg = replace(CFG, window_days=3.0)
    late = replace(b, published="2021-08-20T10:00:00Z")  # 42 days after a
    run([replace(a), late], tmp_path / "late", cfg)
    assert late.cluster_id == "southfront"
    close = replace(b, published="2021-07-11T10:00:00Z")
    run([replace(a), close], tmp_path / "close", cfg)
    assert close.cluster_id == "stratnews"
    undated = replace(b, published=None)  # the window cannot apply without both dates
    run([replace(a), undated], tmp_path / "undated", cfg)
    assert undated.cluster_id == "stratnews"
    late_again = replace(b, published="2021-08-20T10:00:00Z")
    run([replace(a), late_again], tmp_path / "nowindow")
    assert late_again.cluster_id == "stratnews"


# -- incremental runs and persistence -----------------------------------------------------------


def corpus() -> list[Document]:
    a, b = seed_docs()
    docs = [a, b, doc("border", STORIES["border"], "2021-07-09T12:00:00Z")]
    for i, name in enumerate(["harbor", "vaccine", "wildfire", "chips", "election"]):
        text = STORIES[name]
        day = f"2024-03-1{i}"
        docs.append(doc(name, text, f"{day}T08:00:00Z"))
        paras = text.split("\n\n")
        docs.append(doc(f"{name}-trim", "\n\n".join(paras[:2]), f"{day}T11:00:00Z"))
        s = sentences(text)
        rewrite = "\n\n".join([f"{s[0]} {s[2]}", FILLER[i % len(FILLER)]])
        docs.append(doc(f"{name}-rewrite", rewrite, f"{day}T15:00:00Z"))
    docs.append(doc("copy-of-harbor", STORIES["harbor"], "2024-03-11T09:00:00Z"))
    return docs


def snapshot(
    state: Path, ids: Iterable[str]
) -> dict[str, tuple[str | None, str | None, str | None]]:
    ids = list(ids)
    index = open_index(str(state), CFG)
    try:
        records = index.get_records(ids, text=False)
    finally:
        index.close()
    assert sorted(records) == sorted(ids), "the state lacks some of the articles"
    assert any(r.relation for r in records.values()), "nothing in the state is linked"
    return {i: (r.cluster_id, r.parent, r.relation) for i, r in records.items()}


def clusters_of(docs: Iterable[Document]) -> set[frozenset[str]]:
    groups: dict[str | None, set[str]] = {}
    for d in docs:
        groups.setdefault(d.cluster_id, set()).add(d.id)
    return {frozenset(g) for g in groups.values()}


def test_corpus_groups_stories_and_keeps_the_rest_apart(tmp_path: Path) -> None:
    docs = corpus()
    run(docs, tmp_path)
    found = {g for g in clusters_of(docs) if len(g) > 1}
    expected = {
        frozenset({"stratnews", "southfront"}),
        frozenset({"harbor", "harbor-trim", "harbor-rewrite", "copy-of-harbor"}),
        *(
            frozenset({n, f"{n}-trim", f"{n}-rewrite"})
            for n in ["vaccine", "wildfire", "chips", "election"]
        ),
    }
    assert found == expected


def test_two_batches_give_the_one_batch_clusters(tmp_path: Path) -> None:
    docs = corpus()
    run([replace(d) for d in docs], tmp_path / "one")
    rng = random.Random(7)
    shuffled = [replace(d) for d in docs]
    rng.shuffle(shuffled)
    first, second = shuffled[: len(docs) // 2], shuffled[len(docs) // 2 :]
    run(first, tmp_path / "two")
    result = run(second, tmp_path / "two")
    ids = [d.id for d in docs]
    assert snapshot(tmp_path / "two", ids) == snapshot(tmp_path / "one", ids)
    # The second batch returns each cluster it touched whole, old members included.
    assert result.clusters
    for c in result.clusters:
        assert set(c.members) >= {d.id for d in second if d.cluster_id == c.cluster_id}
    assert all(len(c.members) >= 2 for c in result.clusters)


def test_state_persists_across_reopen_and_known_ids_are_skipped(tmp_path: Path) -> None:
    a, b = seed_docs()
    run([a], tmp_path)
    index = open_index(str(tmp_path), CFG)
    try:
        assert index.known(["stratnews", "southfront"]) == {"stratnews"}
        result = group([b, replace(a)], index, CFG)  # a again: skipped, not regrouped
        index.commit()
    finally:
        index.close()
    assert b.cluster_id == "stratnews"
    assert result.relations == {"wire_overlap": 1}
    assert [c.members for c in result.clusters] == [["southfront", "stratnews"]]


def test_uncommitted_work_is_discarded_on_close(tmp_path: Path) -> None:
    a, b = seed_docs()
    index = open_index(str(tmp_path), CFG)
    group([a, b], index, CFG)
    index.close()  # no commit
    index = open_index(str(tmp_path), CFG)
    try:
        assert index.known(["stratnews", "southfront"]) == set()
        group([replace(a), replace(b)], index, CFG)
        index.commit()
        assert index.known(["stratnews", "southfront"]) == {"stratnews", "southfront"}
    finally:
        index.close()


def test_a_state_built_with_other_signature_settings_refuses_to_open(tmp_path: Path) -> None:
    run(list(seed_docs()), tmp_path)
    with pytest.raises(NewsdedupError, match="other signature settings"):
        open_index(str(tmp_path), replace(CFG, num_perm=128, passage_bands=42))


def test_an_unusable_redis_state_is_a_clear_error() -> None:
    # Nothing listens on port 1: whatever the Redis support, this is one clear error.
    with pytest.raises(NewsdedupError):
        open_index("redis://127.0.0.1:1/0", CFG)


def test_an_empty_text_matches_nothing(tmp_path: Path) -> None:
    docs = [doc("e1", ""), doc("e2", "  \n "), doc("e3", "...")]
    result = run(docs, tmp_path)
    assert result.clusters == [] and [d.cluster_id for d in docs] == ["e1", "e2", "e3"]


# -- properties ----------------------------------------------------------------------------------

SMALL = corpus()


def outcome(docs: Sequence[Document], state: Path) -> tuple[object, ...]:
    result = run(docs, state)
    links = sorted(
        (
            k.a,
            k.b,
            k.relation,
            round(k.similarity, 6),
            k.merged,
            tuple((p.a_start, p.b_start) for p in k.passages),
        )
        for c in result.clusters
        for k in c.links
    )
    clusters = sorted(
        (c.cluster_id, c.canonical, tuple(sorted(c.members))) for c in result.clusters
    )
    return (tuple(clusters), tuple(links), tuple(sorted(assignment(docs).items())))


BASE: dict[str, tuple[object, ...]] = {}


def base_outcome(tmp: pytest.TempPathFactory) -> tuple[object, ...]:
    if "one" not in BASE:
        BASE["one"] = outcome([replace(d) for d in SMALL], tmp.mktemp("base"))
    return BASE["one"]


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.randoms(use_true_random=False))
def test_order_does_not_matter(
    tmp_path_factory: pytest.TempPathFactory, rnd: random.Random
) -> None:
    shuffled = [replace(d) for d in SMALL]
    rnd.shuffle(shuffled)
    assert outcome(shuffled, tmp_path_factory.mktemp("b")) == base_outcome(tmp_path_factory)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.randoms(use_true_random=False), st.integers(min_value=1, max_value=len(SMALL) - 1))
def test_any_split_into_two_batches_ends_in_the_one_batch_state(
    tmp_path_factory: pytest.TempPathFactory, rnd: random.Random, cut: int
) -> None:
    one = tmp_path_factory.mktemp("one")
    run([replace(d) for d in SMALL], one)
    shuffled = [replace(d) for d in SMALL]
    rnd.shuffle(shuffled)
    two = tmp_path_factory.mktemp("two")
    run(shuffled[:cut], two)
    run(shuffled[cut:], two)
    ids = [d.id for d in SMALL]
    assert snapshot(two, ids) == snapshot(one, ids)


def test_grouping_the_same_articles_again_into_a_fresh_state_is_identical(tmp_path: Path) -> None:
    first = outcome([replace(d) for d in SMALL], tmp_path / "a")
    again = outcome([replace(d) for d in SMALL], tmp_path / "b")
    assert first == again


@pytest.mark.parametrize("language", ["ru", "ar", "ja"])
def test_a_rewrite_around_two_wire_sentences_joins_in_other_scripts(
    tmp_path: Path, language: str
) -> None:
    """Sentences were only cut before A-Z, so in Cyrillic, Arabic or Japanese a paragraph was
    one passage and two wire sentences inside an outlet's own paragraphs were never found."""
    texts = json.loads((FIXTURES / "languages" / f"{language}.json").read_text(encoding="utf-8"))
    original = doc("original", texts["original"], "2024-08-01T08:00:00Z")
    rewrite = doc("rewrite", texts["rewrite"], "2024-08-01T15:00:00Z")
    independent = doc("independent", texts["independent"], "2024-08-01T12:00:00Z")
    result = run([original, rewrite, independent], tmp_path)
    assert rewrite.cluster_id == "original" and rewrite.relation == "wire_overlap"
    assert independent.cluster_id == "independent" and independent.relation is None
    (cluster,) = [c for c in result.clusters if "original" in c.members]
    (link,) = cluster.links
    assert len(link.passages) == 2
