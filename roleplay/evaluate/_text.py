"""Text helpers shared by the signals: words, sentences and the hit every signal reports."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from roleplay.evaluate._lexicon import _SENTENCE, _WORD


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Hit(_Frozen):
    """A phrase pattern matched in one turn."""

    turn: int
    """The turn it was found in."""
    kind: str
    """What was matched (a label of ours, e.g. ``begging``)."""
    quote: str
    """The sentence holding the match, a verbatim slice of the turn's text."""


def count_words(text: str) -> int:
    """Words in ``text`` (letters/digits runs, apostrophes kept inside words)."""
    return len(_WORD.findall(text))


def _sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.group().strip()]


def _sentence_texts(text: str) -> list[str]:
    return [text[a:b].strip() for a, b in _sentences(text)]
