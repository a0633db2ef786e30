"""suite_wall: wall time of an eval-suite run against the ideal set by latency and concurrency.

What is measured: `roleplay.evals.run_suite` over the gold suite with a fixed concurrency of 16
(the adaptive limit off, so the ideal below is what runs), the judge (`AsyncOpenAIChatModel`)
pointed at the local server, which waits 300 ms before every answer
(``latency``), an empty judge cache and an empty run folder (fresh temporary directory), so
every judged case costs one call. The wall time covers the whole `run_suite` call: planning
and estimates, signals, request building, the calls, quote verification, policy, coaching,
saving each case record and the agreement statistics.

The baseline is the ideal a perfect scheduler could reach with the same calls:
``latency x ceil(calls / concurrency)`` (each wave of 16 concurrent calls takes one latency,
and nothing else takes any time). ``ratio`` = measured / ideal; 1.0 is the floor. The server
runs in the same process, so its request handling competes with the library for the CPU and
counts against the library: the ratio is conservative. The fake judge's verdicts are computed
before the clock starts. After an untimed warm-up run without latency, the median of 3 runs is
reported (``--quick``: 3 cases, 50 ms latency, no warm-up, 1 run).
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks._common import MODEL, Result, SignalsJudge, async_resolver, load_gold, r4
from roleplay.cache import SQLiteJudgeCache
from roleplay.evals import EvalSuite, run_suite
from roleplay.evaluate import Evaluator
from roleplay.rubric import load_rubric
from roleplay.testing import OpenAICompatServer

NAME = "suite_wall"
CONCURRENCY = 16


def _once(suite: EvalSuite, server: OpenAICompatServer) -> tuple[float, int]:
    """One cold run: (wall seconds, chat calls the server received)."""
    with tempfile.TemporaryDirectory(prefix="roleplay-bench-") as tmp:
        cache = SQLiteJudgeCache.in_dir(tmp, model=MODEL)
        try:
            before = len(server.chat_requests)
            start = time.perf_counter()
            result = run_suite(suite, resolve_model=async_resolver(server.base_url),
                               cache=cache, runs_dir=Path(tmp) / "runs",
                               concurrency=CONCURRENCY, adaptive=False)
            wall = time.perf_counter() - start
        finally:
            cache.close()
    if not result.complete:
        raise RuntimeError(f"the suite run was incomplete: failed {sorted(result.failed)}, "
                           f"not run {result.not_run}")
    return wall, len(server.chat_requests) - before


def run(quick: bool = False) -> Result:
    """Run the gold suite cold (3 cases at 50 ms with ``quick``) and compare with the ideal."""
    suite = load_gold(3 if quick else None)
    latency = 0.05 if quick else 0.3
    repeats = 1 if quick else 3
    rubric = load_rubric(suite.rubric_ref())
    judge = SignalsJudge(rubric)
    judge.prime(Evaluator(rubric).judge_request(c.transcript) for c in suite.cases)
    with OpenAICompatServer(responder=judge) as server:
        if not quick:
            _once(suite, server)  # warm-up without latency: imports, tokenizer, schemas
        server.latency = latency
        runs = [_once(suite, server) for _ in range(repeats)]
    walls = [wall for wall, _ in runs]
    calls = runs[0][1]
    if any(c != calls for _, c in runs):
        raise RuntimeError(f"the runs made different numbers of calls: {[c for _, c in runs]}")
    wall = statistics.median(walls)
    waves = math.ceil(calls / CONCURRENCY)
    ideal = latency * waves
    ratio = wall / ideal if ideal else 0.0
    data = {
        "cases": len(suite.cases),
        "calls": calls,
        "latency_s": latency,
        "concurrency": CONCURRENCY,
        "runs": repeats,
        "wall_s": r4(wall),
        "ideal_s": r4(ideal),
        "ratio": r4(ratio),
    }
    rows = [
        ["ideal: latency x ceil(calls / concurrency)", f"{ideal:.3f}", "1.00x"],
        [f"run_suite, cold (median of {repeats})", f"{wall:.3f}", f"{ratio:.2f}x"],
    ]
    notes = [
        f"{len(suite.cases)} cases, {calls} judge calls, {latency * 1000:.0f} ms server latency, "
        f"concurrency {CONCURRENCY}: {waves} wave(s). Runs: "
        + ", ".join(f"{w:.3f} s" for w in walls) + ".",
    ]
    return Result(NAME, "suite_wall: eval suite wall time", ["run", "seconds", "vs ideal"],
                  rows, data, notes)
