"""fault_matrix: an eval run through a failing endpoint loses no case and changes no verdict.

What is measured, with `roleplay.evals.run_suite` over gold cases (quick: 10, else 38) and the
scripted judge of `roleplay.testing` behind the local server: a fault-free run, then one run at
each failure rate (10, 30 and 60 % of chat requests answered 500, 429 with a 10 ms hint, or
held past the client's timeout; drawn by a seeded `FaultSchedule`). For each run: cases lost
(failed or not run), verdicts that differ from the fault-free run, HTTP requests, faults
injected and wall time. Retry waits are shortened by the retry policy (a few milliseconds; a
fault-free policy otherwise), so the figures measure the retry layer, not the sleeping.

``ratio`` is the requests at 60 % failure over the fault-free requests: what a bad hour costs.
The test suite (``tests/test_fault_matrix.py``) asserts on the same runs; this only reports.
Run it alone with ``python -m benchmarks.fault_matrix [--quick]``.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._common import API_KEY, Result, load_gold, print_result, r4
from roleplay.evals import EvalSuite, run_suite
from roleplay.evals.records import SuiteResult
from roleplay.llm._retry import RetryPolicy
from roleplay.llm.base import AsyncChatModel
from roleplay.llm.openai import AsyncOpenAIChatModel
from roleplay.testing import Fault, FaultSchedule, OpenAICompatServer, judge_responder

NAME = "fault_matrix"
RATES = (0.1, 0.3, 0.6)
"""The failure rates of the matrix."""
FAST_RETRY = RetryPolicy(max_attempts=20, initial_backoff=0.002, max_backoff=0.01,
                         max_retry_seconds=60)
"""Short waits, and enough attempts that 60 % failure loses a call once in ~30,000."""
TIMEOUT = 0.3
"""Client timeout per attempt: a ``hang`` fault costs this long."""


def faults(kinds: Sequence[str] = ("500", "429", "timeout")) -> tuple[Fault, ...]:
    """The faults drawn by the schedule: ``500``, ``429`` (10 ms hint), ``timeout`` (a hang)."""
    table = {"500": Fault.server_error(500), "429": Fault.rate_limit(retry_after_ms=10),
             "timeout": Fault.hang(TIMEOUT * 4), "reset": Fault.reset()}
    return tuple(table[k] for k in kinds)


def resolver(server: OpenAICompatServer, policy: RetryPolicy = FAST_RETRY,
             **kwargs: Any) -> Any:
    """A model resolver for ``server`` with ``policy`` and a short timeout."""
    def resolve(name: str) -> AsyncChatModel:
        return AsyncOpenAIChatModel(name, base_url=server.base_url, api_key=API_KEY,
                                    retry=policy, timeout=TIMEOUT, **kwargs)

    return resolve


def verdicts(result: SuiteResult) -> dict[str, Any]:
    """Every case's verdicts, comparable across runs."""
    return {case: {k: v.model_dump() for k, v in record.verdicts.items()}
            for case, record in sorted(result.records.items())}


def lost(result: SuiteResult) -> list[str]:
    """Cases without a record: failed or never run."""
    return sorted({*result.failed, *result.not_run})


def run_once(suite: EvalSuite, server: OpenAICompatServer, runs: Path,
             **kwargs: Any) -> tuple[SuiteResult, dict[str, Any]]:
    """One run on ``server``; returns the result and its figures."""
    before = len(server.requests)
    start = time.perf_counter()
    resolve = kwargs.pop("resolve_model", None) or resolver(server)
    result = run_suite(suite, resolve_model=resolve, runs_dir=runs, **kwargs)
    return result, {"wall_s": time.perf_counter() - start,
                    "requests": len(server.requests) - before, "lost": len(lost(result))}


def matrix(suite: EvalSuite, rates: Sequence[float] = RATES, *, seed: int = 0,
           kinds: Sequence[str] = ("500", "429", "timeout")) -> dict[str, dict[str, Any]]:
    """The fault-free run and one run per failure rate, with their figures."""
    out: dict[str, dict[str, Any]] = {}
    with OpenAICompatServer(responder=judge_responder()) as server, \
            tempfile.TemporaryDirectory(prefix="roleplay-faults-") as tmp:
        clean, figures = run_once(suite, server, Path(tmp) / "clean")
        reference = verdicts(clean)
        out["fault-free"] = {**figures, "injected": 0, "wrong": 0}
        for rate in rates:
            server.schedule = FaultSchedule(rate, faults=faults(kinds), seed=seed)
            result, figures = run_once(suite, server, Path(tmp) / f"rate-{rate}")
            mine = verdicts(result)
            wrong = sum(mine.get(case) != verdict for case, verdict in reference.items()
                        if case in mine)
            out[f"{rate:.0%} failing"] = {**figures, "injected": server.schedule.injected,
                                          "wrong": wrong}
            server.schedule = None
    return out


def cases(n: int) -> EvalSuite:
    """The first ``n`` gold cases (38 at most)."""
    suite = load_gold()
    return dataclasses.replace(suite, cases=suite.cases[:n])


def run(quick: bool = False) -> Result:
    """Run the matrix (10 cases with ``quick``, else the 38 gold cases)."""
    logging.getLogger("roleplay").setLevel(logging.ERROR)  # retries are expected here
    suite = cases(10 if quick else 38)
    out = matrix(suite)
    clean = out["fault-free"]
    worst = out["60% failing"]
    data = {
        "cases": len(suite.cases),
        "rates": list(RATES),
        "lost": {name: r["lost"] for name, r in out.items()},
        "wrong_verdicts": {name: r["wrong"] for name, r in out.items()},
        "requests": {name: r["requests"] for name, r in out.items()},
        "wall_s": {name: r4(r["wall_s"]) for name, r in out.items()},
        "ratio": r4(worst["requests"] / clean["requests"]) if clean["requests"] else 0.0,
    }
    rows = [[name, str(r["lost"]), str(r["wrong"]), str(r["requests"]), str(r["injected"]),
             f"{r['wall_s']:.2f}"] for name, r in out.items()]
    notes = [f"{len(suite.cases)} cases; faults: 500, 429 (10 ms hint), a hang past the "
             f"{TIMEOUT} s timeout. 60 % failing costs {data['ratio']:.2f}x the requests of a "
             "fault-free run; no case may be lost and no verdict may change."]
    return Result(NAME, "fault_matrix: cases lost, requests and wall time under failing requests",
                  ["run", "lost cases", "wrong verdicts", "requests", "faults", "seconds"],
                  rows, data, notes)


if __name__ == "__main__":
    print_result(run(quick="--quick" in sys.argv[1:]), sys.stdout)
