"""A candidate's own questions are never answers: not counted, not coached as short answers."""

from __future__ import annotations

from roleplay.evaluate import Evaluator, compute_signals
from roleplay.importing import parse_transcript

SHORT = ("I ran the night shift on a thirty bed ward and cut handover errors by a third with a "
         "written checklist.")


def coaching(text: str) -> list[str]:
    evaluation = Evaluator(signals_only=True).evaluate(parse_transcript(text))
    return [c.coaching for c in evaluation.criteria if c.coaching]


def test_a_question_after_what_do_you_want_to_know_is_not_an_answer() -> None:
    text = (f"Interviewer: Tell me about your current role.\nCandidate: {SHORT}\n"
            "Interviewer: Thanks. What do you want to know?\n"
            "Candidate: How heavy is the team's workload during the winter months?\n"
            "Interviewer: Heavy in January; we add agency staff.\n")
    signals = compute_signals(parse_transcript(text))
    assert [a.turn for a in signals.answers] == [2]
    lines = coaching(text)
    assert not any("turn 4" in line and "give the facts" in line for line in lines)
    # The one short, specific answer is judged alone: T4 is the candidate's question.
    result = Evaluator(signals_only=True).evaluate(parse_transcript(text))
    reason = result.criterion("answer_balance").reason
    assert "T2 21 words" in reason and "T4" not in reason


def test_a_clarifying_question_before_answering_is_not_an_answer() -> None:
    text = ("Interviewer: Tell me about a project you led.\n"
            "Candidate: Do you mean at my current job or the one before?\n"
            "Interviewer: Tell me about the current one, please.\n"
            f"Candidate: {SHORT}\n"
            "Interviewer: Thanks, that's all from me.\n")
    signals = compute_signals(parse_transcript(text))
    assert [a.turn for a in signals.answers] == [4]
    assert not any("At turn 2," in line for line in coaching(text))


def test_an_answer_that_ends_with_a_check_is_still_an_answer() -> None:
    text = ("Interviewer: Tell me about your current role.\n"
            f"Candidate: {SHORT} Does that answer your question?\n"
            "Interviewer: It does.\n")
    signals = compute_signals(parse_transcript(text))
    assert [a.turn for a in signals.answers] == [2]
