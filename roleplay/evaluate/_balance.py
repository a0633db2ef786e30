"""How long each answer ran, for answer_balance: in minutes where they were measured, else words.

A spoken two-minute answer runs 250-350 words and a typed one far fewer, so one word line cannot
serve both. Where a recording or caption file timed an answer, its speaking time decides whether
it ran long or came out as a one-liner (the ``*_SECONDS`` lines in `roleplay.evaluate._answers`);
text without times keeps the word lines.

The "talking too much" lapses are decided here, once, for the provisional verdict, its coaching
line and the caps alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from roleplay.evaluate._answers import (
    BRIEF_CUE_SECONDS,
    BRIEF_CUE_WORDS,
    CLOSED_LONG_SECONDS,
    CLOSED_LONG_WORDS,
    MONOLOGUE_SECONDS,
    MONOLOGUE_WORDS,
    AnswerSignal,
)
from roleplay.evaluate._delivery import _minutes
from roleplay.evaluate.signals import Signals

__all__ = ["MAX_SPOKEN_WPM", "Lapse", "Length", "lengths", "talkative_lapses"]

MAX_SPOKEN_WPM = 300.0
"""Faster than people speak: the times cover only part of the answer (a turn of it without
times), so its words decide instead."""

LapseKind = Literal["brief_cue", "moved_on", "closed_long", "monologue", "drift"]


@dataclass(frozen=True)
class Length:
    """One answer's length for the balance tests."""

    answer: AnswerSignal
    """The answer."""
    seconds: float | None
    """Its measured speaking time, or None when its words decide (no times, or times that are
    not speaking time)."""

    def over(self, words: int, seconds: float) -> bool:
        """Whether the answer ran past ``seconds`` when timed, else past ``words``."""
        return self.answer.words > words if self.seconds is None else self.seconds > seconds

    def under(self, words: int, seconds: float) -> bool:
        """Whether the answer stopped short of ``seconds`` when timed, else of ``words``."""
        return self.answer.words < words if self.seconds is None else self.seconds < seconds

    def thin(self) -> bool:
        """Whether it barely gives the facts (see `AnswerSignal.thin`)."""
        return self.answer.thin(self.seconds)

    def size(self) -> str:
        """``3.4 min`` or ``45 s`` when timed, else ``450 words``."""
        return f"{self.answer.words} words" if self.seconds is None else _minutes(self.seconds)

    def spoken(self) -> str:
        """The speaking time in words for a sentence: ``3.4 minutes`` or ``45 seconds``."""
        s = self.seconds or 0.0
        return f"{s / 60:.1f} minutes" if s >= 60 else f"{s:.0f} seconds"


def lengths(s: Signals) -> list[Length]:
    """Each answer of ``s`` with the measure its length tests use, in order."""
    timed: dict[int, float] = {}
    # Only start-and-end times are speaking time. With start times only, a turn runs to the next
    # one's start, so it holds the silence after the answer too (the interviewer writing notes,
    # a pause before the next question): that can be as long as a short answer, and would make a
    # one-liner look full and a long answer longer. The words are exact, so they decide there.
    if s.delivery is not None and s.delivery.timing == "start_end":
        for d in s.delivery.answers:
            if d.seconds > 0 and d.wpm is not None and d.wpm <= MAX_SPOKEN_WPM:
                timed[d.turn] = d.seconds
    return [Length(a, timed.get(a.turn)) for a in s.answers]


@dataclass(frozen=True)
class Lapse:
    """An answer that talked past the point, and how."""

    length: Length
    """The answer and its measure."""
    kind: LapseKind
    """brief_cue: ran long after a cue to be brief; moved_on: the interviewer cut in or moved on;
    closed_long: a story where a fact was asked for; monologue: ran long whatever the question;
    drift: drifted out loud ("anyway", "where was I")."""

    @property
    def answer(self) -> AnswerSignal:
        """The answer."""
        return self.length.answer

    def reason(self) -> str:
        """What happened, with the minutes or words that decided it."""
        size = self.length.size()
        return {"brief_cue": f"{size} after a cue to be brief",
                "moved_on": "the interviewer cut in or moved on",
                "closed_long": f"{size} on a simple question",
                "monologue": f"{size} in one answer",
                "drift": "drifts out loud"}[self.kind]


def _lapse(m: Length) -> LapseKind | None:
    # One lapse per answer, the plainest evidence first: the interviewer's own request to be
    # brief, then their cutting in, then length (a story on a fact question before length
    # alone), then drifting out loud.
    a = m.answer
    if a.brevity_cue and m.over(BRIEF_CUE_WORDS, BRIEF_CUE_SECONDS):
        return "brief_cue"
    if a.moved_on:
        return "moved_on"
    if a.question_type == "closed" and m.over(CLOSED_LONG_WORDS, CLOSED_LONG_SECONDS):
        return "closed_long"
    if m.over(MONOLOGUE_WORDS, MONOLOGUE_SECONDS):
        return "monologue"
    if a.digressions >= 2:
        return "drift"
    return None


def talkative_lapses(s: Signals) -> list[Lapse]:
    """The answers of ``s`` that talked too much, in order, each with its lapse."""
    out: list[Lapse] = []
    for m in lengths(s):
        kind = _lapse(m)
        if kind is not None:
            out.append(Lapse(m, kind))
    return out
