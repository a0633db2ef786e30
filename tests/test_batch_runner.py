"""``run_suite(batch=...)`` against the local server's Batch API: same verdicts as live, resume,
expiry, failed lines and re-asks made live."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from roleplay.errors import ConfigError
from roleplay.evals.batch import STATE_FILE, BatchOptions
from roleplay.evals.records import SuiteResult
from roleplay.evals.runner import default_model_resolver, run_suite
from roleplay.evals.suite import EvalSuite, load_suite
from roleplay.llm.batch import BatchStatus
from roleplay.testing import OpenAICompatServer, judge_responder

# Slow: `pytest -m "not slow"` leaves this file out of the inner loop; CI runs it.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
NO_WAIT = BatchOptions(sleep=lambda _s: None)


@pytest.fixture(scope="module")
def gold() -> EvalSuite:
    return load_suite(ROOT / "evals" / "gold")


@pytest.fixture
def server() -> Iterator[OpenAICompatServer]:
    with OpenAICompatServer(responder=judge_responder()) as srv:
        yield srv


def _run(suite: EvalSuite, server: OpenAICompatServer, runs: Path, *,
         batch: BatchOptions | None = None, **kwargs: Any) -> SuiteResult:
    resolve = default_model_resolver(base_url=server.base_url, api_key="test")
    return run_suite(suite, resolve_model=resolve, runs_dir=runs, batch=batch, **kwargs)


def _posts(server: OpenAICompatServer, path: str) -> int:
    return sum(1 for r in server.requests if r.method == "POST" and r.path == path)


def _verdicts(result: SuiteResult) -> dict[str, Any]:
    # Everything the evaluation decided, per case; usage and timings aside.
    out = {}
    for case_id, record in result.records.items():
        evaluation = record.evaluation or {}
        out[case_id] = {
            "verdicts": {k: v.model_dump() for k, v in record.verdicts.items()},
            "criteria": evaluation.get("criteria"), "overall": evaluation.get("overall"),
            "flags": evaluation.get("flags"), "judge_calls": record.judge_calls,
        }
    return out


@pytest.fixture(scope="module")
def live_gold(gold: EvalSuite, tmp_path_factory: pytest.TempPathFactory) -> SuiteResult:
    with OpenAICompatServer(responder=judge_responder()) as srv:
        return _run(gold, srv, tmp_path_factory.mktemp("live"))


def test_batch_verdicts_equal_the_live_run_on_the_same_replies(
        gold: EvalSuite, live_gold: SuiteResult, server: OpenAICompatServer,
        tmp_path: Path) -> None:
    result = _run(gold, server, tmp_path, batch=NO_WAIT)
    assert result.complete and live_gold.complete
    assert _verdicts(result) == _verdicts(live_gold)
    assert result.judge_calls == live_gold.judge_calls > 0
    # Every judge call went through the batch: one upload, one batch, no live chat request.
    assert _posts(server, "/v1/files") == 1 and _posts(server, "/v1/batches") == 1
    assert server.chat_requests == []
    assert server.batch_lines_run == live_gold.judge_calls
    assert result.batch is not None and "0 live judge call(s)" in result.batch
    state = json.loads((result.run_dir / STATE_FILE).read_text())
    assert state["consumed"] is True and [p["status"] for p in state["parts"]] == ["completed"]
    assert len(state["lines"]) == live_gold.judge_calls
    assert {line["item"] for line in state["lines"].values()} <= {c.id for c in gold.cases}


def test_a_killed_batch_run_resumes_the_same_batch_without_uploading_again(
        gold: EvalSuite, live_gold: SuiteResult, server: OpenAICompatServer,
        tmp_path: Path) -> None:
    server.batch_script.polls = 3

    def kill(status: BatchStatus) -> None:
        if status.status == "in_progress":
            raise KeyboardInterrupt

    caught: list[BaseException] = []

    def target() -> None:
        try:
            _run(gold, server, tmp_path, batch=BatchOptions(sleep=lambda _s: None, on_poll=kill))
        except BaseException as exc:  # noqa: BLE001 - the interrupt is the point
            caught.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    assert len(caught) == 1 and isinstance(caught[0], KeyboardInterrupt)
    (run_dir,) = tmp_path.iterdir()
    saved = json.loads((run_dir / STATE_FILE).read_text())
    (part,) = saved["parts"]
    assert part["batch_id"].startswith("batch_") and saved["consumed"] is False
    assert not (run_dir / "cases").exists()  # nothing recorded before the results came
    assert _posts(server, "/v1/files") == 1

    result = _run(gold, server, tmp_path, batch=NO_WAIT)
    assert _posts(server, "/v1/files") == 1 and _posts(server, "/v1/batches") == 1
    assert result.batch is not None and part["batch_id"] in result.batch
    assert "resumed" in result.batch
    assert server.chat_requests == []
    assert _verdicts(result) == _verdicts(live_gold)


def test_lines_of_an_expired_batch_that_never_ran_are_retried_live(
        gold: EvalSuite, live_gold: SuiteResult, server: OpenAICompatServer,
        tmp_path: Path) -> None:
    server.batch_script.expire_after = 10
    result = _run(gold, server, tmp_path, batch=NO_WAIT)
    unrun = live_gold.judge_calls - 10
    assert result.complete
    assert len(server.chat_requests) == unrun and server.batch_lines_run == 10
    assert result.batch is not None
    assert "(created, expired)" in result.batch
    assert f"0 failed and {unrun} never ran, retried live" in result.batch
    assert _verdicts(result) == _verdicts(live_gold)


def test_failed_lines_are_retried_live(gold: EvalSuite, live_gold: SuiteResult,
                                       server: OpenAICompatServer, tmp_path: Path) -> None:
    server.batch_script.fail_every = 4
    result = _run(gold, server, tmp_path, batch=NO_WAIT)
    failed = live_gold.judge_calls // 4
    assert result.complete and len(server.chat_requests) == failed
    assert result.batch is not None and f"{failed} failed and 0 never ran" in result.batch
    assert _verdicts(result) == _verdicts(live_gold)


def test_a_reask_after_an_invalid_batch_reply_is_made_live(
        gold: EvalSuite, tmp_path: Path) -> None:
    target = gold.cases[0]
    judge = judge_responder()
    marker = f"[T1][INTERVIEWER] {target.transcript.turns[0].text}"

    def responder(body: dict[str, Any]) -> Any:
        first_attempt = len(body["messages"]) == 2
        if first_attempt and marker in body["messages"][1]["content"]:
            return "not json at all"
        return judge(body)

    suite = dataclasses.replace(gold, cases=(target, *gold.cases[1:4]))
    with OpenAICompatServer(responder=responder) as live_server:
        live = _run(suite, live_server, tmp_path / "live")
    with OpenAICompatServer(responder=responder) as batch_server:
        batched = _run(suite, batch_server, tmp_path / "batch", batch=NO_WAIT)
        # The first reply came from the batch; its re-ask can only be made once it was read.
        (reask,) = batch_server.chat_requests
        assert len(reask.body["messages"]) == 4
    assert live.records[target.id].judge_calls == 2
    assert _verdicts(batched) == _verdicts(live)


def test_a_batch_run_uses_the_judge_cache_like_a_live_one(
        gold: EvalSuite, server: OpenAICompatServer, tmp_path: Path) -> None:
    from roleplay.cache import SQLiteJudgeCache

    suite = dataclasses.replace(gold, cases=gold.cases[:6])
    with SQLiteJudgeCache(tmp_path / "cache.sqlite") as cache:
        first = _run(suite, server, tmp_path / "a", batch=NO_WAIT, cache=cache)
        second = _run(suite, server, tmp_path / "b", batch=NO_WAIT, cache=cache)
    assert first.judge_calls > 0 and second.judge_calls == 0
    assert second.cache_hits == first.judge_calls
    assert _posts(server, "/v1/batches") == 1  # nothing left to send the second time
    assert second.batch is not None and "nothing to send" in second.batch
    assert _verdicts(second) == {k: {**v, "judge_calls": 0} for k, v in _verdicts(first).items()}


def test_batch_mode_refuses_signals_only_and_budgets(gold: EvalSuite,
                                                     server: OpenAICompatServer,
                                                     tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--batch"):
        _run(gold, server, tmp_path, batch=NO_WAIT, signals_only=True)
    with pytest.raises(ConfigError, match="--batch"):
        _run(gold, server, tmp_path, batch=NO_WAIT, max_cost=1.0)


def test_a_big_job_is_split_into_batches_within_the_limits(
        gold: EvalSuite, live_gold: SuiteResult, server: OpenAICompatServer,
        tmp_path: Path) -> None:
    options = BatchOptions(sleep=lambda _s: None, max_lines=10)
    result = _run(gold, server, tmp_path, batch=options)
    parts = -(-live_gold.judge_calls // 10)
    assert _posts(server, "/v1/files") == parts and _posts(server, "/v1/batches") == parts
    state = json.loads((result.run_dir / STATE_FILE).read_text())
    assert [len(p["custom_ids"]) for p in state["parts"]][:-1] == [10] * (parts - 1)
    assert result.batch is not None and result.batch.startswith("batches ")
    assert server.chat_requests == []
    assert _verdicts(result) == _verdicts(live_gold)


def test_several_samples_per_case_each_get_their_own_line(
        gold: EvalSuite, tmp_path: Path) -> None:
    suite = dataclasses.replace(gold, cases=gold.cases[:5])
    with OpenAICompatServer(responder=judge_responder()) as live_server:
        live = _run(suite, live_server, tmp_path / "live", samples=3)
    with OpenAICompatServer(responder=judge_responder()) as batch_server:
        batched = _run(suite, batch_server, tmp_path / "batch", batch=NO_WAIT, samples=3)
        assert batch_server.chat_requests == []
        assert batch_server.batch_lines_run == live.judge_calls
    assert live.judge_calls == 3 * sum(1 for r in live.records.values() if r.judge_calls)
    assert _verdicts(batched) == _verdicts(live)
