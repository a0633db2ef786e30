"""Answers to the interviewer's questions: which turns make one, and how long each should be.

Each answer carries its question's type, its length band and whether the interviewer asked for
it short.
answer_balance is about answers only: the candidate's own questions are never answers, a
closed question's few words are right, and one reply that a transcript splits at the
interviewer's "Mm-hm" is one answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from roleplay.evaluate._lexicon import (
    _BACKCHANNEL,
    _BEHAVIOURAL,
    _BREVITY,
    _MOVE_ON,
    _OPEN,
    _OPEN_MORE,
    _OPEN_REQUEST,
    _PREFERENCE,
    _YES_NO,
    _rx,
)
from roleplay.evaluate._text import _Frozen, _sentence_texts, count_words
from roleplay.transcript import Turn

ONE_LINER_WORDS = 25
"""An open answer under this many words is a one-liner."""
MONOLOGUE_WORDS = 450
"""An answer over this many words is a monologue."""
EXTREME_OUTLIER_WORDS = 800
"""One answer this long is an extreme outlier whatever the question."""
IDEAL_LOW_WORDS = 120
"""The low edge of "about 130-300 words" for an open answer (130, give or take ten words)."""
IDEAL_HIGH_WORDS = 330
"""The high edge of "about 130-300 words" for an open answer (300 plus 10%)."""
CLOSED_SHORT_WORDS = 60
"""A closed question's answer up to this many words is short, however few ("One month.")."""
CLOSED_LONG_WORDS = 100
"""A closed question's answer over this many words is over-answered: a story where a fact
was asked for."""
THIN_WORDS = 30
"""An open answer under this many words is a one-liner, however specific."""
SHORT_WORDS = 60
"""An open answer under this many words with nothing specific in it barely gives the facts."""
VAGUE_PER_100 = 1.5
"""Fewer specific details than this per 100 words makes a full-length answer vague."""
BRIEF_CUE_WORDS = 200
"""An answer over this many words to a question that asked for brevity ignored the cue."""

# The same tests in speaking time, for answers a recording or caption file timed (see
# roleplay.evaluate._balance): speech takes more words than typing to say the same, so where an
# answer has minutes they decide, not its words. Each is its word line at 150 words a minute
# (conversation runs 120-160): an answer spoken at that pace is judged as its text would be, a
# faster or slower one by how long it held the floor.
ONE_LINER_SECONDS = 10.0
"""An open answer spoken in under this many seconds is a one-liner: 25 words at 150 wpm."""
THIN_SECONDS = 12.0
"""An open answer spoken in under this many seconds is a one-liner however specific: 30 words
at 150 wpm, a sentence or two."""
MONOLOGUE_SECONDS = 180.0
"""An answer spoken for over this many seconds is a monologue: 450 words at 150 wpm, three
minutes."""
EXTREME_OUTLIER_SECONDS = 320.0
"""One answer spoken this long is an extreme outlier: 800 words at 150 wpm, over five
minutes."""
CLOSED_LONG_SECONDS = 40.0
"""A closed question's answer spoken for over this many seconds is over-answered: 100 words at
150 wpm."""
BRIEF_CUE_SECONDS = 80.0
"""An answer spoken for over this many seconds after a cue to be brief ignored it: 200 words at
150 wpm."""

# A "what" or "how" question asks for an account unless it asks for a fact.
_WH_OPEN = _rx(r"^\W*(?:(?:and|so|okay|ok|right|great|now)\W+)?(?:what|how)\b",
               r"\b(?:and|but)\s+(?:what|how)\s+(?:are|is|do|did|would|have)\s+you\b")
_FACT = _rx(
    r"\bhow\s+(?:many|much|long|old|soon|far|often)\b", r"\bwhat\s+time\b",
    r"\bwhat(?:'s|\s+is|\s+are|\s+would\s+be)\s+(?:your\s+)?(?:notice|salary|availability|"
    r"expectations?|rate|start\s+date|current\s+(?:title|salary)|name)\b",
    r"\bwhat\s+(?:hours|days|shifts|size|level|grade|version|tools?|stack)\b",
    r"\bhow\s+(?:do|would)\s+you\s+(?:spell|pronounce)\b",
    # Small talk: "How are you doing today?", "How's your week going?"
    r"\bhow\s+(?:are|is|was)\s+(?:you|it|things|your\s+(?:day|week|morning|trip|journey))\b"
    r"(?!\s+(?:thinking|approaching|handling|planning|going\s+to))",
    r"\bhow(?:'s|\s+is)\s+(?:it\s+going|your\s+(?:day|week|morning))\b",
)

