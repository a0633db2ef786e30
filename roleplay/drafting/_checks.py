"""The checks a persona must pass beyond its schema, whether drafted or written by hand.

The leak check (`roleplay.leaks.find_leaks`) can only be trusted when each hidden fact's markers
are distinctive: said by the fact itself, said nowhere in the persona's shareable text, and
owned by one topic only. A drafted persona also names its practice facts by dotted path, and
each path must name a field that exists.
"""

from __future__ import annotations

import json
import re
from typing import Any

from roleplay.persona import Persona

__all__ = ["field_paths", "persona_problems"]


def _says(text: str, phrase: str) -> bool:
    """Whether ``text`` holds ``phrase`` as whole words, case-insensitively (the leak rule)."""
    body = r"\s+".join(re.escape(part) for part in phrase.split())
    return re.search(rf"(?<!\w){body}(?!\w)", text, re.IGNORECASE) is not None


def field_paths(persona: Persona) -> set[str]:
    """Every dotted path to a mapping key of ``persona`` (``hidden_facts.other.salary_range``)."""
    found: set[str] = set()

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                path = f"{prefix}.{key}" if prefix else str(key)
                found.add(path)
                walk(value, path)

    walk(persona.model_dump(exclude={"id", "drafted"}), "")
    return found


def persona_problems(persona: Persona) -> list[str]:
    """What makes ``persona`` unfit for a fair interview, as sentences naming the field.

    Checks every hidden fact's markers (the fact says at least one of them; none appears in the
    shareable parts of the persona; no marker belongs to two topics) and that every ``drafted``
    entry names a field. Empty when all is well.
    """
    problems: list[str] = []
    public = json.dumps(persona.model_dump(exclude={"hidden_facts", "id", "drafted"}),
                        ensure_ascii=False)
    owner: dict[str, str] = {}
    for topic, hidden in persona.hidden_facts.items():
        where = (f"hidden_facts.{topic}" if topic in ("next_steps", "timeline", "decision_maker",
                                                       "contact")
                 else f"hidden_facts.other.{topic}")
        if not any(_says(hidden.fact, m) for m in hidden.markers):
            problems.append(f"{where}.markers: none of {hidden.markers} appears in the fact "
                            "itself, so the leak check could never see it revealed")
        for marker in hidden.markers:
            if _says(public, marker):
                problems.append(f"{where}.markers: {marker!r} also appears in the shareable "
                                "text (facts, questions, role ...); choose a phrase only this "
                                "hidden fact uses")
            other = owner.setdefault(marker.lower(), where)
            if other != where:
                problems.append(f"{where}.markers: {marker!r} is also a marker of {other}")
    paths = field_paths(persona)
    for path in persona.drafted:
        if path not in paths:
            problems.append(f"drafted: {path!r} names no field of the persona")
    return problems
