"""Copies of an article and passage frequencies: a report republished word for word counts
once, in any order of arrival, and templates still make their stock lines boilerplate.

Every test runs on both adapters (``new_state`` of ``test_group_backends``)."""

# ruff: noqa: F811  (new_state is the fixture of test_group_backends, imported to be used here)

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import pytest
from test_group_backends import (  # noqa: F401
    CFG,
    STORIES,
    NewState,
    doc,
    new_state,
    run,
    seed_docs,
    snapshot,
)

from pipeline.document import Document
from pipeline.group.batch import make_signature


def copy_of(src: Document, id_: str, site: str, published: str | None) -> Document:
    return Document(
        id=id_,
        source=f"test:{id_}",
        url=f"https://{site}/news/{id_}",
        text=src.text,
        published=published,
    )


def state_after(
    new_state: NewState, runs: Iterable[Sequence[Document]], ids: Sequence[str]
) -> dict[str, Any]:
    state = new_state()
    for batch in runs:
        run([replace(d) for d in batch], state)
    records: dict[str, Any] = snapshot(state, ids)["records"]
    return records


def republished() -> tuple[Document, Document, list[Document]]:
    strat, south = seed_docs()
    copies = [
        copy_of(strat, f"copy{k}", f"site{k}.example", f"2021-07-09T09:{k:02d}:00Z")
        for k in range(8)
    ]
    return strat, south, copies


def mirrored(credit: str = "") -> tuple[list[Document], list[str], list[Document]]:
    """The seed pair and six copies of one of them on one mirror site (with ``credit`` added
    to each): all the articles, their ids, and the copies."""
    strat, south = seed_docs()
    source = replace(strat, text=f"{strat.text}{credit}")
    mirror = [
        copy_of(source, f"m{k}", "mirror.example", f"2021-07-09T09:0{k}:00Z") for k in range(6)
    ]
    docs = [strat, south, *mirror]
    return docs, [d.id for d in docs], mirror


def test_copies_on_one_mirror_site_arriving_before_the_original(new_state: NewState) -> None:
    docs, ids, mirror = mirrored()
    strat, south = docs[:2]
    one = state_after(new_state, [docs], ids)
    assert state_after(new_state, [[south, *mirror], [strat]], ids) == one


def test_near_copies_with_a_credit_line_count_as_one_text_in_any_order(
    new_state: NewState,
) -> None:
    """A mirror's pages carry a credit line: near copies of the original, exact copies of one
    another. They count as one text, whichever run brings them."""
    docs, ids, mirror = mirrored("\n\nRepublished with permission.")
    strat, south = docs[:2]
    one = state_after(new_state, [docs], ids)
    assert state_after(new_state, [[strat, *mirror], [south]], ids) == one
    assert state_after(new_state, [[south, *mirror], [strat]], ids) == one


DISCLAIMER = (
    "This content is provided for information only and does not constitute investment advice "
    "of any kind.\n\n"
    "Past performance of any security is no guarantee of future results and readers should "
    "consult an adviser."
)


def test_stock_lines_across_unrelated_stories_stay_boilerplate(new_state: NewState) -> None:
    """A market update and the five other fixture stories, on six sites, end with the same two
    disclaimer sentences; so do two more unrelated stories. The disclaimer is in eight
    stories, common on every side, and the two stay apart."""
    update = (
        "Shares in the regional index moved in a narrow range on Tuesday as traders waited for "
        "the central bank decision due later in the week, with volumes below the monthly "
        "average and most sectors little changed by the close of trading in the afternoon."
        "\n\nThe index closed at 7004 points."
    )
    texts = [update, *(STORIES[k] for k in ("bridge", "election", "wildfire", "chips", "border"))]
    pages = [
        Document(
            id=f"page{k}",
            source=f"test:page{k}",
            url=f"https://site{k}.example/news/{k}",
            text=f"{text}\n\n{DISCLAIMER}",
            published=f"2024-03-1{k}T07:00:00Z",
        )
        for k, text in enumerate(texts)
    ]
    x = doc("x-harbor", f"{STORIES['harbor']}\n\n{DISCLAIMER}", "2024-03-12T09:00:00Z")
    y = doc("y-vaccine", f"{STORIES['vaccine']}\n\n{DISCLAIMER}", "2024-03-13T09:00:00Z")
    run([*pages, x, y], new_state())
    assert x.cluster_id != y.cluster_id
    assert (x.relation, y.relation) == (None, None)
    assert {p.relation for p in pages} == {None}


