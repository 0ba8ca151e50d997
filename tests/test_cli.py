from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS, read_jsonl, run_cli


@pytest.mark.parametrize("command", [[], ["run"], ["explain"]])
def test_every_command_has_help_with_examples(command: list[str]) -> None:
    proc = run_cli(*command, "--help")
    assert "usage: newsdedup" in proc.stdout
    assert "examples:" in proc.stdout
    assert "newsdedup " in proc.stdout.split("examples:", 1)[1]


def test_missing_input_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    proc = run_cli(
        "run",
        str(tmp_path / "nope"),
        "--out",
        str(tmp_path / "o"),
        "--state",
        str(tmp_path / "s"),
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("newsdedup: error:")
    assert "nope" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


def test_bad_argument_value_exits_non_zero(tmp_path: Path) -> None:
    proc = run_cli("run", str(SEEDS), "--workers", "zero", check=False)
    assert proc.returncode == 2
    assert "not a whole number" in proc.stderr


def test_worker_counts_past_any_machine_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.cli import MAX_WORKERS, build_parser

    assert build_parser().parse_args(["run", "x", "--workers", str(MAX_WORKERS)]).workers
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["run", "x", "--workers", "99999999999999999999"])
    assert exit_.value.code == 2
    assert f"must be at most {MAX_WORKERS}" in capsys.readouterr().err


@pytest.mark.parametrize("limit", ["40000", "1e12", "1e300"])
def test_a_size_limit_past_the_machines_memory_reads_inputs_as_usual(
    tmp_path: Path, limit: str
) -> None:
    """A limit raised far past the memory there is (to mean "none") reads plain, gzip and
    JSONL inputs as any other: the limit is not set aside before reading."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    texts = sorted(SEEDS.glob("*.txt"))
    shutil.copy(texts[0], inputs / "a.txt")
    (inputs / "b.txt.gz").write_bytes(gzip.compress(texts[1].read_bytes()))
    proc = run_cli(
        "run",
        str(inputs),
        "--out",
        str(tmp_path / "out"),
        "--max-mib",
        limit,
        "--json",
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["written"] == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "not a number: 'abc'"),
        ("nan", "not a number: 'nan'"),
        ("inf", "not a number: 'inf'"),
        ("0", "must be more than 0: 0"),
        ("-2", "must be more than 0: -2"),
    ],
)
def test_a_window_must_be_a_positive_number(
    capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    from pipeline.cli import build_parser

    assert build_parser().parse_args(["run", "x", "--window", "2.5"]).window == 2.5
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["run", "x", "--window", value])
    assert exit_.value.code == 2
    assert f"argument --window: {message}" in capsys.readouterr().err


def test_explain_without_state_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_cli("explain", "a", "b", "--state", str(tmp_path / "none"), check=False)
    assert proc.returncode == 2
    assert "run `newsdedup run` first" in proc.stderr


def test_explain_reads_the_state_of_the_runs_out_directory(tmp_path: Path) -> None:
    """``run --out today`` keeps its state in today/state: ``explain --out today`` reads it,
    as the run's own options say, without spelling out the state."""
    run_cli("run", str(SEEDS), "--out", "today", cwd=tmp_path)
    first, second = (a["id"] for a in read_jsonl(tmp_path / "today" / "articles.jsonl"))
    shown = run_cli("explain", first, second, "--out", "today", cwd=tmp_path)
    assert "linked: wire_overlap" in shown.stdout
    # without it, the default output/ holds no state: one line says what to give
    missing = run_cli("explain", first, second, cwd=tmp_path, check=False)
    assert missing.returncode == 2
    assert f"no state at {Path('output', 'state')}" in missing.stderr
    assert "give the runs' --out or --state" in missing.stderr
    # an empty folder is no state, and explain leaves it empty
    (tmp_path / "empty" / "state").mkdir(parents=True)
    empty = run_cli("explain", first, second, "--out", "empty", cwd=tmp_path, check=False)
    assert empty.returncode == 2 and "no state at" in empty.stderr
    assert list((tmp_path / "empty" / "state").iterdir()) == []


