"""A long evaluation shortened for the terminal; files and pipes get the whole report.

A transcript of thousands of turns makes a report whose reasons list every turn and whose
transcript panel repeats every cited turn: tens of thousands of lines that scroll the summary
away. On a terminal the report keeps its table and verdicts, with each reason cut to a few
lines and a handful of quotes per criterion; ``--out FILE`` or ``--format json`` writes it whole.
"""

from __future__ import annotations

from roleplay.evaluate import Evaluation
from roleplay.transcript import Transcript

__all__ = ["LINE_CHARS", "LONG_TRANSCRIPT_TURNS", "shorten"]

LONG_TRANSCRIPT_TURNS = 150
"""Above this many turns the terminal report is shortened."""
LINE_CHARS = 400
"""The longest reason or signal line printed for a long transcript."""
_QUOTES = 5


def _cut(text: str) -> str:
    return text if len(text) <= LINE_CHARS else text[:LINE_CHARS].rstrip() + " [...]"


def shorten(evaluation: Evaluation, transcript: Transcript) -> tuple[Evaluation,
                                                                       Transcript | None, bool]:
    """The evaluation and transcript to print on a terminal, and whether anything was cut."""
    if len(transcript.turns) <= LONG_TRANSCRIPT_TURNS:
        return evaluation, transcript, False
    criteria = tuple(
        c.model_copy(update={"reason": _cut(c.reason), "evidence": c.evidence[:_QUOTES],
                             "coaching": _cut(c.coaching) if c.coaching else c.coaching})
        for c in evaluation.criteria)
    # Without the transcript the report shows no panel of every cited turn.
    return evaluation.model_copy(update={"criteria": criteria}), None, True
