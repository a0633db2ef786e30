"""The closing recap: one thought near the end linking a stated need to the candidate's work.

The recap holds interest in the role and links a need the interviewer stated to the
candidate's own experience.
A recap is found by its parts, not its words: "fit" and "match" are not needed ("If I can leave
you with one thought: ... is exactly the work I've done at Riverbend"), and a need is found
either where the candidate points at it ("the Monday queue you described") or where the
candidate repeats an interviewer's words. Restating the interviewer's needs alone, thanks and
pleas are no recap.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from roleplay.evaluate._lexicon import (
    _FIT_CLAIM,
    _I_PAST,
    _INTEREST,
    _JOB_ASK,
    _NEED_MARKER,
    _NEED_POINTER,
    _OWN_EXPERIENCE,
    _RECAP_FRAME,
    _RECAP_INTEREST,
    _RECAP_RESULT,
    _STRENGTH,
)
from roleplay.evaluate._overlap import content_words
from roleplay.evaluate._text import Hit, _Frozen, _sentence_texts, count_words
from roleplay.transcript import Turn

RECAP_WINDOW = 5
"""A recap is looked for in the last this many candidate turns of the close."""
RECAP_BRIEF_WORDS = 80
"""A recap of at most this many words is brief enough to be memorable."""
RECAP_RAMBLING_WORDS = 120
"""A recap over this many words runs long (still a recap; the coaching says to tighten it)."""


class RecapSignal(_Frozen):
    """The best closing-recap candidate: one candidate turn near the end, and what it holds."""

    turn: int
    """The candidate turn."""
    words: int
    """Words in the recap: the run of statements (not questions) that hold its parts."""
    interest: bool
    """It says the candidate wants this role or this work."""
    need: bool
    """It points at a need the interviewer stated ("you said ...", "the Monday queue you
    described") or repeats the words of one."""
    experience: bool
    """It tells something the candidate did ("At Norland I took ...", "That's what I've been
    doing"), not just a claimed strength."""
    result: bool
    """It gives a result: a number that moved, a percentage, a before-and-after."""
    strength: bool
    """It claims a fit or a generic strength ("I'd be a great fit", "I'm a hard worker")."""
    fit_claim: bool
    """It uses fit wording ("fit", "match", "a great addition")."""
    framed: bool
    """It is announced as a recap ("If I can leave you with one thought", "To close")."""
    plain_interest: bool
    """Its interest goes beyond a bare "I want the job" (that is the ask, not a recap)."""
    hits: tuple[Hit, ...]
    """The sentences holding its parts."""

    def level(self) -> int:
        """The closing_recap anchor these parts reach (1-5), by the rubric's levels.

        Both parts (interest, and a need linked to the candidate's own experience) make a recap
        whatever its length; brevity and a result make it memorable. Half of it is level 3.
        """
        if self.interest and self.need and (self.experience or self.strength):
            brief = self.words <= RECAP_BRIEF_WORDS
            return 5 if self.experience and self.result and brief else 4
        if ((self.interest or self.fit_claim) and (self.strength or self.experience)
                or (self.need and self.experience)):
            return 3
        if self.fit_claim or self.plain_interest:
            return 2
        return 1


def recap_of(candidate: Sequence[Turn], interviewer: Sequence[Turn],
             moves_from: int) -> RecapSignal | None:
    """The best recap candidate in the last `RECAP_WINDOW` candidate turns of the close."""
    window = [t for t in candidate if t.index >= moves_from][-RECAP_WINDOW:]
    best: RecapSignal | None = None
    for turn in window:
        needs = content_words(" ".join(
            t.text for t in interviewer if t.index < turn.index and _NEED_MARKER.search(t.text)))
        found = _recap_in(turn, needs)
        if found is not None and (best is None or found.level() >= best.level()):
            best = found
    if best is not None and not best.interest and best.need and (best.experience
                                                                 or best.strength):
        # Interest said a turn earlier in the close ("I want the job." ... "You need X; I've
        # done X.") belongs to the same closing thought.
        said = [Hit(turn=t.index, kind="recap_interest", quote=sentence) for t in window
                if t.index <= best.turn for sentence in _sentence_texts(t.text)
                if not sentence.endswith("?") and _says_interest(sentence)]
        if said:
            best = best.model_copy(update={"interest": True, "hits": (said[-1], *best.hits)})
    return best


def _says_interest(sentence: str) -> bool:
    return bool(_RECAP_INTEREST.search(sentence) or _INTEREST.search(sentence)
                or _JOB_ASK.search(sentence))


_BARE_WANT = re.compile(r"\bwant\s+(?:this|the)\s+(?:job|role)\b", re.IGNORECASE)
# "I really enjoyed this" is a thank-you, not something the candidate did.
_NOT_DONE = frozenset({"enjoyed", "appreciated", "liked", "loved", "wanted", "hoped", "wondered",
                       "noticed", "mentioned", "needed", "thought", "guessed", "imagined",
                       "figured", "realised", "realized", "learned"})


def _recap_in(turn: Turn, needs: set[str]) -> RecapSignal | None:
    """The recap parts of one turn: its statements (not questions) that hold any of them."""
    parts: list[tuple[int, str, dict[str, bool]]] = []
    for i, sentence in enumerate(_sentence_texts(turn.text)):
        if sentence.endswith("?"):
            continue
        own = content_words(sentence)
        flags = {
            "interest": _says_interest(sentence),
            "plain_interest": any(not _BARE_WANT.search(m.group())
                                  for m in _INTEREST.finditer(sentence)),
            "need": bool(_NEED_POINTER.search(sentence)) or len(own & needs) >= 2,
            "experience": bool(_OWN_EXPERIENCE.search(sentence) or any(
                m.group().split()[-1].lower() not in _NOT_DONE
                for m in _I_PAST.finditer(sentence))),
            "result": bool(_RECAP_RESULT.search(sentence)),
            "strength": bool(_STRENGTH.search(sentence)),
            "fit_claim": bool(_FIT_CLAIM.search(sentence)),
            "framed": bool(_RECAP_FRAME.search(sentence)),
        }
        # A result told in the candidate's own sentence ("At Rangiora, the pass rate rose from
        # 71% to 84%") is their experience even without "I did"; one inside a pointer at the
        # interviewer's words is the interviewer's problem, not the candidate's work.
        if flags["result"] and not _NEED_POINTER.search(sentence):
            flags["experience"] = True
        if any(flags.values()):
            parts.append((i, sentence, flags))
    if not parts:
        return None
    # A need pointer in a sentence with no experience of the candidate's is an echo of the
    # interviewer ("So you need someone to ..."): it counts only beside own experience.
    experience = any(f["experience"] for _, _, f in parts)
    first, last = parts[0][0], parts[-1][0]
    statements = [s for i, s in enumerate(_sentence_texts(turn.text))
                  if first <= i <= last and not s.endswith("?")]
    kinds = ("interest", "need", "experience", "result", "strength")
    hits = tuple(Hit(turn=turn.index, kind=f"recap_{kind}", quote=sentence)
                 for _, sentence, f in parts for kind in kinds if f[kind])
    return RecapSignal(
        turn=turn.index, words=sum(count_words(s) for s in statements),
        interest=any(f["interest"] for _, _, f in parts),
        need=any(f["need"] for _, _, f in parts), experience=experience,
        result=experience and any(f["result"] for _, _, f in parts),
        strength=any(f["strength"] for _, _, f in parts),
        fit_claim=any(f["fit_claim"] for _, _, f in parts),
        framed=any(f["framed"] for _, _, f in parts),
        plain_interest=any(f["plain_interest"] for _, _, f in parts), hits=hits)
