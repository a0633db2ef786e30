"""The small value types every layer shares: chat messages, token usage, speakers, phases.

They sit at the bottom of the package (they import nothing of `roleplay`), so the model seam
(`roleplay.llm`), token counting (`roleplay.tokens`) and transcripts (`roleplay.transcript`)
can all use them without importing one another. Each is also re-exported where it was first
defined (``roleplay.llm.base.Usage``, ``roleplay.transcript.Speaker`` ...).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["Message", "Phase", "Role", "Speaker", "Usage"]

Role = Literal["system", "user", "assistant"]
"""Who sends a chat message."""
Speaker = Literal["interviewer", "candidate"]
"""Who speaks a transcript turn."""
Phase = Literal["opening", "interviewer_questions", "candidate_questions", "close"]
"""The part of the interview a turn belongs to."""


class Message(BaseModel):
    """One chat message."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    """Who speaks: ``system``, ``user`` or ``assistant``."""
    content: str
    """The message text."""


class Usage(BaseModel):
    """Token usage; sums with ``+`` across calls, interviews and runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt_tokens: int = 0
    """Tokens sent."""
    completion_tokens: int = 0
    """Tokens generated."""
    cached_tokens: int = 0
    """Prompt tokens served from the endpoint's cache (0 when it does not say)."""
    calls: int = 0
    """Model calls made."""

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            calls=self.calls + other.calls,
        )
