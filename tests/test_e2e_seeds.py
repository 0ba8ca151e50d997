"""End to end on the two seed articles: the promise the project is built around."""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import psutil
import pytest

from pipeline.config import CleanConfig, Config
from pipeline.document import Document
from pipeline.errors import Drop, NewsdedupError
from pipeline.loaders import expand_inputs, iter_documents
from pipeline.lock import StateLock
from pipeline.run import Run, RunSummary, process_all
from tests.conftest import ROOT, SEEDS, read_jsonl, run_cli, run_scrapy

SCHEMAS = ROOT / "pipeline" / "schemas"
REUTERS_CROSSING = "Islam Qala border crossing with Iran, located in Herat province"
REUTERS_DENIAL = "Tariq Arian"


@pytest.fixture(scope="module")
def seeds_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("seeds")
    proc = run_cli(
        "run",
        str(SEEDS),
        "--out",
        str(base / "out"),
        "--state",
        str(base / "state"),
        "--workers",
        "1",
    )
    return {
        "base": base,
        "stdout": proc.stdout,
        "articles": read_jsonl(base / "out" / "articles.jsonl"),
        "clusters": read_jsonl(base / "out" / "clusters.jsonl"),
    }


def _by_source(articles: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (article,) = [a for a in articles if a["source"].endswith(name)]
    return article


def test_both_seeds_are_written_clean(seeds_run: dict[str, Any]) -> None:
    articles = seeds_run["articles"]
    assert len(articles) == 2
    first = _by_source(articles, "000_41588b3f45812b9f.txt")["text"]
    second = _by_source(articles, "003_b499a852dfcc6731.txt")["text"]
    assert first.startswith("The Taliban militants captured a key crossing")
    assert first.rstrip().endswith("the gains made over the years in human rights.")
    assert second.startswith("On July 8th, Taliban seized control")
    assert second.rstrip().endswith(
        "He stressed that Iran will always be ready to facilitate more talks."
    )
    for chrome in (
        "gtag",
        "Also Read",
        "Support SouthFront",
        "0 $",
        "Click to see full-size image",
        "Notify of",
        "View all comments",
        "Americunt",
        "please comment",
    ):
        assert chrome not in first and chrome not in second, chrome
    # A reader pasted an AP paragraph about the crossing into the comments: it must not survive.
    assert "spoke with the AP" not in second


def test_seeds_form_one_cluster_by_wire_overlap_with_the_reuters_sentences(
    seeds_run: dict[str, Any],
) -> None:
    articles = seeds_run["articles"]
    (cluster,) = seeds_run["clusters"]
    assert sorted(cluster["members"]) == sorted(a["id"] for a in articles)
    assert {a["cluster_id"] for a in articles} == {cluster["cluster_id"]}
    member = [a for a in articles if a["id"] != cluster["canonical"]]
    assert [m["relation"] for m in member] == ["wire_overlap"]
    assert member[0]["duplicate_of"] == cluster["canonical"]
    (link,) = cluster["links"]
    assert link["relation"] == "wire_overlap"
    passages = link["passages"]
    assert len(passages) == 2
    joined = [p["a"]["text"] + " || " + p["b"]["text"] for p in passages]
    assert sum(REUTERS_CROSSING in j for j in joined) == 1
    assert sum(REUTERS_DENIAL in j for j in joined) == 1
    by_id = {a["id"]: a["text"] for a in articles}
    for p in passages:
        for side, doc_id in (("a", link["a"]), ("b", link["b"])):
            span = p[side]
            assert by_id[doc_id][span["start"] : span["end"]] == span["text"]


def test_outputs_match_their_schemas(seeds_run: dict[str, Any]) -> None:
    for name, records in (("article", seeds_run["articles"]), ("cluster", seeds_run["clusters"])):
        schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        for record in records:
            jsonschema.validate(record, schema)


def test_rerun_writes_nothing_new_and_says_so(seeds_run: dict[str, Any]) -> None:
    base: Path = seeds_run["base"]
    out = base / "out"
    before = {p: p.read_bytes() for p in out.rglob("*.jsonl")}
    proc = run_cli(
        "run",
        str(SEEDS),
        "--out",
        str(out),
        "--state",
        str(base / "state"),
        "--workers",
        "1",
        "--json",
    )
    summary = json.loads(proc.stdout)
    assert summary["written"] == 0 and summary["known"] == 2 and summary["run_id"] is None
    assert {p: p.read_bytes() for p in out.rglob("*.jsonl")} == before
    text = run_cli("run", str(SEEDS), "--out", str(out), "--state", str(base / "state")).stdout
    assert "nothing new" in text


def _library_run(tmp: Path, order: list[int]) -> bytes:
    items = list(iter_documents(expand_inputs([SEEDS, ROOT / "tests" / "fixtures" / "e2e"])))
    items = [items[i] for i in order]
    cfg = Config(out_dir=tmp / "out", state=str(tmp / "state"))
    with Run(cfg) as run:
        for item in process_all(items, cfg.clean):
            run.add(item)
        run.finish()
    return (tmp / "out" / "articles.jsonl").read_bytes() + (
        tmp / "out" / "clusters.jsonl"
    ).read_bytes()


def test_shuffled_inputs_give_byte_identical_output(tmp_path: Path) -> None:
    n = len(list(iter_documents(expand_inputs([SEEDS, ROOT / "tests" / "fixtures" / "e2e"]))))
    assert n >= 4
    reference = _library_run(tmp_path / "ref", list(range(n)))
    rng = random.Random(7)
    for attempt in range(3):
        order = list(range(n))
        rng.shuffle(order)
        assert _library_run(tmp_path / f"shuffled{attempt}", order) == reference


def test_workers_do_not_change_the_output(tmp_path: Path) -> None:
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        run_cli(
            "run",
            str(SEEDS),
            str(ROOT / "tests" / "fixtures" / "e2e"),
            "--out",
            str(out),
            "--state",
            str(out / "state"),
            "--workers",
            workers,
        )
        outputs.append(
            (out / "articles.jsonl").read_bytes() + (out / "clusters.jsonl").read_bytes()
        )
    assert outputs[0] == outputs[1]


def test_scrapy_files_spider_writes_the_same_articles(
    seeds_run: dict[str, Any], tmp_path: Path
) -> None:
    proc = run_scrapy(
        [
            "crawl",
            "files",
            "-a",
            f"path={SEEDS}",
            "-s",
            f"NEWSDEDUP_OUT={tmp_path / 'out'}",
            "-s",
            f"NEWSDEDUP_STATE={tmp_path / 'state'}",
        ]
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    scraped = read_jsonl(tmp_path / "out" / "articles.jsonl")
    assert [(a["id"], a["text"], a["cluster_id"]) for a in scraped] == [
        (a["id"], a["text"], a["cluster_id"]) for a in seeds_run["articles"]
    ]
    assert (tmp_path / "out" / "clusters.jsonl").read_bytes() == (
        seeds_run["base"] / "out" / "clusters.jsonl"
    ).read_bytes()
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("{tmp}/nope", "no such file or directory: {tmp}/nope"),
        ("{tmp}/empty", "no files under: {tmp}/empty"),
        ("{seeds},{tmp}/nope", "no such file or directory: {tmp}/nope"),
    ],
)
def test_scrapy_files_spider_stops_on_a_bad_path_before_crawling(
    tmp_path: Path, path: str, message: str
) -> None:
    (tmp_path / "empty").mkdir()
    out = tmp_path / "out"
    proc = run_scrapy(
        [
            "crawl",
            "files",
            "-a",
            "path=" + path.format(tmp=tmp_path, seeds=SEEDS),
            "-s",
            f"NEWSDEDUP_OUT={out}",
            "-s",
            f"NEWSDEDUP_STATE={tmp_path / 'state'}",
        ]
    )
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert f"newsdedup: error: {message.format(tmp=tmp_path)}" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (out / "articles.jsonl").exists()


