"""The Redis adapter's own promises: datasketch's layout, concurrent writers, failures."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import time
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from datasketch import MinHashLSH
from redis_proxy import RedisProxy
from redis_server import RedisServer
from test_group_backends import CFG, STORIES, corpus, doc, run, seed_docs, snapshot

from pipeline.config import is_remote_state
from pipeline.document import Document
from pipeline.errors import NewsdedupError
from pipeline.group import group, open_index
from pipeline.group.batch import make_signature
from pipeline.group.redis_connect import connection_kwargs
from pipeline.group.redis_index import COMMIT_RATE, PENDING, RedisIndex, basename
from pipeline.group.signatures import lean_minhash


def assert_as_fresh(redis_url: str, runs: list[Document]) -> None:
    """The state at ``redis_url`` holds these articles as a fresh database (db 1) given them
    one run each, in this order, does."""
    other = redis_url.rsplit("/", 1)[0] + "/1"
    for d in runs:
        run([replace(d)], other)
    ids = [d.id for d in runs]
    assert snapshot(redis_url, ids) == snapshot(other, ids)


def test_the_lsh_is_datasketchs_own(redis_url: str) -> None:
    a, b = seed_docs()
    run([a, b], redis_url)
    storage = {"type": "redis", "redis": connection_kwargs(redis_url)[0]}
    passages = MinHashLSH(
        num_perm=CFG.num_perm,
        params=(CFG.passage_bands, CFG.passage_rows),
        prepickle=False,
        storage_config={**storage, "basename": basename(CFG, "passage")},
    )
    documents = MinHashLSH(
        num_perm=CFG.num_perm,
        params=(CFG.doc_bands, CFG.doc_rows),
        prepickle=False,
        storage_config={**storage, "basename": basename(CFG, "document")},
    )
    sig = make_signature(a.text, CFG)
    found = {k for row in sig.passage_minhash for k in passages.query(lean_minhash(row, CFG.seed))}
    own = {b"stratnews:%d" % i for i in range(len(sig.spans))}
    assert own <= found
    assert any(k.startswith(b"southfront:") for k in found)  # the shared Reuters sentences
    assert b"stratnews:0" in passages and b"stratnews:999" not in passages
    assert documents.query(lean_minhash(sig.doc_minhash, CFG.seed)) == [b"stratnews"]


def _group_one(url: str, text: str, id_: str, published: str, barrier: object) -> None:
    index = open_index(url, CFG)
    try:
        barrier.wait()  # type: ignore[attr-defined]
        group([doc(id_, text, published)], index, CFG)
        index.commit()
    finally:
        index.close()


def test_two_processes_grouping_at_the_same_moment_link_their_articles(
    redis_server: RedisServer,
) -> None:
    a, b = seed_docs()
    ctx = multiprocessing.get_context("spawn")
    for attempt in range(3):
        redis_server.flush()
        url = redis_server.url()
        barrier = ctx.Barrier(2)
        workers = [
            ctx.Process(target=_group_one, args=(url, d.text, d.id, d.published, barrier))
            for d in (a, b)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=120)
            assert w.exitcode == 0, attempt
        run([replace(a), replace(b)], redis_server.url(1))  # one process, for comparison
        ids = [a.id, b.id]
        together = snapshot(url, ids)
        assert together == snapshot(redis_server.url(1), ids)
        assert {r[0] for r in together["records"].values()} == {"stratnews"}, attempt


def test_a_writer_that_died_leaves_nothing_behind_for_the_next(redis_url: str) -> None:
    index = RedisIndex(redis_url, CFG, lock_ttl=1.0)
    dead = doc("stratnews", STORIES["harbor"])  # the same id, another text: must not linger
    group([dead], index, CFG)
    index.lock.abandon()  # as if killed: no rollback, the lease runs out
    index.close()
    client = redis.Redis.from_url(redis_url)
    assert client.hkeys(PENDING) == [b"stratnews"]

    a, b = seed_docs()
    run([a, b], redis_url)  # waits out the lease, then removes the dead run's entries
    assert b.cluster_id == "stratnews" and client.hlen(PENDING) == 0
    index = RedisIndex(redis_url, CFG)
    try:
        passages = index.lsh.passages
        expected = sum(len(make_signature(d.text, CFG).spans) for d in (a, b))
        assert client.hlen(passages.keys_name) == expected
        harbor = make_signature(dead.text, CFG).passage_minhash
        _, members = passages.read(harbor, most=100)
        assert not any(m.startswith(b"stratnews:") for ms in members.values() for m in ms)
    finally:
        index.close()


def test_a_server_restart_mid_run_fails_clearly_and_keeps_what_was_committed(
    tmp_path: Path,
) -> None:
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        url = server.url()
        docs = corpus()
        first, second = docs[::2], docs[1::2]
        run([replace(d) for d in first], url)
        committed = snapshot(url, [d.id for d in first])
        index = RedisIndex(url, CFG, lock_ttl=2.0)
        group([replace(d) for d in second], index, CFG)
        server.stop()
        with pytest.raises(NewsdedupError, match=r"^lost the connection to Redis at 127\.0\.0\.1:"):
            index.commit()
        index.close()
        server.start()
        assert snapshot(url, [d.id for d in first]) == committed
        index = open_index(url, CFG)
        try:
            assert index.known(d.id for d in second) == set()
        finally:
            index.close()
        # The next run redoes the lost batch and ends where one run would have.
        run([replace(d) for d in second], url)
        run([replace(d) for d in docs], server.url(1))
        ids = [d.id for d in docs]
        assert snapshot(url, ids) == snapshot(server.url(1), ids)
    finally:
        server.stop()


def test_an_unreachable_server_is_one_clear_line() -> None:
    with pytest.raises(NewsdedupError, match=r"^cannot connect to Redis at 127\.0\.0\.1:1: "):
        open_index("redis://127.0.0.1:1/0", CFG)
    with pytest.raises(NewsdedupError, match="bad Redis URL"):
        open_index("redis://127.0.0.1:notaport/0", CFG)


def test_a_state_built_with_other_signature_settings_refuses_to_open(redis_url: str) -> None:
    run(seed_docs(), redis_url)
    with pytest.raises(NewsdedupError, match="other signature settings"):
        open_index(redis_url, replace(CFG, num_perm=128, passage_bands=42))


@pytest.mark.parametrize("path", ["/abc", "/1x", "/0/extra", "/1/2"])
def test_a_database_that_is_not_a_number_is_refused(path: str) -> None:
    """redis-py alone reads "/abc" as database 0 and "/1/2" as database 12."""
    with pytest.raises(NewsdedupError, match="the path must be a database number"):
        connection_kwargs("redis://127.0.0.1:6379" + path)
    for fine in ("", "/", "/0", "/15"):
        connection_kwargs("redis://127.0.0.1:6379" + fine)


def test_a_password_never_shows_in_an_error() -> None:
    for url in (
        "redis://:s3cret@127.0.0.1:notaport/0",
        "redis://user:s3cret@127.0.0.1:6379/abc",
        "redis://:s3cret@127.0.0.1:6379/0?socket_timeout=x",
        "redis://127.0.0.1:6379/abc?password=s3cret",
        "redis://127.0.0.1:6379/0?socket_timeout=x&password=s3cret",
    ):
        with pytest.raises(NewsdedupError) as caught:
            connection_kwargs(url)
        assert "s3cret" not in str(caught.value) and "***" in str(caught.value)


def test_a_database_in_the_query_is_refused() -> None:
    """redis-py lets ``?db=`` win over the path: the state would go to another database than
    the one the URL seems to name."""
    with pytest.raises(NewsdedupError, match=r"give the database as the path \(/N\), not as"):
        connection_kwargs("redis://127.0.0.1:6379/14?db=15")
    assert connection_kwargs("unix:///tmp/r.sock?db=3")[0]["db"] == 3  # its only way


def test_a_tls_url_to_a_server_that_does_not_answer_tls_says_so() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        with pytest.raises(NewsdedupError, match="is the server serving TLS"):
            open_index(f"rediss://127.0.0.1:{port}/0", CFG)


def test_a_server_that_never_answers_fails_in_seconds() -> None:
    """A listening socket nobody reads from: the first PING waits briefly and once."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        start = time.monotonic()
        with pytest.raises(NewsdedupError, match="cannot connect to Redis"):
            open_index(f"redis://127.0.0.1:{port}/0", CFG)
        assert time.monotonic() - start < 30


