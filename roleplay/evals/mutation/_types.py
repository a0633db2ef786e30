"""The words a mutation run speaks in: roles, outcomes, the model slot and factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from roleplay.llm.base import ChatModel

__all__ = ["ModelFactory", "MutationFormat", "MutationMode", "Outcome", "Role", "Slot", "Verdict"]


Role = Literal["interviewer", "candidate", "judge"]
Verdict = Literal["pass", "fail"]
Outcome = Literal["met", "missed", "excused", "undecided"]
MutationMode = Literal["judge", "signals_only"]
MutationFormat = Literal["text", "md", "json"]

_OK: tuple[Outcome, ...] = ("met", "excused")


@dataclass(frozen=True)
class Slot:
    """Which model a `ModelFactory` is asked for."""

    role: Role
    """``interviewer``, ``candidate`` or ``judge``."""
    candidate_id: str
    """The candidate profile of the pair."""
    persona_id: str
    """The interviewer persona of the pair."""
    run: int
    """The simulation's index within the pair, from 0."""


ModelFactory = Callable[[Slot], ChatModel]
"""Returns the (sync) chat model for a slot; it may return the same model every time."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)