def test_scrapy_crawl_of_a_spider_that_does_not_exist_is_one_error_line() -> None:
    proc = run_scrapy(["crawl", "nosuch"])
    assert proc.returncode == 2, proc.stderr[-3000:]
    expected = "newsdedup: error: no spider named 'nosuch'; the spiders: feed, files, site, sitemap"
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("NEWSDEDUP_WINDOW", "abc", "NEWSDEDUP_WINDOW must be a number, not 'abc'"),
        ("NEWSDEDUP_WINDOW", "0", "NEWSDEDUP_WINDOW must be more than 0"),
        ("NEWSDEDUP_WINDOW", "nan", "NEWSDEDUP_WINDOW must be a number, not 'nan'"),
        ("NEWSDEDUP_WINDOW", "inf", "NEWSDEDUP_WINDOW must be a number, not 'inf'"),
        ("NEWSDEDUP_MIN_WORDS", "2.5", "NEWSDEDUP_MIN_WORDS must be a whole number"),
        ("NEWSDEDUP_MIN_WORDS", "-3", "NEWSDEDUP_MIN_WORDS must be more than 0"),
    ],
)
def test_scrapy_settings_are_checked_like_the_cli_options(
    name: str, value: str, message: str
) -> None:
    from scrapy.settings import Settings

    from pipeline.scrapy_pipeline import config_from_settings

    cfg = config_from_settings(Settings({"NEWSDEDUP_WINDOW": "2.5", "NEWSDEDUP_MIN_WORDS": "40"}))
    assert cfg.group.window_days == 2.5 and cfg.clean.min_words == 40
    default = config_from_settings(Settings())
    assert default.group.window_days is None
    assert default.state == str(Path("output") / "state")
    assert config_from_settings(Settings({"NEWSDEDUP_OUT": "day1"})).state == str(
        Path("day1") / "state"
    )
    with pytest.raises(NewsdedupError, match="neither a directory nor a redis://"):
        config_from_settings(Settings({"NEWSDEDUP_STATE": "redis:localhost:6379"}))
    # the item pipeline, the seen-URL store and the HTTP cache agree on where the state is
    from pipeline.crawl import StateDirCacheStorage

    for out in ("", "day1"):
        settings = Settings({"NEWSDEDUP_OUT": out})
        state = config_from_settings(settings).state
        assert state == str(Path(out or "output") / "state")
        assert StateDirCacheStorage(settings).cachedir == str(Path(state) / "httpcache")
    assert default.clean.min_words == CleanConfig().min_words
    with pytest.raises(NewsdedupError, match=re.escape(message)):
        config_from_settings(Settings({name: value}))
    # Settings given from Python code rather than -s strings: the same errors.
    with pytest.raises(NewsdedupError, match="must be a whole number, not inf"):
        config_from_settings(Settings({"NEWSDEDUP_MIN_WORDS": float("inf")}))


