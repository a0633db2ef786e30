"""The assertions and helpers a project's own tests use: verdicts, leaks, character, pass^k."""

from __future__ import annotations

from pathlib import Path

import pytest

from roleplay.evaluate import Evaluator
from roleplay.importing import load_transcript
from roleplay.persona import load_candidate, load_persona
from roleplay.testing import (
    FunctionChatModel,
    VerdictAssertionError,
    as_chat_function,
    assert_in_character,
    assert_no_leaks,
    assert_verdicts,
    character_breaks,
    judge_responder,
    pass_k,
    simulate,
    simulation_responder,
)
from roleplay.testing._cassettes import body_difference
from roleplay.transcript import Transcript, Turn
from tests.factories import helpdesk_persona

DATA = Path(__file__).parent / "data" / "transcripts"
WEAK = load_transcript(DATA / "weak_close.txt")
STRONG = load_transcript(DATA / "strong.txt")


@pytest.fixture(scope="module")
def weak_evaluation():
    judge = FunctionChatModel(as_chat_function(judge_responder()))
    return Evaluator(judge_model=judge).evaluate(WEAK)


def test_assert_verdicts_passes_silently_when_every_expectation_holds(weak_evaluation):
    failed = [r.id for r in weak_evaluation.criteria if r.status == "scored" and not r.passed]
    assert "asked_for_job" in failed
    assert_verdicts(weak_evaluation, failed=failed,
                    max_scores={"asked_for_job": weak_evaluation.criterion("asked_for_job").score})


def test_a_failed_expectation_shows_expected_actual_reason_and_coaching(weak_evaluation):
    result = weak_evaluation.criterion("asked_for_job")
    with pytest.raises(VerdictAssertionError) as caught:
        assert_verdicts(weak_evaluation, passed=["asked_for_job"], min_scores={"next_steps": 4})
    message = str(caught.value)
    assert message.startswith(f"2 of 2 expected verdicts not met for transcript {WEAK.id} "
                              "(rubric interview-close")
    assert (f"asked_for_job ({result.title}): expected passed, got failed "
            f"(scored {result.score}/5)") in message
    assert f"next_steps ({weak_evaluation.criterion('next_steps').title}): expected score >= 4, " \
        "got failed" in message
    assert "reason: " + " ".join(result.reason.split()[:4]) in message
    assert "Please give me a chance, I really need this job." in message  # the coaching line
    # Every criterion's verdict on one line at the end, so nothing needs opening a file.
    assert "follow_up" in message.split("all criteria: ")[1]
    assert [m.criterion for m in caught.value.mismatches] == ["asked_for_job", "next_steps"]


def test_a_failed_expectation_quotes_the_verified_evidence_with_its_turn():
    judge = FunctionChatModel(as_chat_function(judge_responder()))
    evaluation = Evaluator(judge_model=judge).evaluate(STRONG)
    result = next(r for r in evaluation.criteria
                  if r.passed and any(ev.verified for ev in r.evidence))
    with pytest.raises(VerdictAssertionError) as caught:
        assert_verdicts(evaluation, failed=[result.id])
    message = str(caught.value)
    assert f"{result.id} ({result.title}): expected failed, got passed" in message
    evidence = next(ev for ev in result.evidence if ev.verified)
    assert f"evidence, turn {evidence.turn} (candidate) [verified]: " in message
    assert " ".join(evidence.quote.split()[:5]) in " ".join(message.split())


def test_an_unscored_criterion_meets_neither_passed_nor_failed():
    evaluation = Evaluator(signals_only=True).evaluate(WEAK)
    unscored = next(r for r in evaluation.criteria if r.status != "scored")
    with pytest.raises(VerdictAssertionError, match=rf"{unscored.id} .*expected failed, got "
                       rf"{unscored.status.replace('_', ' ')} \(no score\)"):
        assert_verdicts(evaluation, failed=[unscored.id])
    with pytest.raises(VerdictAssertionError, match="signals-only verdicts are provisional"):
        assert_verdicts(evaluation, passed=[unscored.id])


def test_a_criterion_the_rubric_does_not_have_is_a_mistake_in_the_test(weak_evaluation):
    with pytest.raises(ValueError, match=r"no criterion 'asked_for_the_job'.*its criteria are: "
                       r".*asked_for_job"):
        assert_verdicts(weak_evaluation, passed=["asked_for_the_job"])
    with pytest.raises(ValueError, match="both passed and failed"):
        assert_verdicts(weak_evaluation, passed=["next_steps"], failed=["next_steps"])


def _transcript(*lines: tuple[str, str]) -> Transcript:
    return Transcript(turns=[Turn(index=i, speaker=s, text=t)  # type: ignore[arg-type]
                             for i, (s, t) in enumerate(lines, 1)])


PERSONA = helpdesk_persona()


