"""Delivery measured in time: speaking time, pace, pauses, fillers and talk-time share.

Only transcripts that carry times have a delivery: recordings (each turn's start and end from
the transcription), caption files (VTT/SRT cue times) and text with timestamps (starts only).
A turn's speaking time is ``end - offset``; when a turn has a start but no end, it runs to the
next turn's start, which includes the pause after it, so pauses are then not measured.

Figures, per answer (the answers of ``answer_balance``: a reply split by the interviewer's
backchannels is one answer):

* **speaking time**: seconds the candidate spoke, over the answer's turns;
* **words per minute**: the answer's words over its speaking time (conversational speech runs
  about 120-160; much faster is hard to follow, much slower drags);
* **pause before answering**: seconds from the end of the interviewer's turn before the answer
  to the answer's start (0 when the candidate spoke over the end of the question);
* **filler words per minute**: "um", "uh", "erm", "you know" (not "you know what/how/if ...",
  not "do you know") and "like" set off as a filler ("like, we ...", ", like, ..."; not "I
  like", "would like" or "like a ..."), counted only where the transcript keeps fillers: many
  transcription models drop them, so a transcript with none anywhere reports none rather than
  zero.

And over the interview: each side's speaking time and the candidate's **talk-time share**.
Answers without times (typed in a voice practice session) have no figures; a transcript whose
candidate turns carry no times has no delivery.

Every figure is a fact about the transcript with the turns it comes from; none is a verdict.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from roleplay.evaluate._answers import AnswerSignal
from roleplay.evaluate._text import _Frozen
from roleplay.transcript import Transcript, Turn

__all__ = ["AnswerDelivery", "Delivery", "count_fillers", "delivery_of"]

_FILLER = re.compile(
    r"\b(?:u+m+|u+h+|e+r+m+|hmm+)\b(?!-)"
    # "you know" as a filler, not as a verb with an object or a question ("do you know ...").
    r"|(?<!\bdo )(?<!\bdid )(?<!\bdon't )(?<!\bif )\byou know\b(?!\s+(?:what|how|if|that|whether"
    r"|about|who|where|when|why|the|a|an|him|her|them|it|me|us|more|each)\b)(?!\s*\?)"
    # "like" set off by a comma after it, or after a comma and not before a noun phrase.
    r"|\blike\b(?=\s*,)"
    r"|(?<=,)\s*like\b(?!\s+(?:a|an|the|this|that|to|it|when|how|what|my|our|your|their)\b)",
    re.IGNORECASE,
)


def count_fillers(text: str) -> int:
    """Filler words and phrases in ``text`` (see the module docstring for what counts)."""
    return len(_FILLER.findall(text))


class AnswerDelivery(_Frozen):
    """How one answer was delivered, in time."""

    turn: int
    """The candidate turn the answer starts in."""
    turns: tuple[int, ...]
    """Every candidate turn of the answer."""
    question_turn: int
    """The interviewer turn it answers."""
    seconds: float
    """Speaking time over the answer's turns."""
    words: int
    """Words in the answer."""
    wpm: float | None
    """Words per minute (None when the speaking time is zero)."""
    pause: float | None
    """Seconds from the end of the interviewer's turn before the answer to its start (None
    when that turn has no end time)."""
    fillers: int | None
    """Filler words in the answer (None when the transcript keeps no fillers anywhere)."""
    fillers_per_minute: float | None
    """Fillers per minute of speaking time (None as ``fillers``, or with no speaking time)."""

    def span(self) -> str:
        """``T4`` or ``T4-T6``: the turns of the answer."""
        return f"T{self.turns[0]}" if len(self.turns) < 2 else f"T{self.turns[0]}-T{self.turns[-1]}"


