from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.document import Document
from pipeline.output import (
    ARTICLES,
    CLUSTERS,
    RUNS,
    STATE_ID,
    dumps_jsonl,
    publish,
    recover_outputs,
    stage_outputs,
    write_atomic,
)

STATE = "0123456789abcdef"  # the id of the state the tests' runs commit to


def _doc(i: str) -> Document:
    return Document(id=i * 16, source=f"f{i}.txt", text=f"text {i}", cluster_id=i * 16)


def test_write_atomic_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "x.jsonl"
    write_atomic(target, b"one\n")
    old = tmp_path / "old-link"
    os.link(target, old)  # a reader that opened the old file keeps seeing it whole
    write_atomic(target, b"two\n")
    assert target.read_bytes() == b"two\n"
    assert old.read_bytes() == b"one\n"  # renamed over, not rewritten in place
    old.unlink()
    assert os.listdir(tmp_path) == ["x.jsonl"]


def test_write_atomic_keeps_the_old_file_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "x.jsonl"
    write_atomic(target, b"old\n")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)  # the new bytes are written, not yet durable
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, b"new\n")
    assert target.read_bytes() == b"old\n"
    assert os.listdir(tmp_path) == ["x.jsonl"]


def test_jsonl_is_canonical_utf8() -> None:
    assert dumps_jsonl([{"b": "é", "a": 1}]) == '{"b":"é","a":1}\n'.encode()


def _published(out: Path, docs: list[Document], when: datetime | None = None) -> str | None:
    staged = stage_outputs(out, docs, [], STATE, when)
    return None if staged is None else publish(out, staged)


def test_outputs_sorted_by_id_and_recorded_per_run(tmp_path: Path) -> None:
    rid = _published(tmp_path, [_doc("b"), _doc("a")])
    assert rid is not None
    lines = (tmp_path / ARTICLES).read_text().splitlines()
    assert [line[:24] for line in lines] == ['{"id":"aaaaaaaaaaaaaaaa"', '{"id":"bbbbbbbbbbbbbbbb"']
    assert (tmp_path / RUNS / rid / ARTICLES).read_bytes() == (tmp_path / ARTICLES).read_bytes()
    assert (tmp_path / CLUSTERS).read_bytes() == b""
    assert sorted(os.listdir(tmp_path)) == [ARTICLES, CLUSTERS, RUNS]


def test_nothing_new_writes_nothing(tmp_path: Path) -> None:
    assert stage_outputs(tmp_path, [], [], STATE) is None
    assert list(tmp_path.iterdir()) == []


def test_a_staged_run_is_seen_by_no_reader_until_published(tmp_path: Path) -> None:
    first = _published(tmp_path, [_doc("a")], when=datetime(2026, 1, 1, 8, tzinfo=UTC))
    staged = stage_outputs(
        tmp_path, [_doc("b")], [], STATE, when=datetime(2026, 1, 1, 9, tzinfo=UTC)
    )
    assert staged is not None and staged.run_id.startswith("20260101T090000Z-")
    assert [r["id"] for r in _lines(tmp_path / ARTICLES)] == ["a" * 16]
    assert os.listdir(tmp_path / RUNS) == [first]
    assert publish(tmp_path, staged) == staged.run_id
    assert [r["id"] for r in _lines(tmp_path / ARTICLES)] == ["b" * 16]
    assert sorted(os.listdir(tmp_path / RUNS)) == [first, staged.run_id]
    assert not staged.folder.exists()


def test_recovery_discards_an_unsaved_run_and_publishes_a_saved_one(tmp_path: Path) -> None:
    """What a stopped run left: staged but never saved (the state has no record of the run),
    or saved but not published. Temporary files of interrupted writes go too."""
    old = _published(tmp_path, [_doc("a")], when=datetime(2026, 1, 1, 8, tzinfo=UTC))
    assert old is not None
    lost = stage_outputs(tmp_path, [_doc("b")], [], STATE, when=datetime(2026, 1, 1, 9, tzinfo=UTC))
    assert lost is not None
    saved_runs: set[str] = set()

    def recorded(runs: list[str]) -> set[str]:
        return set(runs) & saved_runs

    done = recover_outputs(tmp_path, recorded, STATE)
    assert not lost.folder.exists() and os.listdir(tmp_path / RUNS) == [old]
    assert [r["id"] for r in _lines(tmp_path / ARTICLES)] == ["a" * 16]
    assert done == [f"discarded run {lost.run_id}, never saved: a rerun redoes it"]

    saved = stage_outputs(
        tmp_path, [_doc("c")], [], STATE, when=datetime(2026, 1, 1, 10, tzinfo=UTC)
    )
    assert saved is not None
    saved_runs.add(saved.run_id)
    leftover = tmp_path / ".articles.jsonl.x1y2.tmp"
    leftover.write_bytes(b"half")
    (tmp_path / "notes.tmp").write_bytes(b"not ours")
    recover_outputs(tmp_path, recorded, STATE)
    assert sorted(os.listdir(tmp_path / RUNS)) == [old, saved.run_id]
    assert [r["id"] for r in _lines(tmp_path / ARTICLES)] == ["c" * 16]
    assert not saved.folder.exists() and not leftover.exists()
    assert (tmp_path / "notes.tmp").exists()


