"""answer_balance weighs minutes where it has them: a timed answer runs long or comes out a
one-liner by its speaking time, text without times by its words."""

from __future__ import annotations

import pytest

from roleplay.evaluate import Evaluator, compute_signals
from roleplay.evaluate._balance import lengths, talkative_lapses
from roleplay.evaluate.coaching import coaching_for
from roleplay.evaluate.policy import fires
from roleplay.evaluate.results import CriterionResult
from roleplay.rubric import load_rubric
from roleplay.transcript import Transcript, Turn
from tests.test_answer_balance import story

# 32 words with specifics: not thin in words (>= 30, with a name and numbers).
SHORT = ("On the night shift at Riverside I rebuilt the handover sheet with 4 charge nurses and "
         "we checked it weekly. It cut missed handovers by half within 3 months on the ward.")

Spoken = tuple[str, str, float]
"""Speaker, text, and the seconds it took to say."""


def timed(*turns: Spoken, ends: bool = True) -> Transcript:
    """Turns said one after another with a one-second pause between them.

    With ``ends=False`` only the start times are kept (as in "[00:01:05] Sam: ..." text).
    """
    out: list[Turn] = []
    clock = 0.0
    for i, (speaker, text, seconds) in enumerate(turns, 1):
        out.append(Turn(index=i, speaker=speaker, text=text, offset=clock,
                        end=clock + seconds if ends else None))
        clock += seconds + 1.0
    return Transcript(turns=tuple(out))


def untimed(*turns: Spoken) -> Transcript:
    """The same turns as plain text, without times."""
    return Transcript(turns=tuple(Turn(index=i, speaker=speaker, text=text)
                                  for i, (speaker, text, _) in enumerate(turns, 1)))


def balance(transcript: Transcript) -> CriterionResult:
    evaluation = Evaluator(signals_only=True).evaluate(transcript)
    return next(c for c in evaluation.criteria if c.id == "answer_balance")


def interview(first: str, first_seconds: float, second: str = story(160),
              second_seconds: float = 64.0) -> tuple[Spoken, ...]:
    """Three open questions; the last answer is a well-paced 200 words in 80 s."""
    return (("interviewer", "Tell me about yourself.", 2.0),
            ("candidate", first, first_seconds),
            ("interviewer", "Why this hospital?", 2.0),
            ("candidate", second, second_seconds),
            ("interviewer", "Tell me about a time you disagreed with a consultant.", 3.0),
            ("candidate", story(200), 80.0))


@pytest.mark.parametrize(("words", "seconds"), [(380, 152.0), (480, 150.0)])
def test_a_two_and_a_half_minute_answer_is_no_monologue_whatever_its_words(
        words: int, seconds: float) -> None:
    # 380 words at 150 wpm, and a fast talker's 480 words at 192 wpm (over the 450-word line
    # for text): both took two and a half minutes, which is a full spoken answer.
    turns = interview(story(words), seconds)
    result = balance(timed(*turns))
    assert result.passed is True
    assert "in one answer" not in (result.reason or "")
    assert f"T2 {words} words in 2.5 min" in (result.reason or "")
    assert fires("monologue_outlier", compute_signals(timed(*turns))) is None


def test_three_hundred_words_over_four_minutes_are_a_monologue() -> None:
    # 75 wpm: slow and full of pauses, but the candidate held the floor for four minutes twice.
    turns = interview(story(300), 240.0, story(300), 250.0)
    signals = compute_signals(timed(*turns))
    result = balance(timed(*turns))
    assert (result.score, result.passed) == (2, False)
    assert "too talkative: T2: 4.0 min in one answer; T4: 4.2 min in one answer" in (
        result.reason or "")
    assert result.coaching == (
        "At turn 2, your answer to 'Tell me about yourself.' (turn 1) ran 4.0 minutes; make the "
        "point, give one example, and stop so the interviewer can ask for more.")
    firing = fires("extreme_length_majority", signals)
    assert firing is not None and "T2 (4.0 min), T4 (4.2 min)" in firing.detail
    # The same words as text are two full answers, well inside the word lines.
    plain = balance(untimed(*turns))
    assert plain.passed is True and "in one answer" not in (plain.reason or "")
    assert fires("extreme_length_majority", compute_signals(untimed(*turns))) is None
    # Start times only: a turn runs to the next start, silence included, so words decide.
    starts = timed(*turns, ends=False)
    assert compute_signals(starts).delivery is not None
    assert [m.seconds for m in lengths(compute_signals(starts))] == [None, None, None]
    assert (balance(starts).score, balance(starts).reason) == (plain.score, plain.reason)


def test_five_minutes_of_one_answer_is_an_outlier_under_the_word_line() -> None:
    turns = interview(story(600), 330.0)
    firing = fires("monologue_outlier", compute_signals(timed(*turns)))
    assert firing is not None and firing.detail == "T2 ran to 5.5 min on a open question"
    result = balance(timed(*turns))
    assert result.score is not None and result.score <= 2
    assert "monologue_outlier" in result.applied_rules
    # 600 words as text is long, not past the 800-word outlier line.
    assert fires("monologue_outlier", compute_signals(untimed(*turns))) is None


