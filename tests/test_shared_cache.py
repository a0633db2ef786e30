"""Two runs sharing one cache folder: no lock errors, each judge call paid once, one batch.

The runs are threads with their own cache instances (own connections and claim owners), as two
processes would be, against the local server, which counts every request.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from roleplay.cache import SQLiteJudgeCache
from roleplay.evals.batch import BatchOptions
from roleplay.evals.records import SuiteResult
from roleplay.evals.runner import default_model_resolver, run_suite
from roleplay.evals.suite import EvalSuite, load_suite
from roleplay.testing import OpenAICompatServer, judge_responder

ROOT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).parent / "data" / "suites" / "mini"


@pytest.fixture(scope="module")
def gold() -> EvalSuite:
    return load_suite(ROOT / "evals" / "gold")


def verdicts(result: SuiteResult) -> dict[str, Any]:
    return {case: {k: v.model_dump() for k, v in record.verdicts.items()}
            for case, record in result.records.items()}


class Gate:
    """Holds every judge answer until both runs have looked in the cache for every call."""

    def __init__(self, calls: int) -> None:
        self.calls = calls
        self.misses = 0
        self.open = threading.Event()
        self.lock = threading.Lock()

    def counting(self, cache: SQLiteJudgeCache) -> SQLiteJudgeCache:
        real = cache.get

        def get(key: str) -> str | None:
            value = real(key)
            if value is None:
                with self.lock:
                    self.misses += 1
                    if self.misses >= self.calls:
                        self.open.set()
            return value

        cache.get = get  # type: ignore[method-assign]
        return cache


def run_pair(suite: EvalSuite, server: OpenAICompatServer, folder: Path,
             **kwargs: Any) -> list[SuiteResult]:
    results: list[SuiteResult] = []
    errors: list[BaseException] = []
    caches = kwargs.pop("caches")

    def one(cache: SQLiteJudgeCache, runs: Path) -> None:
        try:
            resolve = default_model_resolver(base_url=server.base_url, api_key="test")
            results.append(run_suite(suite, resolve_model=resolve, cache=cache, runs_dir=runs,
                                     **kwargs))
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(cache, folder / f"runs-{n}"))
               for n, cache in enumerate(caches)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    return results


def test_two_runs_pay_for_each_judge_call_once(gold: EvalSuite, tmp_path: Path) -> None:
    calls = len(gold.cases)
    gate = Gate(2 * calls)
    responder = judge_responder()

    def held(body: dict[str, Any]) -> Any:
        gate.open.wait(30)  # both runs have missed every case before any reply is stored
        return responder(body)

    caches = [gate.counting(SQLiteJudgeCache.in_dir(tmp_path / "cache")) for _ in range(2)]
    with OpenAICompatServer(responder=held) as server:
        # Enough workers that every case asks the cache before any reply arrives.
        first, second = run_pair(gold, server, tmp_path, caches=caches, max_concurrency=64)
        paid = len(server.chat_requests)
    for cache in caches:
        cache.close()
    assert gate.misses == 2 * calls
    # Without claims each run paid for every call: 2 x calls requests.
    assert paid == calls
    assert sum(cache.waited for cache in caches) == calls
    assert verdicts(first) == verdicts(second)
    assert not first.failed and not second.failed


def test_a_failed_call_releases_its_claim_and_the_other_run_makes_it(tmp_path: Path) -> None:
    a = SQLiteJudgeCache.in_dir(tmp_path)
    b = SQLiteJudgeCache.in_dir(tmp_path, claim_timeout=30)
    assert a.claim("k") is True
    assert b.claim("k") is False  # a is fetching it
    threading.Timer(0.2, a.release, args=("k",)).start()
    started = time.monotonic()
    assert b.wait_for("k") is None  # b holds the claim now and makes the call
    assert time.monotonic() - started < 20  # released, not timed out
    assert a.claim("k") is False
    b.put("k", '{"format": 1, "reply": {"x": 1}}')
    assert a.claim("k") == '{"format": 1, "reply": {"x": 1}}'
    a.close()
    b.close()


def test_a_claim_of_a_dead_process_or_past_its_timeout_is_taken_over(tmp_path: Path) -> None:
    cache = SQLiteJudgeCache.in_dir(tmp_path, claim_timeout=0.3)
    digest = cache._digest("k")
    process = multiprocessing.get_context("spawn").Process(target=os.getpid)
    process.start()
    process.join()
    with sqlite3.connect(cache.path) as conn:
        conn.execute("INSERT INTO judge_claims VALUES (?, 'gone', ?, ?, ?)",
                     (digest, __import__("socket").gethostname(), process.pid, time.time()))
    assert cache.claim("k") is True  # its process is gone

    other = SQLiteJudgeCache.in_dir(tmp_path, claim_timeout=0.3)
    assert other.claim("k") is False
    started = time.monotonic()
    assert other.wait_for("k") is None  # gave up waiting after claim_timeout
    assert time.monotonic() - started >= 0.3
    cache.close()
    other.close()


def test_opening_retries_while_the_file_is_locked(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    real = sqlite3.connect
    failures = iter([True, True, False])

    def flaky(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        if next(failures, False):
            raise sqlite3.OperationalError("database is locked")
        return real(*args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", flaky)
    with SQLiteJudgeCache.in_dir(tmp_path) as cache:  # was: ConfigError "database is locked"
        cache.put("k", "v")
        assert cache.get("k") == "v"


def _start(folder: str, barrier: Any, results: Any) -> None:
    barrier.wait()
    try:
        with SQLiteJudgeCache.in_dir(folder) as cache:
            for n in range(10):
                cache.put(f"k{n}-{os.getpid()}", "v")
                cache.get(f"k{n}-{os.getpid()}")
        results.put("ok")
    except Exception as exc:  # reported by the test process
        results.put(repr(exc))


def test_many_concurrent_starts_on_a_fresh_folder(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    outcomes = []
    for trial in range(3):
        barrier, results = context.Barrier(12), context.Queue()
        folder = str(tmp_path / f"fresh-{trial}")
        processes = [context.Process(target=_start, args=(folder, barrier, results))
                     for _ in range(12)]
        for process in processes:
            process.start()
        outcomes += [results.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(60)
    assert outcomes == ["ok"] * len(outcomes)


@pytest.mark.slow
def test_two_batch_runs_on_one_run_folder_make_one_batch(gold: EvalSuite, tmp_path: Path) -> None:
    done = threading.Event()
    holding = threading.Event()

    def hold_upload() -> None:
        # The first run has saved its state and is uploading. The second run used to read that
        # state now, find no batch in it and retry every line live ("never created").
        holding.set()
        done.wait(1.0)

    options = BatchOptions(sleep=lambda _s: None)
    results: list[SuiteResult] = []
    with OpenAICompatServer(responder=judge_responder()) as server:
        server.batch_script.on_upload = hold_upload
        resolve = default_model_resolver(base_url=server.base_url, api_key="test")

        def one() -> None:
            results.append(run_suite(gold, resolve_model=resolve, runs_dir=tmp_path / "runs",
                                     batch=options))
            done.set()

        first = threading.Thread(target=one)
        first.start()
        assert holding.wait(30)
        second = threading.Thread(target=one)
        second.start()
        first.join(60)
        second.join(60)
        batches = sum(1 for r in server.requests if r.method == "POST" and r.path == "/v1/batches")
        live = len(server.chat_requests)
    assert len(results) == 2
    assert batches == 1
    assert live == 0  # every line answered by the one batch; nothing retried live
    for result in results:
        assert result.batch is not None and "never" not in result.batch, result.batch
        assert not result.failed
    assert verdicts(results[0]) == verdicts(results[1])
