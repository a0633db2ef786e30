"""Content words: how code tells that one turn takes up the words of another."""

from __future__ import annotations

from roleplay.evaluate._lexicon import _STOP, _WORD

__all__ = ["content_words"]


def content_words(text: str) -> set[str]:
    """The words of ``text`` that carry content: five letters or more, not a common word."""
    return {w.lower() for w in _WORD.findall(text) if len(w) >= 5 and w.lower() not in _STOP}
