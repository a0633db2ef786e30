"""The one run engine: the judge cache on every path that judges, and the run store.

The first three tests count the requests the local OpenAI-compatible server receives: an
unchanged transcript is never paid for twice, whichever command judged it first.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from roleplay.cli import main
from roleplay.cli._bulk import run_bulk
from roleplay.errors import ConfigError, ModelAPIError, QuotaExceededError
from roleplay.evals import (
    Item,
    ItemResult,
    RunOptions,
    RunStore,
    evaluate_many,
    load_suite,
    run_suite,
)
from roleplay.evaluate import Evaluator
from roleplay.importing import load_transcript
from roleplay.llm.base import ChatRequest
from roleplay.rubric import load_rubric
from roleplay.testing import FunctionChatModel, OpenAICompatServer, judge_responder

DATA = Path(__file__).parent / "data"
MINI = DATA / "suites" / "mini"
GOLD = Path(__file__).resolve().parent.parent / "evals" / "gold" / "cases"


@pytest.fixture
def server() -> Iterator[OpenAICompatServer]:
    with OpenAICompatServer(responder=judge_responder()) as srv:
        yield srv


@pytest.fixture
def endpoint(server: OpenAICompatServer) -> list[str]:
    return ["--base-url", server.base_url, "--api-key", "test", "--model", "gpt-4o-mini"]


def test_evaluate_one_file_twice_pays_once(server: OpenAICompatServer, endpoint: list[str],
                                           tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["evaluate", str(DATA / "transcripts" / "strong.txt"), *endpoint, "--format", "json",
            "--cache-dir", str(tmp_path / "cache")]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert len(server.chat_requests) == 1 and first["judge_calls"] == 1
    assert main(argv) == 0
    second = json.loads(capsys.readouterr().out)
    assert len(server.chat_requests) == 1  # the second run made no model call
    assert second["judge_calls"] == 0 and second["cache_hits"] == 1
    assert [c["score"] for c in second["criteria"]] == [c["score"] for c in first["criteria"]]
    assert main([*argv, "--no-cache"]) == 0
    assert len(server.chat_requests) == 2  # --no-cache pays again


def test_bulk_evaluate_without_out_dir_twice_pays_once(
        server: OpenAICompatServer, endpoint: list[str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "store"
    store.mkdir()
    for case in sorted(GOLD.glob("*.txt"))[:4]:
        shutil.copy(case, store / case.name)
    argv = ["evaluate", str(store), *endpoint, "--format", "csv"]  # the default cache folder
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert len(server.chat_requests) == 4
    assert main(argv) == 0
    assert len(server.chat_requests) == 4  # no --out-dir, yet nothing judged again
    second = capsys.readouterr().out
    scores = [line.split(",")[3] for line in first.splitlines()]
    assert [line.split(",")[3] for line in second.splitlines()] == scores


def test_a_transcript_judged_by_eval_is_not_paid_for_by_evaluate(
        server: OpenAICompatServer, endpoint: list[str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    suite = tmp_path / "suite"
    shutil.copytree(MINI, suite)
    # Settings `roleplay evaluate` can give as flags, so both commands make the same request.
    text = (suite / "suite.yaml").read_text(encoding="utf-8")
    (suite / "suite.yaml").write_text(text.replace(
        "settings: {temperature: 0, seed: 7, max_tokens: 1500}", "settings: {seed: 7}"))
    # A case's stage goes into the judge prompt; a bare transcript file has none.
    for case in (suite / "cases").glob("*.yaml"):
        lines = case.read_text(encoding="utf-8").splitlines(keepends=True)
        case.write_text("".join(line for line in lines if not line.startswith("stage:")))
    assert main(["eval", str(suite), *endpoint, "--no-progress"]) in (0, 1)
    judged = len(server.chat_requests)
    assert judged == 4
    capsys.readouterr()
    for case in sorted((suite / "cases").glob("*.txt")):
        assert main(["evaluate", str(case), *endpoint, "--seed", "7", "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["cache_hits"] == 1
    assert len(server.chat_requests) == judged  # evaluate found every reply in the cache


def test_bulk_never_changes_the_callers_evaluator(tmp_path: Path) -> None:
    seen: list[bool] = []
    rubric = load_rubric()

    def reply(request: ChatRequest) -> str:
        seen.append(evaluator.judge_model is model)
        return _reply()

    model = FunctionChatModel(reply)
    evaluator = Evaluator(rubric, model)
    files = sorted(GOLD.glob("*.txt"))[:3]
    run = run_bulk(files, evaluator, load_transcript, RunOptions(concurrency=2),
                   out_dir=tmp_path / "out")
    assert all(item.evaluation is not None for item in run.items)
    assert seen == [True, True, True]  # not even while the run had its limiter on it
    assert evaluator.judge_model is model


def _reply() -> str:
    out = {}
    for c in load_rubric().criteria:
        part: dict[str, object] = {"evidence": [], "reason": "Fine.", "applicable": True,
                                   "score": 3}
        if c.checklist:
            part = {"checklist": {i.id: False for i in c.checklist}, **part}
        out[c.id] = part
    return json.dumps(out)


def test_one_fatal_rule_stops_the_run_but_a_failing_item_does_not() -> None:
    strong = load_transcript(DATA / "transcripts" / "strong.txt")
    weak = load_transcript(DATA / "transcripts" / "weak_close.txt")

    def flaky(request: ChatRequest) -> str:
        if strong.turns[1].text in request.messages[-1].content:
            raise ModelAPIError("endpoint down")
        return _reply()

    kept: list[ItemResult] = []
    items = [Item("a", strong), Item("b", weak)]
    many = evaluate_many(items, Evaluator(load_rubric(), FunctionChatModel(flaky)),
                         on_result=kept.append)
    assert list(many.failed) == ["a"] and "endpoint down" in many.failed["a"]
    assert many.results["b"].evaluation is not None and sorted(r.key for r in kept) == ["a", "b"]
    assert list(many.results) == ["a", "b"]  # in item order, whichever finished first

    def broke(request: ChatRequest) -> str:
        raise QuotaExceededError("no quota left")

    with pytest.raises(QuotaExceededError):
        evaluate_many(items, Evaluator(load_rubric(), FunctionChatModel(broke)))


def test_evaluate_many_refuses_suite_options_and_unknown_ones() -> None:
    evaluator = Evaluator(signals_only=True)
    with pytest.raises(ConfigError, match="samples: options of suite runs"):
        evaluate_many([], evaluator, RunOptions(samples=3))
    with pytest.raises(ConfigError, match="unknown run option.*concurency"):
        RunOptions().updated(concurency=4)
    with pytest.raises(ConfigError, match="unknown run option"):
        run_suite(load_suite(MINI), signals_only=True, concurency=4)


def test_the_store_lists_a_renamed_run_folder_by_its_note(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    result = run_suite(load_suite(MINI), RunOptions(signals_only=True, runs_dir=runs))
    assert [r.name for r in RunStore(runs).runs()] == [result.run_dir.name]
    result.run_dir.rename(runs / "before-the-release")
    (listed,) = RunStore(runs).runs()
    assert (listed.name, listed.suite_id, listed.mode, listed.samples) == (
        "before-the-release", "mini", "signals_only", 1)