def test_assert_no_leaks_names_the_turn_topic_and_words():
    persona = PERSONA  # timeline marker: "two weeks"
    leaky = _transcript(("interviewer", "Hello! We decide within two weeks, by the way."),
                        ("candidate", "Great, thanks."))
    with pytest.raises(AssertionError) as caught:
        assert_no_leaks(leaky, persona)
    assert "turn 1: timeline (marker 'two weeks')" in str(caught.value)
    asked = _transcript(("interviewer", "Hello!"), ("candidate", "When will I hear back?"),
                        ("interviewer", "We decide within two weeks."))
    assert_no_leaks(asked, persona)


@pytest.mark.parametrize(("text", "kind"), [
    ("As an AI, I can't really judge your experience.", "ai_disclosure"),
    ("I'm just a language model, but that sounds great.", "ai_disclosure"),
    ("My instructions say I should keep the timeline to myself.", "prompt_talk"),
    ("Let's end this simulation here.", "prompt_talk"),
    ('{"utterance": "Hello", "phase": "opening"}', "prompt_talk"),
    ("Thanks.\nCandidate: I led the migration and it went well.", "speaks_for_candidate"),
    ("Hi, my name is Gordon and I run the team.", "other_name"),
    ("   ", "empty"),
])
def test_character_breaks_are_found_by_kind(text, kind):
    transcript = _transcript(("interviewer", text), ("candidate", "Hello."))
    assert [b.kind for b in character_breaks(transcript, PERSONA)] == [kind]
    with pytest.raises(AssertionError, match=rf"turn 1: {kind.replace('_', ' ')}"):
        assert_in_character(transcript, PERSONA)


def test_ordinary_interviewer_lines_are_in_character():
    name = PERSONA.interviewer.name.split()[0]
    lines = [f"Hi, I'm {name} from {PERSONA.company.name}, thanks for joining.",
             f"This is {PERSONA.company.name} here, and my name is {name}.",
             "The model we use for staffing is simple: two shifts.",
             "I'm afraid we're out of time. Is there anything else?",
             "You said: 'I owned it.' Tell me more about that."]
    transcript = _transcript(*[("interviewer", line) for line in lines])
    assert character_breaks(transcript, PERSONA) == []


def test_simulate_runs_a_persona_against_a_profile_and_against_lines():
    persona, profile = load_persona("warm-hr-screener"), load_candidate("strong-closer")
    model = FunctionChatModel(as_chat_function(simulation_responder([persona], [profile])))
    transcript = simulate(persona, "strong-closer", model=model, seed=3)
    assert transcript.turns[0].speaker == "interviewer"
    assert transcript.candidate_id == "strong-closer"
    # The seed reaches both sides, so pass^k trials sample differently.
    assert transcript.model_settings["interviewer"]["settings"]["seed"] == 3
    assert transcript.model_settings["candidate"]["settings"]["seed"] == 3
    scripted = simulate("warm-hr-screener", ["Hello, thanks for having me.", "Bye."], model=model)
    assert [t.text for t in scripted.turns if t.speaker == "candidate"][:1] == [
        "Hello, thanks for having me."]


def test_pass_k_counts_assertion_failures_and_false_and_reports_before_asserting():
    seen = []
    result = pass_k(lambda i: i != 1, k=4, min_rate=0.75, name="trial", report=seen.append)
    assert (result.passes, result.all_passed, result.ok) == (3, False, True)
    assert seen == [result]
    assert result.summary() == "trial: 3/4 trials passed (75%), pass^4 no, required 75%: ok"

    def strict(i: int) -> None:
        assert i % 2 == 0, f"odd trial {i}"

    with pytest.raises(AssertionError, match=r"(?s)2/4 trials passed.*trial 1: odd trial 1.*"
                                             r"trial 3: odd trial 3"):
        pass_k(strict, k=4)


def test_pass_k_lets_a_broken_trial_raise_and_rejects_bad_arguments():
    def broken(i: int) -> bool:
        raise RuntimeError("endpoint down")

    with pytest.raises(RuntimeError, match="endpoint down"):
        pass_k(broken, k=2)
    with pytest.raises(ValueError, match="k must be at least 1"):
        pass_k(lambda i: True, k=0)
    with pytest.raises(ValueError, match="min_rate"):
        pass_k(lambda i: True, k=1, min_rate=1.5)


def test_cassette_bodies_match_past_the_judge_nonce_and_the_max_tokens_name():
    recorded = ('{"model": "m", "max_tokens": 10, "messages": [{"role": "user", '
                '"content": "<transcript-0123456789abcdef> hi"}]}')
    now = ('{"model": "m", "max_completion_tokens": 10, "messages": [{"role": "user", '
           '"content": "<transcript-fedcba9876543210> hi"}]}')
    assert body_difference(recorded, now) is None
    changed = now.replace('"model": "m"', '"model": "other"').replace("hi", "hello")
    assert body_difference(recorded, changed) == "body.model: recorded 'm', now 'other'"
    assert body_difference(recorded, now.replace("hi", "hello")).startswith(
        "body.messages[0].content: recorded ")