def _wrapped(text: str, width: int = 30) -> str:
    """The text hard-wrapped, as plain-text feeds are: the same text hash (line breaks do not
    count in it), but its sentences cut into short passages."""
    return "\n\n".join(textwrap.fill(p, width) for p in text.split("\n\n"))


def test_a_hard_wrapped_copy_is_another_text_in_any_order(new_state: NewState) -> None:
    strat, south = seed_docs()
    wrap = copy_of(strat, "a-wrap", "wrap.example", "2021-07-09T09:00:00Z")
    wrap.text = _wrapped(strat.text)
    a, b = (make_signature(d.text, CFG) for d in (strat, wrap))
    assert a.text_hash == b.text_hash and a.norms != b.norms
    docs = [strat, south, wrap]
    ids = [d.id for d in docs]
    one = state_after(new_state, [docs], ids)
    assert state_after(new_state, [[strat, south], [wrap]], ids) == one
    assert state_after(new_state, [[wrap], [strat, south]], ids) == one


def credited() -> tuple[Document, Document, list[Document]]:
    """The seed pair and eight near copies of one of them on eight sites, each site adding a
    credit line of its own: eight texts."""
    strat, south = seed_docs()
    copies = [
        replace(
            copy_of(strat, f"credit{k}", f"site{k}.example", f"2021-07-09T09:{k:02d}:00Z"),
            text=f"{strat.text}\n\nThis report appears on {site} under its licence.",
        )
        for k, site in enumerate(
            ("Harbour", "Summit", "Prairie", "Lakeside", "Coastal", "Metro", "Valley", "Upland")
        )
    ]
    return strat, south, copies


COPIES = {"word for word": (republished, "exact"), "credited": (credited, "near_duplicate")}


@pytest.mark.parametrize("kind", COPIES)
def test_copies_of_a_report_on_eight_sites_are_one_story(new_state: NewState, kind: str) -> None:
    """Eight sites republish one seed article, word for word or each adding a credit line of
    its own (eight texts): the other seed article still links to it through the two Reuters
    sentences they share, which the copies make common on its side only."""
    make, relation = COPIES[kind]
    strat, south, copies = make()
    texts = {make_signature(c.text, CFG).text_hash for c in copies}
    assert len(texts) == (1 if relation == "exact" else len(copies))
    run([strat, south, *copies], new_state())
    assert (south.cluster_id, south.relation) == ("stratnews", "wire_overlap")
    assert {c.cluster_id for c in copies} == {"stratnews"}
    assert {c.relation for c in copies} == {relation}


@pytest.mark.parametrize("kind", COPIES)
@pytest.mark.parametrize(
    "order",
    [
        "original, copies | rewrite",
        "copies | original, rewrite",
        "rewrite | copies | original",
        "one per run, reversed",
    ],
)
def test_copies_end_in_the_one_run_state_in_any_order_of_arrival(
    new_state: NewState, kind: str, order: str
) -> None:
    strat, south, copies = COPIES[kind][0]()
    docs = [strat, south, *copies]
    ids = [d.id for d in docs]
    runs = {
        "original, copies | rewrite": [[strat, *copies], [south]],
        "copies | original, rewrite": [copies, [strat, south]],
        "rewrite | copies | original": [[south], copies, [strat]],
        "one per run, reversed": [[south], *([c] for c in reversed(copies)), [strat]],
    }[order]
    one = state_after(new_state, [docs], ids)
    assert one["southfront"][:3] == ("stratnews", "stratnews", "wire_overlap")
    assert state_after(new_state, runs, ids) == one


def _sentences(text: str) -> list[str]:
    return [s for p in text.split("\n\n") for s in p.replace(". ", ".\n").split("\n") if s]


