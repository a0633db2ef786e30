"""Smoke test of ``python -m benchmarks --quick``: every benchmark runs and reports its keys.

Not a timed test: nothing here asserts on speed. It checks that each benchmark prints a table
and exactly one JSON line with the keys benchmarks/README.md documents, and the call and token
counts that do not depend on the machine.
"""

from __future__ import annotations

import importlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

# Slow: `pytest -m "not slow"` leaves this file out of the inner loop; CI runs it.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

KEYS = {
    "overhead": ["benchmark", "turns", "sdk_median_ms", "adapter_median_ms", "engine_median_ms",
                 "overhead_ms", "adapter_ratio", "goal", "ratio"],
    "judge_economy": ["benchmark", "transcripts", "judged_transcripts", "calls",
                      "calls_per_transcript", "calls_per_judged_transcript",
                      "max_calls_per_transcript", "prompt_tokens_per_transcript",
                      "completion_tokens_per_transcript", "schema_tokens_per_call",
                      "floor_prompt_tokens_per_transcript",
                      "per_criterion_calls_per_transcript",
                      "per_criterion_prompt_tokens_per_transcript", "per_criterion_ratio",
                      "ratio_with_schema", "ratio"],
    "prompt_cache": ["benchmark", "requests", "prompt_tokens", "shared_prefix_tokens_min",
                     "shared_prefix_share", "cached_tokens", "goal_share", "model",
                     "cost_without_cache_usd", "cost_with_cache_usd", "ratio"],
    "suite_wall": ["benchmark", "cases", "calls", "latency_s", "concurrency", "runs", "wall_s",
                   "ideal_s", "ratio"],
    "rerun_calls": ["benchmark", "cases", "first_run_calls", "unchanged_calls",
                    "unchanged_no_resume_calls", "threshold_edit_calls", "anchor_edit_calls",
                    "threshold_edit_ratio", "anchor_edit_ratio", "goal", "ratio"],
    "trimming": ["benchmark", "turns", "interviewer_calls", "budget_small", "budget_huge",
                 "trimmed_prompt_tokens", "untrimmed_prompt_tokens", "trimmed_largest_request",
                 "untrimmed_largest_request", "ratio"],
    "concurrency": ["benchmark", "cases", "latency_wall_ratio", "budget_requests_adaptive",
                    "budget_requests_fixed8", "budget_lost_adaptive", "budget_lost_fixed8",
                    "cap_requests_ratio", "batch_http_requests", "live_http_requests", "ratio"],
    "fault_matrix": ["benchmark", "cases", "rates", "lost", "wrong_verdicts", "requests",
                     "wall_s", "ratio"],
    "signals_scaling": ["benchmark", "turns", "seconds", "ratio"],
}
TITLES = {
    "overhead": "median time per interviewer turn",
    "judge_economy": "judge calls and tokens per judged transcript",
    "prompt_cache": "judge prompt tokens a provider can serve from its cache",
    "suite_wall": "eval suite wall time",
    "rerun_calls": "judge calls per re-run",
    "trimming": "total prompt tokens of one interview",
    "concurrency": "adaptive limit and batch mode",
    "fault_matrix": "cases lost, requests and wall time under failing requests",
    "signals_scaling": "time per turn",
}


@pytest.fixture(scope="module")
def cli() -> Iterator[ModuleType]:
    """``benchmarks.__main__``, importable from the repository root."""
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(ROOT))
        # A user's endpoint settings must never reach the benchmarks: they use the local server.
        mp.setenv("OPENAI_BASE_URL", "http://192.0.2.1:9/v1")
        mp.delenv("OPENAI_API_KEY", raising=False)
        yield importlib.import_module("benchmarks.__main__")


@pytest.fixture(scope="module")
def quick_run(cli: ModuleType) -> tuple[int, str]:
    """One ``--quick`` run of every benchmark: (exit status, output)."""
    out = io.StringIO()
    status = cli.main(["--quick"], out=out)
    return status, out.getvalue()


