"""The ``newsdedup`` command's entry point, kept free of heavy imports.

Loading the extraction and grouping libraries takes a second or two; a Ctrl-C in that time
ends the command as one during a run does (status 130, one line), not with a traceback.
"""

from __future__ import annotations

import sys

INTERRUPTED = "newsdedup: interrupted; nothing was committed"


def main() -> int:
    try:
        from pipeline.cli import main as run_command
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return 130
    return run_command()
