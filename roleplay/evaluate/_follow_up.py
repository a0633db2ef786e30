"""A follow-up channel agreed in the exchange, not only named by the candidate.

The candidate says they will follow up and the interviewer names how ("I'll send a note by
Friday." "Email me directly.").

The candidate's own words may name no channel; the agreement in the interviewer's reply settles
it, as a person hearing the exchange would take it.
"""

from __future__ import annotations

from collections.abc import Sequence

from roleplay.evaluate._lexicon import _CHANNEL, _FOLLOW_VERB
from roleplay.evaluate._text import Hit, _sentence_texts
from roleplay.transcript import Turn

__all__ = ["agreed_channels"]


def agreed_channels(turns: Sequence[Turn], candidate_close: Sequence[Turn]) -> list[Hit]:
    """Candidate follow-up sentences whose channel the interviewer's next turn names."""
    found: list[Hit] = []
    position = {t.index: i for i, t in enumerate(turns)}
    for turn in candidate_close:
        at = position[turn.index]
        reply = turns[at + 1] if at + 1 < len(turns) else None
        if reply is None or reply.speaker != "interviewer" or not _CHANNEL.search(reply.text):
            continue
        found += [Hit(turn=turn.index, kind="follow_up_channel", quote=sentence)
                  for sentence in _sentence_texts(turn.text) if _FOLLOW_VERB.search(sentence)]
    return found