def test_locked_state_is_refused(tmp_path: Path) -> None:
    from pipeline.lock import StateLock

    state = tmp_path / "s"
    with StateLock(state):
        proc = run_cli(
            "run",
            str(SEEDS),
            "--out",
            str(tmp_path / "o"),
            "--state",
            str(state),
            "--workers",
            "1",
            check=False,
        )
    assert proc.returncode == 2
    assert "another run is using the state" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_an_output_folder_in_use_is_refused_and_probes_left_behind_are_removed(
    tmp_path: Path,
) -> None:
    from pipeline.lock import OutputLock

    out = tmp_path / "o"
    args = ["run", str(SEEDS), "--out", str(out), "--workers", "1"]
    with OutputLock(out):  # another run writing to the same folder, with a state of its own
        proc = run_cli(*args, "--state", str(tmp_path / "s1"), check=False)
    assert proc.returncode == 2
    assert "another run is writing to the output directory" in proc.stderr
    assert not (out / "articles.jsonl").exists()
    # a writability probe a killed run left behind goes with the next run
    probe = out / ".newsdedup-probe-x1y2z3"
    probe.write_bytes(b"")
    run_cli(*args, "--state", str(tmp_path / "s2"))
    assert not probe.exists() and (out / "articles.jsonl").exists()


