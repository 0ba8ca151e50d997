"""The per-document steps, run in order: the one code path for the CLI, Scrapy and benchmarks."""

from __future__ import annotations

from collections.abc import Callable

from pipeline.clean import clean
from pipeline.config import CleanConfig
from pipeline.document import Document
from pipeline.extract import extract

Step = Callable[[Document, CleanConfig], Document]

STEPS: tuple[Step, ...] = (extract, clean)


def process(doc: Document, cfg: CleanConfig) -> Document:
    """Run every per-document step; raises ``Drop`` for a page that is not an article.

    ``extract`` only acts on documents that carry HTML; plain-text input goes straight to the
    text-level cleaner.
    """
    for step in STEPS:
        doc = step(doc, cfg)
    # Nothing after cleaning reads the page: letting it go keeps a run's memory (and what a
    # worker process sends back) to the texts.
    doc.html = None
    return doc
