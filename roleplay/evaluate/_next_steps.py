"""Next steps of the hiring process: asked about, restated or confirmed by the candidate.

"Next steps" is a phrase of many conversations: a project's, a career path's, a customer's. A
candidate's question counts for this criterion only when it is about the hiring process: its own
words say so ("for the job", "the interview process", "when will I hear"), or the interviewer
answers it with the process (rounds, a decision, a call from the recruiter), or nobody answers
it at all at the close. A confirmation counts when it takes up what the interviewer said about
the process ("Okay, so middle of next week."); the candidate's own follow-up date ("If I haven't
heard by Friday I'll check in") is follow-up, not a confirmation of the process.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field

from roleplay.evaluate._lexicon import (
    _CONFIRM_START,
    _FOLLOW_VERB,
    _PROCESS,
    _TIME_ACK,
    _TIMELINE,
    _rx,
)
from roleplay.evaluate._overlap import content_words
from roleplay.evaluate._questions import is_question
from roleplay.evaluate._text import Hit, _sentence_texts, count_words
from roleplay.transcript import Turn

__all__ = ["HIRING_WORDS", "NextSteps", "next_steps_of"]

HIRING_WORDS = _rx(
    r"\binterview(?:s|ing|ed)?\b", r"\brounds?\b", r"\bstages?\b", r"\bshort-?list\w*\b",
    r"\bcandidates?\b", r"\brecruit(?:er|ers|ing|ment)\b", r"\bhr\b", r"\bhuman\s+resources\b",
    r"\bhiring\b", r"\bdecisions?\b", r"\bdecide\b", r"\boffers?\b", r"\breferences?\b",
    r"\bbackground\s+check\b", r"\bhear\s+(?:back|from)\b", r"\bget\s+back\s+to\s+you\b",
    r"\bbe\s+in\s+touch\b", r"\b(?:call|e-?mail|ring|contact|text)\s+you\b",
    r"\blet\s+you\s+know\b", r"\bpanel\b", r"\bon-?site\b", r"\btake-?home\b", r"\bassessment\b",
    r"\btrial\s+(?:shift|day|period)\b", r"\bsecond\s+(?:meeting|conversation|chat|call)\b",
    r"\bmeet\s+(?:with\s+)?(?:the|our|my)\b", r"\bfor\s+the\s+(?:job|role|position|post)\b",
    r"\bfor\s+(?:this|that)\s+(?:job|role|position|post)\b", r"\bprocess\b",
    r"\bbring\s+you\s+(?:back|in)\b", r"\bhands-?on\b", r"\bsomething\s+for\s+you\b",
    r"\b(?:two|three|four|a\s+couple|a\s+few|more)\s+(?:more\s+)?(?:people|candidates|guys|folks)\b",
    r"\b(?:talk|speak|meet)(?:ing)?\s+(?:to|with)\s+(?:a\s+(?:couple|few)\s+)?(?:more|other)\b",
    r"\b(?:entrevistas?|proceso|decisi[óo]n|te\s+aviso|le\s+aviso|le\s+llam\w+|te\s+llam\w+)\b",
    r"\b(?:vorstellungsgespräch|gespräch|entscheidung|melden|auswahl)\b",
)
"""Words that place "next steps" in the hiring process."""
# A time word shared with the interviewer's statement: the candidate repeats the timing back.
_TIME_WORD = _rx(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|today|tonight|"
    r"weekend|week|weeks|month|months|fortnight|days)\b",
    r"\b\d{1,2}(?:st|nd|rd|th)?\b",
    r"\b(?:lunes|martes|miércoles|jueves|viernes|semana|montag|dienstag|mittwoch|donnerstag|"
    r"freitag|woche)\b",
)


@dataclass
class NextSteps:
    """What the candidate did about the hiring process's next steps, in the close."""

    process: list[Hit] = field(default_factory=list)
    """Questions or confirmations about the next stage."""
    timeline: list[Hit] = field(default_factory=list)
    """Questions or confirmations about the timing (when they will hear, a decision)."""
    other: list[Hit] = field(default_factory=list)
    """"Next steps" asked about something other than the hiring process."""
    restated: list[Hit] = field(default_factory=list)
    """Sentences summing the interviewer's stated next steps back."""


