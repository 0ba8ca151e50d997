"""Every knob of a run in one frozen object, built by the CLI or from Scrapy settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class CleanConfig:
    """Extraction and cleaning."""

    min_words: int = 80  # an article shorter than this after cleaning is dropped/too_short
    # trafilatura output shorter than this share of boilerpy3's is treated as "far too little"
    fallback_ratio: float = 0.25


@dataclass(frozen=True, slots=True)
class GroupConfig:
    """Grouping: signatures, LSH and the link rules. Defaults are tuned on wire-dev."""

    seed: int = 1
    scheme: str = "affine32"
    shingle_chars: int = 5
    # document level (near_duplicate)
    doc_num_perm: int = 128
    near_threshold: float = 0.80
    # passage level (wire_overlap)
    passage_num_perm: int = 64
    passage_lsh_threshold: float = 0.5
    passage_min_chars: int = 40
    passage_match: float = 0.35  # verified char-5-gram Jaccard for a passage pair to count
    min_shared_passages: int = 2
    max_passage_df: int = 5  # a passage found in more documents than this is boilerplate
    window_days: float | None = None  # wire_overlap only within this many days, when dates known


@dataclass(frozen=True, slots=True)
class Config:
    out_dir: Path = Path("output")
    state: str = "output/state"  # a directory, or redis://host:port/db
    workers: int = 1
    clean: CleanConfig = field(default_factory=CleanConfig)
    group: GroupConfig = field(default_factory=GroupConfig)
