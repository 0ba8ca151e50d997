"""The first case of each kind logged as a warning, the rest quieter: a run meets the same
fault on thousands of inputs, and the log should name it once, not flood."""

from __future__ import annotations

import logging


class OncePerKind:
    """Log the first message of each kind as a warning, ending with ``further`` (what becomes
    of the others), and the others at level ``rest``."""

    def __init__(self, logger: logging.Logger, further: str, rest: int = logging.INFO) -> None:
        self.logger = logger
        self.further = further
        self.rest = rest
        self.seen: set[str] = set()

    def __call__(self, kind: str, message: str, *args: object) -> None:
        if kind in self.seen:
            self.logger.log(self.rest, message, *args)
        else:
            self.seen.add(kind)
            self.logger.warning(message + self.further, *args)