def test_one_text_on_two_sites_counts_the_same_whichever_copy_arrives_first(
    new_state: NewState,
) -> None:
    """An article, its word-for-word copy on another site, and an update of it on its own
    site: the update's frequencies do not depend on which copy of the text came first."""
    strat, south = seed_docs()
    other = copy_of(strat, "acopy", "other.example", "2021-07-09T08:30:00Z")
    update = copy_of(
        replace(strat, text=f"{strat.text}\n\nThis article was updated at noon."),
        "zupdate",
        "stratnews.example",
        "2021-07-09T12:00:00Z",
    )
    docs = [strat, other, update, south]
    ids = [d.id for d in docs]
    one = state_after(new_state, [docs], ids)
    assert state_after(new_state, [[strat], [other, update, south]], ids) == one


def harbour_sites() -> list[Document]:
    """The harbour story, a copy of it on another site, two updates there and one at home, a
    rewrite around two of its sentences, and four stories quoting the same two."""
    s = _sentences(STORIES["harbor"])
    home = Document(
        id="m-orig",
        source="t:m",
        url="https://home.example/a/1",
        text=STORIES["harbor"],
        published="2024-03-04T08:00:00Z",
    )
    copy = copy_of(home, "a-copy", "other.example", "2024-03-04T08:30:00Z")
    updates = [
        Document(
            id=id_,
            source=f"t:{id_}",
            url=f"https://{site}/a/{id_}",
            text=f"{STORIES['harbor']}\n\n{line}",
            published=f"2024-03-04T{when}:00Z",
        )
        for id_, site, line, when in (
            ("b-upd", "other.example", "Republished by Other Daily.", "08:40"),
            ("b-upd2", "other.example", "Republished again by Other Daily.", "08:50"),
            ("z-upd", "home.example", "This article was updated at 9am.", "09:00"),
        )
    ]
    rewrite = doc(
        "r-rewrite", f"{s[0]}\n\n{s[2]}\n\n{STORIES['filler'][0]}", "2024-03-04T12:00:00Z"
    )
    quoting = [
        doc(f"o-{k}", f"{STORIES[k]}\n\n{s[0]}\n\n{s[2]}", "2024-03-04T10:00:00Z")
        for k in ("vaccine", "bridge", "election", "wildfire")
    ]
    return [home, copy, *updates, rewrite, *quoting]


def test_copies_on_several_sites_give_one_result_whatever_the_run_split(
    new_state: NewState,
) -> None:
    docs = harbour_sites()
    ids = [d.id for d in docs]
    one = state_after(new_state, [docs], ids)
    assert state_after(new_state, [docs[:1], docs[1:]], ids) == one
    assert state_after(new_state, [docs[1:], docs[:1]], ids) == one


def report_and_quotes() -> tuple[list[str], list[Document], list[Document]]:
    """The harbour story's sentences; the story with six credited copies on six sites; five
    later stories quoting two of its sentences, enough to make those common everywhere."""
    s = _sentences(STORIES["harbor"])
    home = doc("m-orig", STORIES["harbor"], "2024-03-04T08:00:00Z")
    copies = [
        replace(
            copy_of(home, f"c{k}", f"site{k}.example", f"2024-03-04T09:0{k}:00Z"),
            text=f"{STORIES['harbor']}\n\nThis report appears on {name} under licence.",
        )
        for k, name in enumerate(("Harbour", "Summit", "Prairie", "Lakeside", "Coastal", "Metro"))
    ]
    later = [
        doc(f"o-{k}", f"{STORIES[k]}\n\n{s[0]}\n\n{s[2]}", "2024-03-05T10:00:00Z")
        for k in ("vaccine", "bridge", "election", "wildfire", "chips")
    ]
    return s, [home, *copies], later


def test_a_link_that_stops_counting_is_dropped_at_both_ends(new_state: NewState) -> None:
    """A rewrite links to a report with six credited copies through two sentences that are
    rare on the report's side only. Five stories quoting the same two sentences, in a later
    run, make them common there too: the rewrite leaves the cluster as in one run."""
    s, report, later = report_and_quotes()
    rewrite = doc(
        "r-rewrite", f"{s[0]}\n\n{s[2]}\n\n{STORIES['filler'][0]}", "2024-03-04T12:00:00Z"
    )
    first = [*report, rewrite]
    docs = first + later
    ids = [d.id for d in docs]
    split = state_after(new_state, [first], [d.id for d in first])
    assert split["r-rewrite"][:3] == ("m-orig", "m-orig", "wire_overlap")
    one = state_after(new_state, [docs], ids)
    assert state_after(new_state, [first, later], ids) == one


