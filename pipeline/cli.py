"""Command line: parse, call the library, turn its errors into one clear line."""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import signal
import sys
from collections.abc import Sequence
from contextlib import closing
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from pipeline import __version__
from pipeline.config import (
    DEFAULT_OUT,
    CleanConfig,
    Config,
    GroupConfig,
    check_state,
    holds_state,
    is_remote_state,
    state_or_default,
)
from pipeline.errors import NewsdedupError
from pipeline.extract import quiet_extractors
from pipeline.group import explain, open_index
from pipeline.launch import INTERRUPTED
from pipeline.loaders import MAX_INPUT_BYTES, expand_inputs, read_files
from pipeline.run import Run, RunSummary, process_all

VERBOSE_HELP = "log every dropped input, and the extraction libraries' own warnings, at INFO"

RUN_EXAMPLES = """\
examples:
  newsdedup run seeds                         clean and group the two seed articles into output/
  newsdedup run crawl/*.warc.gz --workers 2   read WARC files with two worker processes
  newsdedup run pages/ --out today --state state/   write to today/, remember groups in state/
  newsdedup run dump.jsonl --window 3         wire overlap only within 3 days of each other
  newsdedup run --out today -- *.html         "--" before inputs whose names may start with "-"
"""

EXPLAIN_EXAMPLES = """\
examples:
  newsdedup explain 1a2b3c4d5e6f7a8b 9f8e7d6c5b4a3f2e
  newsdedup explain ID_A ID_B --out today     the state of runs given --out today
  newsdedup explain ID_A ID_B --state state/
"""

MAIN_EXAMPLES = """\
examples:
  newsdedup run seeds
  newsdedup explain ID_A ID_B
  newsdedup run --help
"""


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return number


# More worker processes than this is a mistyped number, not a machine.
MAX_WORKERS = 1024


def _workers(value: str) -> int:
    number = _positive_int(value)
    if number > MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_WORKERS}: {value}")
    return number


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"not a number: {value!r}")
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0: {value}")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsdedup",
        description="Collect news articles, clean them to text, and group the ones that come "
        "from the same source.",
        epilog=MAIN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"newsdedup {__version__}")
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,  # a subcommand's own default must not undo ``newsdedup -v``
        help=VERBOSE_HELP,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    run = sub.add_parser(
        "run",
        parents=[verbose],
        help="load, clean and group inputs; write output/articles.jsonl and clusters.jsonl",
        description="Load inputs (files, directories, globs: .html, .txt, .warc(.gz), .jsonl, "
        "any of them gzipped), clean them to article text, group them with everything the "
        "state has seen, and write the new articles.",
        epilog=RUN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("inputs", nargs="+", metavar="INPUT", help="file, directory or glob")
    run.add_argument(
        "--out", default=str(DEFAULT_OUT), help="output directory (default: %(default)s)"
    )
    run.add_argument(
        "--state",
        default="",
        help="grouping state: a directory, or redis://HOST:PORT/DB (default: OUT/state, "
        "inside --out)",
    )
    run.add_argument(
        "--workers",
        type=_workers,
        default=os.cpu_count() or 1,
        help="processes for extraction and cleaning (default: all cores, %(default)s)",
    )
    run.add_argument(
        "--window",
        type=_positive_float,
        metavar="DAYS",
        help="link wire overlaps only between articles published within DAYS of each other",
    )
    run.add_argument(
        "--min-words",
        type=_positive_int,
        default=CleanConfig().min_words,
        help="drop pages shorter than this after cleaning (default: %(default)s)",
    )
    run.add_argument(
        "--max-mib",
        type=_positive_float,
        default=MAX_INPUT_BYTES / 2**20,
        metavar="MIB",
        help="drop an input (a file, a JSONL line, a WARC record) over this many MiB once "
        "decompressed as too_large (default: %(default)g, as a crawl's DOWNLOAD_MAXSIZE)",
    )
    run.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: when stderr is a terminal)",
    )
    run.add_argument("--json", action="store_true", help="print the summary as JSON")

    exp = sub.add_parser(
        "explain",
        parents=[verbose],
        help="show why two articles are, or are not, grouped",
        description="Print the passages two articles share, side by side, and the decision.",
        epilog=EXPLAIN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    exp.add_argument("id_a", metavar="ID_A")
    exp.add_argument("id_b", metavar="ID_B")
    exp.add_argument(
        "--out",
        default=str(DEFAULT_OUT),
        help="the runs' output directory, whose state/ is read (default: %(default)s)",
    )
    exp.add_argument("--state", help="the runs' --state, when they gave one (default: OUT/state)")
    exp.add_argument(
        "--window",
        type=_positive_float,
        metavar="DAYS",
        help="decide as a run with this --window does",
    )
    return parser


def _run(args: argparse.Namespace) -> int:
    cfg = Config(
        out_dir=Path(args.out),
        state=args.state,
        workers=args.workers,
        clean=replace(CleanConfig(), min_words=args.min_words),
        group=replace(GroupConfig(), window_days=args.window),
    )
    # fails early, with one line, on a path that names nothing
    files = expand_inputs(args.inputs, leave_out=cfg.own_directories())
    show = sys.stderr.isatty() if args.progress is None else args.progress
    max_bytes = max(1, round(args.max_mib * 2**20))  # never 0, which would mean no limit
    processed = process_all(read_files(files, max_bytes), cfg.clean, cfg.workers)
    ctrl_c = signal.getsignal(signal.SIGINT)
    try:
        with Run(cfg) as run, closing(processed) as items:  # workers stop before the lock goes
            for item in tqdm(items, disable=not show, unit="doc", desc="cleaning", file=sys.stderr):
                run.add(item)
            # Once the state is being committed, a Ctrl-C could only stop the outputs half way
            # (for the next run to publish) and would make "interrupted" untrue: it is ignored
            # until the command is done.
            run.before_commit.append(_ignore_ctrl_c)
            summary: RunSummary = run.finish()
        _emit(json.dumps(summary.as_dict(), sort_keys=True) if args.json else summary.render())
    finally:
        signal.signal(signal.SIGINT, ctrl_c)
    return 0


def _ignore_ctrl_c() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _explain(args: argparse.Namespace) -> int:
    gcfg = replace(GroupConfig(), window_days=args.window)
    state = state_or_default(args.state, args.out)
    check_state(state)
    # (not a bare is_dir: opening an empty folder would make a new, empty state in it)
    if not is_remote_state(state) and not holds_state(state):
        raise NewsdedupError(
            f"no state at {state}: run `newsdedup run` first, or give the runs' --out or --state"
        )
    index = open_index(state, gcfg)
    try:
        _emit(explain(index, args.id_a, args.id_b, gcfg).render())
    finally:
        index.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        logging.basicConfig(
            level=logging.INFO if args.verbose else logging.WARNING,
            format="%(levelname)s %(name)s: %(message)s",
        )
        if not args.verbose:
            quiet_extractors()
        if args.command == "run":
            return _run(args)
        return _explain(args)
    except NewsdedupError as err:
        print(f"newsdedup: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Before the result was printed (a progress bar's pipe closed): the run stopped there.
        try:
            print("newsdedup: output closed; nothing was committed", file=sys.stderr, flush=True)
        except BrokenPipeError:
            pass  # stderr itself was the closed pipe
        for stream in (sys.stdout, sys.stderr):  # nothing more to say; exit quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
        return 141


def _emit(text: str) -> None:
    """Print the command's result. A reader that stopped early (``explain A B | head``) is
    not an error: the work is done. Python would complain again when it flushes stdout at
    exit, so stdout is pointed at nothing."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