def _next_interviewer(turns: Sequence[Turn]) -> dict[int, Turn]:
    """For each turn index, the first interviewer turn after it (one pass, from the end)."""
    after: dict[int, Turn] = {}
    following: Turn | None = None
    for turn in reversed(turns):
        if following is not None:
            after[turn.index] = following
        if turn.speaker == "interviewer":
            following = turn
    return after


def next_steps_of(turns: Sequence[Turn], candidate_close: Sequence[Turn],
                  stated: Sequence[int]) -> NextSteps:
    """The candidate's next-steps moves in ``candidate_close`` (trusted candidate turns).

    ``stated`` are the interviewer turns of the close that state next steps or a timeline.
    """
    found = NextSteps()
    by_index = {t.index: t for t in turns}
    replies = _next_interviewer(turns)
    # Only a statement about the hiring process can be confirmed for this criterion.
    stated = sorted(i for i in stated if HIRING_WORDS.search(by_index[i].text))
    for turn in candidate_close:
        # Whether the interviewer answered with the hiring process (None: nobody answered).
        answer = replies.get(turn.index)
        reply = None if answer is None else bool(HIRING_WORDS.search(answer.text))
        before = bisect_left(stated, turn.index)
        previous = by_index[stated[before - 1]] if before else None
        for sentence in _sentence_texts(turn.text):
            steps, timing = _PROCESS.search(sentence), _TIMELINE.search(sentence)
            if not (steps or timing) or _TIME_ACK.search(sentence):
                continue
            if not (is_question(sentence) or _CONFIRM_START.search(sentence)):
                continue
            about_hiring = (bool(HIRING_WORDS.search(sentence)) or reply is not False
                            or (previous is not None and previous.index == turn.index - 1))
            if not about_hiring:
                found.other.append(Hit(turn=turn.index, kind="other_next_steps",
                                       quote=sentence))
                continue
            if steps:
                found.process.append(Hit(turn=turn.index, kind="process", quote=sentence))
            if timing:
                found.timeline.append(Hit(turn=turn.index, kind="timeline", quote=sentence))
    _restatements(turns, stated, candidate_close, found)
    return found


def _restatements(turns: Sequence[Turn], stated: Sequence[int],
                  candidate_close: Sequence[Turn], found: NextSteps) -> None:
    """Candidate sentences right after a statement of next steps that repeat it back."""
    trusted = {t.index: t for t in candidate_close}
    position = {t.index: i for i, t in enumerate(turns)}
    for index in stated:
        at = position[index]
        statement = turns[at]
        reply = turns[at + 1] if at + 1 < len(turns) else None
        if reply is None or reply.speaker != "candidate" or reply.index not in trusted:
            continue
        said_words = content_words(statement.text)
        said_times = {m.group().lower() for m in _TIME_WORD.finditer(statement.text)}
        for sentence in _sentence_texts(trusted[reply.index].text)[:3]:
            if _FOLLOW_VERB.search(sentence) or _TIME_ACK.search(sentence):
                continue
            if not (_CONFIRM_START.search(sentence) or is_question(sentence)
                    or count_words(sentence) <= 12):
                continue
            times = {m.group().lower() for m in _TIME_WORD.finditer(sentence)} & said_times
            shared = content_words(sentence) & said_words
            if not times and len(shared) < 2:
                continue
            found.restated.append(Hit(turn=reply.index, kind="restated_next_steps",
                                      quote=sentence))
            if times and all(h.quote != sentence for h in found.timeline):
                found.timeline.append(Hit(turn=reply.index, kind="timeline", quote=sentence))
            if len(shared) >= 2 and all(h.quote != sentence for h in found.process):
                found.process.append(Hit(turn=reply.index, kind="process", quote=sentence))
