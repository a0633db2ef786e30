"""The fault matrix: eval runs through failing endpoints lose nothing and change no verdict.

Failure rates (10, 30, 60 % of requests answered 429, 500 or held past the timeout), latency,
an outage, two concurrent runs on one cache, and ``kill -9`` of a run at random points then a
resume. Every scenario asserts: no case lost, every record readable, every verdict equal to a
fault-free run. Retry waits come from the retry policy (milliseconds) or a fake clock, so the
whole matrix runs in seconds. ``python -m benchmarks fault_matrix`` reports the same figures.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks.fault_matrix import (
    RATES,
    cases,
    faults,
    lost,
    matrix,
    resolver,
    run_once,
    verdicts,
)
from roleplay.cache import SQLiteJudgeCache
from roleplay.evals.records import CaseRecord, SuiteResult
from roleplay.evals.suite import EvalSuite, load_suite
from roleplay.llm._retry import RetryPolicy
from roleplay.testing import FakeClock, FaultSchedule, OpenAICompatServer, judge_responder
from tests.test_cli_eval import MINI
from tests.test_cli_eval import judge_responder as mini_responder

# Slow: `pytest -m "not slow"` leaves this file out of the inner loop; CI runs it.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def suite() -> EvalSuite:
    return cases(16)


@pytest.fixture(scope="module")
def reference(suite: EvalSuite, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    with OpenAICompatServer(responder=judge_responder()) as server:
        result, _ = run_once(suite, server, tmp_path_factory.mktemp("clean"))
    assert not lost(result)
    return verdicts(result)


def intact(result: SuiteResult, reference: dict[str, Any]) -> None:
    assert lost(result) == []
    assert verdicts(result) == reference
    for case in result.records:
        path = result.run_dir / "cases" / f"{case}.json"
        CaseRecord.model_validate_json(path.read_text(encoding="utf-8"))


def test_failure_rates(suite: EvalSuite, reference: dict[str, Any]) -> None:
    out = matrix(suite, seed=3)
    assert list(out) == ["fault-free", *(f"{rate:.0%} failing" for rate in RATES)]
    for name, figures in out.items():
        assert figures["lost"] == 0, name
        assert figures["wrong"] == 0, name
    assert out["10% failing"]["injected"] >= 1
    assert out["10% failing"]["injected"] < out["30% failing"]["injected"] < \
        out["60% failing"]["injected"]
    # Every fault cost exactly one more request: nothing was paid twice, nothing skipped.
    for name, figures in out.items():
        assert figures["requests"] == len(suite.cases) + figures["injected"], name


@pytest.mark.parametrize("kind", ["500", "429", "timeout"])
def test_each_fault_kind_at_30_percent(suite: EvalSuite, reference: dict[str, Any],
                                       tmp_path: Path, kind: str) -> None:
    with OpenAICompatServer(responder=judge_responder()) as server:
        server.schedule = FaultSchedule(0.3, faults=faults([kind]), seed=7)
        result, _ = run_once(suite, server, tmp_path)
        assert server.schedule.injected >= 1
    intact(result, reference)


def test_latency_and_failures_together(suite: EvalSuite, reference: dict[str, Any],
                                       tmp_path: Path) -> None:
    with OpenAICompatServer(responder=judge_responder(), latency=0.05) as server:
        server.schedule = FaultSchedule(0.3, faults=faults(["500", "429"]), seed=11)
        result, _ = run_once(suite, server, tmp_path)
    intact(result, reference)


def test_an_outage_is_outlasted_by_the_default_retry_budget(suite: EvalSuite,
                                                            reference: dict[str, Any],
                                                            tmp_path: Path) -> None:
    # Ten seconds of 503s and refused connections on a fake clock that the retry waits move.
    clock = FakeClock()
    with OpenAICompatServer(responder=judge_responder()) as server:
        server.schedule = FaultSchedule(outages=[(0.0, 10.0)], clock=clock)
        resolve = resolver(server, RetryPolicy(), sleep=clock.asleep)
        result, _ = run_once(suite, server, tmp_path, resolve_model=resolve)
        assert server.schedule.injected >= 1
    assert clock() >= 10.0
    intact(result, reference)


def test_two_concurrent_runs_on_one_cache_under_failures(suite: EvalSuite,
                                                         reference: dict[str, Any],
                                                         tmp_path: Path) -> None:
    results: list[SuiteResult] = []
    with OpenAICompatServer(responder=judge_responder(), latency=0.02) as server:
        server.schedule = FaultSchedule(0.3, faults=faults(), seed=5)
        caches = [SQLiteJudgeCache.in_dir(tmp_path / "cache") for _ in range(2)]

        def one(n: int) -> None:
            result, _ = run_once(suite, server, tmp_path / f"runs-{n}", cache=caches[n])
            results.append(result)

        threads = [threading.Thread(target=one, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        answered = len(server.chat_requests) - server.schedule.injected
        for cache in caches:
            cache.close()
    assert len(results) == 2
    for result in results:
        intact(result, reference)
    # Each judge call was answered once, for both runs (the other one waited or hit the cache).
    assert answered == len(suite.cases)


# -- kill -9 at random points, then resume -------------------------------------------------------

def _records(run_dir: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted((run_dir / "cases").glob("*.json")):
        out[path.stem] = json.loads(path.read_text(encoding="utf-8"))  # never half-written
    return out


def _eval(folder: Path, suite: Path, base_url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "ROLEPLAY_CACHE_DIR": str(folder)}
    env.pop("ROLEPLAY_LOG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "roleplay", "eval", str(suite), "--base-url", base_url,
         "--api-key", "t", "--no-progress", "--format", "json", "--concurrency", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("seed", [25])
def test_kill_9_at_a_random_point_then_resume(tmp_path: Path, seed: int) -> None:
    suite_dir = tmp_path / "mini"
    shutil.copytree(MINI, suite_dir)
    mini = load_suite(suite_dir)
    rng = random.Random(seed)
    with OpenAICompatServer(responder=mini_responder(suite_dir), latency=0.25) as server:
        clean, _ = run_once(mini, server, tmp_path / "clean")
        expected = {case: record.model_dump(mode="json")["verdicts"]
                    for case, record in clean.records.items()}
        assert len(expected) == len(mini.cases)
        folder = tmp_path / "killed"
        server.schedule = FaultSchedule(0.3, faults=faults(["500", "429"]), seed=1)
        victim = _eval(folder, suite_dir, server.base_url)
        # A random point: after 0, 1 or 2 finished cases, plus up to 0.2 s (mid-call).
        finished, extra = rng.randint(0, 2), rng.uniform(0.0, 0.2)
        runs = folder / "runs"
        while victim.poll() is None and len(list(runs.glob("*/cases/*.json"))) < finished:
            time.sleep(0.01)
        time.sleep(extra)
        assert victim.poll() is None, "the run ended before it could be killed"
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=60)
        assert len(list(runs.glob("*/cases/*.json"))) < len(mini.cases)
        server.schedule = None
        resumed = _eval(folder, suite_dir, server.base_url)
        _, err = resumed.communicate(timeout=60)
        assert resumed.returncode == 0, err
        records = _records(next(runs.iterdir()))
        assert {case: r["verdicts"] for case, r in records.items()} == expected