def test_bad_files_are_counted_drops(tmp_path: Path) -> None:
    import gzip

    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "binary.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    packed = gzip.compress(" ".join(f"word{i}" for i in range(5000)).encode())
    (inputs / "truncated.txt.gz").write_bytes(packed[: len(packed) // 2])
    seed = (SEEDS / "000_41588b3f45812b9f.txt").read_text(encoding="utf-8")
    (inputs / "cp1252.txt").write_bytes(seed.encode("cp1252", errors="replace"))
    (inputs / "short.txt").write_text("Too short to be an article.\n")
    proc = run_cli(
        "run", str(inputs), "--out", str(tmp_path / "o"), "--state", str(tmp_path / "s"), "--json"
    )
    summary = json.loads(proc.stdout)
    assert summary["seen"] == 5
    assert summary["written"] == 1
    assert summary["dropped"]["empty"] == 1
    assert summary["dropped"]["binary"] == 1
    assert summary["dropped"]["bad_gzip"] == 1
    assert summary["dropped"]["too_short"] == 1
    (article,) = read_jsonl(tmp_path / "o" / "articles.jsonl")
    assert "Mevlüt" in article["text"] and "“no insecurity”" in article["text"]


@pytest.mark.parametrize("bad", ["http://[::1/story", "http://ex\uff03ample.com/a"])
def test_an_input_whose_url_cannot_be_parsed_is_grouped_and_written(
    tmp_path: Path, bad: str
) -> None:
    """Grouping reads each article's host: a URL Python cannot parse (a broken IPv6 host, a
    host that NFKC turns into a delimiter) once ended the whole run with a traceback, the
    good articles unwritten. The URL is kept as given (see the loaders' tests)."""
    seeds = sorted(SEEDS.iterdir())
    lines = [
        {"url": url, "text": p.read_text(encoding="utf-8")}
        for url, p in zip([bad, "https://ok.example/a"], seeds, strict=True)
    ]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    proc = run_cli(
        "run", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "o"), "--json", check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["written"] == 2
    urls = sorted(a["url"] for a in read_jsonl(tmp_path / "o" / "articles.jsonl"))
    assert urls == sorted([bad, "https://ok.example/a"])


def test_a_worker_process_that_dies_ends_the_run_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed mid-page (out of memory, a crash in a C extension) cannot be a counted
    drop, since its page is gone with it: the run stops with an error instead of waiting for
    the lost page forever, and writes and commits nothing."""
    import pipeline.process

    def dies_on_one(doc: Document, cfg: CleanConfig) -> Document:
        if doc.source.endswith("003_b499a852dfcc6731.txt"):
            os._exit(9)
        return doc

    monkeypatch.setattr(pipeline.process, "STEPS", (dies_on_one, *pipeline.process.STEPS))
    items = list(iter_documents(expand_inputs([SEEDS])))
    cfg = Config(out_dir=tmp_path / "out", state=str(tmp_path / "state"))
    with pytest.raises(NewsdedupError, match="worker process died"), Run(cfg) as run:
        for item in process_all(items, cfg.clean, workers=2):
            run.add(item)
        run.finish()
    assert not (tmp_path / "out" / "articles.jsonl").exists()
    # Nothing was committed: the same run without the fault writes both articles.
    monkeypatch.undo()
    with Run(cfg) as run:
        for item in process_all(items, cfg.clean, workers=2):
            run.add(item)
        assert run.finish().written == 2


def test_a_slow_page_holds_up_only_its_own_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    """While one worker is stuck on a slow page, the other keeps taking work (results still
    come back in input order): the pages after it are done before it is."""
    import pipeline.process

    def timed(doc: Document, cfg: CleanConfig) -> Document:
        if doc.id == "p000":
            time.sleep(3)
        raise Drop("timed", detail=repr(time.monotonic()))

    monkeypatch.setattr(pipeline.process, "STEPS", (timed,))
    items = [Document(id=f"p{i:03d}", source=f"p{i:03d}", text="x") for i in range(200)]
    results = list(process_all(items, CleanConfig(), workers=2))
    assert [r.source for r in results] == [d.source for d in items]
    done = [float(r.detail) for r in results if isinstance(r, Drop)]
    assert len(done) == len(items)
    assert max(done[8:]) < done[0]


def _pages(n: int, delay: float = 0.0) -> Iterator[Document]:
    for i in range(n):
        time.sleep(delay)
        yield Document(id=f"p{i:03d}", source=f"p{i:03d}", text="x")


def test_a_worker_dying_while_the_input_is_read_is_the_same_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a slow input the pool breaks while the next chunk is being read: its submission
    fails, and that too is a NewsdedupError, not a bare BrokenProcessPool."""
    import pipeline.process

    def dies_on_one(doc: Document, cfg: CleanConfig) -> Document:
        if doc.id == "p003":
            os._exit(9)
        raise Drop("fine")

    monkeypatch.setattr(pipeline.process, "STEPS", (dies_on_one,))
    with pytest.raises(NewsdedupError, match="worker process died"):
        list(process_all(_pages(400, delay=0.02), CleanConfig(), workers=2))
    assert not multiprocessing.active_children()


def test_stopping_early_stops_the_workers_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A consumer that stops (an error while accounting, Ctrl-C) does not wait for the queued
    pages, nor for a page that takes long."""
    import pipeline.process

    def slow_on_one(doc: Document, cfg: CleanConfig) -> Document:
        if doc.id == "p010":
            time.sleep(60)
        raise Drop("fine")

    monkeypatch.setattr(pipeline.process, "STEPS", (slow_on_one,))
    items = process_all(_pages(200), CleanConfig(), workers=2)
    assert [next(items).source for _ in range(3)] == ["p000", "p001", "p002"]
    start = time.monotonic()
    items.close()
    assert time.monotonic() - start < 10
    assert not multiprocessing.active_children()


def test_a_run_stopped_early_exits_even_with_large_results_in_flight() -> None:
    """Workers terminated while sending a large result must not leave the interpreter waiting
    at exit for the rest of the message (it hung in most runs with 2 MB texts)."""
    script = f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
import pipeline.process
from pipeline.config import CleanConfig
from pipeline.document import Document
from pipeline.run import process_all

BIG = "x" * 2_000_000

def big(doc, cfg):
    doc.text = BIG
    return doc

pipeline.process.STEPS = (big,)
items = process_all(
    (Document(id=str(i), source=str(i), text="x") for i in range(10**6)), CleanConfig(), 2
)
for _ in range(50):
    next(items)
items.close()
print("closed", flush=True)
"""
    for _ in range(3):
        proc = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0 and proc.stdout.strip() == "closed", proc.stderr[-2000:]


def test_workers_exit_when_the_run_is_killed(tmp_path: Path) -> None:
    """A run killed outright (OOM killer, a timeout) leaves no worker behind: they would go
    on using CPU, and before the fix held the state's lock until killed by hand."""
    script = f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
import pipeline.process
from pipeline.config import CleanConfig
from pipeline.document import Document
from pipeline.lock import StateLock
from pipeline.run import process_all
from pathlib import Path

def slow(doc, cfg):
    time.sleep(60)

pipeline.process.STEPS = (slow,)
lock = StateLock(Path({str(tmp_path)!r}))
lock.acquire()
items = (Document(id=str(i), source=str(i), text="x") for i in range(100))
print("started", flush=True)
for _ in process_all(items, CleanConfig(), workers=2):
    pass
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
        parent = psutil.Process(proc.pid)
        deadline = time.monotonic() + 20
        while len(parent.children()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = parent.children()
        assert len(workers) == 2
    finally:
        proc.kill()
        proc.wait()
    gone, alive = psutil.wait_procs(workers, timeout=10)
    for orphan in alive:
        orphan.kill()
    assert not alive and len(gone) == 2
    with StateLock(tmp_path):  # the next run can start
        pass


def test_an_unexpected_failure_on_one_page_is_a_counted_drop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library error the steps do not anticipate costs that page only: the run goes on and
    the summary names the drop."""
    import pipeline.process

    def fails_on_one(doc: Document, cfg: CleanConfig) -> Document:
        if doc.source.endswith("003_b499a852dfcc6731.txt"):
            raise RecursionError("maximum recursion depth exceeded")
        return doc

    monkeypatch.setattr(pipeline.process, "STEPS", (fails_on_one, *pipeline.process.STEPS))
    items = list(iter_documents(expand_inputs([SEEDS])))
    cfg = Config(out_dir=tmp_path / "out", state=str(tmp_path / "state"))
    with Run(cfg) as run:
        for item in process_all(items, cfg.clean):
            run.add(item)
        summary = run.finish()
    assert summary.seen == 2 and summary.written == 1
    assert summary.dropped == {"process_error": 1}
    (article,) = read_jsonl(tmp_path / "out" / "articles.jsonl")
    assert article["source"].endswith("000_41588b3f45812b9f.txt")


def test_outputs_that_cannot_be_written_leave_the_state_as_it_was(tmp_path: Path) -> None:
    """A file where the output directory was to be, made during the run: a clear error,
    nothing committed, and the rerun writes everything."""
    cfg = Config(out_dir=tmp_path / "out", state=str(tmp_path / "state"))
    items = list(iter_documents(expand_inputs([SEEDS])))
    with pytest.raises(NewsdedupError, match="cannot write the outputs to"), Run(cfg) as run:
        for item in process_all(items, cfg.clean):
            run.add(item)
        shutil.rmtree(cfg.out_dir, ignore_errors=True)
        cfg.out_dir.write_text("not a directory\n")
        run.finish()
    cfg.out_dir.unlink()
    with Run(cfg) as run:
        for item in process_all(items, cfg.clean):
            run.add(item)
        summary = run.finish()
    assert summary.written == len(items) == 2 and summary.known == 0


def test_a_summary_balances_only_when_every_input_is_accounted_for() -> None:
    """``seen == written + known + dropped``: the check ``Run.finish`` makes before it reports."""
    summary = RunSummary(seen=4, written=1, known=1, dropped=Counter(too_short=1))
    assert not summary.balanced  # one input unaccounted for
    summary.dropped["bad_json"] += 1
    assert summary.balanced
    summary.written += 1
    assert not summary.balanced  # one more written than seen


_KILLED_RUN = """
import os, signal, sys
sys.path.insert(0, {root!r})
import pipeline.group.sqlite_index
import pipeline.run
from pipeline.cli import main

def die(*args):
    os._exit(9)  # as SIGKILL would: no except or finally block runs

publish = pipeline.run.publish

def interrupted(*args):
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C once the state is saved
    return publish(*args)

if sys.argv[1] == "before-commit":
    pipeline.group.sqlite_index.SqliteIndex.commit = die
elif sys.argv[1] == "after-commit":
    pipeline.run.publish = die
else:
    pipeline.run.publish = interrupted
sys.exit(main(sys.argv[2:]))
"""


def _killed_run(where: str, inputs: Path, out: Path, state: Path, status: int = 9) -> None:
    script = _KILLED_RUN.format(root=str(ROOT))
    args = ["run", str(inputs), "--out", str(out), "--state", str(state), "--workers", "1"]
    proc = subprocess.run([sys.executable, "-c", script, where, *args], timeout=300)
    assert proc.returncode == status


def _run_ids(out: Path) -> dict[str, list[str]]:
    """Every published run's article ids, by run."""
    return {
        run.name: [a["id"] for a in read_jsonl(run / "articles.jsonl")]
        for run in sorted((out / "runs").iterdir())
    }


def test_a_run_killed_before_its_commit_is_never_published_and_is_redone(tmp_path: Path) -> None:
    """A run killed after writing its outputs but before committing the state must not leave
    them for readers: the next run, with more input, would write the same articles again."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    seeds = sorted(p for p in SEEDS.iterdir() if p.is_file())
    shutil.copy(seeds[0], first)
    shutil.copy(seeds[1], second)
    out, state = tmp_path / "out", tmp_path / "state"
    _killed_run("before-commit", first, out, state)
    assert not (out / "articles.jsonl").exists() and not (out / "runs").exists()
    proc = run_cli("run", str(first), str(second), "--out", str(out), "--state", str(state))
    assert "discarded run" in proc.stderr
    runs = _run_ids(out)
    assert len(runs) == 1
    (ids,) = runs.values()
    assert len(ids) == 2
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".lock"]


def test_a_run_killed_after_its_commit_is_published_by_the_next_run(tmp_path: Path) -> None:
    out, state = tmp_path / "out", tmp_path / "state"
    _killed_run("after-commit", SEEDS, out, state)
    assert not (out / "runs").exists()  # committed, not yet published
    proc = run_cli("run", str(SEEDS), "--out", str(out), "--state", str(state), "--json")
    assert "published run" in proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["known"] == 2
    # Nothing new in this run, but it published the stopped one's files, and says so.
    assert summary["run_id"] is None and summary["recovered"] == list(_run_ids(out))
    (ids,) = _run_ids(out).values()
    assert len(ids) == 2
    assert [a["id"] for a in read_jsonl(out / "articles.jsonl")] == ids
    assert len(read_jsonl(out / "clusters.jsonl")) == 1


def test_a_run_with_another_state_leaves_a_saved_run_for_its_own_state(tmp_path: Path) -> None:
    """A run killed after its commit to one state; the next run in the same output folder
    uses another state (a changed --state, the moved default). It must not discard the
    folder as never saved: its articles are in the first state, and no rerun would write
    them again."""
    out, first, second = tmp_path / "out", tmp_path / "first", tmp_path / "second"
    seeds = sorted(p for p in SEEDS.iterdir() if p.is_file())
    (tmp_path / "one").mkdir()
    shutil.copy(seeds[0], tmp_path / "one")
    _killed_run("after-commit", tmp_path / "one", out, first)
    (pending,) = out.glob(".pending-*")
    proc = run_cli("run", str(seeds[1]), "--out", str(out), "--state", str(second))
    assert f"left {pending} as it is" in proc.stderr
    assert pending.is_dir()
    proc = run_cli("run", str(tmp_path / "one"), "--out", str(out), "--state", str(first))
    assert "published run" in proc.stderr
    assert f"nothing new in this run; it published {max(_run_ids(out))}" in proc.stdout
    # Published after the other state's run, it is the newest, under a later id.
    newest = read_jsonl(out / "runs" / max(_run_ids(out)) / "articles.jsonl")
    assert [Path(a["source"]).name for a in newest] == [seeds[0].name]
    sources = sorted(
        Path(a["source"]).name
        for run in _run_ids(out)
        for a in read_jsonl(out / "runs" / run / "articles.jsonl")
    )
    assert sources == sorted(p.name for p in seeds)


@pytest.mark.parametrize("where", ["group", "commit"])
def test_a_state_that_cannot_be_saved_is_one_clear_error_and_nothing_is_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """A full disk under the state, found while grouping writes or at the commit: a
    NewsdedupError (one line, exit 2 from the CLI), no outputs, and the rerun writes all."""
    import sqlite3

    import pipeline.group.sqlite_index
    import pipeline.run

    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    def full_at_commit(index: pipeline.group.sqlite_index.SqliteIndex) -> None:
        index._db.execute("ROLLBACK")  # as SQLite does by itself on SQLITE_FULL
        full()

    if where == "commit":
        monkeypatch.setattr(pipeline.group.sqlite_index.SqliteIndex, "commit", full_at_commit)
    else:
        monkeypatch.setattr(pipeline.run, "group", full)
    items = list(iter_documents(expand_inputs([SEEDS])))
    cfg = Config(out_dir=tmp_path / "out", state=str(tmp_path / "state"))
    message = "cannot save the state" if where == "commit" else "cannot update the state"
    with (
        pytest.raises(NewsdedupError, match=f"{message} .*database or disk is full"),
        Run(cfg) as run,
    ):
        for item in process_all(items, cfg.clean):
            run.add(item)
        run.finish()
    out = tmp_path / "out"
    assert not (out / "articles.jsonl").exists() and not (out / "runs").exists()
    monkeypatch.undo()
    with Run(cfg) as run:
        for item in process_all(items, cfg.clean):
            run.add(item)
        assert run.finish().written == 2
    assert sorted(p.name for p in out.iterdir()) == [
        ".lock",
        "articles.jsonl",
        "clusters.jsonl",
        "runs",
    ]


def test_ctrl_c_once_the_state_is_being_saved_lets_the_run_finish(tmp_path: Path) -> None:
    """Past the commit nothing can be undone: the run finishes, publishes and exits 0."""
    out, state = tmp_path / "out", tmp_path / "state"
    _killed_run("interrupt-at-publish", SEEDS, out, state, status=0)
    (ids,) = _run_ids(out).values()
    assert len(ids) == 2


def test_a_run_stopped_before_its_commit_is_not_published_when_another_saved_its_articles(
    tmp_path: Path,
) -> None:
    """Whether a staged run was saved is asked of the state by run id: another run (another
    --out on the same state) saving the same articles does not make this one published."""
    state = tmp_path / "state"
    _killed_run("before-commit", SEEDS, tmp_path / "a", state)
    run_cli("run", str(SEEDS), "--out", str(tmp_path / "b"), "--state", str(state))
    proc = run_cli("run", str(SEEDS), "--out", str(tmp_path / "a"), "--state", str(state))
    assert "discarded run" in proc.stderr and "nothing new" in proc.stdout
    assert not (tmp_path / "a" / "runs").exists()
    assert len(_run_ids(tmp_path / "b")) == 1


def test_the_saved_articles_new_and_known_are_handed_on_after_the_commit(tmp_path: Path) -> None:
    """A crawl remembers the URLs of what the state holds; articles known from a run that
    stopped after its commit are remembered too."""
    items = [i for i in iter_documents(expand_inputs([SEEDS])) if isinstance(i, Document)]
    cfg = Config(out_dir=tmp_path / "out", state=str(tmp_path / "state"))
    handed: list[list[str]] = []
    for batch in (items[:1], items):
        with Run(cfg) as run:
            run.on_saved.append(lambda docs: handed.append(sorted(d.id for d in docs)))
            for item in process_all(batch, cfg.clean):
                run.add(item)
            run.finish()
    assert handed[0] == [items[0].id] and handed[1] == sorted(d.id for d in items)


def _grouping_as_read(out: Path) -> dict[str, str]:
    """Each article's cluster as a consumer rebuilds it (README, Output format): the cluster_id
    the article was written with, unless a newer clusters.jsonl line lists it."""
    cluster: dict[str, str] = {}
    cluster_schema = json.loads((SCHEMAS / "cluster.schema.json").read_text())
    for run_dir in sorted((out / "runs").iterdir()):
        for article in read_jsonl(run_dir / "articles.jsonl"):
            cluster[article["id"]] = article["cluster_id"]
        for line in read_jsonl(run_dir / "clusters.jsonl"):
            jsonschema.validate(line, cluster_schema)
            for member in line["members"]:
                cluster[member] = line["cluster_id"]
    return cluster


def test_a_consumer_reading_every_run_sees_a_cluster_fall_apart(tmp_path: Path) -> None:
    """Two articles share only a two-sentence footer, then two more; with three more the footer
    is in more articles than a shared passage may be (max_passage_df), so it is boilerplate and
    the cluster falls apart. The run files alone must say so."""
    from tests.test_group_backends import FOOTER, STORIES

    names = ["harbor", "vaccine", "bridge", "election", "wildfire", "chips", "border"]
    lines = [
        json.dumps(
            {
                "url": f"https://{name}.example.org/story",
                "text": f"{STORIES[name]}\n\n{FOOTER}",
                "published": "2024-03-11T08:00:00Z",
            }
        )
        for name in names
    ]
    out = tmp_path / "out"
    groupings = []
    for n, batch in enumerate((lines[:2], lines[2:4], lines[4:])):
        path = tmp_path / f"batch{n}.jsonl"
        path.write_text("\n".join(batch) + "\n", encoding="utf-8")
        run_cli("run", str(path), "--out", str(out))
        groupings.append(_grouping_as_read(out))
    sizes = [sorted(Counter(g.values()).values()) for g in groupings]
    assert sizes == [[2], [4], [1] * 7]


def test_the_size_limit_of_an_input_is_the_same_for_run_and_the_files_spider(
    tmp_path: Path,
) -> None:
    """``newsdedup run --max-mib`` and ``scrapy crawl files`` with DOWNLOAD_MAXSIZE drop the
    same big input as ``too_large`` and write the rest."""
    folder = tmp_path / "in"
    shutil.copytree(SEEDS, folder)
    big = folder / "big.html.gz"  # 3 MB of page in 6 kB on disk
    big.write_bytes(gzip.compress(b"<html><body>" + b"<p>Again and again.</p>" * 130_000))
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", str(folder), "--out", str(tmp_path / "o1")]
        + ["--max-mib", "1", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["written"] == 2 and summary["dropped"] == {"too_large": 1}
    assert f"dropped/too_large {big}" in proc.stderr
    crawl = run_scrapy(
        ["crawl", "files", "-a", f"path={folder}", "-s", f"NEWSDEDUP_OUT={tmp_path / 'o2'}"]
        + ["-s", "DOWNLOAD_MAXSIZE=1048576"]
    )
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert "'newsdedup/dropped/too_large': 1" in crawl.stderr
    assert (tmp_path / "o1" / "articles.jsonl").read_text().count("\n") == 2
    assert (tmp_path / "o2" / "articles.jsonl").read_text().count("\n") == 2
