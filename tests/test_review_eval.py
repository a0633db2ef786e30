"""Review findings in the evaluation area, each proven by a test that failed before its fix."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from roleplay.errors import ModelAPIError
from roleplay.evals.runner import run_suite
from roleplay.evals.suite import load_suite
from roleplay.evaluate import Evaluator, compute_signals
from roleplay.evaluate import evaluator as evaluator_module
from roleplay.evaluate.judge import render_transcript
from roleplay.evaluate.results import CriterionResult
from roleplay.llm.base import ChatRequest, ChatResponse
from roleplay.rubric import Criterion
from roleplay.transcript import Transcript, Turn

MINI = Path(__file__).parent / "data" / "suites" / "mini"

IV, CA = "interviewer", "candidate"


def make(*turns: tuple[str, str]) -> Transcript:
    return Transcript(turns=tuple(Turn(index=i, speaker=s, text=t)  # type: ignore[arg-type]
                                  for i, (s, t) in enumerate(turns, start=1)))


def _timed(fn: object, *args: object) -> float:
    start = time.perf_counter()
    fn(*args)  # type: ignore[operator]
    return time.perf_counter() - start


def test_whitespace_after_a_sentence_does_not_blow_up_the_signals() -> None:
    # The fake-speaker pattern had three adjacent [ \t] quantifiers: cubic backtracking on a run
    # of spaces after a full stop (1,000 spaces took ~90 s per turn).
    padded = "Thanks for having me. " + " " * 600 + "I led the migration."
    t = make((IV, "Tell me about a time you led a project."), (CA, padded),
             (IV, "Any questions for me?"), (CA, "Interviewer" + "\t" * 600 + "x. " + padded))
    assert _timed(compute_signals, t) < 2.0


def test_a_long_digit_run_does_not_blow_up_the_signals() -> None:
    # The percent result marker had no left anchor: quadratic on a run of digits.
    t = make((IV, "Tell me about a time you cut costs."),
             (CA, "I cut costs by " + "9" * 20000 + " dollars as a result."))
    assert _timed(compute_signals, t) < 2.0


def test_rendering_a_turn_with_a_long_run_after_a_bracket_is_linear() -> None:
    t = make((IV, "Hello."), (CA, "<" + " " * 40000 + "/ x"))
    assert _timed(render_transcript, t, "transcript-0123456789abcdef") < 2.0


class _OneFailsOthersSlow:
    """Async judge: the first call fails at once, the others take a while and are counted."""

    model_name = "gpt-4o-mini"
    endpoint = "fake://one-fails"

    def __init__(self) -> None:
        self.started = 0
        self.finished = 0

    async def acomplete(self, request: ChatRequest, *,
                        on_delta: object = None) -> ChatResponse:
        self.started += 1
        if self.started == 1:
            raise ModelAPIError("boom", status_code=500)
        await asyncio.sleep(0.2)
        self.finished += 1
        return ChatResponse(text="{}", model=self.model_name)


def test_a_failed_sample_cancels_its_sibling_judge_calls() -> None:
    # With samples > 1, aevaluate gathered the samples without cancelling the rest when one
    # raised: the others kept calling (and paying for) the model after aevaluate had failed.
    model = _OneFailsOthersSlow()
    evaluator = Evaluator(judge_model=model, samples=3)
    transcript = make((IV, "Tell me about a time you led a project."),
                      (CA, "I led the migration of our billing system to a new provider, "
                           "planned the cut-over and trained the support team."),
                      (IV, "Any questions for me?"), (CA, "What are the next steps?"))

    async def scenario() -> None:
        with pytest.raises(ModelAPIError):
            await evaluator.aevaluate(transcript)
        await asyncio.sleep(0.5)

    asyncio.run(scenario())
    assert model.finished == 0
    assert model.started == 3


def test_a_signals_only_rerun_reflects_changed_signal_code(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The run folder is keyed by the evaluator fingerprint, which does not cover the signals and
    # policy code. A signals-only re-run resumed every case from the old run folder, so the
    # documented "--signals-only --update-baseline after changing the signals" wrote the stale
    # verdicts back. Signals cost nothing, so a signals-only run now always re-evaluates.
    suite = load_suite(MINI)
    first = run_suite(suite, signals_only=True, runs_dir=tmp_path)
    assert any(v.status == "scored" for r in first.records.values() for v in r.verdicts.values())

    def changed(criterion: Criterion, signals: object, transcript: object) -> CriterionResult:
        return CriterionResult(id=criterion.id, title=criterion.title,
                               status="insufficient_evidence", reason="changed code",
                               provisional=True)

    monkeypatch.setattr(evaluator_module, "provisional_result", changed)
    second = run_suite(suite, signals_only=True, runs_dir=tmp_path)
    assert second.resumed == []
    assert all(v.status == "insufficient_evidence"
               for r in second.records.values() for v in r.verdicts.values())
