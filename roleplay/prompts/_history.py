"""Keeping a request inside its token budget: drop the oldest middle turns and say so.

The note that replaces dropped turns is made by code (never a model call) and quotes only the
interviewer's own earlier questions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from roleplay.prompts._text import bullets
from roleplay.tokens import TokenCounter
from roleplay.transcript import Turn
from roleplay.types import Message

__all__ = ["fit_history", "omitted_turns_note", "with_notes"]

_SENTENCE: Final = re.compile(r"[^.!?]+[.!?]*")


def _topic_of(text: str, words: int = 12) -> str:
    sentences = [s.strip() for s in _SENTENCE.findall(" ".join(text.split())) if s.strip()]
    questions = [s for s in sentences if s.endswith("?")]
    chosen = (questions or sentences or [text.strip()])[-1 if questions else 0]
    parts = chosen.split()
    topic = " ".join(parts[:words]) + (" ..." if len(parts) > words else "")
    # Quotes are ours in the note; a quote in the topic would only blur where a topic ends.
    return topic.replace('"', "'")


def omitted_turns_note(omitted: Sequence[Turn], *, max_topics: int = 6) -> str:
    """A deterministic note describing omitted turns (no model call).

    Example: ``[6 earlier turns (3-8) omitted to fit the context. Topics covered: "Tell me about
    a time you led a migration?"; "How do you handle on-call?"]``
    """
    if not omitted:
        return ""
    first, last = omitted[0].index, omitted[-1].index
    span = f"{first}-{last}" if first != last else str(first)
    topics = [_topic_of(t.text) for t in omitted if t.speaker == "interviewer" and t.text.strip()]
    shown = "; ".join(f'"{topic}"' for topic in topics[:max_topics])
    if len(topics) > max_topics:
        shown += f"; and {len(topics) - max_topics} more"
    covered = f" Topics covered: {shown}." if shown else ""
    return f"[{len(omitted)} earlier turns ({span}) omitted to fit the context.{covered}]"


def _message_cost(counter: TokenCounter, message: Message) -> int:
    return counter.count_messages([message]) - counter.count_messages([])


def fit_history(
    system: str,
    notes: Sequence[str],
    head: Sequence[Message],
    turns: Sequence[Turn],
    messages: Sequence[Message],
    *,
    budget: int,
    counter: TokenCounter,
    reserve: int = 0,
    keep_first: int = 2,
) -> tuple[str, list[Message]]:
    """Drop the oldest middle turns until the request fits ``budget`` tokens.

    ``messages[i]`` is the message of ``turns[i]``. The system prompt, ``head``, the first
    ``keep_first`` turns (the opening exchange) and the most recent turns are kept; the kept
    tail always starts at an interviewer turn, so roles still alternate. The last exchange is
    kept even when it alone exceeds the budget. Returns the system prompt with ``notes`` (and
    the omission note, first, when turns were dropped) and the messages after ``head``.
    """

    def total(system_text: str, kept: Sequence[Message]) -> int:
        fixed = [Message(role="system", content=system_text), *head]
        return counter.count_messages(fixed) + sum(costs[id(m)] for m in kept) + reserve

    costs = {id(m): _message_cost(counter, m) for m in messages}
    full = with_notes(system, notes)
    if total(full, messages) <= budget:
        return full, list(messages)
    starts = [
        i for i, t in enumerate(turns) if i >= keep_first and t.speaker == "interviewer"
    ]
    if not starts:
        return full, list(messages)
    for start in starts:
        note = omitted_turns_note(turns[keep_first:start])
        system_text = with_notes(system, [note, *notes] if note else notes)
        kept = [*messages[:keep_first], *messages[start:]]
        if total(system_text, kept) <= budget or start == starts[-1]:
            return system_text, kept
    raise AssertionError("unreachable")  # pragma: no cover


def with_notes(system: str, notes: Sequence[str]) -> str:
    if not notes:
        return system
    return system + "\n\n## Notes for this turn\n" + bullets(notes)
