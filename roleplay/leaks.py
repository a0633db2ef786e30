"""Leak check: did the interviewer volunteer a hidden fact before the candidate asked?

A persona's hidden facts (next steps, timeline, decision maker, contact, and any ``other``
topics) exist so the rubric can measure the candidate's initiative: a candidate who never asks
about next steps should not be told them. `find_leaks` flags every interviewer turn that
mentions a hidden fact's markers (case-insensitive, whole words) before any candidate turn has
touched that topic. Topic detection is deliberately lenient (a candidate who mentions "follow
up" has touched the contact topic even without a question mark), so a flagged leak is a real
one and not an artefact of a strict question detector.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from pydantic import BaseModel, ConfigDict

from roleplay.persona import Persona
from roleplay.transcript import Transcript

__all__ = ["TOPIC_PATTERNS", "Leak", "asked_topics", "find_leaks", "topic_patterns"]

_WORDS_NEAR = r"[^.?!\n]{0,60}?"

TOPIC_PATTERNS: Final[dict[str, tuple[str, ...]]] = {
    "next_steps": (
        r"\bnext (?:steps?|stages?|rounds?|phases?)\b",
        r"\b(?:hiring|interview|interviewing|selection|recruiting|recruitment) process\b",
        r"\bthe process\b",
        r"\bwhat happens (?:next|now|after)\b",
        r"\bwhat(?:'s| is| comes) next\b",
        r"\b(?:further|more|another|other|final) (?:rounds?|interviews?|stages?)\b",
        r"\bhow many (?:rounds|interviews|stages)\b",
        r"\bwhere do (?:we|things) go from here\b",
        r"\bmove (?:forward|ahead)\b",
    ),
    "timeline": (
        r"\btime ?lines?\b",
        r"\btime ?frames?\b",
        r"\bhear back\b",
        r"\bhear from (?:you|anyone|someone|them|the team)\b",
        rf"\bwhen\b{_WORDS_NEAR}\b(?:hear|decision|decide|decided|know|expect|start|update|"
        r"back|touch)\b",
        r"\bhow (?:long|soon)\b",
        r"\bby when\b",
        r"\bexpect to hear\b",
    ),
    "decision_maker": (
        rf"\bwho\b{_WORDS_NEAR}\b(?:decides?|decision|final say|sign[- ]off|signs off)\b",
        r"\bdecision[- ]?makers?\b",
        r"\b(?:makes?|making|made) the (?:final )?(?:decision|call)\b",
        r"\bfinal say\b",
        r"\bwho else\b",
    ),
    "contact": (
        r"\bcontacts?\b",
        r"\breach (?:you|out|someone|anyone)\b",
        r"\bfollow(?:ing)?[- ]?ups?\b",
        r"\be-?mails?\b",
        r"\bphone\b",
        r"\bcall (?:you|me)\b",
        r"\b(?:get|be|keep|stay) in touch\b",
        r"\bbest way to\b",
        r"\bcheck in\b",
        r"\bwho should i\b",
    ),
}
"""Patterns that show a candidate turn touched a core hidden-fact topic."""

# Everyday words for common `other` topics, so "what's the pay?" touches ``salary_range``.
_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "salary": ("salary", "salaries", "compensation", "pay", "paid", "package", "comp"),
    "compensation": ("salary", "compensation", "pay", "package", "comp"),
    "pay": ("salary", "compensation", "pay", "package"),
    "benefits": ("benefit", "benefits", "perks", "insurance", "pension", "401k", "holiday"),
    "remote": ("remote", "hybrid", "office", "wfh", "work from home"),
    "relocation": ("relocation", "relocate", "relocating", "move", "moving"),
    "visa": ("visa", "sponsor", "sponsorship"),
    "equity": ("equity", "stock", "shares", "options"),
    "bonus": ("bonus", "bonuses"),
    "start": ("start date", "start", "starting"),
}
_STOP: Final = frozenset({"and", "the", "for", "with", "of", "to", "in", "on", "a", "an", "or"})


def _other_patterns(topic: str) -> tuple[str, ...]:
    words = [w for w in re.split(r"[\s_\-]+", topic.lower()) if len(w) >= 3 and w not in _STOP]
    terms: list[str] = []
    for word in words:
        for term in _SYNONYMS.get(word, (word,)):
            if term not in terms:
                terms.append(term)
    bodies = [r"\s+".join(re.escape(part) for part in term.split()) for term in terms]
    return tuple(rf"\b{body}(?:s|es)?\b" for body in bodies)


def topic_patterns(persona: Persona) -> dict[str, list[re.Pattern[str]]]:
    """Compiled topic patterns for every hidden-fact topic of ``persona``."""
    out: dict[str, list[re.Pattern[str]]] = {}
    for topic, _ in persona.hidden_facts.items():
        raw = TOPIC_PATTERNS.get(topic) or _other_patterns(topic)
        out[topic] = [re.compile(p, re.IGNORECASE) for p in raw]
    return out


def asked_topics(text: str, patterns: dict[str, list[re.Pattern[str]]]) -> set[str]:
    """The topics that ``text`` (a candidate turn) touches."""
    return {topic for topic, pats in patterns.items() if any(p.search(text) for p in pats)}


def _marker_pattern(marker: str) -> re.Pattern[str]:
    # Lookarounds instead of \b: markers may start or end with punctuation ("jo@x.com", "9am.").
    body = r"\s+".join(re.escape(part) for part in marker.split())
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def _excerpt(text: str, start: int, end: int, width: int = 60) -> str:
    left = max(0, start - width)
    right = min(len(text), end + width)
    # Widen to whole words so the excerpt never starts or ends mid-word.
    while left > 0 and not text[left - 1].isspace():
        left -= 1
    while right < len(text) and not text[right].isspace():
        right += 1
    snippet = " ".join(text[left:right].split())
    return ("..." if left else "") + snippet + ("..." if right < len(text) else "")


class Leak(BaseModel):
    """An interviewer turn that revealed a hidden fact before the candidate asked about it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: str
    """The hidden-fact topic, e.g. ``timeline`` or an ``other`` key such as ``salary_range``."""
    turn: int
    """The 1-based index of the interviewer turn."""
    marker: str
    """The marker found (as written in the persona)."""
    excerpt: str
    """The words around the marker."""


