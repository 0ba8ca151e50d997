"""The per-document steps, run in order: the one code path for the CLI, Scrapy and benchmarks."""

from __future__ import annotations

import logging
from collections.abc import Callable

from pipeline.clean import clean
from pipeline.config import CleanConfig
from pipeline.document import Document
from pipeline.errors import Drop
from pipeline.extract import extract

log = logging.getLogger(__name__)

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


def process_or_drop(doc: Document, cfg: CleanConfig) -> Document | Drop:
    """``process``, with every failure turned into a counted drop.

    A page no step can handle raises ``Drop`` with its reason; any other error a step lets
    through (a library failing on odd markup) becomes ``Drop("process_error")`` naming the
    error, so one bad page never ends a run or a crawl, nor goes uncounted.
    """
    try:
        return process(doc, cfg)
    except Drop as drop:
        drop.source = drop.source or doc.source
        return drop
    except Exception as exc:  # noqa: BLE001 - any failure on one page is that page's drop
        log.warning("processing failed on %s: %r", doc.source, exc)
        log.debug("processing failed on %s", doc.source, exc_info=True)
        return Drop("process_error", source=doc.source, detail=repr(exc)[:200])
