"""``pip install .`` (not editable) must ship every package the code imports by name."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed_for_installation() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("pipeline", "spiders")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert found <= listed, sorted(found - listed)


def test_one_version_everywhere() -> None:
    """The package's version, the module's and the crawler's User-Agent agree."""
    from pipeline import __version__
    from pipeline.settings import USER_AGENT

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert __version__ == declared
    assert USER_AGENT.startswith(f"newsdedup/{declared} ")