def test_one_page_at_two_addresses_counts_alike_in_any_order(new_state: NewState) -> None:
    strat, _ = seed_docs()
    a = copy_of(strat, "a-page", "mirror.example", "2021-07-09T09:00:00Z")
    b = copy_of(strat, "b-page", "mirror.example", "2021-07-09T09:00:00Z")
    ids = ["a-page", "b-page"]
    one = state_after(new_state, [[a, b]], ids)
    assert state_after(new_state, [[b], [a]], ids) == one
    assert one["a-page"][3] == one["b-page"][3]


def two_addresses() -> list[Document]:
    """One page of a mirror site at two addresses, a credited copy elsewhere, four stories
    quoting two of its sentences and a rewrite around the same two: one passage at the limit."""
    s = _sentences(STORIES["harbor"])
    home = doc("zz-home", STORIES["harbor"], "2024-03-04T07:00:00Z")
    return [
        copy_of(home, "a-page", "mirror.example", "2024-03-04T08:00:00Z"),
        copy_of(home, "b-page", "mirror.example", "2024-03-04T08:00:00Z"),
        replace(
            copy_of(home, "c-credit", "other.example", "2024-03-04T09:00:00Z"),
            text=f"{STORIES['harbor']}\n\nThis report appears on Other Daily under licence.",
        ),
        *(
            doc(f"o-{k}", f"{STORIES[k]}\n\n{s[0]}\n\n{s[2]}", "2024-03-04T10:00:00Z")
            for k in ("vaccine", "bridge", "election", "wildfire")
        ),
        doc("r-rewrite", f"{s[0]}\n\n{s[2]}\n\n{STORIES['filler'][0]}", "2024-03-04T12:00:00Z"),
    ]


@pytest.mark.parametrize("window", [None, 2.0])
def test_which_address_of_a_page_arrives_first_changes_nothing(
    new_state: NewState, window: float | None
) -> None:
    """With a two-day window, one address and the credited copy republished a month later."""
    cfg = replace(CFG, window_days=window)
    docs = two_addresses()
    if window is not None:
        docs[0] = replace(docs[0], published="2024-04-20T08:00:00Z")
        docs[2] = replace(docs[2], published="2024-04-20T09:00:00Z")
    ids = [d.id for d in docs]

    def after(runs: Sequence[Sequence[Document]]) -> dict[str, Any]:
        state = new_state()
        for batch in runs:
            run([replace(d) for d in batch], state, cfg)
        records: dict[str, Any] = snapshot(state, ids, cfg)["records"]
        return records

    assert after([[docs[1]], [docs[0], *docs[2:]]]) == after([docs])


def test_an_undated_partner_is_chosen_again_when_a_link_stops_counting(
    new_state: NewState,
) -> None:
    """An undated rewrite links to a report (through sentences rare on the report's side only)
    and to an undated article through two other sentences; it accepts the stronger link only.
    Five later stories make the report's sentences common: the rewrite drops that link, now
    accepts the other, and the other article joins it, as in one run."""
    s, report, later = report_and_quotes()
    t = _sentences(STORIES["border"])
    rewrite = doc(
        "r-rewrite", f"{s[0]}\n\n{s[2]}\n\n{t[0]}\n\n{t[2]}\n\n{STORIES['filler'][0]}", None
    )
    other = doc("w-other", f"{t[0]}\n\n{t[2]}\n\nA short line of its own here.", None)
    first = [*report, rewrite, other]
    docs = first + later
    ids = [d.id for d in docs]
    one = state_after(new_state, [docs], ids)
    assert one["w-other"][:3] == ("r-rewrite", "r-rewrite", "wire_overlap")
    assert state_after(new_state, [first, later], ids) == one