def test_an_upper_case_scheme_is_still_redis() -> None:
    assert is_remote_state("REDIS://127.0.0.1:6379/0") and is_remote_state("Unix:///tmp/r.sock")
    assert not is_remote_state("output/state")


def test_a_writer_that_stalled_past_its_lease_writes_nothing_and_the_next_is_unharmed(
    redis_url: str,
) -> None:
    """A run stopped (SIGSTOP, a long GC pause) longer than its lease: the next writer takes
    the lock; when the first wakes, its LSH writes are refused in the same script that would
    make them, so the next writer never sees entries without records."""
    a, b = seed_docs()
    stalled = RedisIndex(redis_url, CFG, lock_ttl=1.0)
    stalled.known([a.id])  # takes the lock
    stalled.lock._stop_renewing()  # the stall: no renewals, the holder still thinks it holds
    time.sleep(1.5)
    assert stalled.lock.held
    following = RedisIndex(redis_url, CFG)
    following.known([b.id])  # takes the lock, which the stalled run lost
    with pytest.raises(NewsdedupError, match="grouping lock .* ran out"):
        group([replace(a)], stalled, CFG)
    stalled.close()
    group([replace(b)], following, CFG)
    following.commit()
    following.close()
    run([replace(a)], redis_url)  # the stalled run, redone
    run([replace(a), replace(b)], redis_url.rsplit("/", 1)[0] + "/1")
    ids = [a.id, b.id]
    assert snapshot(redis_url, ids) == snapshot(redis_url.rsplit("/", 1)[0] + "/1", ids)


