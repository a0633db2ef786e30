"""The candidate's own questions, wherever in the interview they are asked.

Good questions are informed by listening, and a candidate who asks them mid-interview, on their
own initiative, is doing what the advice asks as much as one who waits to be invited. So every
question counts, except those that ask nothing about the job: pleasantries ("Can you hear
me?"), asking leave to ask ("Can I ask a question?") and checks on the candidate's own answer
("Does that make sense?").

A question builds on the conversation when it points back at it ("You mentioned ...") or takes
up the content words of what the interviewer said just before it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from roleplay.evaluate._lexicon import (
    _CONTACT_ASK,
    _FOLLOW_VERB,
    _FORWARD_ASK,
    _GENERIC,
    _JOB_ASK,
    _METHOD_ASK,
    _PAY,
    _PRESUMPTIVE,
    _PROCESS,
    _REFERS_BACK,
    _TIMELINE,
    _rx,
)
from roleplay.evaluate._overlap import content_words
from roleplay.evaluate._text import _Frozen, _sentence_texts, count_words
from roleplay.transcript import Turn

__all__ = ["QuestionSignal", "Topic", "is_question", "questions_of"]

Topic = Literal["pay_perks", "process", "generic", "other"]

# Questions that ask nothing about the job.
_EMPTY_QUESTION = _rx(
    r"\bcan\s+you\s+(?:hear|see)\s+me\b",
    r"\bam\s+i\s+(?:audible|on\s+mute|muted|coming\s+through)\b",
    r"\bhow\s+(?:are|is)\s+(?:you|your\s+(?:day|week|morning|afternoon))\b", r"\bhow(?:'s|\s+is)\s+"
    r"(?:it\s+going|your\s+(?:day|week|morning|afternoon))\b", r"\bhow\s+have\s+you\s+been\b",
    r"\b(?:can|could|may|might)\s+i\s+ask\s+(?:you\s+)?(?:a|one|some|something|a\s+couple|a\s+few|"
    r"the\s+same|about\s+(?:that|this|it))\W*\?$", r"\bdo\s+you\s+mind\s+if\s+i\s+ask\b",
    r"\bis\s+it\s+(?:ok(?:ay)?|alright)\s+if\s+i\s+ask\b",
    r"\b(?:does|did)\s+that\s+(?:make\s+sense|answer|help|cover)\b", r"\b(?:is|was)\s+that\s+"
    r"(?:ok(?:ay)?|alright|helpful|what\s+you\s+(?:meant|were\s+after|wanted))\b",
    r"\b(?:shall|should)\s+i\s+(?:go\s+on|continue|keep\s+going|go\s+into\s+more)\b",
    r"\b(?:want|like)\s+me\s+to\s+(?:go\s+(?:on|into)|continue|expand|elaborate)\b",
    r"\b(?:sorry|pardon)\b[^?]{0,20}\?$", r"\bcould\s+you\s+(?:repeat|say\s+that\s+again)\b",
    r"\bwhat\s+was\s+the\s+question\b", r"\bis\s+(?:now|this)\s+(?:still\s+)?a\s+good\s+time\b",
    r"^\W*(?:oh\W+)?(?:right|ok(?:ay)?|yeah|really|seriously|honestly|truly|you\s+too|and\s+you|"
    r"no|yes|sorry|pardon)\W*\?$",
    # Checking what a word means ("What's actuarial, sorry?") is not a question about the job.
    r"^\W*(?:(?:um+|uh+|so|sorry|and|oh)\W+)*what(?:'s|\s+is)\s+(?:an?\s+)?[\w-]+\s*(?:[—–,-]|\?)",
    r"\bwhat\s+(?:does|did)\s+(?:that|it|[\w-]+)\s+(?:mean|stand\s+for)\b",
    r"\bwhat\s+do\s+you\s+mean\b",
    # A tag on the candidate's own statement ("..., you know?") asks nothing.
    r"\b(?:you\s+know|know\s+what\s+i\s+mean|if\s+that\s+makes\s+sense)\W*\?$",
)
# Terms of the job rather than the work: pay, perks, hours and shifts, commission. Fair to ask,
# but they show nothing of listening, and first in an early round they are a red flag.
_TERMS = _rx(
    r"\b(?:which|what|the|night|day|weekend|split|early|late|long)\s+shifts?\b",
    r"\bshifts?\s+(?:like|pattern|patterns|length|rotation|schedule)\b", r"\bsplits?\b",
    r"\bschedul(?:e|es|ing)\b", r"\brota\b", r"\bweekends?\b",
    r"\b(?:monday|mon)\s+(?:through|to|-)\s+(?:friday|fri)\b", r"\bdays?\s+off\b",
    r"\bdifferential\b", r"\bon-?call\s+pay\b", r"\bcommission\b", r"\bquota\b",
    r"\baccelerators?\b", r"\bdraw\b", r"\bstaff\s+(?:meal|discount)\b", r"\bparking\b",
    r"\buniform\b", r"\bdress\s+code\b", r"\blunch\s+break\b", r"\bhow\s+much\b",
    r"\bsick\s+(?:days|leave|pay)\b", r"\b401\s*\(?k\)?\b", r"\bpension\b", r"\binsurance\b",
)
# A question inside a long answer, away from its end, is told, not asked: a rhetorical question
# or the words of someone in the candidate's story.
_LONG_ANSWER_WORDS = 60
_SUBSTANTIVE_WORDS = 8
_ASKED_AT_END = 3
# A question put without its question mark, as chat and notes often do ("what are the next
# steps").
_INTERROGATIVE = re.compile(
    r"^\W*(?:(?:and|so|ok(?:ay)?|great|cool|also|just|um+|uh+|er|oh|well)\W+)*(?:what|when|where|who|whom|which|how|"
    r"why|is|are|do|does|did|will|would|could|can|should|shall|may|have|has)\b(?!\s+(?:say|think|"
    r"guess|mean)\b)[^.!\n]{3,}$", re.IGNORECASE)
_QUOTED = re.compile(r"^\W*[\"“‘']")
# "How are you" as a statement start is never the candidate's question when it is an answer.
_ANSWER_START = re.compile(r"^\W*(?:(?:and|so|ok(?:ay)?|great|cool|also|just|um+|uh+|er|oh|"
                           r"well)\W+)*(?:what\s+i|how\s+i|when\s+i|where\s+i|why\s+i|"
                           r"which\s+is|is\s+that\s+i)\b", re.IGNORECASE)


class QuestionSignal(_Frozen):
    """A question the candidate asked."""

    turn: int
    """The candidate turn."""
    in_close: bool
    """Whether it falls where closing moves are looked for (from `ClosingPhase.moves_from`)."""
    topic: Topic
    """``pay_perks`` (pay, benefits, time off, remote, hours, shifts, commission); ``process``
    (the hiring process, timeline, follow-up, or the candidate's own candidacy); ``generic``
    (canned: the culture, a typical day, what success looks like); ``other`` (the role, the
    team, the work)."""
    builds_on: bool
    """It picks up the conversation: points back at it ("you mentioned ...") or takes up the
    content words of the interviewer's turn just before it."""
    quote: str
    """The question, verbatim."""
    own_initiative: bool = False
    """Asked before any invitation to ask questions, on the candidate's own initiative."""


def is_question(sentence: str) -> bool:
    """Whether ``sentence`` asks something: a question mark, or an interrogative opening."""
    s = sentence.rstrip()
    if s.endswith("?"):
        return True
    return bool(_INTERROGATIVE.match(s)) and not _ANSWER_START.match(s) and len(s) <= 200


def _topic(sentence: str) -> Topic:
    if _PAY.search(sentence) or _TERMS.search(sentence):
        return "pay_perks"
    if any(p.search(sentence) for p in (_PROCESS, _TIMELINE, _METHOD_ASK, _CONTACT_ASK,
                                          _FOLLOW_VERB, _PRESUMPTIVE, _FORWARD_ASK, _JOB_ASK)):
        return "process"
    if _GENERIC.search(sentence):
        return "generic"
    return "other"


def questions_of(turns: Sequence[Turn], candidate: Sequence[Turn], *, moves_from: int,
                 invitation_turn: int | None) -> list[QuestionSignal]:
    """Every question the candidate asked about the job, in order.

    ``candidate`` is the candidate's turns as trusted text (spans posing as another speaker
    blanked); ``turns`` the whole transcript, for the interviewer turn each question follows.
    """
    # What the candidate had just heard: the last interviewer turn with something in it (a
    # "Mm-hm." between keeps the floor, it says nothing to pick up).
    previous: dict[int, str] = {}
    heard_turns: list[str] = []
    for turn in turns:
        if turn.speaker == "interviewer":
            if count_words(turn.text) >= _SUBSTANTIVE_WORDS:
                heard_turns = [turn.text]
        else:
            previous[turn.index] = " ".join(heard_turns)
    found: list[QuestionSignal] = []
    for turn in candidate:
        refers = bool(_REFERS_BACK.search(turn.text))
        heard = content_words(previous.get(turn.index, ""))
        sentences = _sentence_texts(turn.text)
        told = count_words(turn.text) >= _LONG_ANSWER_WORDS
        for position, sentence in enumerate(sentences):
            if not is_question(sentence) or _EMPTY_QUESTION.search(sentence):
                continue
            if _QUOTED.match(sentence) or (told and position < len(sentences) - _ASKED_AT_END):
                continue
            takes_up = len(content_words(sentence) & heard) >= 2
            found.append(QuestionSignal(
                turn=turn.index, in_close=turn.index >= moves_from, topic=_topic(sentence),
                builds_on=refers or takes_up, quote=sentence,
                own_initiative=invitation_turn is None or turn.index < invitation_turn))
    return found
