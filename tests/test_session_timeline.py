"""Interviews held aloud: with a timeline, turns carry when they were said."""

from __future__ import annotations

import pytest

from roleplay.candidates import CandidateInfo, CandidateReply, CandidateView, SpokenTimes
from roleplay.evaluate.signals import compute_signals
from roleplay.session import Interview
from roleplay.testing import ScriptedChatModel
from tests.test_session import make_persona, mv


class Ticks:
    """A timeline that moves one second each time it is read."""

    def __init__(self) -> None:
        self.now = 10.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now

class Speaker:
    """A candidate who speaks each answer at given times (None: typed)."""

    def __init__(self, answers: list[tuple[str, SpokenTimes | None]]) -> None:
        self.answers = list(answers)

    @property
    def info(self) -> CandidateInfo:
        return CandidateInfo(source="human")

    def reply(self, view: CandidateView) -> CandidateReply:  # noqa: ARG002
        if not self.answers:
            return CandidateReply.leave()
        text, spoken = self.answers.pop(0)
        return CandidateReply(text=text, spoken=spoken)

def test_interviewer_turns_run_from_their_first_words_to_their_last() -> None:
    model = ScriptedChatModel([mv("Hi, I'm Dana. Tell me about yourself.", "opening"),
                               mv("Goodbye.", "close", end=True)])
    ticks = Ticks()
    shown: list[str] = []

    transcript = Interview(make_persona(), Speaker([("I build backends.", None)]), model,
                           on_text=shown.append, timeline=ticks, last_word=False).run()
    first = transcript.turns[0]
    assert first.offset is not None and first.end is not None
    assert first.offset < first.end  # began at the first streamed words, ended when recorded
    assert transcript.turns[1].offset is None  # typed: no time

def test_a_spoken_answer_keeps_its_times_and_a_question_read_aloud_ends_with_its_voice() -> None:
    model = ScriptedChatModel([mv("Tell me about a slow system you fixed.", "opening"),
                               mv("Thanks, goodbye.", "close", end=True)])
    ticks = Ticks()

    spoken = SpokenTimes(start=30.0, end=75.0, question_end=26.0)
    transcript = Interview(make_persona(), Speaker([(
        "Um, our batch took six hours; I profiled it and cut it to forty minutes.", spoken)]),
        model, on_text=lambda _t: None, timeline=ticks, last_word=False).run()
    question, answer = transcript.turns[0], transcript.turns[1]
    assert (answer.offset, answer.end) == (30.0, 75.0)
    assert question.end == 26.0  # read aloud until 26 s, after its text was out
    delivery = compute_signals(transcript).delivery
    assert delivery is not None and len(delivery.answers) == 1
    a = delivery.answers[0]
    assert a.seconds == pytest.approx(45.0) and a.pause == pytest.approx(4.0)

def test_without_a_timeline_no_turn_is_timed() -> None:
    model = ScriptedChatModel([mv("Hello, tell me about you.", "opening"),
                               mv("Bye.", "close", end=True)])

    transcript = Interview(make_persona(), Speaker([("I test.", None)]), model,
                           last_word=False).run()
    assert all(t.offset is None and t.end is None for t in transcript.turns)
    assert compute_signals(transcript).delivery is None
