"""Who answers the interviewer: a person at the terminal, an LLM, or a fixed script.

A candidate gets a `CandidateView` (what it can know: the public brief and the turns so far)
and returns a `CandidateReply`: words, or "I have left" (``text is None``). Every candidate here
implements both `Candidate` (``reply``) and `AsyncCandidate` (``areply``).
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections import deque
from collections.abc import Callable, Iterable
from typing import Literal, Protocol, TextIO, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from roleplay.errors import ModelOutputError
from roleplay.llm.base import AsyncChatModel, ChatModel, ChatRequest, ModelSettings, Usage
from roleplay.persona import CandidateProfile
from roleplay.prompts import InterviewBrief, build_candidate_request
from roleplay.tokens import TiktokenCounter, TokenCounter
from roleplay.transcript import Phase, TranscriptSource, Turn

__all__ = [
    "AsyncCandidate",
    "Candidate",
    "CandidateInfo",
    "CandidateReply",
    "CandidateView",
    "HumanCandidate",
    "LLMCandidate",
    "ScriptedCandidate",
    "SpokenTimes",
]

LeaveReason = Literal["candidate_ended", "interrupted"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CandidateView(_Frozen):
    """What the candidate can see when it is their turn."""

    brief: InterviewBrief
    """The public facts of the interview: company, role, interviewer, stage."""
    turns: tuple[Turn, ...]
    """The interview so far; the last turn is the interviewer's."""
    phase: Phase
    """The current phase."""
    closing: bool = False
    """The interviewer has just closed the interview: this reply is the last word."""
    turns_left: int
    """Turns left before the turn limit, this one included."""

    @property
    def question(self) -> str:
        """The interviewer's latest words."""
        for turn in reversed(self.turns):
            if turn.speaker == "interviewer":
                return turn.text
        return ""


class SpokenTimes(_Frozen):
    """When a spoken answer was said, in seconds into the interview (voice practice)."""

    start: float = Field(ge=0)
    """When the candidate started speaking."""
    end: float = Field(ge=0)
    """When they stopped."""
    question_end: float | None = Field(default=None, ge=0)
    """When the person finished hearing the question, when it was read aloud after its text
    was shown (the interviewer's turn then ends here, not when its text did)."""


class CandidateReply(_Frozen):
    """A candidate's answer, or their leaving (``text is None``)."""

    text: str | None
    """What the candidate says; ``None`` when they left the interview."""
    spoken: SpokenTimes | None = None
    """When the answer was spoken (the turn's ``offset`` and ``end``); ``None`` when typed."""
    usage: Usage = Usage()
    """Model usage spent producing the reply (zero for people and scripts)."""
    end_reason: LeaveReason = "candidate_ended"
    """Why the candidate left (used only when ``text is None``)."""

    @classmethod
    def leave(cls, reason: LeaveReason = "candidate_ended") -> CandidateReply:
        """The candidate leaves the interview."""
        return cls(text=None, end_reason=reason)


class CandidateInfo(_Frozen):
    """How a candidate is described in the transcript."""

    source: TranscriptSource
    """``human``, ``simulated`` or ``scripted``."""
    candidate_id: str | None = None
    """The candidate profile id, for simulated candidates."""
    model: str | None = None
    """The model playing the candidate, if any."""
    settings: dict[str, object] = Field(default_factory=dict)
    """Its generation settings (never keys)."""


@runtime_checkable
class Candidate(Protocol):
    """A candidate for the synchronous driver (`Interview.run`)."""

    @property
    def info(self) -> CandidateInfo:
        """How the transcript describes this candidate."""
        ...

    def reply(self, view: CandidateView) -> CandidateReply:
        """Answer the interviewer's latest turn (or leave)."""
        ...


@runtime_checkable
class AsyncCandidate(Protocol):
    """A candidate for the asynchronous driver (`Interview.arun`)."""

    @property
    def info(self) -> CandidateInfo:
        """How the transcript describes this candidate."""
        ...

    async def areply(self, view: CandidateView) -> CandidateReply:
        """Answer the interviewer's latest turn (or leave)."""
        ...


class ScriptedCandidate:
    """Says the given lines in order, one per turn, and leaves when they run out.

    Example:
        >>> candidate = ScriptedCandidate(["Hi, thanks for having me.", "I led the migration."])
    """

    def __init__(self, lines: Iterable[str], *, candidate_id: str | None = None) -> None:
        self._lines: deque[str] = deque(lines)
        self._candidate_id = candidate_id

    @property
    def info(self) -> CandidateInfo:
        """Source ``scripted``."""
        return CandidateInfo(source="scripted", candidate_id=self._candidate_id)

    @property
    def remaining(self) -> int:
        """Lines not yet said."""
        return len(self._lines)

    def reply(self, view: CandidateView) -> CandidateReply:  # noqa: ARG002 - the script ignores it
        """The next line, or leave (``candidate_ended``) when there is none."""
        if not self._lines:
            return CandidateReply.leave("candidate_ended")
        return CandidateReply(text=self._lines.popleft())

    async def areply(self, view: CandidateView) -> CandidateReply:
        """Async twin of `reply`."""
        return self.reply(view)


