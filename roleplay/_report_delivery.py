"""The "Delivery" section of a report: time figures per answer, with the turns they come from."""

from __future__ import annotations

from roleplay.evaluate.signals import Delivery

__all__ = ["COLUMNS", "delivery_rows", "delivery_summary"]

COLUMNS = ("Answer", "Question", "Speaking time", "Words/min", "Pause before", "Fillers/min")
"""The table's column headings."""


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def delivery_summary(d: Delivery) -> str:
    """One line: each side's speaking time, the talk-time share, the pace, the fillers."""
    share = f", talk-time share {d.talk_time_share:.0%}" if d.talk_time_share is not None else ""
    wpm = d.wpm()
    pace = f"; pace over the answers {wpm:.0f} words/min" if wpm is not None else ""
    fillers = (f"; {d.candidate_fillers} filler words in the candidate's turns"
               if d.candidate_fillers is not None
               else "; no filler words in the transcript (transcription often drops them)")
    timing = ("" if d.timing == "start_end"
              else " (start times only: speaking times include the pause after a turn)")
    return (f"Candidate spoke {_clock(d.candidate_seconds)}, interviewer "
            f"{_clock(d.interviewer_seconds)}{share}{pace}{fillers}{timing}.")


def delivery_rows(d: Delivery) -> list[tuple[str, ...]]:
    """One row per answer, in `COLUMNS` order."""
    return [(a.span(), f"T{a.question_turn}", _clock(a.seconds),
             "—" if a.wpm is None else f"{a.wpm:.0f}",
             "—" if a.pause is None else f"{a.pause:.1f} s",
             "—" if a.fillers_per_minute is None else f"{a.fillers_per_minute:.1f}")
            for a in d.answers]