# Numbers, amounts and durations: the facts of an answer.
_NUMBER = _rx(
    r"\d[\d,.:]*\s*(?:%|k\b|m\b|x\b)?", r"[$€£]\s?\d",
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|dozen|half|percent|"
    r"uno|dos|tres|cuatro|cinco|diez|cien|mil|zwei|drei|vier|fünf|zehn|hundert|tausend)\b",
)
# A capitalised word after a lower-case word or a comma: a name of a person, place, product or
# employer (sentence-initial capitals are not counted).
_NAME = re.compile(r"(?<=[a-z,;:)]\s)[A-Z][\w'&.-]*[A-Za-z]")
_NOT_NAMES = frozenset({"I", "I'm", "I'd", "I've", "I'll", "OK", "Okay", "Mr", "Mrs", "Ms",
                        "Dr"})
# The candidate notices they have drifted, or drifts out loud.
_DIGRESSION = _rx(
    r"\banyway\b", r"\banyhow\b", r"\bwhere\s+was\s+i\b", r"\blong\s+story\s+short\b",
    r"\b(?:on\s+a\s+)?side\s+note\b", r"\b(?:off\s+on\s+a\s+)?tangent\b", r"\bi\s+digress\b",
    r"\bbut\s+(?:that's|that\s+is)\s+(?:another|a\s+different)\s+story\b",
    r"\bsorry,?\s+(?:i'm|i\s+am)\s+(?:rambling|going\s+on|babbling)\b",
    r"\bwhich\s+reminds\s+me\b", r"\bfunny\s+(?:story|thing)\b", r"\bbut\s+i\s+digress\b",
    r"\bto\s+make\s+a\s+long\s+story\b", r"\bbut\s+yeah\b", r"\bso\s+yeah\b",
    r"\bha(?:ha)+\b|\bha\b|\[laughs?\]",
)

QuestionType = Literal["behavioural", "open", "closed", "none"]
Band = Literal["one_liner", "short", "adequate", "ideal", "long", "monologue"]


class AnswerSignal(_Frozen):
    """A candidate answer to an interviewer question, with its length band.

    An answer is everything the candidate says in reply to one question: candidate turns
    separated only by the interviewer's backchannels ("Mm-hm.", "Right, go on.") are one
    answer, as a transcript splits speech where a person hears one reply.
    """

    turn: int
    """The candidate turn the answer starts in."""
    question_turn: int
    """The interviewer turn it answers."""
    question_type: QuestionType
    """Behavioural and open questions want full answers; closed ones short answers."""
    words: int
    """Words in the answer, over all its turns."""
    band: Band
    """one_liner < 25 <= short < 60 <= adequate < 130 <= ideal <= 300 < long <= 450 < monologue."""
    turns: tuple[int, ...] = ()
    """Every candidate turn of the answer (just ``turn`` unless backchannels split it)."""
    brevity_cue: bool = False
    """The question asked for a short answer ("briefly", "in a sentence or two")."""
    moved_on: bool = False
    """The interviewer's next turn cut in or moved the candidate on ("Sorry, I have to move us
    on")."""
    specifics: int = 0
    """Specific details in the answer: numbers, amounts and names (the facts an answer gives)."""
    digressions: int = 0
    """Digression markers in the answer ("anyway", "long story short", "where was I")."""

    def thin(self, seconds: float | None = None) -> bool:
        """An answer that barely gives the facts: a one-liner, or short and with nothing specific.

        Only open questions want more; a few words are right for a closed one.

        Args:
            seconds: The answer's measured speaking time, if any: then a one-liner is one
                spoken in under `THIN_SECONDS`, not one under `THIN_WORDS` words. "Short with
                nothing specific" stays in words: it is about the facts said, not the time.
        """
        if self.question_type not in ("open", "behavioural"):
            return False
        brief = self.words < THIN_WORDS if seconds is None else seconds < THIN_SECONDS
        return brief or (self.words < SHORT_WORDS and self.specifics == 0)

    def vague(self) -> bool:
        """A full-length answer with almost nothing specific in it: padding, not facts."""
        return self.words >= SHORT_WORDS and self.specifics * 100 < self.words * VAGUE_PER_100

    def span(self) -> str:
        """The answer's turns as ``T4`` or ``T4-T8``."""
        last = self.turns[-1] if self.turns else self.turn
        return f"T{self.turn}" if last == self.turn else f"T{self.turn}-T{last}"


def _is_open(sentence: str) -> bool:
    """Whether ``sentence`` asks for a full answer.

    An open form ("tell me", "why", "how did you", "walk me through") counts unless it is a
    yes/no question ("Did you ever find out why ...?") or a preference ("How do you feel about
    ...?"); a request put as a question ("Can you walk me through ...?") is open. A "what" or
    "how" question is open unless it asks for a fact ("How many covers?", "What's your notice
    period?").
    """
    if _OPEN_REQUEST.search(sentence):
        return True
    if _YES_NO.search(sentence) or _PREFERENCE.search(sentence):
        return False
    if _OPEN.search(sentence) or _OPEN_MORE.search(sentence):
        return True
    return bool(_WH_OPEN.search(sentence)) and not _FACT.search(sentence)


