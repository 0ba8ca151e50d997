from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.document import Document
from pipeline.output import ARTICLES, CLUSTERS, RUNS, dumps_jsonl, write_atomic, write_outputs


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


def test_outputs_sorted_by_id_and_recorded_per_run(tmp_path: Path) -> None:
    rid = write_outputs(tmp_path, [_doc("b"), _doc("a")], [])
    assert rid is not None
    lines = (tmp_path / ARTICLES).read_text().splitlines()
    assert [line[:24] for line in lines] == ['{"id":"aaaaaaaaaaaaaaaa"', '{"id":"bbbbbbbbbbbbbbbb"']
    assert (tmp_path / RUNS / rid / ARTICLES).read_bytes() == (tmp_path / ARTICLES).read_bytes()
    assert (tmp_path / CLUSTERS).read_bytes() == b""


def test_nothing_new_writes_nothing(tmp_path: Path) -> None:
    assert write_outputs(tmp_path, [], []) is None
    assert list(tmp_path.iterdir()) == []


def test_redone_run_reuses_its_folder(tmp_path: Path) -> None:
    """A run redone later with the same articles (its state was never committed) reuses the
    earlier run's folder rather than recording the same articles twice."""
    first = write_outputs(tmp_path, [_doc("a")], [], when=datetime(2026, 1, 1, 8, tzinfo=UTC))
    again = write_outputs(tmp_path, [_doc("a")], [], when=datetime(2026, 1, 1, 9, tzinfo=UTC))
    assert first is not None and first.startswith("20260101T080000Z-")
    assert again == first
    assert len(list((tmp_path / RUNS).iterdir())) == 1
    other = write_outputs(tmp_path, [_doc("b")], [], when=datetime(2026, 1, 1, 9, tzinfo=UTC))
    assert other is not None and other.startswith("20260101T090000Z-") and other != first
    assert len(list((tmp_path / RUNS).iterdir())) == 2


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
