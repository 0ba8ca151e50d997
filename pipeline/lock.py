"""One run at a time per state directory and per output directory: overlapping runs are
refused."""

from __future__ import annotations

import fcntl
import os
import weakref
from pathlib import Path
from types import TracebackType

from pipeline.errors import NewsdedupError

LOCK_NAME = "lock"
OUT_LOCK_NAME = ".lock"
_OPEN_ATTEMPTS = 5


class StateLock:
    """An exclusive, non-blocking ``flock`` on ``STATE/lock``.

    The kernel releases it when the process dies, even by SIGKILL, so a crashed run never
    leaves a stale lock behind. The file keeps the holder's pid for the error message; a
    ``lock`` file holding anything else is not ours, and is refused and left alone. A
    forked child (a worker process) closes its copy of the descriptor at once: an ``flock``
    lasts while any copy is open, so a child that outlived its run would hold the state.
    """

    _kind = "state directory"

    def __init__(self, state_dir: Path, name: str = LOCK_NAME) -> None:
        self.path = state_dir / name
        self._fd: int | None = None

    def acquire(self) -> None:
        while True:
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                raise NewsdedupError(self._busy(holder)) from None
            if self._still_named(fd):
                break
            # A run refused while holding it removed the file it had made (``discard``):
            # this lock is on a file nobody else will open again, so take the new one.
            os.close(fd)
        held_by = os.read(fd, 64)
        if held_by.strip() and not held_by.strip().isdigit():
            # not a pid: someone else's file, in a directory that is not a state (a mistyped
            # --state); leave it as it was
            os.close(fd)
            raise NewsdedupError(
                f"{self.path} is not newsdedup's lock file: is {self.path.parent} the right "
                f"{self._kind}?"
            )
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._fd = fd
        _HELD.add(self)

    def _open(self) -> int:
        for attempt in range(_OPEN_ATTEMPTS):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except FileNotFoundError:
                # The folder went between the two steps: a run refused as it opened removed
                # the folder it had made (``discard``). Make it again.
                if attempt + 1 < _OPEN_ATTEMPTS:
                    continue
                raise NewsdedupError(
                    f"cannot open the lock file {self.path}: its folder keeps disappearing"
                ) from None
            except OSError as err:  # a folder named like the lock file, a file for a folder
                raise NewsdedupError(
                    f"cannot open the lock file {self.path}: {err.strerror or err}; is "
                    f"{self.path.parent} the right {self._kind}?"
                ) from None
        raise AssertionError("unreachable")

    def _still_named(self, fd: int) -> bool:
        """The locked file is still the one at ``self.path``."""
        try:
            named = os.stat(self.path)
        except FileNotFoundError:
            return False
        held = os.fstat(fd)
        return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)

    def discard(self) -> None:
        """Remove the lock file, then release it: for a directory the run made and is leaving
        empty. Held until removed, so no other run can lock the file on its way out."""
        if self._fd is not None:
            self.path.unlink(missing_ok=True)
        self.release()

    def _busy(self, holder: str) -> str:
        return (
            f"another run is using the state in {self.path.parent} (pid {holder}); "
            "wait for it to finish or use another --state"
        )

    def release(self) -> None:
        _HELD.discard(self)
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def _forget(self) -> None:
        """In a forked child: drop this copy of the descriptor, leaving the lock to the parent
        (closing, unlike ``LOCK_UN``, does not release it while the parent's copy is open)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> StateLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class OutputLock(StateLock):
    """The same lock on ``OUT/.lock``: one run writes an output directory at a time (with a
    Redis state there is no state directory to lock, and each process needs its own)."""

    _kind = "output directory"

    def __init__(self, out_dir: Path) -> None:
        super().__init__(out_dir, OUT_LOCK_NAME)

    def _busy(self, holder: str) -> str:
        return (
            f"another run is writing to the output directory {self.path.parent} (pid {holder}); "
            "wait for it to finish or use another --out"
        )


_HELD: weakref.WeakSet[StateLock] = weakref.WeakSet()


def _forget_held_locks() -> None:
    for lock in list(_HELD):
        lock._forget()
    _HELD.clear()


os.register_at_fork(after_in_child=_forget_held_locks)
