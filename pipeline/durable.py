"""Making a file's name, not only its bytes, survive a power loss."""

from __future__ import annotations

import os
from pathlib import Path


def sync_directory(directory: Path) -> None:
    """fsync ``directory``: the names created, renamed or removed in it are on disk once this
    returns (an fsync of a file makes its bytes durable, not its entry in the folder)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