def find_leaks(transcript: Transcript, persona: Persona) -> list[Leak]:
    """Interviewer turns that mention a hidden fact before any candidate turn asked about it.

    One `Leak` per interviewer turn and topic (the marker that appears first in the turn).
    """
    patterns = topic_patterns(persona)
    markers = {
        topic: [(m, _marker_pattern(m)) for m in fact.markers]
        for topic, fact in persona.hidden_facts.items()
    }
    asked: set[str] = set()
    leaks: list[Leak] = []
    for turn in transcript.turns:
        if turn.speaker == "candidate":
            asked |= asked_topics(turn.text, patterns)
            continue
        for topic, found in _first_markers(turn.text, markers, skip=asked):
            marker, match = found
            leaks.append(Leak(topic=topic, turn=turn.index, marker=marker,
                              excerpt=_excerpt(turn.text, match.start(), match.end())))
    return leaks


def _first_markers(
    text: str,
    markers: dict[str, list[tuple[str, re.Pattern[str]]]],
    *,
    skip: Iterable[str],
) -> list[tuple[str, tuple[str, re.Match[str]]]]:
    skipped = set(skip)
    out: list[tuple[str, tuple[str, re.Match[str]]]] = []
    for topic, pats in markers.items():
        if topic in skipped:
            continue
        hits = [(m, match) for m, pat in pats if (match := pat.search(text))]
        if hits:
            out.append((topic, min(hits, key=lambda h: h[1].start())))
    return out