def test_recovery_discards_a_run_staged_only_in_part(tmp_path: Path) -> None:
    staged = stage_outputs(tmp_path, [_doc("a")], [], STATE)
    assert staged is not None
    (staged.folder / ARTICLES).unlink()  # stopped between its two files, before any commit
    recover_outputs(tmp_path, lambda runs: set(), STATE)
    assert list(tmp_path.iterdir()) == []


def test_a_saved_run_whose_staged_files_were_damaged_is_kept_not_discarded(
    tmp_path: Path,
) -> None:
    staged = stage_outputs(tmp_path, [_doc("a"), _doc("b")], [], STATE)
    assert staged is not None
    data = (staged.folder / ARTICLES).read_bytes()
    (staged.folder / ARTICLES).write_bytes(data[: len(data) // 2])
    (done,) = recover_outputs(tmp_path, lambda runs: set(runs), STATE)
    assert "damaged" in done and "not published" in done
    assert os.listdir(tmp_path) == [f".damaged-{staged.run_id}"]


def test_a_run_staged_for_another_state_is_left_in_place(tmp_path: Path) -> None:
    """A run stopped after its commit to state A; the next run in the same output folder uses
    state B, which has no record of it. B cannot tell whether A saved it: the folder stays
    (discarding it lost A's articles for good), and a run with A publishes it."""
    other = "fedcba9876543210"
    staged = stage_outputs(tmp_path, [_doc("a")], [], other)
    assert staged is not None
    (done,) = recover_outputs(tmp_path, lambda runs: set(), STATE)
    assert done.startswith(f"left {staged.folder} as it is") and other in done
    assert staged.folder.is_dir() and not (tmp_path / ARTICLES).exists()
    (done,) = recover_outputs(tmp_path, lambda runs: set(runs), other)
    assert done == f"published run {staged.run_id}, saved by a run that stopped"
    assert [r["id"] for r in _lines(tmp_path / ARTICLES)] == ["a" * 16]
    # a run's folder holds its two files only
    assert sorted(os.listdir(tmp_path / RUNS / staged.run_id)) == [ARTICLES, CLUSTERS]


def test_a_saved_run_published_after_newer_runs_takes_a_later_id(tmp_path: Path) -> None:
    """A run of state A stopped after saving; runs with state B published since. When a run
    with A publishes the stopped one, it becomes the newest under a later id (the same hash
    of its articles), so a reader going by the last id read does not pass it by."""
    other = "fedcba9876543210"
    stopped = stage_outputs(
        tmp_path, [_doc("a")], [], other, when=datetime(2026, 1, 1, 8, tzinfo=UTC)
    )
    assert stopped is not None
    assert recover_outputs(tmp_path, lambda runs: set(), STATE)[0].startswith("left ")
    newer = _published(tmp_path, [_doc("b")], when=datetime(2026, 1, 1, 9, tzinfo=UTC))
    assert newer is not None and newer > stopped.run_id
    ids: list[str] = []
    (done,) = recover_outputs(tmp_path, lambda runs: set(runs), other, ids)
    (late,) = ids
    assert late > newer and late.split("-")[1] == stopped.run_id.split("-")[1]
    assert done == f"published run {late} (staged as {stopped.run_id}), saved by a run that stopped"
    assert sorted(os.listdir(tmp_path / RUNS)) == [newer, late]
    assert [r["id"] for r in _lines(tmp_path / ARTICLES)] == ["a" * 16]
    assert [r["id"] for r in _lines(tmp_path / RUNS / late / ARTICLES)] == ["a" * 16]
    # With no newer run, a stopped run keeps its id.
    again = stage_outputs(tmp_path, [_doc("c")], [], STATE)
    assert again is not None
    ids.clear()
    recover_outputs(tmp_path, lambda runs: set(runs), STATE, ids)
    assert ids == [again.run_id]


def test_a_state_id_left_in_a_published_run_by_a_stop_is_removed(tmp_path: Path) -> None:
    """A run stopped between moving its folder under runs/ and removing the id: the next
    run's recovery removes it, so a run's folder holds its two files only."""
    staged = stage_outputs(tmp_path, [_doc("a")], [], STATE)
    assert staged is not None
    (tmp_path / RUNS).mkdir()
    os.replace(staged.folder, tmp_path / RUNS / staged.run_id)  # as publish does, then stops
    assert recover_outputs(tmp_path, lambda runs: set(runs), STATE) == []
    assert sorted(os.listdir(tmp_path / RUNS / staged.run_id)) == [ARTICLES, CLUSTERS]


def test_a_folder_staged_before_folders_named_their_state_is_settled_as_before(
    tmp_path: Path,
) -> None:
    staged = stage_outputs(tmp_path, [_doc("a")], [], STATE)
    assert staged is not None
    (staged.folder / STATE_ID).unlink()
    (done,) = recover_outputs(tmp_path, lambda runs: set(), "fedcba9876543210")
    assert done == f"discarded run {staged.run_id}, never saved: a rerun redoes it"


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_outputs_are_readable_as_the_umask_allows(tmp_path: Path) -> None:
    """Not mkstemp's 0600: a consumer running as another user reads them like any file."""
    mask = os.umask(0o022)
    os.umask(mask)
    write_atomic(tmp_path / "a.jsonl", b"{}\n")
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    assert (tmp_path / "a.jsonl").stat().st_mode & 0o777 == plain.stat().st_mode & 0o777
    assert (tmp_path / "a.jsonl").stat().st_mode & 0o044 == 0o044 & ~mask


def test_a_file_name_that_is_not_utf8_is_written_with_replacement_characters(
    tmp_path: Path,
) -> None:
    """``os.fsdecode`` keeps an undecodable byte of a name as a lone surrogate; one such name
    must not fail the whole run when its source is written."""
    name = os.fsdecode(b"caf\xe9.html")
    assert dumps_jsonl([{"source": name}]) == '{"source":"caf\ufffd.html"}\n'.encode()


def test_the_same_articles_staged_in_the_same_second_elsewhere_are_another_run(
    tmp_path: Path,
) -> None:
    """Two output folders on one shared state: one run stops before its commit, the other
    writes the same articles in the same second and commits. The first one's leftovers must
    not pass for the committed run."""
    when = datetime(2026, 1, 1, 8, tzinfo=UTC)
    stopped = stage_outputs(tmp_path / "a", [_doc("a")], [], STATE, when=when)
    committed = stage_outputs(tmp_path / "b", [_doc("a")], [], STATE, when=when)
    assert stopped is not None and committed is not None
    assert stopped.run_id != committed.run_id
    assert stopped.run_id.split("-")[:2] == committed.run_id.split("-")[:2]
    saved = {committed.run_id}
    done = recover_outputs(tmp_path / "a", lambda runs: set(runs) & saved, STATE)
    assert done == [f"discarded run {stopped.run_id}, never saved: a rerun redoes it"]
    assert list((tmp_path / "a").iterdir()) == []
    (published,) = recover_outputs(tmp_path / "b", lambda runs: set(runs) & saved, STATE)
    assert published.startswith(f"published run {committed.run_id}")


def test_runs_in_one_second_or_after_the_clock_went_back_still_list_in_order(
    tmp_path: Path,
) -> None:
    """Readers take every folder of runs/ sorting after the last one they read: a run must
    sort after the one before it, whatever its hash and however the clock moved."""
    noon = datetime(2026, 1, 1, 12, tzinfo=UTC)
    published = []
    for n, when in enumerate([noon, noon, noon, noon.replace(hour=11), noon]):
        staged = stage_outputs(tmp_path, [_doc(f"d{n}")], [], STATE, when)
        assert staged is not None
        published.append(publish(tmp_path, staged))
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == published
    assert [rid[:16] for rid in published] == [
        "20260101T120000Z",
        "20260101T120001Z",
        "20260101T120002Z",
        "20260101T120003Z",
        "20260101T120004Z",
    ]
    later = stage_outputs(tmp_path, [_doc("e")], [], STATE, noon.replace(hour=13))
    assert later is not None and later.run_id.startswith("20260101T130000Z-")


def test_a_record_is_one_line_for_every_line_splitter() -> None:
    """JSON lets U+0085, U+2028 and U+2029 stand raw in strings; Python's str.splitlines and
    older JavaScript take them for line ends. Written escaped, they read back the same."""
    record = {"title": "a\u2028b\u2029c\x85d\x0be\x1cf", "text": "ok"}
    data = dumps_jsonl([record, record])
    assert len(data.decode("utf-8").splitlines()) == 2
    assert [json.loads(line) for line in data.decode("utf-8").splitlines()] == [record, record]
