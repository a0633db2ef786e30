"""concurrency: the adaptive limit against fixed limits, and batch mode against live calls.

What is measured, all with `roleplay.evals.run_suite` over the gold suite (copied up to 100
cases; ``--quick``: 12), the scripted judge of `roleplay.testing` behind the local server, an
empty cache and run folder per run:

1. **Latency-bound** (300 ms per answer, no faults; quick: 50 ms): wall time of the new
   default (adaptive, start 8, at most 32) against the old default (a fixed limit of 4). The
   ratio is new / old: below 1 is faster.
2. **Request budget** (every third request answered 429 with ``retry-after-ms: 20``, and every
   request inside that window too): total requests and lost cases of the adaptive limit
   against a fixed limit of 8 (the new start). ``ratio`` in the JSON line is this one:
   adaptive requests / fixed requests.
3. **Concurrency cap** (429 to a request that finds 6 others being answered, 100 ms per
   answer; quick: 20 ms): the same comparison.
4. **Batch**: HTTP requests of a ``batch=`` run (upload, create, polls, downloads) against
   the chat requests of a live run; the batch's lines are billed at the provider's batch rate.

The baselines run in the same process, on the same server and cases, just before or after.
Run it alone with ``python -m benchmarks.concurrency [--quick]``.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._common import API_KEY, Result, load_gold, print_result, r4
from roleplay.evals import EvalSuite, run_suite
from roleplay.evals.batch import BatchOptions
from roleplay.evals.runner import default_model_resolver
from roleplay.testing import OpenAICompatServer, judge_responder

NAME = "concurrency"


def _cases(suite: EvalSuite, n: int) -> EvalSuite:
    judged = [c for c in suite.cases if "degenerate" not in c.id]
    cases = tuple(dataclasses.replace(judged[i % len(judged)], id=f"{judged[i % len(judged)].id}"
                                      f"-r{i // len(judged)}") for i in range(n))
    return dataclasses.replace(suite, cases=cases)


def _run(suite: EvalSuite, server: OpenAICompatServer, **kwargs: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="roleplay-bench-") as tmp:
        before = len(server.requests)
        chat_before = len(server.chat_requests)
        limited_before = server.rate_limited
        start = time.perf_counter()
        result = run_suite(suite, resolve_model=default_model_resolver(
            base_url=server.base_url, api_key=API_KEY), runs_dir=Path(tmp), **kwargs)
        wall = time.perf_counter() - start
    return {"wall_s": wall, "requests": len(server.requests) - before,
            "chat_requests": len(server.chat_requests) - chat_before,
            "rate_limited": server.rate_limited - limited_before,
            "lost": len(result.failed), "concurrency": result.concurrency or ""}


def run(quick: bool = False) -> Result:
    """Run the four comparisons (12 cases and short latencies with ``quick``)."""
    logging.getLogger("roleplay").setLevel(logging.ERROR)  # the fixed runs lose cases loudly
    n = 12 if quick else 100
    suite = _cases(load_gold(), n)
    out: dict[str, dict[str, Any]] = {}
    latency = 0.05 if quick else 0.3
    with OpenAICompatServer(responder=judge_responder(), latency=latency) as server:
        out["latency_old_fixed4"] = _run(suite, server, concurrency=4, adaptive=False)
        out["latency_new_adaptive"] = _run(suite, server)
    with OpenAICompatServer(responder=judge_responder(), rate_limit_every=3,
                            limit_retry_after_ms=20) as server:
        out["budget_fixed8"] = _run(suite, server, concurrency=8, adaptive=False)
        out["budget_adaptive"] = _run(suite, server)
    with OpenAICompatServer(responder=judge_responder(), latency=0.02 if quick else 0.1,
                            concurrency_limit=6, limit_retry_after_ms=20) as server:
        out["cap_fixed8"] = _run(suite, server, concurrency=8, adaptive=False)
        out["cap_adaptive"] = _run(suite, server)
    with OpenAICompatServer(responder=judge_responder()) as server:
        out["live"] = _run(suite, server)
        out["batch"] = _run(suite, server, batch=BatchOptions(sleep=lambda _s: None))

    def ratio(a: str, b: str, key: str) -> float:
        return out[a][key] / out[b][key] if out[b][key] else 0.0

    data = {
        "cases": n,
        "latency_wall_ratio": r4(ratio("latency_new_adaptive", "latency_old_fixed4", "wall_s")),
        "budget_requests_adaptive": out["budget_adaptive"]["requests"],
        "budget_requests_fixed8": out["budget_fixed8"]["requests"],
        "budget_lost_adaptive": out["budget_adaptive"]["lost"],
        "budget_lost_fixed8": out["budget_fixed8"]["lost"],
        "cap_requests_ratio": r4(ratio("cap_adaptive", "cap_fixed8", "requests")),
        "batch_http_requests": out["batch"]["requests"],
        "live_http_requests": out["live"]["requests"],
        "ratio": r4(ratio("budget_adaptive", "budget_fixed8", "requests")),
    }
    rows = [[name, f"{r['wall_s']:.2f}", str(r["requests"]), str(r["rate_limited"]),
             str(r["lost"])] for name, r in out.items()]
    notes = [
        f"{n} cases. Latency-bound: new default / old fixed 4 wall = "
        f"{data['latency_wall_ratio']:.2f}x. Request budget: adaptive / fixed 8 requests = "
        f"{data['ratio']:.2f}x. Concurrency cap: {data['cap_requests_ratio']:.2f}x. Batch: "
        f"{data['batch_http_requests']} HTTP requests against {data['live_http_requests']} live.",
        *(f"{name}: {r['concurrency']}" for name, r in out.items() if r["concurrency"]),
    ]
    return Result(NAME, "concurrency: adaptive limit and batch mode",
                  ["run", "seconds", "requests", "429s", "lost cases"], rows, data, notes)


if __name__ == "__main__":
    print_result(run(quick="--quick" in sys.argv[1:]), sys.stdout)