def test_summary_adds_up_and_json_summary(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    for seed in SEEDS.iterdir():
        (tmp_path / "in" / seed.name).write_bytes(seed.read_bytes())
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    (tmp_path / "in" / "noise.bin").write_bytes(bytes(range(256)) * 8)
    proc = run_cli(
        "run",
        str(tmp_path / "in"),
        "--out",
        str(tmp_path / "o"),
        "--state",
        str(tmp_path / "s"),
        "--json",
    )
    import json

    summary = json.loads(proc.stdout)
    assert summary["seen"] == 4
    assert summary["written"] == 2
    assert summary["seen"] == summary["written"] + summary["known"] + sum(
        summary["dropped"].values()
    )
    assert sum(summary["dropped"].values()) == 2
    assert len(read_jsonl(tmp_path / "o" / "articles.jsonl")) == 2


def test_the_first_drop_of_each_reason_is_logged_without_verbose(tmp_path: Path) -> None:
    """A run's problems show without ``-v``: the first of each reason, then counts only."""
    pages = tmp_path / "pages"
    pages.mkdir()
    for name in ("a.txt", "b.txt"):
        (pages / name).write_text("Too short to be an article.\n")
    (pages / "empty.txt").write_text("")
    quiet = run_cli("run", str(pages), "--out", str(tmp_path / "o1"), check=False)
    assert quiet.stderr.count("dropped/too_short") == 1
    assert f"dropped/too_short {pages / 'a.txt'}" in quiet.stderr
    assert f"dropped/empty {pages / 'empty.txt'}" in quiet.stderr
    loud = run_cli("-v", "run", str(pages), "--out", str(tmp_path / "o2"), check=False)
    assert f"dropped/too_short {pages / 'b.txt'}" in loud.stderr


def test_extraction_libraries_per_page_warnings_only_with_verbose(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    # Nothing to extract: trafilatura logs "discarding data" for such a page.
    (pages / "empty.html").write_text("<html><body><div><span></span></div></body></html>")
    # Not HTML at all: trafilatura logs an ERROR, "parsed tree length: 0", per such page.
    (pages / "x.html").write_text('<?xml version="1.0"?><x/>')
    (pages / "bare.html").write_text("<html></html>")
    out = tmp_path / "out"
    quiet = run_cli("run", str(pages), "--out", str(out), "--state", str(tmp_path / "s1"))
    assert "no main text found" in quiet.stderr  # the run's own warning, once
    assert "trafilatura" not in quiet.stderr
    loud = run_cli(
        "-v", "run", str(pages), "--out", str(tmp_path / "out2"), "--state", str(tmp_path / "s2")
    )
    assert "WARNING trafilatura" in loud.stderr
    # -v after the command name works as well
    after = run_cli(
        "run", "-v", str(pages), "--out", str(tmp_path / "out3"), "--state", str(tmp_path / "s3")
    )
    assert "WARNING trafilatura" in after.stderr


def test_ctrl_c_while_the_command_loads_its_libraries_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The libraries take a second or two to load: a Ctrl-C then ends the command as one
    during a run does."""
    from pipeline import launch

    class Interrupted:
        def find_spec(self, name: str, *args: object) -> None:
            if name == "pipeline.cli":
                raise KeyboardInterrupt
            return None

    monkeypatch.delitem(sys.modules, "pipeline.cli", raising=False)
    monkeypatch.setattr(sys, "meta_path", [Interrupted(), *sys.meta_path])
    assert launch.main() == 130
    assert capsys.readouterr().err == "newsdedup: interrupted; nothing was committed\n"


@pytest.mark.parametrize("option", ["--out", "--state"])
@pytest.mark.parametrize("under", [False, True])
def test_an_output_or_state_path_that_is_a_file_is_refused_before_any_work(
    tmp_path: Path, option: str, under: bool
) -> None:
    taken = tmp_path / "taken"
    taken.write_text("a file\n")
    target = taken / "sub" if under else taken
    line = _refused(tmp_path, option, target)
    what = "output" if option == "--out" else "state"
    problem = f"cannot be made: {taken} is a file" if under else "is a file, not a directory"
    assert line == f"newsdedup: error: the {what} directory {target} {problem}"
    assert taken.read_text() == "a file\n"


@pytest.mark.parametrize(
    "state", ["http://localhost:6379/0", "redis:127.0.0.1:6379/0", "Redis:/localhost/0"]
)
def test_a_mistyped_state_url_is_refused_not_made_a_directory(tmp_path: Path, state: str) -> None:
    proc = run_cli(
        "run", str(SEEDS), "--out", str(tmp_path / "o"), "--state", state, cwd=tmp_path, check=False
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"newsdedup: error: the state {state} is neither a directory nor a redis://HOST:PORT/DB "
        "URL (rediss:// and unix:///PATH.sock also work)"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    explain = run_cli("explain", "a", "b", "--state", state, cwd=tmp_path, check=False)
    assert explain.returncode == 2 and "is neither a directory nor" in explain.stderr


def test_the_state_lives_in_the_output_directory_unless_given(tmp_path: Path) -> None:
    first = run_cli("run", str(SEEDS), "--out", "day1", cwd=tmp_path)
    assert (tmp_path / "day1" / "state").is_dir()
    assert not (tmp_path / "output").exists()
    assert "WARNING" not in first.stderr
    again = run_cli("run", str(SEEDS), "--out", "day1", "--json", cwd=tmp_path)
    assert json.loads(again.stdout)["known"] == 2


def test_a_new_state_beside_the_earlier_default_one_is_pointed_out(tmp_path: Path) -> None:
    """The state used to be output/state whatever --out said: a run that starts a new one in
    an output directory earlier runs wrote to, while output/state holds one, says how to go on
    with that; a new output directory is no sign of it."""
    run_cli("run", str(SEEDS), cwd=tmp_path)  # output/ and output/state
    fresh = run_cli("run", str(SEEDS), "--out", "day3", cwd=tmp_path)
    assert "WARNING" not in fresh.stderr
    # day1 written as an earlier version did: its outputs there, its state in output/state
    shutil.copytree(tmp_path / "output" / "runs", tmp_path / "day1" / "runs")
    moved = run_cli("run", str(SEEDS), "--out", "day1", "--json", cwd=tmp_path)
    assert "starting a new state in day1/state, while output/state holds the state" in (
        moved.stderr
    )
    assert "give --state output/state" in moved.stderr
    assert json.loads(moved.stdout)["written"] == 2
    kept = run_cli(
        "run", str(SEEDS), "--out", "day2", "--state", "output/state", "--json", cwd=tmp_path
    )
    assert json.loads(kept.stdout)["known"] == 2 and "WARNING" not in kept.stderr
    # once the new state exists, it is the one meant
    again = run_cli("run", str(SEEDS), "--out", "day1", cwd=tmp_path)
    assert "WARNING" not in again.stderr


def _refused(tmp_path: Path, option: str, target: Path) -> str:
    """Run the seeds with ``option`` set to ``target``; the run must be refused with exactly
    one line (returned) and status 2."""
    args = {"--out": str(tmp_path / "o"), "--state": str(tmp_path / "s"), option: str(target)}
    proc = run_cli("run", str(SEEDS), *(x for kv in args.items() for x in kv), check=False)
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    return str(line)


def test_a_run_over_a_tree_holding_its_own_output_does_not_read_it_back(tmp_path: Path) -> None:
    """``newsdedup run .`` with the default ``output/`` inside ``.``: the articles it wrote
    (and the state's files) are not inputs of the next run."""
    tree = tmp_path / "tree"
    shutil.copytree(SEEDS, tree / "seeds")
    out, state = tree / "output", tree / "output" / "state"
    args = ("run", str(tree), "--out", str(out), "--state", str(state), "--json")
    first = json.loads(run_cli(*args).stdout)
    assert (first["seen"], first["written"]) == (2, 2)
    again = run_cli(*args)
    summary = json.loads(again.stdout)
    assert (summary["seen"], summary["written"], summary["known"]) == (2, 0, 2)
    assert summary["dropped"] == {}
    assert "left out" in again.stderr and str(out) in again.stderr
    # Named explicitly, an output file is read like any other input.
    named = json.loads(run_cli(*args[:1], str(out / "articles.jsonl"), *args[2:]).stdout)
    assert named["seen"] == 2
    # Nothing but output left: one clear line.
    only = run_cli("run", str(out), "--out", str(out), "--state", str(state), check=False)
    assert only.returncode == 2
    assert "no inputs outside the output and state directories" in only.stderr


@pytest.mark.parametrize("option", ["--out", "--state"])
def test_a_directory_that_cannot_be_written_is_refused_before_any_work(
    tmp_path: Path, option: str
) -> None:
    # /proc refuses new files to everyone, root included: a real read-only place.
    target = Path("/proc") if option == "--out" else Path("/proc/newsdedup-state")
    line = _refused(tmp_path, option, target)
    what = "output" if option == "--out" else "state"
    assert line.startswith(f"newsdedup: error: cannot write to the {what} directory {target}: ")
    assert not (tmp_path / "s" / "groups.sqlite").exists()


def test_a_run_whose_progress_pipe_closes_commits_nothing_and_says_so(tmp_path: Path) -> None:
    """``newsdedup run DIR --progress 2>&1 | head -c 1``: the run stops at the progress bar's
    first write; it must not pass for a success."""
    state = tmp_path / "s"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", str(SEEDS), "--progress", "--workers", "1",
         "--out", str(tmp_path / "o"), "--state", str(state)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    proc.stderr.close()  # the reader is gone before the first line
    assert proc.wait(timeout=120) == 141
    assert not (tmp_path / "o" / "articles.jsonl").exists()
    rerun = run_cli("run", str(SEEDS), "--out", str(tmp_path / "o"), "--state", str(state))
    assert "written   2" in rerun.stdout  # nothing was committed the first time


def test_a_run_refused_as_it_opens_leaves_no_folder_it_made(tmp_path: Path) -> None:
    """Nothing listens on port 1: the run is refused after taking the output folder's lock,
    and takes away the folders it made for that; a folder that was there stays."""
    out = tmp_path / "new" / "out"
    proc = run_cli(
        "run", str(SEEDS), "--out", str(out), "--state", "redis://127.0.0.1:1/0", check=False
    )
    assert proc.returncode != 0
    assert "cannot connect to Redis at 127.0.0.1:1" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    kept = tmp_path / "kept"
    kept.mkdir()
    again = run_cli(
        "run", str(SEEDS), "--out", str(kept), "--state", "redis://127.0.0.1:1/0", check=False
    )
    assert again.returncode != 0
    assert kept.is_dir()
    # and an ordinary run in the same places works afterwards
    run_cli("run", str(SEEDS), "--out", str(out))
    assert len(read_jsonl(out / "articles.jsonl")) == 2


def test_of_an_article_given_twice_the_earlier_line_is_kept(tmp_path: Path) -> None:
    """Sources sort with their numbers by value: line 5 comes before line 14."""
    story = " ".join(
        f"The harbour board met on day {n} and agreed to widen the quay." for n in range(30)
    )
    lines = [
        json.dumps({"url": f"https://example.org/other/{n}", "text": f"{story} Filler {n}."})
        for n in range(1, 16)
    ]
    lines[4] = json.dumps({"url": "https://example.org/a", "text": story, "title": "line five"})
    lines[13] = json.dumps({"url": "https://example.org/a", "text": story, "title": "line 14"})
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    proc = run_cli("run", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "o"), "--json")
    assert json.loads(proc.stdout)["dropped"] == {"duplicate_input": 1}
    kept = [r for r in read_jsonl(tmp_path / "o" / "articles.jsonl") if r["url"].endswith("/a")]
    assert [(r["title"], r["source"]) for r in kept] == [("line five", f"{tmp_path}/in.jsonl:5")]


def test_sources_sort_with_their_numbers_by_value_at_any_length() -> None:
    from pipeline.run import source_order

    sources = ["a.jsonl:14", "a.jsonl:5", "a.jsonl:05", "b?id=" + "9" * 5000, "b?id=" + "8" * 5000]
    assert sorted(sources, key=source_order) == [
        "a.jsonl:05", "a.jsonl:5", "a.jsonl:14", "b?id=" + "8" * 5000, "b?id=" + "9" * 5000
    ]  # fmt: skip
