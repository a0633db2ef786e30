"""A follow-up channel agreed in the exchange, not only named by the candidate.

The candidate says they will follow up and the interviewer names how ("I'll send a note by
Friday." "Email me directly.").

The candidate's own words may name no channel; the agreement in the interviewer's reply settles
it, as a person hearing the exchange would take it.
"""

from __future__ import annotations

from collections.abc import Sequence

from roleplay.evaluate._lexicon import _rx
from roleplay.evaluate._text import Hit, _sentence_texts
from roleplay.transcript import Turn

# The candidate's own follow-up: something they will send or do ("hear back" is the employer's).
_OWN_FOLLOW_UP = _rx(
    r"\bfollow(?:ing)?[- ]?up\b", r"\bsend\b", r"\bcheck\s+in\b", r"\btouch\s+base\b",
    r"\breach\s+out\b", r"\bget\s+in\s+touch\b", r"\b(?:contact|call|e-?mail|ring|text)\s+you\b",
    r"\bdrop\s+you\b", r"\bnote\b",
)
# The interviewer settles the channel: a directive or an acceptance naming it.
_CHANNEL_SETTLED = _rx(
    r"\b(?:e-?mail|call|phone|text|ring|message)\s+(?:me|us)\b",
    r"\b(?:e-?mail|phone|a\s+call|text)\s+(?:is|works|would\s+be)\s*(?:best|fine|good|great|"
    r"perfect|easiest)?\b", r"\bby\s+(?:e-?mail|phone|text)\b",
    r"\bmy\s+(?:own\s+)?(?:e-?mail|number|cell|phone|desk\s+line)\b",
    r"\bsend\s+(?:it|them|that)\s+(?:to\s+me|my\s+way|over)\b",
)

__all__ = ["agreed_channels"]


def agreed_channels(turns: Sequence[Turn], candidate_close: Sequence[Turn]) -> list[Hit]:
    """Candidate follow-up sentences whose channel the interviewer's next turn names."""
    found: list[Hit] = []
    position = {t.index: i for i, t in enumerate(turns)}
    for turn in candidate_close:
        at = position[turn.index]
        reply = turns[at + 1] if at + 1 < len(turns) else None
        if (reply is None or reply.speaker != "interviewer"
                or not _CHANNEL_SETTLED.search(reply.text)):
            continue
        found += [Hit(turn=turn.index, kind="follow_up_channel", quote=sentence)
                  for sentence in _sentence_texts(turn.text) if _OWN_FOLLOW_UP.search(sentence)]
    return found