def _question_type(text: str) -> QuestionType:
    if _BEHAVIOURAL.search(text):
        return "behavioural"
    # The prompt is the last question or open instruction ("Tell me about you.") in the turn.
    prompts = [s for s in _sentence_texts(text)
               if s.endswith("?") or _OPEN.search(s) or _OPEN_MORE.search(s)]
    if not prompts:
        return "none"
    # Only an open form asks for a full answer; small talk, facts and yes/no questions ("Sound
    # good?", "Notice period?") are closed. "What about shrink? Have you dealt with it?" is one
    # open prompt put two ways, so the last two prompts are read together.
    return "open" if any(_is_open(p) for p in prompts[-2:]) else "closed"


def _is_backchannel(turn: Turn) -> bool:
    """An interviewer turn that only keeps the candidate talking ("Mm-hm.", "Right, go on.")."""
    return (turn.speaker == "interviewer" and count_words(turn.text) <= 6
            and "?" not in turn.text and bool(_BACKCHANNEL.match(turn.text.strip())))


def _is_own_question(text: str) -> bool:
    """The candidate is asking, not answering: questions make up at least half the turn.

    "Before I answer, which team is this for?" or a question about the workload after "What do
    you want to know?" is the candidate's question; coaching it as a short answer would be wrong.
    """
    words = count_words(text)
    asked = sum(count_words(s) for s in _sentence_texts(text) if s.endswith("?"))
    return asked > 0 and asked * 2 >= words


def _band(words: int) -> Band:
    if words < ONE_LINER_WORDS:
        return "one_liner"
    if words < 60:
        return "short"
    if words < 130:
        return "adequate"
    if words <= 300:
        return "ideal"
    if words <= MONOLOGUE_WORDS:
        return "long"
    return "monologue"


def _previous_interviewer(turns: Sequence[Turn], position: int) -> Turn | None:
    # Walk back by index: slicing the list here would copy it for every turn.
    for i in range(position - 1, -1, -1):
        if turns[i].speaker == "interviewer":
            return turns[i]
    return None


def answers_of(turns: Sequence[Turn], invitation_turn: int | None) -> list[AnswerSignal]:
    """The candidate's answers to interviewer questions before the invitation to ask theirs.

    A candidate turn after another candidate turn, or after an interviewer backchannel, goes on
    with the answer before it. A turn that is mostly the candidate's own question is no answer
    and ends the one before.
    """
    answers: list[AnswerSignal] = []
    # The answer being built: question turn, type, candidate turns, words.
    current: tuple[Turn, QuestionType, list[int], int] | None = None
    text_of = {t.index: t.text for t in turns}

    def close(nxt: Turn | None) -> None:
        nonlocal current
        if current is not None:
            prompt, qtype, parts, words = current
            text = "\n".join(text_of[i] for i in parts)
            answers.append(AnswerSignal(
                turn=parts[0], question_turn=prompt.index, question_type=qtype, words=words,
                band=_band(words), turns=tuple(parts),
                brevity_cue=bool(_BREVITY.search(prompt.text)),
                moved_on=nxt is not None and bool(_MOVE_ON.search(_first_sentences(nxt.text))),
                specifics=specifics(text), digressions=len(_DIGRESSION.findall(text))))
        current = None

    for pos, turn in enumerate(turns):
        if invitation_turn is not None and turn.index > invitation_turn:
            break
        if turn.speaker == "interviewer":
            if not _is_backchannel(turn):
                close(turn)
            continue
        if turn.speaker != "candidate":
            continue
        if _is_own_question(turn.text):
            close(None)
            continue
        previous = turns[pos - 1] if pos > 0 else None
        continues = previous is not None and (previous.speaker == "candidate"
                                              or _is_backchannel(previous))
        if current is not None and continues:
            prompt, qtype, parts, words = current
            current = (prompt, qtype, [*parts, turn.index], words + count_words(turn.text))
            continue
        close(None)
        asked = _previous_interviewer(turns, pos)
        if asked is None or _is_backchannel(asked):
            continue
        qtype = _question_type(asked.text)
        if qtype != "none":
            current = (asked, qtype, [turn.index], count_words(turn.text))
    close(None)
    return answers


def specifics(text: str) -> int:
    """Specific details in ``text``: numbers and amounts, and names inside a sentence."""
    names = sum(1 for m in _NAME.finditer(text) if m.group() not in _NOT_NAMES)
    return len(_NUMBER.findall(text)) + names


def _first_sentences(text: str, n: int = 2) -> str:
    return " ".join(_sentence_texts(text)[:n])
