"""Wording shared by the interviewer and candidate prompts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

__all__ = ["STAGE_TEXT", "bullets"]

STAGE_TEXT: Final[dict[str, str]] = {
    "phone_screen": "a first phone screen: short, checking motivation, must-haves and basic fit",
    "hiring_manager": "a hiring-manager interview: depth on experience and the team's problems",
    "panel": "a panel interview that you lead: structured questions, one at a time",
    "final": "a final-round interview: judgement, values and commitment",
}
# The order the question bank is worked through at each stage.


def bullets(items: Sequence[str]) -> str:
    return "\n".join(f"- {item}" for item in items)