class LLMCandidate:
    """A simulated candidate: an LLM playing a `CandidateProfile`, replying in plain text.

    Args:
        profile: Who to play and how to behave.
        model: A `ChatModel` for `reply`, an `AsyncChatModel` for `areply` (the fakes and the
            OpenAI adapters' classes are one or the other; the fakes are both).
        settings: Generation settings for each request.
        max_prompt_tokens: History budget per request; older middle turns are trimmed beyond it.
        counter: Token counter for trimming (default: tiktoken for the model's name).
    """

    def __init__(
        self,
        profile: CandidateProfile,
        model: ChatModel | AsyncChatModel,
        *,
        settings: ModelSettings | None = None,
        max_prompt_tokens: int = 6000,
        counter: TokenCounter | None = None,
    ) -> None:
        self.profile = profile
        self.model = model
        self.settings = settings or ModelSettings()
        self.max_prompt_tokens = max_prompt_tokens
        self.counter = counter or TiktokenCounter(model.model_name)
        self._label = re.compile(
            rf"^\s*(?:\*\*)?(?:{re.escape(profile.name)}|candidate|me)(?:\*\*)?\s*:\s*",
            re.IGNORECASE,
        )

    @property
    def info(self) -> CandidateInfo:
        """Source ``simulated``, with the profile id and the model."""
        return CandidateInfo(
            source="simulated",
            candidate_id=self.profile.id or None,
            model=self.model.model_name,
            settings=self.settings.model_dump(exclude_none=True),
        )

    def request(self, view: CandidateView) -> ChatRequest:
        """The chat request for the reply to ``view`` (pure; the drivers below send it)."""
        return build_candidate_request(
            self.profile, view.brief, view.turns, counter=self.counter,
            max_prompt_tokens=self.max_prompt_tokens, settings=self.settings, closing=view.closing,
        )

    def _clean(self, text: str) -> str:
        # Models sometimes prefix their line with a speaker label despite the instructions;
        # the transcript attributes speakers itself, so the label would be noise.
        cleaned = self._label.sub("", text.strip(), count=1).strip()
        if not cleaned:
            raise ModelOutputError(
                f"the model playing candidate {self.profile.id or self.profile.name!r} returned "
                "an empty reply",
                raw=text,
            )
        return cleaned

    def reply(self, view: CandidateView) -> CandidateReply:
        """Ask the (sync) model for the candidate's next words."""
        if not isinstance(self.model, ChatModel):
            raise TypeError("LLMCandidate.reply needs a ChatModel; use areply with an async model")
        response = self.model.complete(self.request(view))
        return CandidateReply(text=self._clean(response.text), usage=response.usage)

    async def areply(self, view: CandidateView) -> CandidateReply:
        """Ask the (async) model for the candidate's next words."""
        if not isinstance(self.model, AsyncChatModel):
            raise TypeError(
                "LLMCandidate.areply needs an AsyncChatModel; use reply with a sync model"
            )
        response = await self.model.acomplete(self.request(view))
        return CandidateReply(text=self._clean(response.text), usage=response.usage)


InputFn = Callable[[str], str]


class HumanCandidate:
    """A person answering at the terminal (or through a pipe).

    Input rules, chosen so that piped files and typing both work:

    * One line is one answer. A line ending with a backslash continues on the next line (the
      backslash is dropped), for multi-line answers.
    * Blank lines before an answer are ignored, so a stray Enter never sends an empty answer.
    * End of input (Ctrl-D, or the end of a piped file) or typing ``/end`` leaves the interview
      (``candidate_ended``); Ctrl-C leaves it too (``interrupted``). Either way the transcript
      so far is kept. End of input in the middle of a continued answer sends what was typed.

    Args:
        input_fn: Reads one line given a prompt (default: the built-in ``input``).
        output: Where the interviewer's words are written when ``show_interviewer`` is set
            (default: ``sys.stdout`` at the time of writing).
        show_interviewer: Print the interviewer's latest words before reading. Turn it off when
            the words are already streamed to the terminal through ``Interview(on_text=...)``.
        prompt: The prompt for the first line of an answer.
        continuation_prompt: The prompt for continuation lines.
    """

    def __init__(
        self,
        input_fn: InputFn = input,
        output: TextIO | None = None,
        *,
        show_interviewer: bool = True,
        prompt: str = "You: ",
        continuation_prompt: str = "...  ",
    ) -> None:
        self.input_fn = input_fn
        self.output = output
        self.show_interviewer = show_interviewer
        self.prompt = prompt
        self.continuation_prompt = continuation_prompt

    @property
    def info(self) -> CandidateInfo:
        """Source ``human``."""
        return CandidateInfo(source="human")

    def reply(self, view: CandidateView) -> CandidateReply:
        """Show the interviewer's words (optionally) and read the answer."""
        if self.show_interviewer:
            out = self.output or sys.stdout
            out.write(f"\n{view.brief.interviewer_name}: {view.question}\n")
            out.flush()
        lines: list[str] = []
        while True:
            try:
                line = self.input_fn(self.continuation_prompt if lines else self.prompt)
            except EOFError:
                if "\n".join(lines).strip():
                    break
                return CandidateReply.leave("candidate_ended")
            except KeyboardInterrupt:
                return CandidateReply.leave("interrupted")
            stripped = line.rstrip()
            if stripped.endswith("\\"):
                lines.append(stripped[:-1])
                continue
            lines.append(line)
            if "\n".join(lines).strip():
                break
            lines.clear()  # only blank lines so far: keep waiting for an answer
        text = "\n".join(lines).strip()
        if text.lower() == "/end":
            return CandidateReply.leave("candidate_ended")
        return CandidateReply(text=text)

    async def areply(self, view: CandidateView) -> CandidateReply:
        """`reply` in a worker thread, so the event loop keeps running while the person types."""
        return await asyncio.to_thread(self.reply, view)