class Delivery(_Frozen):
    """Delivery figures of a transcript with times."""

    timing: Literal["start_end", "starts_only"]
    """``start_end``: every timed turn has its end; ``starts_only``: some ends were taken from
    the next turn's start, so speaking times include the pause after and pauses are unknown."""
    candidate_seconds: float
    """The candidate's speaking time over the interview."""
    interviewer_seconds: float
    """The interviewer's (or panel's) speaking time over the interview."""
    talk_time_share: float | None
    """The candidate's share of the speaking time (None when nobody spoke)."""
    fillers_kept: bool
    """The transcript holds filler words somewhere, so counting them means something."""
    candidate_fillers: int | None
    """Fillers over all candidate turns (None unless ``fillers_kept``)."""
    answers: tuple[AnswerDelivery, ...]
    """Each answer to an interviewer question, in order."""

    def wpm(self) -> float | None:
        """The candidate's pace over all answers: their words over their speaking time."""
        seconds = sum(a.seconds for a in self.answers)
        words = sum(a.words for a in self.answers)
        return round(words * 60 / seconds, 1) if seconds > 0 else None

    def facts(self) -> list[str]:
        """Lines for the judge's facts block: turn numbers, times and counts only."""
        how = ("turn start and end times" if self.timing == "start_end"
               else "turn start times only; a turn runs to the next one's start")
        lines = [f"- Delivery (from the {how}): the candidate spoke "
                 f"{_minutes(self.candidate_seconds)} and the interviewer "
                 f"{_minutes(self.interviewer_seconds)}"
                 + (f"; talk-time share {self.talk_time_share:.0%}."
                    if self.talk_time_share is not None else ".")]
        if self.answers:
            parts = "; ".join(_answer_fact(a) for a in self.answers)
            lines.append(f"- Answer delivery (speaking time, words per minute, pause before "
                         f"answering, fillers per minute): {parts}.")
        if not self.fillers_kept:
            lines.append("- The transcript has no filler words anywhere (transcription often "
                         "drops them): fillers are not counted.")
        return lines


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def _answer_fact(a: AnswerDelivery) -> str:
    bits = [_minutes(a.seconds)]
    bits.append(f"{a.wpm:.0f} wpm" if a.wpm is not None else "pace unknown")
    bits.append(f"pause {a.pause:.1f} s" if a.pause is not None else "pause unknown")
    if a.fillers_per_minute is not None:
        bits.append(f"{a.fillers_per_minute:.1f} fillers/min")
    return f"{a.span()} " + ", ".join(bits)


def _ends(turns: Sequence[Turn]) -> tuple[dict[int, float], bool]:
    """Each timed turn's end (given, else the next timed turn's start); whether all were given."""
    ends: dict[int, float] = {}
    given = True
    for pos, turn in enumerate(turns):
        if turn.offset is None:
            continue
        if turn.end is not None:
            ends[turn.index] = max(turn.end, turn.offset)
            continue
        nxt = next((t.offset for t in turns[pos + 1:] if t.offset is not None), None)
        if nxt is not None:
            given = False
            ends[turn.index] = max(nxt, turn.offset)
    return ends, given


def delivery_of(transcript: Transcript, answers: Sequence[AnswerSignal]) -> Delivery | None:
    """The delivery of ``transcript`` (None when its turns carry no times).

    ``answers`` are the transcript's answers to interviewer questions (see `answers_of`).
    """
    turns = transcript.turns
    if sum(1 for t in turns if t.offset is not None) < 2 and not any(
            t.offset is not None and t.end is not None for t in turns):
        return None
    if not any(t.offset is not None for t in turns if t.speaker == "candidate"):
        return None  # a typed voice-practice session: only the interviewer's turns have times
    ends, given = _ends(turns)
    if not ends:
        return None

    def seconds(turn: Turn) -> float:
        end = ends.get(turn.index)
        return 0.0 if end is None or turn.offset is None else end - turn.offset

    by_index = {t.index: t for t in turns}
    kept = any(count_fillers(t.text) for t in turns)
    cand = sum(seconds(t) for t in turns if t.speaker == "candidate")
    inter = sum(seconds(t) for t in turns if t.speaker == "interviewer")
    out: list[AnswerDelivery] = []
    for a in answers:
        parts = [by_index[i] for i in a.turns or (a.turn,) if i in by_index]
        if not any(t.offset is not None for t in parts):
            continue  # typed among spoken answers: no time to measure
        spoken = round(sum(seconds(t) for t in parts), 2)
        minutes = spoken / 60
        first = parts[0] if parts else None
        before = _turn_before(turns, a.turn)
        pause: float | None = None
        if given and first is not None and first.offset is not None and before is not None \
                and before.end is not None:
            pause = round(max(0.0, first.offset - before.end), 2)
        fillers = sum(count_fillers(t.text) for t in parts) if kept else None
        out.append(AnswerDelivery(
            turn=a.turn, turns=tuple(t.index for t in parts), question_turn=a.question_turn,
            seconds=spoken, words=a.words,
            wpm=round(a.words / minutes, 1) if minutes > 0 else None, pause=pause,
            fillers=fillers,
            fillers_per_minute=round(fillers / minutes, 1)
            if fillers is not None and minutes > 0 else None))
    total = cand + inter
    return Delivery(
        timing="start_end" if given else "starts_only",
        candidate_seconds=round(cand, 2), interviewer_seconds=round(inter, 2),
        talk_time_share=round(cand / total, 4) if total > 0 else None,
        fillers_kept=kept,
        candidate_fillers=sum(count_fillers(t.text) for t in turns if t.speaker == "candidate")
        if kept else None,
        answers=tuple(out))


def _turn_before(turns: Sequence[Turn], index: int) -> Turn | None:
    for pos, turn in enumerate(turns):
        if turn.index == index:
            return turns[pos - 1] if pos > 0 else None
    return None
