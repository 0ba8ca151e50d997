"""``newsdedup run --state redis://...``: the directory state's outputs, from any process."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from redis_server import RedisServer

from pipeline.config import GroupConfig
from pipeline.group import open_index
from tests.conftest import ROOT, SEEDS, read_jsonl, run_cli


def test_a_redis_state_writes_what_a_directory_state_writes(
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    redis_server.flush()
    for name, state in (("dir", str(tmp_path / "state")), ("redis", redis_server.url())):
        run_cli("run", str(SEEDS), "--out", str(tmp_path / name), "--state", state)
    for output in ("articles.jsonl", "clusters.jsonl"):
        remote = (tmp_path / "redis" / output).read_bytes()
        assert remote == (tmp_path / "dir" / output).read_bytes(), output
    clusters = read_jsonl(tmp_path / "redis" / "clusters.jsonl")
    assert len(clusters) == 1 and len(clusters[0]["members"]) == 2
    # A rerun finds both articles known and writes nothing new.
    again = run_cli(
        "run", str(SEEDS), "--out", str(tmp_path / "redis"), "--state", redis_server.url(), "--json"
    )
    assert '"known": 2' in again.stdout and '"written": 0' in again.stdout


def test_two_runs_at_once_each_with_one_seed_link_them(
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    redis_server.flush()
    seeds = sorted(p for p in SEEDS.iterdir() if p.is_file())
    assert len(seeds) == 2
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pipeline",
                "run",
                str(seed),
                "--out",
                str(tmp_path / f"o{i}"),
                "--state",
                redis_server.url(),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, seed in enumerate(seeds)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    ids = [read_jsonl(tmp_path / f"o{i}" / "articles.jsonl")[0]["id"] for i in range(2)]
    index = open_index(redis_server.url(), GroupConfig())
    try:
        records = index.get_records(ids, text=False)
    finally:
        index.close()
    assert len({r.cluster_id for r in records.values()}) == 1
    assert sorted(r.relation or "" for r in records.values()) == ["", "wire_overlap"]


def test_settling_a_stopped_run_on_redis_holds_no_lock_and_asks_by_run_id(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """At open, a run's staged leftovers are settled by asking Redis which runs it recorded:
    a read that must not take the grouping lock other processes wait for."""
    import redis

    from pipeline.config import Config
    from pipeline.document import Document
    from pipeline.output import stage_outputs
    from pipeline.run import Run

    redis_server.flush()
    doc = Document(id="a" * 16, source="a.txt", text="text", cluster_id="a" * 16)
    index = open_index(redis_server.url(), GroupConfig())
    try:
        state = index.state_id()
        saved = stage_outputs(tmp_path / "out", [doc], [], state)
        assert saved is not None
        index.record_run(saved.run_id)
        index.commit()
    finally:
        index.close()
    lost = stage_outputs(tmp_path / "out", [replace(doc, id="b" * 16)], [], state)
    assert lost is not None
    client = redis.Redis.from_url(redis_server.url())
    with Run(Config(out_dir=tmp_path / "out", state=redis_server.url())):
        assert not client.exists(b"newsdedup:lock")
        assert not saved.folder.exists() and not lost.folder.exists()
        assert [p.name for p in (tmp_path / "out" / "runs").iterdir()] == [saved.run_id]
    client.close()