def test_a_writer_that_stalled_in_its_clean_up_removes_nothing_of_the_next(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed run checks it still holds the lock, then stalls past its lease before it
    removes its LSH entries; the next writer groups the same article and commits. When the
    first wakes, its removal is refused in the script that would make it: the entries the
    next writer committed under the same keys stay, and a later article still links."""
    a, b = seed_docs()
    stalled = RedisIndex(redis_url, CFG, lock_ttl=1.0)
    group([replace(a)], stalled, CFG)  # LSH entries written, the records not yet committed
    stalled.lock._stop_renewing()
    time.sleep(1.5)
    following = RedisIndex(redis_url, CFG)
    group([replace(a)], following, CFG)
    following.commit()
    following.close()
    monkeypatch.setattr(stalled.lock, "owned", lambda: True)  # checked before the stall
    stalled.rollback()
    stalled.close()
    run([replace(b)], redis_url)
    assert_as_fresh(redis_url, [a, b])


def test_a_writer_that_stalled_clearing_a_dead_runs_list_leaves_the_next_ones_alone(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dead run left its LSH entries listed in ``pending``. The next writer removes them,
    then stalls past its lease before it clears the list; a third writer takes over, lists
    and writes the same article's entries and dies too. The stalled writer's clearing is
    refused in the script that would make it, so the third run's entries stay listed and a
    later run removes them: the article, redone, links as in a state that never saw any of this."""
    a, b = seed_docs()
    dead = RedisIndex(redis_url, CFG, lock_ttl=1.0)
    group([replace(a)], dead, CFG)
    dead.lock.abandon()  # killed: no rollback, the lease runs out
    dead.close()
    time.sleep(1.2)
    stalled = RedisIndex(redis_url, CFG, lock_ttl=1.0)
    third = RedisIndex(redis_url, CFG, lock_ttl=1.0)
    remove = stalled.lsh.remove

    def remove_then_stall(passages: dict[str, int]) -> None:
        remove(passages)
        stalled.lock._stop_renewing()
        time.sleep(1.5)
        group([replace(a)], third, CFG)  # takes the lock the stalled run lost, lists a
        third.lock.abandon()  # and dies before committing
        third.close()

    monkeypatch.setattr(stalled.lsh, "remove", remove_then_stall)
    with pytest.raises(NewsdedupError, match="grouping lock .* ran out"):
        stalled.known([b.id])
    stalled.close()
    client = redis.Redis.from_url(redis_url)
    assert client.hexists(PENDING, a.id)
    time.sleep(1.2)  # the third run's lease runs out
    run([replace(b)], redis_url)
    assert not client.hexists(PENDING, a.id)
    run([replace(a)], redis_url)
    assert_as_fresh(redis_url, [b, a])


def test_lsh_entries_without_records_are_left_out_with_a_warning(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """What a maxmemory eviction policy does to a state: records gone, LSH entries left."""
    a, b = seed_docs()
    run([replace(a)], redis_url)
    redis.Redis.from_url(redis_url).delete(f"newsdedup:doc:{a.id}")
    grouped = replace(b)
    run([grouped], redis_url)
    assert grouped.cluster_id == grouped.id  # nothing to join: its source is gone
    assert "without their records" in caplog.text and a.id in caplog.text


def test_opening_a_state_to_read_it_writes_nothing(redis_url: str) -> None:
    """``newsdedup explain`` on a mistyped database must not leave a state's key behind."""
    index = open_index(redis_url, CFG)
    try:
        assert index.known(["nothing-here"]) == set()  # a writer's first step claims it
    finally:
        index.close()
    client = redis.Redis.from_url(redis_url)
    assert client.hget("newsdedup:meta", "fingerprint") is not None
    client.flushdb()
    index = open_index(redis_url, CFG)
    try:
        assert index.get_records(["nothing-here"]) == {}
    finally:
        index.close()
    assert client.dbsize() == 0


def test_a_server_that_stops_answering_fails_the_run_after_one_timeout(tmp_path: Path) -> None:
    """A server that stops answering (stopped, swapping, a link gone quiet) fails the run at
    its first socket timeout; the clean-up does not wait another timeout per call, and the
    next run, once the server answers again, removes what the failed one wrote."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        a, b = seed_docs()
        index = RedisIndex(server.url() + "?socket_timeout=2", CFG, lock_ttl=1.0)
        index.known([a.id])  # takes the lock
        assert server.proc is not None
        os.kill(server.proc.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(NewsdedupError, match="lost the connection to Redis .* Timeout"):
                group([replace(a)], index, CFG)
            index.close()
            took = time.monotonic() - started
        finally:
            os.kill(server.proc.pid, signal.SIGCONT)
        assert 2.0 <= took < 3.5
        run([replace(a), replace(b)], server.url())  # waits out the lease, then cleans up
        run([replace(a), replace(b)], server.url(1))
        ids = [a.id, b.id]
        assert snapshot(server.url(), ids) == snapshot(server.url(1), ids)
    finally:
        server.stop()


def test_a_server_that_wants_a_password_says_so(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        redis.Redis(host="127.0.0.1", port=server.port).config_set("requirepass", "s3cret")
        with pytest.raises(NewsdedupError, match="requires a password: give it in the URL"):
            open_index(server.url(), CFG)
        with pytest.raises(NewsdedupError, match="cannot connect to Redis") as wrong:
            open_index(f"redis://:nope@127.0.0.1:{server.port}/0", CFG)
        assert "nope" not in str(wrong.value)
        open_index(f"redis://:s3cret@127.0.0.1:{server.port}/0", CFG).close()
    finally:
        server.stop()


@pytest.mark.parametrize(
    "option", ["x=1", "connection_pool=x", "self=1", "retry=3", "decode_responses=false"]
)
def test_an_option_redis_py_would_pass_on_as_a_raw_string_is_refused(option: str) -> None:
    name = option.split("=")[0]
    with pytest.raises(NewsdedupError, match=f"unknown option '{name}'") as caught:
        connection_kwargs(f"redis://:s3cret@127.0.0.1:6379/0?{option}")
    assert "s3cret" not in str(caught.value)


def test_the_options_a_url_may_set() -> None:
    assert connection_kwargs("rediss://127.0.0.1:6379/0?ssl_cert_reqs=none")[0]["ssl"] is True
    assert connection_kwargs("redis://127.0.0.1:6379/0?socket_timeout=3")[0]["socket_timeout"] == 3


def test_a_commit_whose_reply_is_lost_is_kept_not_undone(redis_server: RedisServer) -> None:
    """The connection drops after the server applied the commit, before its reply arrives
    (redis-py then reports a WatchError): the run asks the server instead of undoing a commit
    that happened, and the state ends as with no fault."""
    redis_server.flush()
    docs = corpus()
    proxy = RedisProxy(redis_server.port, "drop_reply", b"newsdedup:saved_runs")
    try:
        index = RedisIndex(proxy.url(), CFG)
        group([replace(d) for d in docs], index, CFG)
        index.record_run("20260101T000000Z-00000000-000000")
        index.commit()
        index.close()
    finally:
        proxy.close()
    assert proxy.triggered.is_set()
    _same_as_one_run_without_faults(redis_server, docs)
    assert redis.Redis.from_url(redis_server.url()).hlen(PENDING) == 0
    # the next run finds every article of the commit
    index = open_index(redis_server.url(), CFG)
    try:
        assert index.known(d.id for d in docs) == {d.id for d in docs}
        assert index.recorded_runs(["20260101T000000Z-00000000-000000"]) != set()
    finally:
        index.close()


def test_a_connection_dropped_before_the_commit_arrives_is_said_so(
    redis_server: RedisServer,
) -> None:
    """redis-py reports a connection lost under WATCH as a WatchError; with the lease still
    held, that is a lost connection, not a lock that ran out. Nothing was committed."""
    redis_server.flush()
    docs = corpus()
    proxy = RedisProxy(redis_server.port, "drop_request", b"newsdedup:saved_runs")
    try:
        index = RedisIndex(proxy.url(), CFG)
        group([replace(d) for d in docs], index, CFG)
        index.record_run("20260101T000000Z-00000000-000000")
        with pytest.raises(NewsdedupError, match="lost the connection to Redis") as caught:
            index.commit()
        assert "ran out" not in str(caught.value)
        index.close()
    finally:
        proxy.close()
    assert proxy.triggered.is_set()
    index = open_index(redis_server.url(), CFG)
    try:
        assert index.known(d.id for d in docs) == set()
    finally:
        index.close()


def test_a_commit_slower_to_send_than_the_lease_still_lands(redis_server: RedisServer) -> None:
    """The lease cannot be renewed while the commit's transaction is on its way (renewing the
    watched key would abort it): the lease is first extended by what the commit will take to
    send at COMMIT_RATE. Here the link runs at that rate and the transaction takes longer
    than the lease."""
    redis_server.flush()
    docs = _bulky_corpus()
    proxy = RedisProxy(redis_server.port, "slow", b"newsdedup:saved_runs", rate=COMMIT_RATE)
    try:
        index = RedisIndex(proxy.url(), CFG, lock_ttl=1.0)
        group([replace(d) for d in docs], index, CFG)
        index.record_run("20260101T000000Z-00000000-000001")
        started = time.monotonic()
        index.commit()
        took = time.monotonic() - started
        index.close()
    finally:
        proxy.close()
    assert proxy.triggered.is_set() and took > 1.0
    index = open_index(redis_server.url(), CFG)
    try:
        assert index.known(d.id for d in docs) == {d.id for d in docs}
    finally:
        index.close()


def test_a_commit_of_unknown_outcome_is_left_for_the_next_run_to_settle(
    redis_server: RedisServer,
) -> None:
    """The reply is lost and the server stays out of reach: the run cannot tell whether it
    was saved, so it says so and undoes nothing; the next run finds it saved."""
    redis_server.flush()
    docs = corpus()
    run_id = "20260101T000000Z-00000000-000002"
    proxy = RedisProxy(redis_server.port, "drop_reply", b"newsdedup:saved_runs", then_close=True)
    index = RedisIndex(proxy.url(), CFG, lock_ttl=2.0)
    group([replace(d) for d in docs], index, CFG)
    index.record_run(run_id)
    with pytest.raises(NewsdedupError, match="may or may not be saved; the next run settles it"):
        index.commit()
    index.close()
    assert proxy.triggered.is_set()
    index = open_index(redis_server.url(), CFG)
    try:
        assert index.recorded_runs([run_id]) == {run_id}
        assert index.known(d.id for d in docs) == {d.id for d in docs}  # waits out the lease
    finally:
        index.close()
    _same_as_one_run_without_faults(redis_server, docs)


def test_a_commit_slower_than_its_lease_says_the_link_is_too_slow(
    redis_server: RedisServer,
) -> None:
    redis_server.flush()
    docs = _bulky_corpus()
    proxy = RedisProxy(redis_server.port, "slow", b"newsdedup:saved_runs", rate=COMMIT_RATE / 3)
    try:
        index = RedisIndex(proxy.url(), CFG, lock_ttl=1.0)
        group([replace(d) for d in docs], index, CFG)
        index.record_run("20260101T000000Z-00000000-000003")
        with pytest.raises(NewsdedupError, match=r"took \d+ s, longer than its lease .* 64 KiB/s"):
            index.commit()
        index.close()
    finally:
        proxy.close()
    index = open_index(redis_server.url(), CFG)
    try:
        assert index.known(d.id for d in docs) == set()
        assert index.recorded_runs(["20260101T000000Z-00000000-000003"]) == set()
    finally:
        index.close()


def _bulky_corpus() -> list[Document]:
    """The corpus four times over (copies under other ids): a commit of some 150 KB."""
    docs = corpus()
    return docs + [replace(d, id=f"{d.id}-{n}") for n in range(1, 4) for d in docs]


def _same_as_one_run_without_faults(server: RedisServer, docs: list[Document]) -> None:
    """Database 0 holds what one run of ``docs`` into database 1, with no fault, leaves:
    the same records and evidence, and the same LSH keys."""
    run([replace(d) for d in docs], server.url(1))
    ids = [d.id for d in docs]
    assert snapshot(server.url(), ids) == snapshot(server.url(1), ids)
    client, reference = redis.Redis.from_url(server.url()), redis.Redis.from_url(server.url(1))
    lsh = sorted(k for k in client.keys() if k.startswith(b"newsdedup:lsh:"))
    assert lsh and lsh == sorted(k for k in reference.keys() if k.startswith(b"newsdedup:lsh:"))
    assert [client.type(k) for k in lsh] == [reference.type(k) for k in lsh]
