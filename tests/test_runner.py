"""The suite runner with the real evaluator and a fake judge: cache, resume, budget, errors."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from factories import met_checklist

from roleplay.cache import SQLiteJudgeCache
from roleplay.errors import ConfigError, ModelAPIError, QuotaExceededError
from roleplay.evals.baseline import build_report, make_baseline
from roleplay.evals.render import render_estimate
from roleplay.evals.runner import arun_suite, estimate_suite, run_suite
from roleplay.evals.suite import EvalCase, EvalSuite, load_suite
from roleplay.llm.base import ChatRequest, ChatResponse, Usage
from roleplay.rubric import load_rubric
from roleplay.testing import FunctionChatModel
from roleplay.tokens import Price, count_messages, count_text

MINI = Path(__file__).parent / "data" / "suites" / "mini"
CASES = ["c1-strong", "c2-no-close", "c3-no-invite", "c4-injection"]
RUBRIC_FILE = Path(__file__).resolve().parent.parent / "roleplay" / "rubrics" / \
    "interview-close.yaml"


class FakeJudge:
    """Answers each judge request with the case's human labels, unless told otherwise.

    ``overrides[case][criterion]`` replaces a score; ``before(case_id, request)`` runs first
    and may raise (to simulate a failing endpoint or a kill).
    """

    def __init__(self, suite: EvalSuite,
                 overrides: dict[str, dict[str, int]] | None = None,
                 before: Callable[[str, ChatRequest], None] | None = None,
                 model_name: str = "gpt-4o-mini") -> None:
        self.suite = suite
        self.rubric = load_rubric(suite.rubric_ref())
        self.overrides = overrides or {}
        self.before = before
        self.model = FunctionChatModel(self.reply, model_name=model_name)
        self.resolved: list[str] = []

    @property
    def calls(self) -> int:
        return self.model.calls

    def resolve(self, name: str) -> FunctionChatModel:
        self.resolved.append(name)
        return self.model

    # Declared like the default resolver's, so a cached run needs no model built to know its
    # cache keys (bound methods read attributes from their function).
    resolve.endpoint = "fake://judge"  # type: ignore[attr-defined]

    def case_for(self, request: ChatRequest) -> EvalCase:
        user = request.messages[1].content
        for case in self.suite.cases:
            if f"[T1][INTERVIEWER] {case.transcript.turns[0].text}" in user:
                return case
        raise AssertionError("the judge request holds none of the suite's transcripts")

    def score(self, case: EvalCase, criterion: str, request: ChatRequest) -> int | None:
        del request
        override = self.overrides.get(case.id, {}).get(criterion)
        if override is not None:
            return override
        label = case.labels[criterion].score
        return None if label == "na" else label

    def reply(self, request: ChatRequest) -> ChatResponse:
        text = self.verdicts(request)
        # Bill like a real endpoint: the reply schema counts as prompt tokens.
        schema = request.response_format.json_schema if request.response_format else None
        prompt = count_messages(request.messages, self.model.model_name) + (
            count_text(json.dumps(schema), self.model.model_name) if schema else 0)
        usage = Usage(prompt_tokens=prompt,
                      completion_tokens=count_text(text, self.model.model_name), calls=1)
        return ChatResponse(text=text, model=self.model.model_name, usage=usage)

    def verdicts(self, request: ChatRequest) -> str:
        case = self.case_for(request)
        if self.before is not None:
            self.before(case.id, request)
        first = case.transcript.candidate_turns()[0]
        out: dict[str, Any] = {}
        for criterion in self.rubric.criteria:
            score = self.score(case, criterion.id, request)
            part: dict[str, Any] = {
                "evidence": [{"turn": first.index, "quote": first.text[:40]}],
                "reason": f"See T{first.index}.",
                "applicable": score is not None,
                "score": score,
            }
            if criterion.checklist:
                part["checklist"] = met_checklist(criterion)
            out[criterion.id] = part
        return json.dumps(out)


@pytest.fixture
def suite_dir(tmp_path: Path) -> Path:
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return target


@pytest.fixture
def suite() -> EvalSuite:
    return load_suite(MINI)


def records_on_disk(run_dir: Path) -> list[str]:
    return sorted(p.stem for p in (run_dir / "cases").glob("*.json"))


def test_a_run_judges_every_case_and_measures_agreement(suite: EvalSuite, tmp_path: Path) -> None:
    judge = FakeJudge(suite)
    result = run_suite(suite, resolve_model=judge.resolve, runs_dir=tmp_path / "runs")
    assert judge.calls == 4 and result.judge_calls == 4
    assert judge.resolved == ["gpt-4o-mini"]  # the suite's judge model
    assert sorted(result.records) == CASES and result.complete
    assert result.overall.accuracy == pytest.approx(1.0)
    assert result.stats["next_steps"].kappa == pytest.approx(1.0)
    assert result.verdict("c3-no-invite", "asked_questions").status == "not_applicable"
    assert result.cost_usd is not None and result.cost_usd > 0
    # Every finished case is on disk, in a folder named by suite, mode and fingerprint.
    assert result.run_dir.name == f"mini-judge-{result.fingerprint[:12]}"
    assert records_on_disk(result.run_dir) == CASES


def test_an_unchanged_rerun_makes_zero_model_calls(suite: EvalSuite, tmp_path: Path) -> None:
    judge = FakeJudge(suite)
    with SQLiteJudgeCache(tmp_path / "cache.sqlite3") as cache:
        first = run_suite(suite, resolve_model=judge.resolve, runs_dir=tmp_path / "runs",
                          cache=cache)
        again = run_suite(suite, resolve_model=judge.resolve, runs_dir=tmp_path / "runs",
                          cache=cache)
        # A fresh run folder is still served entirely by the judge cache.
        fresh = run_suite(suite, resolve_model=judge.resolve, runs_dir=tmp_path / "other",
                          cache=cache)
    assert judge.calls == 4
    assert again.resumed == CASES and again.judge_calls == 0
    assert fresh.resumed == [] and fresh.judge_calls == 0 and fresh.cache_hits == 4
    assert fresh.stats == first.stats == again.stats
    # Nothing needed a model after the first run, so none was even built.
    assert judge.resolved == ["gpt-4o-mini"]


def use_rubric_copy(suite_dir: Path) -> Path:
    rubric = suite_dir / "rubric.yaml"
    shutil.copy(RUBRIC_FILE, rubric)
    data = yaml.safe_load((suite_dir / "suite.yaml").read_text())
    data["rubric"] = "rubric.yaml"
    (suite_dir / "suite.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return rubric


def edit_criterion(rubric: Path, criterion: str, change: Callable[[dict[str, Any]], None]) -> None:
    data = yaml.safe_load(rubric.read_text())
    change(next(c for c in data["criteria"] if c["id"] == criterion))
    rubric.write_text(yaml.safe_dump(data, sort_keys=False))


def test_editing_a_threshold_rejudges_nothing_but_editing_an_anchor_does(
    suite_dir: Path, tmp_path: Path
) -> None:
    rubric = use_rubric_copy(suite_dir)
    runs = tmp_path / "runs"
    with SQLiteJudgeCache(tmp_path / "cache.sqlite3") as cache:
        first = run_suite(load_suite(suite_dir), resolve_model=FakeJudge(load_suite(suite_dir))
                          .resolve, runs_dir=runs, cache=cache)
        assert first.judge_calls == 4
        assert first.verdict("c1-strong", "asked_questions").passed is True  # 4 >= 3

        # Post-processing only: the threshold never reaches the judge.
        edit_criterion(rubric, "asked_questions", lambda c: c.update(pass_threshold=5))
        suite = load_suite(suite_dir)
        judge = FakeJudge(suite)
        second = run_suite(suite, resolve_model=judge.resolve, runs_dir=runs, cache=cache)
        assert second.fingerprint != first.fingerprint and second.resumed == []
        assert judge.calls == 0 and second.cache_hits == 4
        assert second.verdict("c1-strong", "asked_questions").passed is False  # 4 < 5 now
        assert second.thresholds["asked_questions"] == 5

        # An anchor is what the judge reads: every case is judged again.
        edit_criterion(rubric, "follow_up",
                       lambda c: c["levels"].update({2: "A vague promise to be in touch."}))
        suite = load_suite(suite_dir)
        judge = FakeJudge(suite)
        third = run_suite(suite, resolve_model=judge.resolve, runs_dir=runs, cache=cache)
        assert judge.calls == 4 and third.judge_calls == 4 and third.cache_hits == 0


def test_a_run_killed_half_way_resumes_without_rejudging(suite: EvalSuite,
                                                          tmp_path: Path) -> None:
    def kill_on_third(case_id: str, request: ChatRequest) -> None:
        del request
        if case_id == "c3-no-invite":
            raise KeyboardInterrupt

    dying = FakeJudge(suite, before=kill_on_third)
    caught: list[BaseException] = []

    def target() -> None:
        # Ctrl-C arrives as KeyboardInterrupt inside the event loop; run it off the main
        # thread so the test runner itself is not interrupted.
        try:
            run_suite(suite, resolve_model=dying.resolve, runs_dir=tmp_path / "runs",
                      concurrency=1, adaptive=False)
        except BaseException as exc:  # noqa: BLE001 - the interrupt is the point
            caught.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    assert len(caught) == 1 and isinstance(caught[0], KeyboardInterrupt)
    run_dir = next((tmp_path / "runs").iterdir())
    assert records_on_disk(run_dir) == ["c1-strong", "c2-no-close"]

    healthy = FakeJudge(suite)
    result = run_suite(suite, resolve_model=healthy.resolve, runs_dir=tmp_path / "runs",
                       concurrency=1, adaptive=False)
    assert result.resumed == ["c1-strong", "c2-no-close"]
    assert healthy.calls == 2 and sorted(result.records) == CASES


async def test_a_cancelled_run_keeps_finished_cases(suite: EvalSuite, tmp_path: Path) -> None:
    judge = FakeJudge(suite)
    task: asyncio.Task[Any] | None = None

    def cancel_after_first(case_id: str, record: object) -> None:
        del case_id, record
        assert task is not None
        task.cancel()

    task = asyncio.ensure_future(arun_suite(
        suite, resolve_model=judge.resolve, runs_dir=tmp_path / "runs", concurrency=1,
        adaptive=False,
        on_case=cancel_after_first))
    with pytest.raises(asyncio.CancelledError):
        await task
    run_dir = next((tmp_path / "runs").iterdir())
    assert records_on_disk(run_dir) == ["c1-strong"]
    resumed = await arun_suite(suite, resolve_model=judge.resolve, runs_dir=tmp_path / "runs")
    assert resumed.resumed == ["c1-strong"] and resumed.judge_calls == 3


def test_estimate_makes_no_call_and_counts_tokens_and_cost(suite: EvalSuite,
                                                           tmp_path: Path) -> None:
    judge = FakeJudge(suite)
    with SQLiteJudgeCache(tmp_path / "cache.sqlite3") as cache:
        estimate = estimate_suite(suite, resolve_model=judge.resolve, runs_dir=tmp_path / "runs",
                                  cache=cache)
        assert judge.calls == 0 and judge.resolved == []
        assert estimate.calls == 4 and estimate.cached_calls == 0
        assert estimate.prompt_tokens > 4 * 500  # rubric + transcript per call
        # suite.yaml sets max_tokens 1500; the assumption is min(1500, 800) per call.
        assert estimate.completion_tokens == 4 * 800
        assert estimate.cost_usd == pytest.approx(
            (estimate.prompt_tokens * 0.15 + estimate.completion_tokens * 0.60) / 1e6)
        text = render_estimate(estimate)
        assert "judge calls: 4" in text and "expected cost: $" in text

        run_suite(suite, resolve_model=judge.resolve, runs_dir=tmp_path / "runs", cache=cache)
        after = estimate_suite(suite, resolve_model=judge.resolve, runs_dir=tmp_path / "runs",
                               cache=cache)
        assert after.calls == 0 and after.resumed == CASES and after.cost_usd == 0.0
        cached = estimate_suite(suite, resolve_model=judge.resolve, runs_dir=tmp_path / "x",
                                cache=cache)
        assert cached.calls == 0 and cached.cached_calls == 4


def test_estimate_says_unknown_when_the_price_is_unknown(suite: EvalSuite,
                                                         tmp_path: Path) -> None:
    estimate = estimate_suite(suite, resolve_model=FakeJudge(suite).resolve,
                              model="my-local-llama", runs_dir=tmp_path)
    assert estimate.calls == 4 and estimate.cost_usd is None
    assert "expected cost: unknown" in render_estimate(estimate)


PRICES = {"gpt-4o-mini": Price(input=10.0, output=0.0)}


def test_max_cost_stops_before_a_case_that_would_exceed_it(suite: EvalSuite,
                                                           tmp_path: Path) -> None:
    judge = FakeJudge(suite)
    estimate = estimate_suite(suite, resolve_model=judge.resolve, runs_dir=tmp_path,
                              prices=PRICES)
    costs = [c.cost_usd or 0.0 for c in estimate.cases]
    budget = costs[0] + costs[1] + costs[2] / 2
    result = run_suite(suite, resolve_model=judge.resolve, runs_dir=tmp_path, prices=PRICES,
                       max_cost=budget, concurrency=1, adaptive=False)
    assert judge.calls == 2
    assert sorted(result.records) == ["c1-strong", "c2-no-close"]
    assert result.not_run == ["c3-no-invite", "c4-injection"]
    assert result.cost_usd is not None and result.cost_usd <= budget
    report = build_report(result, suite.config.thresholds, suite.config.tolerance, tmp_path / "b")
    assert report.exit_code == 1
    assert any("not run (budget): c3-no-invite, c4-injection" in f for f in report.failures)
    with pytest.raises(ConfigError, match="incomplete run"):
        make_baseline(result)
    # The next run picks up where the budget stopped.
    rest = run_suite(suite, resolve_model=judge.resolve, runs_dir=tmp_path, prices=PRICES)
    assert rest.complete and judge.calls == 4


def test_max_cost_needs_a_known_price(suite: EvalSuite, tmp_path: Path) -> None:
    judge = FakeJudge(suite, model_name="my-local-llama")
    with pytest.raises(ConfigError, match="--max-cost needs a price"):
        run_suite(suite, resolve_model=judge.resolve, model="my-local-llama", runs_dir=tmp_path,
                  max_cost=1.0)
    assert judge.calls == 0


def test_a_failing_case_does_not_stop_the_run_and_is_retried(suite: EvalSuite,
                                                             tmp_path: Path) -> None:
    def endpoint_down_for_c2(case_id: str, request: ChatRequest) -> None:
        del request
        if case_id == "c2-no-close":
            raise ModelAPIError("the endpoint returned 503", status_code=503)

    flaky = FakeJudge(suite, before=endpoint_down_for_c2)
    result = run_suite(suite, resolve_model=flaky.resolve, runs_dir=tmp_path)
    assert sorted(result.records) == ["c1-strong", "c3-no-invite", "c4-injection"]
    assert "503" in result.failed["c2-no-close"]
    # A failed case counts as "no verdict" for every criterion.
    assert result.stats["next_steps"].no_verdict == 1
    assert result.verdict("c2-no-close", "next_steps").status == "failed"
    report = build_report(result, suite.config.thresholds, suite.config.tolerance, tmp_path / "b")
    assert report.exit_code == 1 and "1 case(s) failed: c2-no-close" in report.failures[0]

    healthy = FakeJudge(suite)
    again = run_suite(suite, resolve_model=healthy.resolve, runs_dir=tmp_path)
    assert healthy.calls == 1 and again.complete and again.overall.accuracy == 1.0


def test_judge_errors_are_counted_and_retried_next_time(suite: EvalSuite, tmp_path: Path) -> None:
    class Garbled(FakeJudge):
        def verdicts(self, request: ChatRequest) -> str:
            if self.case_for(request).id == "c3-no-invite":
                return "I'd rather chat about the weather."
            return super().verdicts(request)

    garbled = Garbled(suite)
    result = run_suite(suite, resolve_model=garbled.resolve, runs_dir=tmp_path)
    # The evaluator turns an unusable reply into judge_error statuses, not an exception.
    assert result.complete and result.verdict("c3-no-invite", "follow_up").status == "judge_error"
    assert result.records["c3-no-invite"].has_errors
    assert result.stats["follow_up"].no_verdict == 1
    assert result.stats["follow_up"].accuracy == pytest.approx(0.75)
    healthy = FakeJudge(suite)
    again = run_suite(suite, resolve_model=healthy.resolve, runs_dir=tmp_path)
    assert healthy.calls == 1 and again.resumed == ["c1-strong", "c2-no-close", "c4-injection"]


def test_an_exhausted_quota_aborts_but_keeps_finished_cases(suite: EvalSuite,
                                                            tmp_path: Path) -> None:
    def quota_gone(case_id: str, request: ChatRequest) -> None:
        del request
        if case_id == "c2-no-close":
            raise QuotaExceededError("insufficient_quota", status_code=429)

    judge = FakeJudge(suite, before=quota_gone)
    with pytest.raises(QuotaExceededError):
        run_suite(suite, resolve_model=judge.resolve, runs_dir=tmp_path, concurrency=1,
                  adaptive=False)
    assert records_on_disk(next(tmp_path.iterdir())) == ["c1-strong"]


def test_signals_only_runs_with_no_model(suite: EvalSuite, tmp_path: Path) -> None:
    def no_model(name: str) -> FunctionChatModel:
        raise AssertionError(f"signals-only built a model ({name})")

    result = run_suite(suite, resolve_model=no_model, signals_only=True, runs_dir=tmp_path)
    assert result.mode == "signals_only" and result.judge_model is None
    assert sorted(result.records) == CASES and result.judge_calls == 0
    assert result.run_dir.name.startswith("mini-signals-")
    assert result.verdict("c2-no-close", "next_steps").score is not None


def test_samples_measure_the_judges_flip_rate(suite: EvalSuite, tmp_path: Path) -> None:
    class Wobbly(FakeJudge):
        def score(self, case: EvalCase, criterion: str, request: ChatRequest) -> int | None:
            # The evaluator offsets the seed per sample: seed 7 is sample 0, 8 is sample 1.
            if (case.id, criterion, request.settings.seed) == ("c1-strong", "next_steps", 8):
                return 2
            return super().score(case, criterion, request)

    judge = Wobbly(suite)
    result = run_suite(suite, resolve_model=judge.resolve, runs_dir=tmp_path, samples=3)
    assert judge.calls == 12 and result.samples == 3
    assert result.run_dir.name.endswith("-k3")
    stats = result.stats["next_steps"]
    assert stats.n_sampled == 4 and stats.flip_rate == pytest.approx(0.25)
    assert stats.sample_agreement == pytest.approx((2 / 3 + 1 + 1 + 1) / 4)
    assert result.records["c1-strong"].verdicts["next_steps"].sample_scores == (5, 2, 5)
    assert result.stats["follow_up"].flip_rate == 0.0


def test_the_model_argument_overrides_the_suite(suite: EvalSuite, tmp_path: Path) -> None:
    judge = FakeJudge(suite, model_name="gpt-4.1-mini")
    result = run_suite(suite, resolve_model=judge.resolve, model="gpt-4.1-mini",
                       runs_dir=tmp_path)
    assert judge.resolved == ["gpt-4.1-mini"] and result.judge_model == "gpt-4.1-mini"


def test_a_suite_without_a_judge_needs_a_model(suite_dir: Path, tmp_path: Path) -> None:
    data = yaml.safe_load((suite_dir / "suite.yaml").read_text())
    del data["judge"]
    (suite_dir / "suite.yaml").write_text(yaml.safe_dump(data))
    suite = load_suite(suite_dir)
    with pytest.raises(ConfigError) as info:
        run_suite(suite, resolve_model=FakeJudge(suite).resolve, runs_dir=tmp_path)
    assert info.value.field == "judge"
    assert run_suite(suite, signals_only=True, runs_dir=tmp_path).complete


def test_a_changed_transcript_is_judged_again(suite_dir: Path, tmp_path: Path) -> None:
    suite = load_suite(suite_dir)
    run_suite(suite, resolve_model=FakeJudge(suite).resolve, runs_dir=tmp_path)
    with (suite_dir / "cases" / "c2-no-close.txt").open("a") as fh:
        fh.write("Interviewer: One more thing: we'll call you Friday.\n")
    suite = load_suite(suite_dir)
    judge = FakeJudge(suite)
    result = run_suite(suite, resolve_model=judge.resolve, runs_dir=tmp_path)
    assert judge.calls == 1 and "c2-no-close" not in result.resumed


async def test_run_suite_refuses_to_nest_in_a_running_loop(suite: EvalSuite) -> None:
    with pytest.raises(RuntimeError, match="await arun_suite"):
        run_suite(suite, signals_only=True)


def test_progress_is_silent_without_a_terminal(suite: EvalSuite, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    run_suite(suite, signals_only=True, runs_dir=tmp_path, progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_concurrency_must_be_positive(suite: EvalSuite) -> None:
    with pytest.raises(ConfigError, match="concurrency"):
        run_suite(suite, signals_only=True, concurrency=0)


def test_a_case_that_fails_after_paid_calls_counts_them_against_the_budget(
        suite: EvalSuite, tmp_path: Path) -> None:
    seen: dict[str, int] = {}

    def second_sample_of_c1_fails(case_id: str, request: ChatRequest) -> None:
        seen[case_id] = seen.get(case_id, 0) + 1
        if case_id == "c1-strong" and seen[case_id] == 2:
            raise ModelAPIError("the endpoint returned 503", status_code=503)

    judge = FakeJudge(suite, before=second_sample_of_c1_fails)
    result = run_suite(suite, resolve_model=judge.resolve, runs_dir=tmp_path, prices=PRICES,
                       samples=2, concurrency=1, max_cost=1000.0)
    assert list(result.failed) == ["c1-strong"]
    finished = sum(r.cost_usd or 0.0 for r in result.records.values())
    finished_calls = sum(r.usage.calls for r in result.records.values())
    # The first sample of c1 answered and was billed: the run's cost and usage include it.
    assert result.usage.calls == finished_calls + 1
    assert result.cost_usd is not None and result.cost_usd > finished
    one_call = (result.cost_usd - finished)
    assert one_call == pytest.approx(finished / finished_calls, rel=0.5)


def test_the_paid_usage_rides_on_the_error_that_ended_an_evaluation(suite: EvalSuite) -> None:
    from roleplay.evaluate import Evaluator

    calls = {"n": 0}

    def fail_second(case_id: str, request: ChatRequest) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ModelAPIError("the endpoint returned 503", status_code=503)

    judge = FakeJudge(suite, before=fail_second)
    evaluator = Evaluator(load_rubric(suite.rubric_ref()), judge.model, samples=2)
    with pytest.raises(ModelAPIError) as info:
        evaluator.evaluate(suite.cases[0].transcript)
    paid = info.value.paid_usage
    assert isinstance(paid, Usage) and paid.calls == 1 and paid.prompt_tokens > 1000