def test_a_ten_second_open_answer_is_a_one_liner() -> None:
    # 32 words with specifics rattled off in 10 s: as text they pass as a short answer.
    turns = interview(SHORT, 10.0, SHORT, 10.0)
    signals = compute_signals(timed(*turns))
    assert [m.thin() for m in lengths(signals)] == [True, True, False]
    result = balance(timed(*turns))
    assert result.score == 3
    assert "2 of 3 open answers are one-liners or thin" in (result.reason or "")
    assert "T2 32 words in 10 s" in (result.reason or "")
    # Level 3 passes (the answers are dense with facts); coached as a miss, it speaks of time.
    missed = result.model_copy(update={"score": 2, "passed": False})
    line = coaching_for(load_rubric().criterion("answer_balance"), missed, signals,
                        timed(*turns))
    assert line is not None and line.startswith(
        "At turn 2, answering 'Tell me about yourself.' (turn 1), you spoke for 10 seconds;")
    assert not any(m.thin() for m in lengths(compute_signals(untimed(*turns))))


def test_most_open_answers_said_in_seconds_are_extreme() -> None:
    # 26 words (over the 25-word one-liner line for text) said in 8 s, twice in three answers.
    answer = " ".join(SHORT.split()[:26])
    turns = interview(answer, 8.0, answer, 8.0)
    firing = fires("extreme_length_majority", compute_signals(timed(*turns)))
    assert firing is not None and firing.detail == (
        "2 of 3 open answers are one-liners or monologues: T2 (8 s), T4 (8 s)")
    assert fires("extreme_length_majority", compute_signals(untimed(*turns))) is None


def test_a_slow_spoken_short_answer_is_no_one_liner() -> None:
    # 28 words (a one-liner as text) said over 20 s, with specifics: two real sentences.
    answer = " ".join(SHORT.split()[:28])
    turns = interview(answer, 20.0, answer, 20.0)
    assert [m.thin() for m in lengths(compute_signals(timed(*turns)))] == [False, False, False]
    assert [m.thin() for m in lengths(compute_signals(untimed(*turns)))] == [True, True, False]


def test_provisional_and_coaching_name_the_same_lapse() -> None:
    # T4 both ran past a cue to be brief and was cut off: the reason and the coaching line come
    # from one list of lapses, so they tell the same story about the same answer.
    turns = (("interviewer", "Tell me about yourself.", 2.0),
             ("candidate", story(160), 64.0),
             ("interviewer", "We're short on time, so briefly: why this hospital?", 3.0),
             ("candidate", story(260), 110.0),
             ("interviewer", "Sorry, I have to move us on. Tell me about a time you disagreed "
                             "with a consultant.", 4.0),
             ("candidate", story(200), 80.0))
    for transcript, size, spoke in ((untimed(*turns), "260 words", "260 words"),
                                    (timed(*turns), "1.8 min", "for 1.8 minutes")):
        lapses = talkative_lapses(compute_signals(transcript))
        assert [(x.answer.turn, x.kind) for x in lapses] == [(4, "brief_cue")]
        result = balance(transcript)
        assert f"too talkative: T4: {size} after a cue to be brief" in (result.reason or "")
        assert result.coaching is not None and result.coaching.startswith(
            "At turn 4, asked 'We're short on time, so briefly: why this hospital?' (turn 3) for "
            f"a short answer, you spoke {spoke};")


def test_a_fact_question_answered_for_most_of_a_minute_is_over_answered() -> None:
    # 80 words (under the 100-word line for text) spoken over 50 s where a date was asked for.
    turns = (("interviewer", "Tell me about yourself.", 2.0),
             ("candidate", story(160), 64.0),
             ("interviewer", "What's your notice period?", 2.0),
             ("candidate", story(80), 50.0),
             ("interviewer", "Are you registered in this state?", 2.0),
             ("candidate", story(80), 45.0))
    result = balance(timed(*turns))
    assert (result.score, result.passed) == (2, False)
    assert ("too talkative: T4: 50 s on a simple question; T6: 45 s on a simple question"
            in (result.reason or ""))
    assert result.coaching is not None and result.coaching.startswith(
        "At turn 4, 'What's your notice period?' (turn 3) asked for a fact and got an answer of "
        "50 seconds;")
    lapses = talkative_lapses(compute_signals(timed(*turns)))
    assert [x.answer.turn for x in lapses] == [4, 6]
    assert talkative_lapses(compute_signals(untimed(*turns))) == []


def test_times_covering_part_of_an_answer_leave_it_to_its_words() -> None:
    # The answer goes on in a turn without times: one timed second is not its length.
    turns = (Turn(index=1, speaker="interviewer", text="Tell me about yourself.",
                  offset=0.0, end=2.0),
             Turn(index=2, speaker="candidate", text="Sure.", offset=3.0, end=4.0),
             Turn(index=3, speaker="candidate", text=story(160)))
    signals = compute_signals(Transcript(turns=turns))
    assert signals.delivery is not None and signals.delivery.timing == "start_end"
    [length] = lengths(signals)
    assert (length.answer.words, length.seconds, length.thin()) == (161, None, False)
