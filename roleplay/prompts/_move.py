"""What the interviewer answers with: the phases and the `InterviewerMove` schema."""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from roleplay.types import Phase

__all__ = ["OPENING_CUE", "PHASES", "InterviewerMove"]

PHASES: Final[tuple[Phase, ...]] = (
    "opening",
    "interviewer_questions",
    "candidate_questions",
    "close",
)
"""The interview phases, in the only order they may occur."""

OPENING_CUE: Final = "[The candidate has joined the call.]"
"""The one ``user`` message that is not the candidate's words: it starts the conversation.

Chat templates of several local servers require the first non-system message to come from
the user, so the interviewer's opening line answers this cue.
"""

class InterviewerMove(BaseModel):
    """The interviewer's next move: what they say, the phase it belongs to, and whether it ends."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    utterance: str = Field(
        description="The words you say now, as spoken aloud: no name label, no stage directions."
    )
    """The words the interviewer says, verbatim."""
    phase: Phase = Field(
        description="The interview phase this turn belongs to; never an earlier one than before."
    )
    """The phase the model proposes; the session keeps phases monotonic."""
    end_interview: bool = Field(
        description="True only when this utterance closes the interview with a goodbye."
    )
    """True when the interviewer closes the interview with this turn."""

    @field_validator("utterance")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        # A blank utterance is checked here rather than with min_length: OpenAI's strict mode
        # rejects minLength, which would push every request down the fallback chain.
        if not value.strip():
            raise ValueError("utterance must contain words")
        return value.strip()
