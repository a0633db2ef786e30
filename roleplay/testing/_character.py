"""Persona checks as assertions: hidden facts kept until asked, the interviewer in character."""

from __future__ import annotations

import os
import re
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from roleplay.leaks import find_leaks
from roleplay.persona import Persona, load_persona
from roleplay.transcript import Transcript

__all__ = ["CharacterBreak", "assert_in_character", "assert_no_leaks", "character_breaks"]

BreakKind = Literal["ai_disclosure", "prompt_talk", "speaks_for_candidate", "other_name", "empty"]

# A person in a real interview never says these about themselves.
_AI_DISCLOSURE: Final = tuple(re.compile(p, re.IGNORECASE) for p in (
    r"\bas an ai\b",
    r"\b(?:a|an|the) (?:large )?language model\b",
    r"\bI(?:'m| am) (?:just |only )?(?:an? )?(?:ai|artificial intelligence|chat ?bot|bot|"
    r"virtual assistant|ai assistant|ai model)\b",
    r"\bI(?:'m| am) not (?:a )?(?:real|human|an? (?:actual|real) (?:person|interviewer))\b",
    r"\b(?:openai|chatgpt)\b",
))
# The machinery behind the role: prompts, instructions, simulations, the hidden facts.
_PROMPT_TALK: Final = tuple(re.compile(p, re.IGNORECASE) for p in (
    r"\bsystem (?:prompt|message)\b",
    r"\bmy (?:instructions|prompt|persona)\b",
    r"\b(?:this|the) (?:simulation|role-?play|simulated interview)\b",
    r"\bhidden facts?\b",
    r"\bstay(?:ing)? in character\b",
    r"\bInterviewerMove\b",
    r'"utterance"\s*:',
))
_LABEL: Final = re.compile(r"(?:^|\n)\s*(?:\*\*)?(candidate|interviewer|me|you)(?:\*\*)?\s*:",
                           re.IGNORECASE)
_SELF_NAME: Final = (
    re.compile(r"\bmy name(?: is|'s)\s+([A-Z][a-z]+)\b"),
    re.compile(r"\b(?:this is|I'm|I am)\s+([A-Z][a-z]+)(?:\s+[A-Z][a-z]+)?\s+(?:from|at|here)\b"),
)


class CharacterBreak(BaseModel):
    """An interviewer turn that stepped out of the persona."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    turn: int
    """The 1-based interviewer turn."""
    kind: BreakKind
    """``ai_disclosure`` (says it is an AI or model), ``prompt_talk`` (talks about its prompt,
    instructions, the simulation or the hidden facts), ``speaks_for_candidate`` (writes the
    candidate's lines or speaker labels), ``other_name`` (introduces itself by a name that is
    not the persona's), ``empty`` (said nothing)."""
    excerpt: str
    """The words that show it."""


def _excerpt(text: str, match: re.Match[str], width: int = 50) -> str:
    left, right = max(0, match.start() - width), min(len(text), match.end() + width)
    snippet = " ".join(text[left:right].split())
    return ("..." if left else "") + snippet + ("..." if right < len(text) else "")


def _persona(persona: Persona | str | os.PathLike[str]) -> Persona:
    return persona if isinstance(persona, Persona) else load_persona(persona)


def character_breaks(transcript: Transcript,
                     persona: Persona | str | os.PathLike[str]) -> list[CharacterBreak]:
    """Interviewer turns where the interviewer stepped out of ``persona``.

    Deterministic and deliberately narrow: each kind is a thing no person in a real interview
    would say, so a flagged turn is worth reading. It does not judge tone or style.
    """
    persona = _persona(persona)
    # "This is Acme here" names the company, not another person.
    own_names = {part.lower() for part in re.findall(
        r"[A-Za-z]+", f"{persona.interviewer.name} {persona.company.name}")}
    breaks: list[CharacterBreak] = []
    for turn in transcript.turns:
        if turn.speaker != "interviewer":
            continue
        text = turn.text
        if not text.strip():
            breaks.append(CharacterBreak(turn=turn.index, kind="empty", excerpt=""))
            continue
        for kind, patterns in (("ai_disclosure", _AI_DISCLOSURE), ("prompt_talk", _PROMPT_TALK)):
            found = next((m for p in patterns if (m := p.search(text))), None)
            if found:
                breaks.append(CharacterBreak(turn=turn.index, kind=kind,
                                             excerpt=_excerpt(text, found)))
        label = _LABEL.search(text)
        if label:
            breaks.append(CharacterBreak(turn=turn.index, kind="speaks_for_candidate",
                                         excerpt=_excerpt(text, label)))
        for pattern in _SELF_NAME:
            name = pattern.search(text)
            if name and name.group(1).lower() not in own_names:
                breaks.append(CharacterBreak(turn=turn.index, kind="other_name",
                                             excerpt=_excerpt(text, name)))
                break
    return breaks


def assert_no_leaks(transcript: Transcript, persona: Persona | str | os.PathLike[str]) -> None:
    """Assert the interviewer volunteered none of the persona's hidden facts before being asked.

    Raises:
        AssertionError: one line per leak: the turn, the topic, the marker and its context.
    """
    __tracebackhide__ = True
    persona = _persona(persona)
    leaks = find_leaks(transcript, persona)
    if not leaks:
        return
    lines = [f"{len(leaks)} hidden fact(s) of persona {persona.id!r} volunteered before the "
             f"candidate asked (transcript {transcript.id}):"]
    for leak in leaks:
        lines.append(f"  turn {leak.turn}: {leak.topic} (marker {leak.marker!r}): "
                     f'"{leak.excerpt}"')
    lines.append("  The interviewer prompt tells the model to keep these until asked; a leak "
                 "means the persona's facts or style invite it (see the persona's hidden_facts).")
    raise AssertionError("\n".join(lines))


def assert_in_character(transcript: Transcript,
                        persona: Persona | str | os.PathLike[str]) -> None:
    """Assert the interviewer stayed in character (see `character_breaks`).

    Raises:
        AssertionError: one line per break: the turn, the kind and the words that show it.
    """
    __tracebackhide__ = True
    persona = _persona(persona)
    breaks = character_breaks(transcript, persona)
    if not breaks:
        return
    lines = [f"{persona.interviewer.name} ({persona.id}) stepped out of character in "
             f"{len(breaks)} place(s) (transcript {transcript.id}):"]
    lines += [f'  turn {b.turn}: {b.kind.replace("_", " ")}: "{b.excerpt}"' for b in breaks]
    raise AssertionError("\n".join(lines))
