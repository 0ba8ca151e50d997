from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

# The real Redis-compatible server and its fixtures (``redis_server``, ``redis_url``).
pytest_plugins = ["redis_server"]

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def run_cli(*args: str, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``newsdedup`` as a user would, in a subprocess."""
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"newsdedup {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def run_scrapy(
    args: Sequence[str], cwd: Path = ROOT, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS
