from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pipeline.errors import NewsdedupError
from pipeline.lock import StateLock


def test_second_holder_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from pathlib import Path
                from pipeline.lock import StateLock
                lock = StateLock(Path({str(tmp_path)!r}))
                lock.acquire()
                print("locked", flush=True)
                time.sleep(30)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(NewsdedupError, match=rf"pid {holder.pid}"):
            StateLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait()
    # A killed holder leaves no stale lock behind.
    with StateLock(tmp_path):
        pass


def test_lock_is_reusable_after_release(tmp_path: Path) -> None:
    lock = StateLock(tmp_path)
    lock.acquire()
    lock.release()
    with StateLock(tmp_path):
        pass


def test_a_forked_child_does_not_keep_the_lock(tmp_path: Path) -> None:
    """A worker process forked during a run must not hold the state once the run is gone: the
    holder's descriptor is closed without unlocking (as its death would), and the lock is free
    although the child it forked still runs."""
    ctx = multiprocessing.get_context("fork")
    lock = StateLock(tmp_path)
    lock.acquire()
    running = ctx.Event()

    def work() -> None:
        running.set()
        time.sleep(30)

    child = ctx.Process(target=work)
    child.start()
    try:
        assert running.wait(10)
        fd = lock._fd
        assert fd is not None
        os.close(fd)  # what the kernel does when the holder dies
        lock._fd = None
        assert child.is_alive()
        with StateLock(tmp_path):
            pass
    finally:
        child.kill()
        child.join()


def test_a_lock_file_that_is_not_ours_is_refused_and_left_alone(tmp_path: Path) -> None:
    # a mistyped --state naming a directory that has its own file called "lock"
    (tmp_path / "lock").write_text("my notes\n")
    with pytest.raises(NewsdedupError, match="not newsdedup's lock file"):
        StateLock(tmp_path).acquire()
    assert (tmp_path / "lock").read_text() == "my notes\n"


def test_a_lock_that_cannot_be_opened_is_a_clear_error(tmp_path: Path) -> None:
    """A folder where the lock file goes, a file where the state folder goes: one line
    naming the path, not a traceback."""
    (tmp_path / "lock").mkdir()
    with pytest.raises(NewsdedupError, match=r"cannot open the lock file .*lock: Is a directory"):
        StateLock(tmp_path).acquire()
    (tmp_path / "file").write_text("")
    with pytest.raises(NewsdedupError, match="cannot open the lock file"):
        StateLock(tmp_path / "file").acquire()


def test_a_previous_holders_pid_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "lock").write_text("1234567")  # left by a run that has died
    with StateLock(tmp_path):
        assert (tmp_path / "lock").read_text() == str(os.getpid())


def test_a_lock_whose_file_was_removed_by_its_holder_is_taken_on_the_new_file(
    tmp_path: Path,
) -> None:
    """A run that opened the lock file just before its holder discarded it locks the file
    that is now at the path, not the removed one: two runs can never both hold the lock."""
    holder = StateLock(tmp_path)
    holder.acquire()
    late = StateLock(tmp_path)
    stale = os.open(late.path, os.O_RDWR)  # opened before the holder removes the file
    real_open = late._open
    calls = []

    def open_stale_first() -> int:
        calls.append(1)
        return stale if len(calls) == 1 else real_open()

    late._open = open_stale_first  # type: ignore[method-assign]
    holder.discard()
    assert not holder.path.exists()
    late.acquire()
    assert len(calls) == 2
    assert os.fstat(late._fd).st_ino == os.stat(late.path).st_ino  # type: ignore[arg-type]
    third = StateLock(tmp_path)
    with pytest.raises(NewsdedupError, match="another run"):
        third.acquire()
    late.release()


def test_a_folder_removed_between_making_it_and_opening_the_lock_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run refused as it opened removes the new folder it made; another run starting at
    that moment, between its mkdir and its open, makes the folder again and takes the lock."""
    folder = tmp_path / "new"
    real_open = os.open
    calls = []

    def open_after_removal(path: str | os.PathLike[str], *args: int) -> int:
        calls.append(path)
        if len(calls) == 1:
            os.rmdir(folder)  # the refused run's clean-up, just before this open
        return real_open(path, *args)

    monkeypatch.setattr("pipeline.lock.os.open", open_after_removal)
    lock = StateLock(folder)
    lock.acquire()
    assert len(calls) == 2 and (folder / "lock").read_text() == str(os.getpid())
    lock.release()
