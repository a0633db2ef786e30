"""answer_balance from signals: which turns make one answer, which questions want a full one,
and what tips a set of answers into "too talkative" or "one-liners" (issue #13)."""

from __future__ import annotations

from roleplay.evaluate import Evaluator, compute_signals
from roleplay.evaluate.results import CriterionResult
from roleplay.importing import parse_transcript

# Twenty words of plain story with two specifics (a place and a number), repeated to build
# answers of a known length.
STORY = ("On the night shift at Riverside I rebuilt the handover sheet with 4 charge nurses and "
         "we checked it weekly. ")


def story(words: int) -> str:
    assert words % 20 == 0
    return (STORY * (words // 20)).strip()


def balance(text: str) -> CriterionResult:
    evaluation = Evaluator(signals_only=True).evaluate(parse_transcript(text))
    return next(c for c in evaluation.criteria if c.id == "answer_balance")


def test_one_reply_split_by_a_backchannel_is_one_answer() -> None:
    # A transcript splits speech where the interviewer says "Mm-hm": a person hears one answer
    # of 160 words, not a thin one and an adequate one.
    text = ("Interviewer: Tell me about the ward you run now.\n"
            f"Candidate: {story(60)}\n"
            "Interviewer: Mm-hm.\n"
            f"Candidate: {story(100)}\n"
            "Interviewer: Right, go on.\n"
            "Candidate: And the errors fell by a third.\n"
            "Interviewer: Thanks. Why do you want to leave?\n"
            f"Candidate: {story(140)}\n")
    answers = compute_signals(parse_transcript(text)).answers
    assert [(a.span(), a.words, a.band) for a in answers] == [
        ("T2-T6", 167, "ideal"), ("T8", 140, "ideal")]
    result = balance(text)
    assert result.passed is True
    assert "T2-T6 167" in result.reason


def test_a_real_follow_up_question_starts_a_new_answer() -> None:
    text = ("Interviewer: Tell me about the ward you run now.\n"
            f"Candidate: {story(140)}\n"
            "Interviewer: And how did the consultants take it?\n"
            f"Candidate: {story(140)}\n")
    answers = compute_signals(parse_transcript(text)).answers
    assert [a.span() for a in answers] == ["T2", "T4"]


def test_yes_no_and_preference_questions_want_short_answers_but_requests_do_not() -> None:
    text = ("Interviewer: Did you ever find out why the pumps kept failing?\n"
            "Candidate: Yes, a firmware fault.\n"
            "Interviewer: How do you feel about weekend shifts?\n"
            "Candidate: Fine, one in three suits me.\n"
            "Interviewer: Can you walk me through the audit you ran?\n"
            f"Candidate: {story(160)}\n")
    answers = compute_signals(parse_transcript(text)).answers
    assert [a.question_type for a in answers] == ["closed", "closed", "open"]
    # The short closed answers are right; nothing to coach about them.
    result = balance(text)
    assert result.passed is True
    assert result.coaching is None or "firmware" not in result.coaching


def test_one_thin_answer_among_good_ones_is_not_a_pattern() -> None:
    text = ("Interviewer: Tell me about yourself.\n"
            f"Candidate: {story(160)}\n"
            "Interviewer: Why this hospital?\n"
            f"Candidate: {story(180)}\n"
            "Interviewer: Tell me about a time you disagreed with a consultant.\n"
            f"Candidate: {story(200)}\n"
            "Interviewer: What would your manager say about you?\n"
            "Candidate: That I am steady under pressure and I keep good notes.\n")
    result = balance(text)
    assert result.status == "scored" and result.score is not None and result.score >= 3


def test_two_thin_answers_in_four_are_mixed() -> None:
    # Rubric 2.0, level 3: "some answers well proportioned, others thin": half of them thin is
    # mixed, not "mostly out of proportion".
    text = ("Interviewer: Tell me about yourself.\n"
            f"Candidate: {story(160)}\n"
            "Interviewer: Why this hospital?\n"
            "Candidate: It is close to home.\n"
            "Interviewer: Tell me about a time you disagreed with a consultant.\n"
            f"Candidate: {story(200)}\n"
            "Interviewer: What would your manager say about you?\n"
            "Candidate: Good things, I hope.\n")
    result = balance(text)
    assert result.score == 3
    assert "mixed, with thin answers at T4, T8" in result.reason


def test_ignoring_a_cue_to_be_brief_is_talking_too_much() -> None:
    # Every answer sits in the 130-300 band; the one the interviewer asked to keep short did not.
    text = ("Interviewer: Tell me about yourself.\n"
            f"Candidate: {story(160)}\n"
            "Interviewer: We're short on time, so briefly: why this hospital?\n"
            f"Candidate: {story(260)}\n"
            "Interviewer: Tell me about a time you disagreed with a consultant.\n"
            f"Candidate: {story(200)}\n")
    answers = compute_signals(parse_transcript(text)).answers
    assert [a.brevity_cue for a in answers] == [False, True, False]
    result = balance(text)
    assert (result.score, result.passed) == (2, False)
    assert result.coaching is not None
    assert result.coaching.startswith("At turn 4,") and "short answer" in result.coaching


def test_stories_where_facts_were_asked_for_are_too_talkative() -> None:
    text = ("Interviewer: Tell me about yourself.\n"
            f"Candidate: {story(160)}\n"
            "Interviewer: What's your notice period?\n"
            f"Candidate: {story(140)}\n"
            "Interviewer: Are you registered in this state?\n"
            f"Candidate: {story(120)}\n"
            "Interviewer: Do you drive?\n"
            "Candidate: Yes.\n")
    result = balance(text)
    assert (result.score, result.passed) == (2, False)
    assert "too talkative" in result.reason and "on a simple question" in result.reason


def test_monologues_in_most_answers_are_unbalanced() -> None:
    text = ("Interviewer: Tell me about yourself.\n"
            f"Candidate: {story(500)}\n"
            "Interviewer: Why this hospital?\n"
            f"Candidate: {story(480)}\n"
            "Interviewer: Tell me about a time you disagreed with a consultant.\n"
            f"Candidate: {story(160)}\n")
    result = balance(text)
    assert (result.score, result.passed) == (2, False)
    assert result.coaching is not None and "ran to 500 words" in result.coaching


def test_questions_the_candidate_asks_in_the_close_are_never_coached_as_answers() -> None:
    text = ("Interviewer: Tell me about yourself.\n"
            f"Candidate: {story(160)}\n"
            "Interviewer: Tell me about a time you disagreed with a consultant.\n"
            f"Candidate: {story(200)}\n"
            "Interviewer: That's all from me. What would you like to ask me?\n"
            "Candidate: What does the first month look like?\n"
            "Interviewer: Shadowing, then your own patients.\n"
            "Candidate: And who would I report to?\n"
            "Interviewer: The ward manager.\n")
    signals = compute_signals(parse_transcript(text))
    assert [a.turn for a in signals.answers] == [2, 4]
    result = balance(text)
    assert result.coaching is None or not any(
        f"turn {n}" in result.coaching for n in (6, 8))
