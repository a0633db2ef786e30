"""The code-made facts a judge request carries (``<facts-...>``), as the stand-in judge reads them.

The evaluator shows the judge its deterministic signals as plain lines (turn numbers and counts,
no candidate text). The stand-in judge reads a few of them so its verdicts never contradict what
the evaluator itself found: it does not call a criterion not applicable when the signals say a
behavioural prompt was asked, nor say the candidate never wanted the role when the signals list
a statement of it. Lines it does not recognise are ignored; without a facts block every field is
unknown and the keyword rules decide alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

_BLOCK: Final = re.compile(r"<(facts-[0-9A-Za-z]+)>\n(.*?)\n</\1>", re.DOTALL)
_TURN: Final = re.compile(r"\bT(\d+)\b")
_INVITED: Final = re.compile(r"invited questions at T(\d+)")


@dataclass(frozen=True)
class Facts:
    """What the signals found; ``None`` where the request did not say."""

    present: bool = False
    """The request carried a facts block at all."""
    behavioural_prompts: tuple[int, ...] | None = None
    """Turns with a behavioural prompt ("Tell me about a time ...")."""
    invitation: int | None = None
    """The turn where the interviewer invited questions."""
    closing_questions: tuple[int, ...] | None = None
    """Turns of the candidate's questions (anywhere in the interview, as the signals list them;
    older requests listed the closing phase only)."""
    want_statements: tuple[int, ...] = ()
    """Turns where the candidate says they want the role."""


def _turns(text: str) -> tuple[int, ...]:
    return tuple(int(t) for t in _TURN.findall(text))


def _value(lines: Iterable[str], label: str) -> str | None:
    prefix = f"- {label}:"
    for line in lines:
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    return None


def read_facts(texts: Iterable[str]) -> Facts:
    """The facts in the first ``<facts-...>`` block of ``texts`` (empty `Facts` if none)."""
    block = next((m for text in texts if (m := _BLOCK.search(text))), None)
    if block is None:
        return Facts()
    lines = [line.strip() for line in block.group(2).splitlines()]
    behavioural = _value(lines, "Behavioural prompts at")
    closing = _value(lines, "Closing phase") or ""
    invited = _INVITED.search(closing)
    asked = (_value(lines, "Candidate questions anywhere in the interview")
             or _value(lines, "Candidate questions in the closing phase"))
    want = _value(lines, "Statements of wanting the role")
    return Facts(
        present=True,
        behavioural_prompts=None if behavioural is None else _turns(behavioural),
        invitation=int(invited.group(1)) if invited else None,
        # "2 (T10 process, T12 role)": the turns are in the brackets.
        closing_questions=None if asked is None else _turns(asked),
        want_statements=_turns(want) if want else (),
    )
