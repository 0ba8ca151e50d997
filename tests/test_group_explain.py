"""explain(): shared passages side by side, the decision and the clusters, for any two ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.config import GroupConfig
from pipeline.document import Document
from pipeline.errors import NewsdedupError
from pipeline.group import explain, group, open_index

FIXTURES = Path(__file__).parent / "fixtures" / "group"
STORIES = json.loads((FIXTURES / "stories.json").read_text(encoding="utf-8"))
CFG = GroupConfig()


def doc(id_: str, text: str, published: str) -> Document:
    return Document(
        id=id_, source=id_, url=f"https://{id_}.example/a", text=text, published=published
    )


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("state")
    a = (FIXTURES / "seed_stratnews.txt").read_text(encoding="utf-8")
    b = (FIXTURES / "seed_southfront.txt").read_text(encoding="utf-8")
    quote = a.split("\n\n")[1].split(". ")[0] + "."
    cite = "\n\n".join([STORIES["filler"][1], f"One outlet wrote: {quote}", STORIES["filler"][4]])
    docs = [
        doc("stratnews", a, "2021-07-09T08:00:00Z"),
        doc("southfront", b, "2021-07-09T14:00:00Z"),
        doc("cite", cite, "2021-07-10T08:00:00Z"),
        doc("chips", STORIES["chips"], "2024-01-01T08:00:00Z"),
    ]
    index = open_index(str(path), CFG)
    try:
        group(docs, index, CFG)
        index.commit()
    finally:
        index.close()
    return path


def test_linked_pair_shows_both_passages_side_by_side(state: Path) -> None:
    index = open_index(str(state), CFG)
    try:
        ex = explain(index, "stratnews", "southfront", CFG)
    finally:
        index.close()
    assert ex.linked and ex.relation == "wire_overlap" and ex.same_cluster and ex.compared
    assert len(ex.passages) == 2 and all(p.counted for p in ex.passages)
    out = ex.render()
    assert "linked: wire_overlap" in out and "same cluster: yes (stratnews)" in out
    assert "Islam Qala" in out and "Tariq Arian" in out and out.count("similarity 0.") >= 2
    assert all(line == line.rstrip() for line in out.splitlines())  # no trailing blanks


def test_a_cite_is_explained_as_one_passage_short(state: Path) -> None:
    index = open_index(str(state), CFG)
    try:
        ex = explain(index, "cite", "stratnews", CFG)
    finally:
        index.close()
    assert not ex.linked and ex.reason == "1 shared passage, need 2"
    assert not ex.same_cluster and len(ex.passages) == 1
    assert "not linked: 1 shared passage, need 2" in ex.render()


def test_any_two_ids_even_never_compared(state: Path) -> None:
    index = open_index(str(state), CFG)
    try:
        ex = explain(index, "chips", "southfront", CFG)
        with pytest.raises(NewsdedupError, match="no article with id nope"):
            explain(index, "chips", "nope", CFG)
    finally:
        index.close()
    assert not ex.linked and not ex.compared and ex.passages == []
    assert "never compared" in ex.render()


def test_cli_explain_decides_with_the_runs_window(state: Path) -> None:
    """The window is a run setting, not stored in the state: explain takes it too."""
    from tests.conftest import run_cli

    plain = run_cli("explain", "stratnews", "southfront", "--state", str(state)).stdout
    assert "linked: wire_overlap" in plain
    narrow = run_cli(
        "explain", "stratnews", "southfront", "--state", str(state), "--window", "0.1"
    ).stdout
    assert "not linked" in narrow and "0.2 days apart (window 0.1)" in narrow


def test_cli_explain_into_a_closed_pipe_is_quiet(state: Path) -> None:
    """``newsdedup explain A B | head -3``: the reader leaves early, which is no error."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    cmd = [sys.executable, "-m", "pipeline", "explain", "stratnews", "southfront"]
    explain_proc = subprocess.Popen(
        [*cmd, "--state", str(state)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert explain_proc.stdout is not None
    explain_proc.stdout.close()  # gone before the first line, as head can be after its lines
    _, err = explain_proc.communicate(timeout=60)
    assert explain_proc.returncode == 0 and b"Traceback" not in err, err


def test_a_link_that_does_not_merge_is_explained_by_the_parents(tmp_path: Path) -> None:
    """A round-up quoting two stories joins one of them (its parent); its link to the other
    is recorded but merges nothing, and explain says through what each article joins."""
    harbor, chips = STORIES["harbor"].split("\n\n"), STORIES["chips"].split("\n\n")
    roundup = "\n\n".join([STORIES["filler"][0], *harbor[:2], STORIES["filler"][2], *chips[:2]])
    docs = [
        doc("harbor", STORIES["harbor"], "2024-01-01T08:00:00Z"),
        doc("chips", STORIES["chips"], "2024-01-01T09:00:00Z"),
        doc("roundup", roundup, "2024-01-02T08:00:00Z"),
    ]
    index = open_index(str(tmp_path), CFG)
    try:
        group(docs, index, CFG)
        index.commit()
        pairs = [explain(index, "roundup", other, CFG) for other in ("harbor", "chips")]
        with pytest.raises(NewsdedupError, match="give two different ids: both are chips"):
            explain(index, "chips", "chips", CFG)
    finally:
        index.close()
    assert all(ex.linked for ex in pairs)
    joined, apart = sorted(pairs, key=lambda ex: not ex.same_cluster)
    assert joined.same_cluster and not apart.same_cluster
    parent, other = joined.a, apart.a  # ids sort before "roundup": it is b in both
    assert f"{other} joins by none (it is its cluster's root), roundup by {parent};" in (
        apart.render()
    )
    assert "joins by" not in joined.render()
