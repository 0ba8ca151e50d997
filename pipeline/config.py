"""Every knob of a run in one frozen object, built by the CLI or from Scrapy settings."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import NewsdedupError

REMOTE_STATE_SCHEMES = ("redis://", "rediss://", "unix://")
STATE_DB = "groups.sqlite"  # the embedded state's database, in the state directory
DEFAULT_OUT = Path("output")


def is_remote_state(state: str) -> bool:
    """A Redis URL rather than a state directory."""
    return state.lower().startswith(REMOTE_STATE_SCHEMES)  # a scheme is case-insensitive


def holds_state(directory: str | Path) -> bool:
    """Whether ``directory`` holds an embedded state that runs have written."""
    return (Path(directory) / STATE_DB).is_file()


def state_or_default(state: str | None, out_dir: str | Path) -> str:
    """The state given, else the ``state`` directory inside the output directory."""
    return str(state or "") or os.path.join(out_dir, "state")


def scrapy_out_and_state(settings: Any) -> tuple[Path, str]:
    """The output folder and the state from Scrapy settings (``NEWSDEDUP_OUT``,
    ``NEWSDEDUP_STATE``), with the defaults ``newsdedup run`` has."""
    out_dir = Path(settings.get("NEWSDEDUP_OUT") or DEFAULT_OUT)
    return out_dir, state_or_default(settings.get("NEWSDEDUP_STATE"), out_dir)


def check_state(state: str) -> None:
    """A state is a directory or a Redis URL: a mistyped URL is an error, not a directory."""
    if is_remote_state(state):
        return
    if "://" in state or state.lower().startswith(tuple(s[:-2] for s in REMOTE_STATE_SCHEMES)):
        raise NewsdedupError(
            f"the state {state} is neither a directory nor a redis://HOST:PORT/DB URL "
            "(rediss:// and unix:///PATH.sock also work)"
        )


@dataclass(frozen=True, slots=True)
class CleanConfig:
    """Extraction and cleaning."""

    min_words: int = 80  # an article shorter than this after cleaning is dropped/too_short
    # trafilatura output shorter than this share of boilerpy3's is treated as "far too little"
    fallback_ratio: float = 0.25


@dataclass(frozen=True, slots=True)
class GroupConfig:
    """Grouping: signatures, LSH and the link rules. Defaults are tuned on wire-dev.

    The measurements behind each default are printed by ``bench/grouping_quality.py``. Changing
    ``seed``, ``scheme``, ``shingle_chars``, ``num_perm``, the band layouts or
    ``passage_min_chars`` changes the signatures: an existing state refuses to open with them.
    """

    seed: int = 1
    scheme: str = "affine32"  # datasketch 2.x permutation scheme; pinned in the state
    shingle_chars: int = 5  # character n-grams of the normalised text
    # One set of MinHash permutations serves passages and whole documents alike, so a
    # document's signature is the elementwise minimum over its shingles at no extra cost.
    num_perm: int = 64
    # document level: exact (normalised text hash) and near_duplicate (whole-text Jaccard)
    doc_bands: int = 16  # LSH layout for whole-document candidates: bands x rows <= num_perm
    doc_rows: int = 4
    near_threshold: float = 0.80  # verified whole-text char-5-gram Jaccard
    # a pair of articles sharing a document band is verified only when its MinHash estimate
    # reaches this (five standard deviations below near_threshold at 64 permutations)
    doc_estimate: float = 0.5
    # whole articles collide only when they share this many bands (near duplicates, Jaccard
    # 0.8 and up, share two or more of 16 with p >= 0.997; identical texts always count)
    doc_min_bands: int = 2
    # passage level (wire_overlap): sentences of at least passage_min_chars normalised chars
    # (a character of a script written without spaces, such as Chinese, counts twice)
    passage_min_chars: int = 35
    passage_bands: int = 21  # LSH layout for passage candidates: bands x rows <= num_perm
    passage_rows: int = 3
    # a passage pair collides only when it shares this many bands: a related pair shares
    # several (at Jaccard 0.6, two or more of 21 with p = 0.96, at 0.45 with p = 0.58), a
    # chance pair one (at Jaccard 0.1: one with p = 0.021, two with p = 0.0002)
    passage_min_bands: int = 2
    candidate_estimate: float = 0.35  # MinHash estimate a colliding passage pair must reach
    passage_match: float = 0.33  # verified char-5-gram Jaccard for a passage pair to count
    # a candidate pair is verified only with min_shared_passages passages on each side estimated
    # at this or more (passage_match less three standard deviations of a 64-value sketch estimate)
    verify_estimate: float = 0.15
    passage_best: float = 0.45  # ... and at least one counted pair must reach this
    min_shared_passages: int = 2  # counted pairs needed; a heading or list line on either
    min_shared_with_headings: int = 3  # side only counts towards this larger number
    max_passage_df: int = 5  # a passage shared with more documents than this is boilerplate
    # a passage LSH bucket this full takes no more articles and yields these first in the
    # canonical order (see ``pipeline.group.index``)
    hot_bucket: int = 64
    # two articles of one site share passages with wire_overlap only when those cover this
    # share of the shorter one (an updated or cut version); else the lines are site furniture
    same_site_coverage: float = 0.5
    window_days: float | None = None  # wire_overlap only within this many days, when dates known
    # an article is verified against at most this many near copies (whole-text estimate at
    # near_threshold or more) before it in the canonical order, the closest first: n copies of
    # a story cost n x this, not n^2 / 2, pairs
    max_earlier_links: int = 50
    # a whole-article LSH bucket yields at most this many of the batch's articles and this
    # many of the stored ones, the earliest in the canonical order (at least
    # max_earlier_links): n copies of one text cost n x this candidate rows, not n^2
    doc_bucket_cap: int = 128

    def __post_init__(self) -> None:
        # A full bucket must show a passage too common to count: more articles than the
        # frequency limit besides the one asking.
        if self.hot_bucket < self.max_passage_df + 2:
            raise ValueError(
                f"hot_bucket ({self.hot_bucket}) must be at least max_passage_df + 2 "
                f"({self.max_passage_df + 2})"
            )


@dataclass(frozen=True, slots=True)
class Config:
    out_dir: Path = DEFAULT_OUT
    state: str = ""  # a directory, or redis://host:port/db; "" for OUT_DIR/state
    workers: int = 1
    clean: CleanConfig = field(default_factory=CleanConfig)
    group: GroupConfig = field(default_factory=GroupConfig)

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", state_or_default(self.state, self.out_dir))
        check_state(self.state)

    def own_directories(self) -> list[Path]:
        """What the run writes on this machine: not to be read back as its input."""
        return [self.out_dir] + ([] if is_remote_state(self.state) else [Path(self.state)])
