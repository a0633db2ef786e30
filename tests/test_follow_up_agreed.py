"""A follow-up channel settled in the exchange: the candidate's follow-up, the interviewer's
channel. "Hear back" is the employer's follow-up, and a channel word in passing settles nothing."""

from __future__ import annotations

from roleplay.evaluate import Evaluator
from roleplay.transcript import Transcript, Turn

OPENING = (("interviewer", "Tell me about the biggest project you ran last year."),
           ("candidate", "I led the move of our billing system to a new provider over six "
                         "months and cut failed payments by a third."),
           ("interviewer", "Good. Do you have any questions for me?"))


def _follow_up(*close: tuple[str, str]):  # type: ignore[no-untyped-def]
    turns = tuple(Turn(index=i, speaker=s, text=t)  # type: ignore[arg-type]
                  for i, (s, t) in enumerate((*OPENING, *close), start=1))
    return Evaluator(signals_only=True).evaluate(Transcript(turns=turns)).criterion("follow_up")


def test_a_channel_the_interviewer_names_for_the_candidates_note_is_agreed() -> None:
    result = _follow_up(
        ("candidate", "Thanks. I'll send you a short note by Friday."),
        ("interviewer", "Send it to me directly, I read my own email."),
        ("candidate", "Will do."))
    assert (result.score, result.passed) == (4, True)
    assert [e.turn for e in result.evidence] == [4]


def test_hearing_back_is_not_the_candidates_follow_up_even_beside_a_channel_word() -> None:
    result = _follow_up(
        ("candidate", "What is the next step, and when should I expect to hear back?"),
        ("interviewer", "A video interview, then a role-play of a renewal call. We'll decide by "
                        "Friday."),
        ("candidate", "Thank you."))
    assert result.passed is False


def test_a_note_with_no_channel_settles_nothing() -> None:
    result = _follow_up(("candidate", "Thank you all. I'll be sure to send each of you a note."),
                        ("interviewer", "Thank you. I'll walk you out."))
    assert result.passed is False