def sections(output: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Per benchmark: the text printed before its JSON line, and the parsed line."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    before: list[str] = []
    for line in output.splitlines():
        if line.startswith('{"benchmark"'):
            data = json.loads(line)
            assert data["benchmark"] not in found, f"two JSON lines for {data['benchmark']}"
            found[data["benchmark"]] = ("\n".join(before), data)
            before = []
        else:
            before.append(line)
    return found


@pytest.mark.parametrize("name", list(KEYS))
def test_each_benchmark_prints_a_table_and_one_json_line(
    quick_run: tuple[int, str], name: str
) -> None:
    status, output = quick_run
    assert status == 0, output
    found = sections(output)
    assert list(found) == list(KEYS)  # every benchmark, in the documented order
    table, data = found[name]
    assert f"{name}: {TITLES[name]}" in table
    assert "┃" in table or "|" in table  # a table, not just the title
    assert list(data) == KEYS[name]
    assert isinstance(data["ratio"], (int, float)) and data["ratio"] >= 0


def test_the_counts_that_do_not_depend_on_the_machine(quick_run: tuple[int, str]) -> None:
    found = {name: data for name, (_, data) in sections(quick_run[1]).items()}
    economy = found["judge_economy"]
    assert economy["calls_per_transcript"] == 1.0 and economy["max_calls_per_transcript"] == 1
    assert 0 < economy["floor_prompt_tokens_per_transcript"] < (
        economy["prompt_tokens_per_transcript"])
    assert economy["per_criterion_calls_per_transcript"] == 16

    cache = found["prompt_cache"]
    assert cache["requests"] == 4 and cache["shared_prefix_tokens_min"] >= 1024
    assert cache["shared_prefix_share"] >= cache["goal_share"]
    assert 0 < cache["cached_tokens"] < cache["prompt_tokens"] and 0 < cache["ratio"] < 1

    rerun = found["rerun_calls"]
    assert rerun["first_run_calls"] == rerun["cases"] == 3
    assert rerun["unchanged_calls"] == rerun["unchanged_no_resume_calls"] == 0
    assert rerun["threshold_edit_calls"] == 0 and rerun["ratio"] == 0.0
    assert rerun["anchor_edit_calls"] == rerun["first_run_calls"]

    trimming = found["trimming"]
    assert trimming["interviewer_calls"] == trimming["turns"] // 2
    assert trimming["trimmed_prompt_tokens"] < trimming["untrimmed_prompt_tokens"]
    assert trimming["trimmed_largest_request"] <= trimming["budget_small"]
    assert trimming["untrimmed_largest_request"] > trimming["budget_small"]

    wall = found["suite_wall"]
    assert wall["calls"] == wall["cases"] and wall["ideal_s"] == pytest.approx(wall["latency_s"])
    assert found["overhead"]["turns"] == 12

    limits = found["concurrency"]
    assert limits["live_http_requests"] == limits["cases"] == 12  # one judge call per case
    assert limits["batch_http_requests"] < limits["live_http_requests"]  # polls are scripted

    matrix = found["fault_matrix"]
    runs = ["fault-free", "10% failing", "30% failing", "60% failing"]
    assert matrix["rates"] == [0.1, 0.3, 0.6] and list(matrix["lost"]) == runs
    assert set(matrix["lost"].values()) == {0} and set(matrix["wrong_verdicts"].values()) == {0}
    assert matrix["requests"]["fault-free"] == matrix["cases"] == 10
    assert matrix["requests"]["60% failing"] > matrix["requests"]["fault-free"]


def test_json_only_prints_nothing_but_the_json_lines(cli: ModuleType) -> None:
    out = io.StringIO()
    assert cli.main(["trimming", "--quick", "--json-only"], out=out) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["benchmark"] == "trimming"


def test_an_unknown_benchmark_is_a_usage_error(
    cli: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["nope"])
    assert exit_info.value.code == 2
    assert "unknown benchmark 'nope'" in capsys.readouterr().err
