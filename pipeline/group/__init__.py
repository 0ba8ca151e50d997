"""Grouping articles that come from the same wire story.

Three relations link two articles: ``exact`` (same normalised text), ``near_duplicate``
(whole-text MinHash LSH, verified) and ``wire_overlap`` (shared passages, MinHash LSH per
passage, verified pair by pair). Clusters are trees of links that never merge through an
article quoting several stories (see ``clusters``). State lives behind the ``Index`` port.
"""

from __future__ import annotations

from pipeline.group.batch import group
from pipeline.group.explain import Explanation, explain
from pipeline.group.index import Index, open_index
from pipeline.group.links import Link, PassagePair
from pipeline.group.regroup import Cluster, GroupResult

__all__ = [
    "Cluster",
    "Explanation",
    "GroupResult",
    "Index",
    "Link",
    "PassagePair",
    "explain",
    "group",
    "open_index",
]
